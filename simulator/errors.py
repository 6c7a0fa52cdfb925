"""Errors a user can cause, with the place in their file that caused them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import attrs


@attrs.frozen
class Location:
    """A place in a scenario file: 1-based line and column, and the path of the value there."""

    file: str
    line: int
    column: int
    path: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.path}"


class InputError(Exception):
    """Bad input from the user: reported as `FILE:LINE:COL: PATH: message`, exit status 2."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


class InputErrors(Exception):
    """Several input errors found in one pass, in file order."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.location.file, e.location.line, e.location.column))
        super().__init__("\n".join(str(error) for error in self.errors))


class UsageError(Exception):
    """A bad command-line value (not tied to a place in a file)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` suffix when `word` is close to one of `choices`, else ''."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

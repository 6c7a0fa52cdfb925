"""Where outputs go: timeline files written whole or not at all, and a guarded standard output.

A timeline file is written into a temporary file beside its destination (`.NAME.PID.N.part`) and renamed
into place only when every timeline of the run has been written, so an interrupt (Ctrl-C), a full disk or
a failing second `--timeline` never leaves a partial or empty file (and an older file of that name stays as
it was). A destination that exists and is not a regular file (a FIFO, `/dev/null`) is written directly.
Errors become `OutputError`, whose message names the file; the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import contextlib
import os
import stat
from typing import IO

#: A lone surrogate in a name (YAML can write one) can't be UTF-8: it is written as `\udxxx` instead of failing.
ENCODING_ERRORS = "backslashreplace"


class OutputError(Exception):
    """An output could not be written: the message says which and why (for the user, no traceback)."""


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


class StandardOutput:
    """A text stream that turns write errors (a full disk, a closed pipe) into `OutputError`.

    The CLI gives this to the commands in place of `sys.stdout`; `flush` is called before the exit so that
    an error of the last buffered write is reported too.
    """

    def __init__(self, stream: IO[str], name: str = "standard output") -> None:
        self.stream = stream
        self.name = name

    def write(self, text: str) -> int:
        """Write `text`; an OSError becomes an OutputError."""
        try:
            return self.stream.write(text)
        except UnicodeEncodeError:  # a character the terminal's encoding lacks (or a lone surrogate)
            encoding = getattr(self.stream, "encoding", None) or "utf-8"
            return self.write(text.encode(encoding, ENCODING_ERRORS).decode(encoding))
        except OSError as error:
            raise OutputError(f"cannot write to {self.name}: {_reason(error)}") from None

    def flush(self) -> None:
        """Flush the stream; an OSError becomes an OutputError."""
        try:
            self.stream.flush()
        except OSError as error:
            raise OutputError(f"cannot write to {self.name}: {_reason(error)}") from None

    def isatty(self) -> bool:
        """Whether the stream is a terminal."""
        return self.stream.isatty()


class TimelineFile:
    """One `--timeline` destination: a text stream to a temporary file beside it until `commit`.

    `stream` is what a writer writes to. `finish` flushes and closes it; `commit` renames it into place;
    `discard` removes it (and is safe to call at any point, also twice).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.target = os.path.realpath(path)  # a symlink's target is replaced, not the link
        self.temporary: str | None = None
        try:
            existing = os.stat(self.target)
        except FileNotFoundError:
            existing = None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            self.stream: IO[str] = open(self.target, "w", encoding="utf-8", errors=ENCODING_ERRORS,  # noqa: SIM115
                                        newline="\n")  # fmt: skip
            return
        descriptor, self.temporary = _create_beside(self.target)
        try:
            if existing is not None:
                os.chmod(descriptor, stat.S_IMODE(existing.st_mode))  # the file keeps its permissions
            self.stream = open(descriptor, "w", encoding="utf-8", errors=ENCODING_ERRORS,  # noqa: SIM115
                               newline="\n")  # fmt: skip
        except BaseException:
            os.close(descriptor)
            os.unlink(self.temporary)
            raise

    def finish(self) -> None:
        """Flush and close the stream (the data is in the temporary file). Raises OutputError."""
        try:
            self.stream.close()
        except OSError as error:
            raise self.error(error) from None

    def commit(self) -> None:
        """Rename the temporary file into place. Raises OutputError."""
        if self.temporary is not None:
            try:
                os.replace(self.temporary, self.target)
            except OSError as error:
                raise self.error(error) from None
            self.temporary = None

    def discard(self) -> None:
        """Close the stream without caring for errors and remove the temporary file."""
        with contextlib.suppress(OSError):  # the file is removed anyway; the first error is the one reported
            self.stream.close()
        if self.temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temporary)
            self.temporary = None

    def error(self, error: OSError) -> OutputError:
        """The OutputError for an OSError while writing this file."""
        return OutputError(f"cannot write timeline {self.path!r}: {_reason(error)}")


def _create_beside(target: str) -> tuple[int, str]:
    """Create a new, empty temporary file in `target`'s folder; its descriptor and path.

    os.open with mode 0o666 lets the umask decide the permissions, as `open(target, "w")` would.
    """
    folder, name = os.path.split(target)
    for attempt in range(10_000):
        candidate = os.path.join(folder, f".{name}.{os.getpid()}.{attempt}.part")
        try:
            return os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target!r}")

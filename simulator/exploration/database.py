"""The failure database: failing schedules saved per scenario and replayed first on the next explore.

As Hypothesis keeps failing examples in `.hypothesis/`, explore keeps the shrunk token of every failure it
reports in `.threadsim/failures/<scenario hash>/`, one small JSON file per token. The next explore of the
same scenario file (the same bytes) replays those first, says which still fail, and forgets those that
pass now. `explore --no-database` neither reads nor writes it; the environment variable
`THREADSIM_DATABASE` names another directory instead of `.threadsim` (empty: no database).

Entries are read in the order of their file names, so that the report does not depend on the directory's
order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs

from simulator.exploration.tokens import TokenError, decode

#: The environment variable that moves (or, set empty, turns off) the database.
ENVIRONMENT = "THREADSIM_DATABASE"
DEFAULT_ROOT = ".threadsim"


@attrs.frozen
class Entry:
    """One saved failing schedule: its token and the failure it showed when saved."""

    token: str
    kind: str
    subject: tuple[str, ...]
    message: str


def default_root() -> Path | None:
    """The database directory: $THREADSIM_DATABASE if set (None if it is empty), else `.threadsim`."""
    value = os.environ.get(ENVIRONMENT)
    if value is None:
        return Path(DEFAULT_ROOT)
    return Path(value) if value else None


class FailureDatabase:
    """The saved failures of one scenario (by the hash its tokens carry) under `root`."""

    def __init__(self, root: Path, scenario_hash: str) -> None:
        self.directory = root / "failures" / scenario_hash
        self.scenario_hash = scenario_hash

    def entries(self) -> list[Entry]:
        """Every readable entry, in file-name order; damaged files are skipped (and replaced when saved again)."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                entry = Entry(str(data["token"]), str(data["kind"]), tuple(map(str, data["subject"])),
                              str(data["message"]))  # fmt: skip
                if decode(entry.token).scenario_hash != self.scenario_hash:
                    continue
            except (OSError, ValueError, KeyError, TypeError, TokenError):
                continue
            found.append(entry)
        return found

    def save(self, entry: Entry) -> None:
        """Keep `entry` (once: its file is named by its token)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{entry.token}.json"
        data = {"token": entry.token, "kind": entry.kind, "subject": list(entry.subject), "message": entry.message}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)  # never a half-written entry, even if two explores run at once

    def forget(self, token: str) -> None:
        """Drop the entry of `token` (it passes now)."""
        (self.directory / f"{token}.json").unlink(missing_ok=True)

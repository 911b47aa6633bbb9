"""Retention of saved runs: `--keep N` and `--keep-days D`, per site, never the newest run.

Which runs to delete is a pure choice over (name, time) pairs (`Retention.doomed`). What may be
deleted at all is decided by `is_netaudit_run`: a file with a run's dated name, a regular file (not
a link), whose JSON says it is a netaudit run of that site. A file the tool did not write (a
user's notes named like a run, a link, another site's run) is never deleted.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from netaudit.errors import InputError

__all__ = ["Retention", "is_netaudit_run"]


@dataclass(frozen=True)
class Retention:
    """How many saved runs of a site to keep: the newest `keep`, and those younger than `keep_days`.

    A run is deleted when either limit excludes it; with neither set every run is kept. The newest
    run is always kept, whatever the limits say.
    """

    keep: int | None = None
    keep_days: float | None = None

    def __post_init__(self) -> None:
        if self.keep is not None and self.keep < 1:
            raise InputError(f"--keep {self.keep}: keep at least 1 run (the newest is never deleted)")
        if self.keep_days is not None and self.keep_days <= 0:
            raise InputError(f"--keep-days {self.keep_days}: must be more than 0 days")

    @property
    def active(self) -> bool:
        return self.keep is not None or self.keep_days is not None

    def doomed(self, runs: Sequence[tuple[Path, datetime]]) -> list[Path]:
        """The runs to delete among `runs` (oldest first, each with its start time)."""
        if not runs or not self.active:
            return []
        ordered = sorted(runs, key=lambda run: run[1])
        newest = ordered[-1][1]
        older = ordered[:-1]
        doomed: list[Path] = []
        for index, (path, when) in enumerate(older):
            beyond_count = self.keep is not None and len(ordered) - index > self.keep
            too_old = self.keep_days is not None and newest - when > timedelta(days=self.keep_days)
            if beyond_count or too_old:
                doomed.append(path)
        return doomed

    def describe(self) -> str:
        parts = []
        if self.keep is not None:
            parts.append(f"the newest {self.keep}")
        if self.keep_days is not None:
            parts.append(f"those of the last {self.keep_days:g} days")
        return " and ".join(parts) if parts else "every run"


def is_netaudit_run(path: Path, site: str) -> bool:
    """True when `path` is a regular file holding a netaudit run document of `site` ("" for no site)."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            return False
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(document, dict):
        return False
    schema = document.get("schema")
    return isinstance(schema, str) and schema.startswith("netaudit/") and document.get("site", "") == site

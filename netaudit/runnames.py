"""The names of saved runs: ``2026-11-30T101500Z``, with a site ``leeds_2026-11-30T101500Z``, and back.

A name sorts by time within a site, has no ':' (Windows, URLs), and says which site a run is of,
so retention and drift find a site's runs by name alone. A site label is checked here once: letters,
digits, '.', '_' and '-', so that it can name a file.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from netaudit.errors import InputError

__all__ = ["check_site", "dated_stem", "parse_run_name", "run_stem"]

_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", re.ASCII)
_RUN_NAME = re.compile(
    r"(?:(?P<site>.+)_)?(?P<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}Z)(?:-(?P<n>[0-9]+))?", re.ASCII
)


def dated_stem(when: datetime) -> str:
    """The name of a run started at `when`, in UTC: ``2026-11-30T101500Z`` (sorts by time, no ':')."""
    if when.tzinfo is None:
        raise ValueError("a saved run's time must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")


def check_site(site: str) -> str:
    """`site` if it can label a run and its file names (letters, digits, '.', '_', '-'); InputError if not."""
    if site and not _SITE.fullmatch(site):
        raise InputError(
            f"--site {site!r}: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return site


def run_stem(when: datetime, site: str = "") -> str:
    """The name of a run of `site` started at `when`: ``leeds_2026-11-30T101500Z`` (no site: the date alone)."""
    stamp = dated_stem(when)
    return f"{check_site(site)}_{stamp}" if site else stamp


def parse_run_name(name: str) -> tuple[str, datetime, int] | None:
    """(site, start time, suffix number) of a saved run's file stem; None for any other name."""
    found = _RUN_NAME.fullmatch(name)
    if found is None or (found["site"] is not None and not _SITE.fullmatch(found["site"])):
        return None
    when = datetime.strptime(found["stamp"], "%Y-%m-%dT%H%M%SZ").replace(tzinfo=UTC)
    return found["site"] or "", when, int(found["n"] or 1)

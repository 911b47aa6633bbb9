"""Reading netaudit's fingerprint files (``netaudit/data/*.toml``): one parse per file, a strict top
level, and the ``file:line: table #n`` prefix of an entry's messages, worked out only when needed.

`netaudit.probe.blockpages` reads the ``[[fingerprint]]`` tables, `netaudit.probe.sinkhole` the
``[[dns]]`` tables of the same files, and `netaudit.probe.inspection` the ``[[issuer]]`` tables of
its own file (through `EntryLabel` only).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from netaudit.errors import InputError
from netaudit.tomlsource import InvalidToml, NotUtf8, TomlSource, UnreadableFile

_TOP_LEVEL = ("fingerprint", "dns")


@functools.lru_cache(maxsize=16)
def _parsed(path: Path) -> tuple[TomlSource, dict[str, Any]]:
    # Both tables of a file ([[fingerprint]], [[dns]]) are read from one parse.
    source = TomlSource.read(path)
    return source, source.parse()


def read_entries(
    path: Path, table: str, allowed: tuple[str, ...] = _TOP_LEVEL, kind: str = "fingerprint file"
) -> tuple[TomlSource, list[Any]]:
    """The ``[[table]]`` entries of a data file whose top level may hold only the `allowed` arrays of
    tables (checked strictly), and its source; `kind` names the file in messages.

    Shared with `netaudit.probe.sinkhole`, which reads the ``[[dns]]`` tables of the same files, and
    `netaudit.probe.inspection` (``[[issuer]]``).
    """
    try:
        source, document = _parsed(path)
    except UnreadableFile as exc:
        if isinstance(exc.error, FileNotFoundError):
            raise InputError(f"{path}: no such {kind}") from None
        raise InputError(f"{path}: cannot read it ({exc.error})") from None
    except NotUtf8 as exc:
        raise InputError(f"{path}: cannot read it ({exc.error})") from None
    except InvalidToml as exc:
        raise InputError(f"{path}: not valid TOML: {exc.error}") from None
    for key in document:
        if key not in allowed:
            expected = " or ".join(f"[[{name}]]" for name in allowed)
            raise InputError(f"{path}: unknown top-level key '{key}' (expected {expected})")
    entries = document.get(table, [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: '{table}' must be an array of tables ([[{table}]])")
    return source, entries


def entry_label(source: TomlSource, index: int, table: str, name: str = "") -> str:
    """``file:line: table #n (name)`` for error messages; the line is that of the entry's header."""
    line = source.line_of((table, index))
    where = f"{source.path}:{line}" if line else source.path
    named = f" ({name})" if name else ""
    return f"{where}: {table} #{index + 1}{named}"


class EntryLabel:
    """An entry's `entry_label`, worked out only when a message is written (``f"{label}: ..."`` or str()).

    Finding an entry's line scans the whole file (about 60 ms for the thousand entries of the OONI
    file, at the first probe of every run that reads an answer), and a valid file never needs it.
    """

    __slots__ = ("_index", "_name", "_source", "_table")

    def __init__(self, source: TomlSource, index: int, table: str, name: str = "") -> None:
        self._source = source
        self._index = index
        self._table = table
        self._name = name

    def __str__(self) -> str:
        return entry_label(self._source, self._index, self._table, self._name)

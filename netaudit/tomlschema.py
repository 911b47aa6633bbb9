"""The schema helper every TOML loader shares: collect every problem, each as ``FILE:LINE: field: what is wrong``.

A loader reads a file with `TomlSource` (tomlsource.py), then checks its tables with a `Schema`
bound to that file and to one `Problems` collector for the whole load: each check records what is
wrong and returns None (or a default) instead of raising, so that one run of a loader reports every
problem in every file, in file order and then line order. The loader raises its own error once,
at the end, with `Problems.lines()` (`summary` gives the one line the CLI shows: the first problem
and how many more there are).

The typed readers word their problems the catalog's way ("expected a string, got an integer (7)");
a loader with wordings of its own (profiles) uses the collector alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from netaudit.errors import InputError
from netaudit.tomlsource import Key, TomlSource

__all__ = ["InvalidFile", "Problem", "Problems", "Schema", "describe", "each_entry", "place", "summary"]

T = TypeVar("T")
R = TypeVar("R")

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def place(path: str, line: int | None = None, column: int | None = None) -> str:
    """``path``, ``path:line`` or ``path:line:column``."""
    return ":".join(str(part) for part in (path, line, column) if part is not None)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file: where (file, line, field) and what; str() is its one line."""

    path: str
    line: int | None
    where: str
    what: str
    column: int | None = None

    def __str__(self) -> str:
        position = place(self.path, self.line, self.column if self.line is not None else None)
        text = f"{position}: {self.where}: {self.what}" if self.where else f"{position}: {self.what}"
        return _LINE_BREAKS.sub(" ", text)


class Problems:
    """Every problem of one load, across its files; `lines()` sorts them by file, then line."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._files: dict[str, int] = {}

    def file(self, path: str) -> None:
        """Note that `path` is read now: its problems sort after those of the files read before it."""
        self._files.setdefault(path, len(self._files))

    def add(self, source: TomlSource, where: str, what: str, at: Key = (), *, line: int | None = None) -> None:
        """A problem at the key `at` (its line, else its nearest written table's; none for ``()``)."""
        found = line if line is not None else (source.line_of(at) if at else None)
        self.file(source.path)
        self.add_at(source.path, found, where, what)

    def add_at(self, path: str, line: int | None, where: str, what: str, column: int | None = None) -> None:
        """A problem whose position is already known (or a path that could not be read: no line).

        It sorts with the problems of `path` when `file(path)` was called, else after every file's.
        """
        self._items.append(Problem(path, line, where, what, column))

    def __len__(self) -> int:
        return len(self._items)

    def lines(self) -> list[str]:
        """Each problem once, as one line, in file order and then line order (stable otherwise)."""
        last = len(self._files)
        ranked = sorted(self._items, key=lambda p: (self._files.get(p.path, last), p.line or 0))
        return list(dict.fromkeys(str(problem) for problem in ranked))


class InvalidFile(InputError):
    """A data file with problems: `problems` holds one line each; str() is `summary` of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems) or ["invalid file"]
        super().__init__(summary(self.problems))


def each_entry(entries: Iterable[T], read: Callable[[int, T], R]) -> list[R]:
    """Read every ``[[table]]`` entry of a data file with `read`, which raises InputError for a wrong
    one; every wrong entry is reported (InvalidFile), not only the first."""
    found: list[R] = []
    problems: list[str] = []
    for index, entry in enumerate(entries):
        try:
            found.append(read(index, entry))
        except InputError as exc:
            problems.extend(getattr(exc, "problems", None) or [str(exc)])
    if problems:
        raise InvalidFile(problems)
    return found


def summary(lines: Sequence[str]) -> str:
    """The first problem, plus " (and N more problems)" when there are several."""
    message = lines[0] if lines else "invalid file"
    more = len(lines) - 1
    if more > 0:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return message


class Schema:
    """Typed readers over the tables of one file; each records its problem and returns None.

    `where` is the field as the message names it (``endpoint 2.url``); `at` the key path of the
    table being read (``("endpoint", 1)``), for the line.
    """

    def __init__(self, source: TomlSource, problems: Problems) -> None:
        self.source = source
        self.problems = problems
        problems.file(source.path)

    def problem(self, where: str, what: str, at: Key = ()) -> None:
        self.problems.add(self.source, where, what, at)

    def known_keys(self, table: dict[str, Any], allowed: Sequence[str], where: str, at: Key) -> list[str]:
        """Report each key not in `allowed`; the unknown keys."""
        unknown = [key for key in table if key not in allowed]
        for key in unknown:
            self.problem(where, f"unknown key '{key}' (allowed: {', '.join(allowed)})", (*at, key))
        return unknown

    def required(
        self, table: dict[str, Any], required: Sequence[str], where: str, at: Key, misspelt: Sequence[str] = ()
    ) -> bool:
        """Report each missing key (unless one of the `misspelt` unknown keys is it); True when none is missing."""
        complete = True
        for key in required:
            if key in table:
                continue
            complete = False
            if not difflib.get_close_matches(key, list(misspelt), n=1, cutoff=0.7):
                self.problem(where, f"missing required key '{key}'", at)
        return complete

    def string(self, table: dict[str, Any], key: str, where: str, at: Key) -> str | None:
        value = table[key]
        if not isinstance(value, str):
            self.problem(where, f"expected a string, got {describe(value)}", (*at, key))
            return None
        return value

    def non_empty_string(self, table: dict[str, Any], key: str, where: str, at: Key) -> str | None:
        value = self.string(table, key, where, at)
        if value is not None and not value.strip():
            self.problem(where, "must not be empty", (*at, key))
            return None
        return value

    def string_list(self, table: dict[str, Any], key: str, where: str, at: Key) -> tuple[str, ...] | None:
        value = table.get(key, [])
        if not isinstance(value, list):
            self.problem(where, f"expected a list of strings, got {describe(value)}", (*at, key))
            return None
        for n, item in enumerate(value, start=1):
            if not isinstance(item, str):
                self.problem(where, f"item {n}: expected a string, got {describe(item)}", (*at, key))
                return None
        return tuple(value)


def describe(value: object) -> str:
    """A TOML-flavoured description of a value for error messages: "a string ('200')"."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"

"""TOML files as netaudit's loaders read them: the text, its syntax errors, and the line of any key.

tomllib turns a text into a document but tells no positions, except in the message of a syntax
error. `TomlSource` keeps a file's path (as the user gave it) next to its text, so that every
problem a loader finds can say ``path:line: ...``:

- `TomlSource.read` reads a file as UTF-8 (a byte-order mark is accepted) and `TomlSource.parse`
  parses it; what goes wrong is raised as a `TomlFileError` (`UnreadableFile`, `NotUtf8` or
  `InvalidToml`) that carries the facts (the line, the column, the bad byte, tomllib's own
  message), not a wording: each loader words these problems its own way.
- `TomlSource.line_of` finds the line of a key in a text tomllib has accepted. A small scanner
  records where each table header and key/value is written; it skips strings, comments and
  multi-line arrays, so that their content is never taken for a key or a header, and decodes keys
  (dotted, quoted) with tomllib itself.

A key is a path (`Key`) in which an int is the index of an ``[[array of tables]]`` entry:
``("endpoint", 2, "url")`` is the ``url`` of the third ``[[endpoint]]``. A path without indices
names the first entry that has it: ``("endpoint", "url")`` is the first ``url`` of any endpoint.
"""

from __future__ import annotations

import bisect
import codecs
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

__all__ = ["InvalidToml", "Key", "NotUtf8", "TomlFileError", "TomlSource", "UnreadableFile"]

Key = tuple[str | int, ...]
"""A key's path from the top of the document; an int is the index of an array-of-tables entry."""

_TOML_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)\s*$")


# --- What can go wrong -------------------------------------------------------------------------


class TomlFileError(Exception):
    """A TOML file that cannot be used: `path` as given, and `line` and `column` (from 1) when known.

    str() is a plain ``path:line:column: message``; each loader words the problem its own way.
    """

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None) -> None:
        place = ":".join(str(part) for part in (path, line, column) if part is not None)
        super().__init__(f"{place}: {message}")
        self.path = path
        self.line = line
        self.column = column


class UnreadableFile(TomlFileError):
    """The file cannot be read: `error` is the OSError, `reason` its short text ("Permission denied")."""

    def __init__(self, path: str, error: OSError) -> None:
        self.error = error
        self.reason = error.strerror or str(error)
        super().__init__(path, f"cannot read the file: {self.reason}")


class NotUtf8(TomlFileError):
    """The file is not UTF-8: `byte` is the first bad one, at `line` and `column` (counted in bytes, from 1)."""

    def __init__(self, path: str, raw: bytes, error: UnicodeDecodeError) -> None:
        self.error = error
        self.byte = raw[error.start]
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        super().__init__(path, f"not UTF-8 text (byte 0x{self.byte:02x})", line, column)


class InvalidToml(TomlFileError):
    """tomllib refused the text. `message` is tomllib's message without its position; `error` the original.

    `line` and `column` are where tomllib stopped. When that is the end of the file (`at_end`), `line`
    is the file's last line that is not empty and `column` is None; both are None when tomllib gave
    no position at all.
    """

    def __init__(self, path: str, text: str, error: tomllib.TOMLDecodeError) -> None:
        self.error = error
        message = str(error)
        found = _TOML_POSITION.search(message)
        self.message = message if found is None else message[: found.start()]
        self.at_end = found is not None and found[1] is None
        line: int | None = None
        column: int | None = None
        if found is not None:
            line = int(found[1]) if found[1] else text.rstrip("\n").count("\n") + 1
            column = int(found[2]) if found[2] else None
        super().__init__(path, f"invalid TOML: {self.message}", line, column)


# --- The file ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TomlSource:
    """One TOML file: its path as the user gave it (never resolved) and its text."""

    path: str
    text: str

    @classmethod
    def read(cls, path: Path | str) -> TomlSource:
        """Read a file as UTF-8 text (a byte-order mark, as some Windows editors write, is dropped).

        Raises `UnreadableFile` or `NotUtf8`.
        """
        shown = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as error:
            raise UnreadableFile(shown, error) from None
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            return cls(shown, raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise NotUtf8(shown, raw, error) from None

    def parse(self) -> dict[str, Any]:
        """The document; `InvalidToml` if tomllib refuses the text."""
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            raise InvalidToml(self.path, self.text, error) from None
        except RecursionError:
            # tomllib parses nested arrays and inline tables recursively: hundreds of '[' exhaust the stack.
            place = _deep_place(self.text)
            where = f" (at line {place[0]}, column {place[1]})" if place else ""
            too_deep = tomllib.TOMLDecodeError(f"arrays or inline tables nested too deeply{where}")
            raise InvalidToml(self.path, self.text, too_deep) from None

    def line_of(self, key: Key) -> int | None:
        """The line of the key, else of its nearest written ancestor, else None (and for ``()``).

        A table that has no line of its own (it is only written through its keys or sub-tables) is
        found at the first of those.
        """
        spans = self._spans
        for size in range(len(key), 0, -1):
            prefix = key[:size]
            if prefix in spans:
                return self._line(spans[prefix][0])
            below = [start for path, (start, _) in spans.items() if path[:size] == prefix]
            if below:
                return self._line(min(below))
        return None

    def line_of_item(self, key: Key, item: str) -> int | None:
        """The line of one string of a (possibly multi-line) list, else `line_of(key)`."""
        spans = self._spans
        if key in spans:
            start, end = spans[key]
            for quoted in (f'"{item}"', f"'{item}'"):
                found = self.text.find(quoted, start, end)
                if found >= 0:
                    return self._line(found)
        return self.line_of(key)

    @cached_property
    def _spans(self) -> dict[Key, tuple[int, int]]:
        return _key_spans(self.text)

    @cached_property
    def _newlines(self) -> list[int]:
        return [i for i, char in enumerate(self.text) if char == "\n"]

    def _line(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1


# --- The scanner -------------------------------------------------------------------------------
# It finds where each key is written in a text tomllib has already accepted. Strings, comments and
# multi-line arrays are skipped so that their content is never taken for a key or a table header.


def _find_unescaped(text: str, needle: str, i: int) -> int:
    n = len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
        elif text.startswith(needle, i):
            return i
        else:
            i += 1
    return -1


def _skip_string(text: str, i: int) -> int:
    """The index just after the string that starts with the quote at text[i]."""
    n = len(text)
    quote = text[i]
    if text.startswith(quote * 3, i):
        triple = quote * 3
        end = text.find(triple, i + 3) if quote == "'" else _find_unescaped(text, triple, i + 3)
        if end < 0:
            return n
        end += 3
        for _ in range(2):  # """a"""" is the string 'a"': up to two quotes end the content
            if end < n and text[end] == quote:
                end += 1
        return end
    j = i + 1
    while j < n:
        char = text[j]
        if char == "\\" and quote == '"':
            j += 2
        elif char == quote:
            return j + 1
        elif char == "\n":
            return j
        else:
            j += 1
    return n


_DEEP = 32
"""Nesting deeper than this is where `_deep_place` puts a "nested too deeply" error."""


def _deep_place(text: str) -> tuple[int, int] | None:
    """The line and column where arrays or inline tables first nest deeper than `_DEEP` levels (strings skipped)."""
    for i, _, depth in _outside_strings(text, 0):
        if depth > _DEEP:
            return text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)
    return None


def _outside_strings(text: str, i: int) -> Iterator[tuple[int, str, int]]:
    """Each character from i on that is outside strings and comments: its index, itself, and the
    nesting depth of arrays and inline tables once it is read (a comment's newline still comes)."""
    n = len(text)
    depth = 0
    while i < n:
        char = text[i]
        if char in "\"'":
            i = _skip_string(text, i)
            continue
        if char == "#":
            i = _skip_comment(text, i)
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(depth - 1, 0)
        yield i, char, depth
        i += 1


def _skip_comment(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _scan_until(text: str, i: int, stops: str) -> int:
    """The index of the first character in `stops` (or the end of the line) outside strings."""
    n = len(text)
    while i < n:
        char = text[i]
        if char in "\"'":
            i = _skip_string(text, i)
        elif char in stops or char == "\n":
            return i
        else:
            i += 1
    return n


def _skip_value(text: str, i: int) -> int:
    """The index of the newline that ends the value starting at i (or the end of the text)."""
    for index, char, depth in _outside_strings(text, i):
        if char == "\n" and depth == 0:
            return index
    return len(text)


def _key_path(key_text: str) -> tuple[str, ...] | None:
    """The names of a (possibly dotted, possibly quoted) TOML key, decoded by tomllib itself."""
    try:
        doc: Any = tomllib.loads(key_text + " = 0")
    except tomllib.TOMLDecodeError:
        return None
    names: list[str] = []
    while isinstance(doc, dict) and len(doc) == 1:
        name, doc = next(iter(doc.items()))
        names.append(name)
    return tuple(names) or None


def _key_spans(text: str) -> dict[Key, tuple[int, int]]:
    """Each table header and key/value of a valid TOML text: its key -> (start, end) offsets.

    What is in an array of tables is recorded with the entry's index (``("endpoint", 2, "url")``)
    and, for the first entry that has it, without any index (``("endpoint", "url")``).
    """
    spans: dict[Key, tuple[int, int]] = {}
    arrays: dict[Key, int] = {}  # each array of tables so far (with the indices above it) -> its entries

    def record(key: Key, span: tuple[int, int]) -> None:
        spans.setdefault(key, span)
        spans.setdefault(tuple(part for part in key if isinstance(part, str)), span)

    def resolve(names: tuple[str, ...]) -> Key:
        """A header's names, each array of tables among them followed by the index of its last entry."""
        key: Key = ()
        for name in names:
            key = (*key, name)
            if key in arrays:
                key = (*key, arrays[key] - 1)
        return key

    table: Key = ()
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t\r\n":
            i += 1
        elif char == "#":
            i = _skip_comment(text, i)
        elif char == "[":
            is_array = text.startswith("[[", i)
            start = i + (2 if is_array else 1)
            close = _scan_until(text, start, "]")
            names = _key_path(text[start:close])
            if names is not None:
                if is_array:
                    array = (*resolve(names[:-1]), names[-1])
                    arrays[array] = arrays.get(array, 0) + 1
                    table = (*array, arrays[array] - 1)
                else:
                    table = resolve(names)
                record(table, (i, i))
            i = max(_skip_comment(text, close), i + 1)
        else:
            equals = _scan_until(text, i, "=")
            keys = _key_path(text[i:equals])
            end = max(_skip_value(text, equals + 1), i + 1)
            if keys is not None:
                record((*table, *keys), (i, end))
            i = end
    return spans

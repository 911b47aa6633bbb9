"""The site catalog: strict loading of `checks/<platform>.toml` files into a `Catalog`.

This module owns the catalog file format and its validation (the `Catalog` it returns, with its
lookups, is catalogindex.py's). Loading starts from the model's defaults, rejects unknown keys at
every level and collects every problem of every file, each one line,
``<path>:<line>: <where>: <what>`` (tomlschema.py), raised together as `InvalidCatalogError`.

Endpoint ids are written in the file (``id = "facebook.media.2"``, which the built-in catalog does
for every endpoint), so that reordering a file, or adding an endpoint in the middle, renames
nothing: saved runs, diffs and alerts keep naming the same endpoint. An endpoint without an `id`
gets ``<platform>.<capability>.<n>``, n counting from 1 in file order within its capability, which
holds only while the file keeps its order. An id is the platform id, then dot-separated parts; one
id names one endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netaudit.catalogfields import ENDPOINT_ID_RE, ENDPOINT_KEYS, METHODS, EndpointIds, read_endpoint
from netaudit.catalogindex import Catalog
from netaudit.errors import CatalogError
from netaudit.model import Endpoint, Platform
from netaudit.resources import builtin_checks_dir
from netaudit.tomlschema import Problems, Schema, describe, summary
from netaudit.tomlsource import InvalidToml, NotUtf8, TomlFileError, TomlSource, UnreadableFile

__all__ = [
    "ENDPOINT_ID_RE",
    "ENDPOINT_KEYS",
    "METHODS",
    "PLATFORM_ID_RE",
    "PLATFORM_KEYS",
    "TOP_KEYS",
    "Catalog",
    "InvalidCatalogError",
    "load_catalog",
    "load_platform_file",
]

PLATFORM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
"""What a platform id or alias looks like (it is also the file name, without `.toml`)."""

TOP_KEYS = ("endpoint", "platform")
PLATFORM_KEYS = ("aliases", "id", "name")
_PLATFORM_REQUIRED = ("id", "name")
_ID_RULE = "lowercase letters, digits, '-' and '_'"


# --- Loading folders -------------------------------------------------------------------------


class InvalidCatalogError(CatalogError):
    """The catalog files have problems: `problems` holds one line each, in file and line order.

    str() is the first problem, plus " (and N more problems)" when there are several.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems) or ["invalid catalog"]
        super().__init__(summary(self.problems))


@dataclass(frozen=True)
class _Loaded:
    platform: Platform
    source: TomlSource


def load_catalog(extra_dirs: Sequence[Path] = (), *, builtin: bool = True) -> Catalog:
    """Load the built-in catalog, then each extra folder in order.

    A platform whose id is already known replaces the earlier one (a user's file overrides a
    built-in platform); a new id is added. Every problem of every file is collected and raised
    once, as `InvalidCatalogError` (a `CatalogError`); a folder that cannot be used is a
    `CatalogError` at once.
    """
    folders = [builtin_checks_dir()] if builtin else []
    folders += [Path(folder) for folder in extra_dirs]
    problems = Problems()
    loaded: dict[str, _Loaded] = {}
    for folder in folders:
        for path in _platform_files(folder):
            item = _load_file(path, problems)
            if item is not None:
                loaded.pop(item.platform.id, None)  # re-insert, so the dict keeps load order
                loaded[item.platform.id] = item
    _check_names(list(loaded.values()), problems)
    if len(problems):
        raise InvalidCatalogError(problems.lines())
    return Catalog({pid: item.platform for pid, item in loaded.items()})


def _platform_files(folder: Path) -> list[Path]:
    if not folder.exists():
        raise CatalogError(f"catalog folder '{folder}' does not exist")
    if not folder.is_dir():
        raise CatalogError(f"catalog folder '{folder}' is not a folder")
    try:
        files = sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
    except OSError as exc:
        raise CatalogError(f"catalog folder '{folder}' cannot be read: {exc.strerror or exc}") from None
    if not files:
        raise CatalogError(f"no platform files (*.toml) in catalog folder '{folder}'")
    return files


def _check_names(items: list[_Loaded], problems: Problems) -> None:
    """Every id and alias names one platform; the later file is blamed for a clash."""
    owner: dict[str, _Loaded] = {}
    for item in items:
        platform, source = item.platform, item.source
        other = owner.get(platform.id)
        if other is not None:
            where = f"platform '{other.platform.id}' ({other.source.path})"
            what = f"'{platform.id}' is already an alias of {where}"
            problems.add(source, "platform.id", what, ("platform", "id"))
            continue
        owner[platform.id] = item
        for alias in platform.aliases:
            other = owner.get(alias)
            if other is not None:
                used = "the id" if alias == other.platform.id else "an alias"
                what = f"'{alias}' is already {used} of platform '{other.platform.id}' ({other.source.path})"
                problems.add(source, "platform.aliases", what, ("platform", "aliases"))
                continue
            owner[alias] = item


# --- Loading one file ------------------------------------------------------------------------


def load_platform_file(path: Path) -> Platform:
    """Load and validate one platform file; its `[platform].id` must equal the file name's stem.

    Checks that need the other platforms (aliases colliding across files) are `load_catalog`'s.
    Raises `InvalidCatalogError` with every problem of the file.
    """
    problems = Problems()
    item = _load_file(path, problems)
    if item is None or len(problems):
        raise InvalidCatalogError(problems.lines())
    return item.platform


def _load_file(path: Path, problems: Problems) -> _Loaded | None:
    """The platform of one file, or None when it has problems (each recorded in `problems`)."""
    problems.file(str(path))
    try:
        source = TomlSource.read(path)
        data = source.parse()
    except TomlFileError as exc:
        _file_problem(exc, problems)
        return None
    schema = Schema(source, problems)
    before = len(problems)
    schema.known_keys(data, TOP_KEYS, "top level", ())
    table = _platform_table(schema, data)
    pid = name = aliases = None
    if table is not None:
        pid = _platform_id(schema, table, path.stem)
        if "name" in table:
            name = schema.non_empty_string(table, "name", "platform.name", ("platform",))
        aliases = _aliases(schema, table, pid or path.stem)
    endpoints = _endpoints(schema, data, pid or path.stem)
    if len(problems) > before or pid is None or name is None or aliases is None or endpoints is None:
        return None
    return _Loaded(Platform(id=pid, name=name, endpoints=endpoints, source=source.path, aliases=aliases), source)


def _file_problem(exc: TomlFileError, problems: Problems) -> None:
    """The catalog's wording of a file that cannot be read or parsed."""
    if isinstance(exc, UnreadableFile):
        problems.add_at(exc.path, None, "", f"cannot read the file: {exc.reason}")
    elif isinstance(exc, NotUtf8):
        what = f"not UTF-8 text (byte 0x{exc.byte:02x} at column {exc.column}); save it as UTF-8"
        problems.add_at(exc.path, exc.line, "file", what)
    else:
        assert isinstance(exc, InvalidToml)
        message = f"{exc.message} (at end of file)" if exc.at_end and exc.column is None else exc.message
        line = exc.line if exc.column is not None or exc.at_end else None
        problems.add_at(exc.path, line, "", f"invalid TOML: {message}", exc.column)


def _platform_table(schema: Schema, data: dict[str, Any]) -> dict[str, Any] | None:
    table = data.get("platform")
    if table is None:
        schema.problem("top level", "missing [platform] table (with id and name)")
        return None
    if not isinstance(table, dict):
        schema.problem("top level", f"'platform' must be a table ([platform]), got {describe(table)}", ("platform",))
        return None
    unknown = schema.known_keys(table, PLATFORM_KEYS, "platform", ("platform",))
    schema.required(table, _PLATFORM_REQUIRED, "platform", ("platform",), unknown)
    return table


def _platform_id(schema: Schema, table: dict[str, Any], stem: str) -> str | None:
    if "id" not in table:
        return None
    pid = schema.string(table, "id", "platform.id", ("platform",))
    at = ("platform", "id")
    if pid is None:
        return None
    if not PLATFORM_ID_RE.match(pid):
        schema.problem("platform.id", f"'{pid}' is not a valid id ({_ID_RULE})", at)
        return None
    if pid != stem:
        what = f"'{pid}' does not match the file name '{stem}.toml' (the id must equal the file name)"
        schema.problem("platform.id", what, at)
        return None
    return pid


def _aliases(schema: Schema, table: dict[str, Any], pid: str) -> tuple[str, ...] | None:
    where, at = "platform.aliases", ("platform", "aliases")
    aliases = schema.string_list(table, "aliases", where, ("platform",))
    if aliases is None:
        return None
    seen: set[str] = set()
    for alias in aliases:
        if not PLATFORM_ID_RE.match(alias):
            schema.problem(where, f"'{alias}' is not a valid alias ({_ID_RULE})", at)
        elif alias == pid:
            schema.problem(where, f"'{alias}' is the platform's own id", at)
        elif alias in seen:
            schema.problem(where, f"'{alias}' is listed twice", at)
        seen.add(alias)
    return aliases


def _endpoints(schema: Schema, data: dict[str, Any], pid: str) -> tuple[Endpoint, ...] | None:
    tables = data.get("endpoint")
    if tables is None or tables == []:
        what = "no [[endpoint]] tables (a platform needs at least one endpoint)"
        schema.problem("top level", what, ("endpoint",))
        return None
    if not isinstance(tables, list):
        what = f"'endpoint' must be an array of tables ([[endpoint]]), got {describe(tables)}"
        schema.problem("top level", what, ("endpoint",))
        return None
    ids = EndpointIds(schema, pid)
    seen: dict[tuple[str, str], int] = {}
    endpoints: list[Endpoint] = []
    complete = True
    for index, table in enumerate(tables):
        endpoint = read_endpoint(schema, table, index, pid, ids)
        if endpoint is None:
            complete = False
            continue
        first = seen.setdefault((endpoint.method, endpoint.url), index)
        if first != index:
            what = f"same method and url as endpoint {first + 1} ({endpoint.method} {endpoint.url})"
            schema.problem(f"endpoint {index + 1}", what, ("endpoint", index, "url"))
            complete = False
        endpoints.append(endpoint)
    return tuple(endpoints) if complete else None

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
from urllib.parse import SplitResult, urlsplit

from netaudit.catalogindex import Catalog
from netaudit.errors import CatalogError
from netaudit.hostname import ascii_url
from netaudit.model import Capability, Endpoint, Platform
from netaudit.resources import builtin_checks_dir
from netaudit.tomlschema import Problems, Schema, describe, summary
from netaudit.tomlsource import InvalidToml, Key, NotUtf8, TomlFileError, TomlSource, UnreadableFile

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

METHODS = ("GET", "HEAD", "OPTIONS")
"""HTTP methods a probe may use: only harmless ones, even for `post` endpoints."""

TOP_KEYS = ("endpoint", "platform")
PLATFORM_KEYS = ("aliases", "id", "name")
ENDPOINT_KEYS = ("capability", "expect_status", "expect_title", "h3", "id", "method", "note", "url")
_PLATFORM_REQUIRED = ("id", "name")
_ENDPOINT_REQUIRED = ("capability", "url")
_CAPABILITIES = tuple(c.value for c in Capability)
_ID_RULE = "lowercase letters, digits, '-' and '_'"
ENDPOINT_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+")
"""What an endpoint id looks like: the platform id, then one or more parts, separated by dots."""
_ENDPOINT_ID_RULE = "the platform id, then '.'-separated parts of lowercase letters, digits, '-' and '_'"

_HOST_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


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
    ids = _EndpointIds(schema, pid)
    seen: dict[tuple[str, str], int] = {}
    endpoints: list[Endpoint] = []
    complete = True
    for index, table in enumerate(tables):
        endpoint = _endpoint(schema, table, index, pid, ids)
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


class _EndpointIds:
    """Each endpoint's id: its own `id` key, else ``<platform>.<capability>.<n>`` by position; never one twice."""

    def __init__(self, schema: Schema, pid: str) -> None:
        self.schema = schema
        self.pid = pid
        self.counts: dict[Capability, int] = {}
        self.owners: dict[str, int] = {}

    def explicit(self, table: dict[str, Any], where: str, at: Key) -> str | None:
        """The `id` key's value if it is a valid id for this platform (else a problem, and None)."""
        value = self.schema.string(table, "id", f"{where}.id", at)
        if value is None:
            return None
        if not ENDPOINT_ID_RE.fullmatch(value):
            what = f"'{value}' is not a valid endpoint id ({_ENDPOINT_ID_RULE}, e.g. '{self.pid}.media.1')"
            self.schema.problem(f"{where}.id", what, (*at, "id"))
            return None
        if value.split(".", 1)[0] != self.pid:
            self.schema.problem(f"{where}.id", f"'{value}' must start with the platform id '{self.pid}.'", (*at, "id"))
            return None
        return value

    def assign(self, explicit: str | None, capability: Capability, index: int, at: Key) -> str | None:
        """The endpoint's id, counting its capability either way; None (and a problem) if already taken."""
        self.counts[capability] = self.counts.get(capability, 0) + 1
        endpoint_id = explicit or f"{self.pid}.{capability.value}.{self.counts[capability]}"
        first = self.owners.setdefault(endpoint_id, index)
        if first == index:
            return endpoint_id
        if explicit:
            what = f"'{endpoint_id}' is already the id of endpoint {first + 1}"
            self.schema.problem(f"endpoint {index + 1}.id", what, (*at, "id"))
        else:
            what = (
                f"its id by position, '{endpoint_id}', is already the id of endpoint {first + 1}; "
                "give it an id of its own"
            )
            self.schema.problem(f"endpoint {index + 1}", what, at)
        return None


def _endpoint(schema: Schema, table: Any, index: int, pid: str, ids: _EndpointIds) -> Endpoint | None:
    where, at = f"endpoint {index + 1}", ("endpoint", index)
    if not isinstance(table, dict):
        schema.problem(where, f"expected a table, got {describe(table)}", at)
        return None
    before = len(schema.problems)
    unknown = schema.known_keys(table, ENDPOINT_KEYS, where, at)
    schema.required(table, _ENDPOINT_REQUIRED, where, at, unknown)
    explicit = ids.explicit(table, where, at) if "id" in table else None
    capability = _capability(schema, table, where, at) if "capability" in table else None
    url = _url(schema, table, where, at) if "url" in table else None
    method = _method(schema, table, where, at)
    statuses = _statuses(schema, table, where, at)
    titles = schema.string_list(table, "expect_title", f"{where}.expect_title", at)
    if titles is not None and any(not title.strip() for title in titles):
        schema.problem(f"{where}.expect_title", "titles must not be empty", (*at, "expect_title"))
    note = schema.string(table, "note", f"{where}.note", at) if "note" in table else ""
    h3 = table.get("h3", False)
    if not isinstance(h3, bool):
        schema.problem(f"{where}.h3", f"expected true or false, got {describe(h3)}", (*at, "h3"))
        return None
    if capability is None:
        return None
    endpoint_id = ids.assign(explicit, capability, index, at)
    if len(schema.problems) > before or None in (endpoint_id, url, method, statuses, titles, note):
        return None
    assert endpoint_id is not None and url is not None and method is not None
    assert statuses is not None and titles is not None and note is not None
    return Endpoint(
        id=endpoint_id,
        platform=pid,
        capability=capability,
        url=url,
        method=method,
        expect_status=statuses,
        expect_title=titles,
        note=note,
        h3=h3,
    )


def _capability(schema: Schema, table: dict[str, Any], where: str, at: Key) -> Capability | None:
    value = schema.string(table, "capability", f"{where}.capability", at)
    if value is None:
        return None
    if value not in _CAPABILITIES:
        what = f"unknown capability '{value}' (allowed: {', '.join(_CAPABILITIES)})"
        schema.problem(f"{where}.capability", what, (*at, "capability"))
        return None
    return Capability(value)


def _method(schema: Schema, table: dict[str, Any], where: str, at: Key) -> str | None:
    if "method" not in table:
        return "GET"
    value = schema.string(table, "method", f"{where}.method", at)
    if value is None:
        return None
    if value.upper() not in METHODS:
        schema.problem(
            f"{where}.method",
            f"unknown method '{table['method']}' (allowed: {', '.join(METHODS)}; post endpoints are "
            "probed with a harmless request, never a real upload)",
            (*at, "method"),
        )
        return None
    return value.upper()


def _url(schema: Schema, table: dict[str, Any], where: str, at: Key) -> str | None:
    value = schema.string(table, "url", f"{where}.url", at)
    if value is None:
        return None
    try:
        value = ascii_url(value)  # an international name is probed in its IDNA form
    except ValueError as exc:
        schema.problem(f"{where}.url", f"{value!r} is not a usable URL: {exc}", (*at, "url"))
        return None
    problem = _url_problem(value)
    if problem:
        schema.problem(f"{where}.url", problem, (*at, "url"))
        return None
    return value


def _has_port(parts: SplitResult) -> bool:
    try:
        return parts.port is not None
    except ValueError:
        return False


def _url_problem(url: str) -> str:
    """Why this URL cannot be probed, or '' when it can."""
    if any(ch.isspace() for ch in url):
        return f"{url!r} contains whitespace"
    if not re.match(r"^(https?|tcp|tls)://", url):
        return f"{url!r} must start with http://, https://, tcp:// or tls://"
    parts = urlsplit(url)
    if parts.scheme in ("tcp", "tls") and (parts.path not in ("", "/") or parts.query or not _has_port(parts)):
        return f"{url!r} must be {parts.scheme}://host:port (a port, no path)"
    if "@" in parts.netloc:
        host = parts.netloc.rpartition("@")[2]
        return f"the URL for '{host}' contains credentials (user:password@); remove them"
    if not parts.hostname:
        return f"{url!r} has no host"
    host = parts.hostname
    if not (_HOST_RE.match(host) or (":" in host and parts.netloc.startswith("["))):
        return f"{url!r} has an invalid host '{host}'"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port lazily
    except ValueError:
        return f"{url!r} has an invalid port"
    return ""


def _statuses(schema: Schema, table: dict[str, Any], where: str, at: Key) -> tuple[int, ...] | None:
    field_where, field_at = f"{where}.expect_status", (*at, "expect_status")
    value = table.get("expect_status", [])
    if not isinstance(value, list):
        schema.problem(field_where, f"expected a list of integers, got {describe(value)}", field_at)
        return None
    seen: list[int] = []
    for n, item in enumerate(value, start=1):
        if isinstance(item, bool) or not isinstance(item, int):
            schema.problem(field_where, f"item {n}: expected an integer, got {describe(item)}", field_at)
            return None
        if not 100 <= item <= 599:
            schema.problem(field_where, f"{item} is not an HTTP status code (100-599)", field_at)
            return None
        if item in seen:
            schema.problem(field_where, f"{item} is listed twice", field_at)
            return None
        seen.append(item)
    return tuple(seen)

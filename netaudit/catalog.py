"""The site catalog: strict loading of `checks/<platform>.toml` files into `Platform` objects.

This module owns the catalog file format, its validation and the `Catalog` that the planner and
the CLI query. Loading starts from the model's defaults, rejects unknown keys at every level and
reports every problem as one line, ``<path>:<line>: <where>: <what>``, raised as `CatalogError`.

Endpoint ids are generated, not written: ``<platform>.<capability>.<n>``, where n counts from 1
in file order within each capability (``facebook.media.2``), so they stay stable while a file
keeps its order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from netaudit.errors import CatalogError
from netaudit.hostname import ascii_url
from netaudit.model import Capability, Endpoint, Platform
from netaudit.resources import builtin_checks_dir
from netaudit.tomlsource import InvalidToml, Key, NotUtf8, TomlFileError, TomlSource, UnreadableFile

__all__ = [
    "ENDPOINT_KEYS",
    "METHODS",
    "PLATFORM_ID_RE",
    "PLATFORM_KEYS",
    "TOP_KEYS",
    "Catalog",
    "load_catalog",
    "load_platform_file",
]

PLATFORM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
"""What a platform id or alias looks like (it is also the file name, without `.toml`)."""

METHODS = ("GET", "HEAD", "OPTIONS")
"""HTTP methods a probe may use: only harmless ones, even for `post` endpoints."""

TOP_KEYS = ("endpoint", "platform")
PLATFORM_KEYS = ("aliases", "id", "name")
ENDPOINT_KEYS = ("capability", "expect_status", "expect_title", "method", "note", "url")
_PLATFORM_REQUIRED = ("id", "name")
_ENDPOINT_REQUIRED = ("capability", "url")
_CAPABILITIES = tuple(c.value for c in Capability)
_ID_RULE = "lowercase letters, digits, '-' and '_'"

_HOST_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


# --- The catalog -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """Every known platform (built-in and the user's), ordered by id, with lookups by name and id."""

    platforms: Mapping[str, Platform] = field(default_factory=dict)
    _names: dict[str, str] = field(init=False, repr=False, compare=False)
    _endpoints: dict[str, Endpoint] = field(init=False, repr=False, compare=False)
    _by_host: dict[str, list[Endpoint]] = field(init=False, repr=False, compare=False)
    _by_url: dict[str, Endpoint] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = {pid: self.platforms[pid] for pid in sorted(self.platforms)}
        names: dict[str, str] = {}
        endpoints: dict[str, Endpoint] = {}
        for pid, platform in ordered.items():
            for name in (pid, *platform.aliases):
                names.setdefault(name.lower(), pid)
            for endpoint in platform.endpoints:
                endpoints[endpoint.id] = endpoint
        object.__setattr__(self, "platforms", ordered)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_endpoints", endpoints)
        by_host: dict[str, list[Endpoint]] = {}
        for endpoint in endpoints.values():
            by_host.setdefault(_url_host(endpoint.url), []).append(endpoint)
        object.__setattr__(self, "_by_host", by_host)
        object.__setattr__(self, "_by_url", {e.url: e for e in reversed(endpoints.values())})

    def ids(self) -> list[str]:
        """The platform ids, sorted."""
        return list(self.platforms)

    def only(self, names: Iterable[str]) -> Catalog:
        """A catalog of just the named platforms (ids or aliases); CatalogError for an unknown one."""
        chosen = [self.platform(name) for name in names]
        return Catalog(platforms={platform.id: platform for platform in chosen})

    def names(self) -> dict[str, str]:
        """Every accepted platform name (ids and aliases, lowercase) mapped to its id."""
        return dict(self._names)

    def endpoint_ids(self) -> list[str]:
        """Every endpoint id, platform by platform, in file order."""
        return [e.id for e in self.endpoints()]

    def platform(self, name: str) -> Platform:
        """The platform with this id or alias (case-insensitive); CatalogError if there is none."""
        pid = self._names.get(name.strip().lower())
        if pid is None:
            known = ", ".join(self.platforms) or "none"
            raise CatalogError(f"unknown platform '{name}' (known: {known})")
        return self.platforms[pid]

    def endpoints(self, platform_ids: Iterable[str] | None = None) -> list[Endpoint]:
        """The endpoints of the named platforms (ids or aliases, each once), or of every platform."""
        if platform_ids is None:
            chosen = list(self.platforms.values())
        else:
            chosen = list({p.id: p for p in map(self.platform, platform_ids)}.values())
        return [endpoint for platform in chosen for endpoint in platform.endpoints]

    def endpoint(self, endpoint_id: str) -> Endpoint:
        """The endpoint with this id (its platform part may be an alias); CatalogError if unknown."""
        wanted = endpoint_id.strip().lower()
        prefix, dot, rest = wanted.partition(".")
        pid = self._names.get(prefix)
        if pid is not None and dot:
            found = self._endpoints.get(f"{pid}.{rest}")
            if found is not None:
                return found
            known = ", ".join(e.id for e in self.platforms[pid].endpoints)
            raise CatalogError(f"unknown endpoint '{endpoint_id}' (known for {pid}: {known})")
        raise CatalogError(
            f"unknown endpoint '{endpoint_id}' (endpoint ids look like 'facebook.media.1'; "
            f"platforms: {', '.join(self.platforms) or 'none'})"
        )

    def find_by_host(self, host: str) -> list[Endpoint]:
        """The endpoints whose URL has exactly this host name (case-insensitive; give no port).

        Used to tag an ad-hoc URL with the platform and capability it belongs to."""
        return list(self._by_host.get(host.strip().lower().rstrip("."), ()))

    def by_url(self, url: str) -> Endpoint | None:
        """The endpoint with exactly this URL, if any."""
        return self._by_url.get(url)


def _url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".")


# --- Loading folders -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    platform: Platform
    source: TomlSource


def load_catalog(extra_dirs: Sequence[Path] = (), *, builtin: bool = True) -> Catalog:
    """Load the built-in catalog, then each extra folder in order.

    A platform whose id is already known replaces the earlier one (a user's file overrides a
    built-in platform); a new id is added. Every problem is a one-line `CatalogError`.
    """
    folders = [builtin_checks_dir()] if builtin else []
    folders += [Path(folder) for folder in extra_dirs]
    loaded: dict[str, _Loaded] = {}
    for folder in folders:
        for item in _load_folder(folder):
            loaded.pop(item.platform.id, None)  # re-insert, so the dict keeps load order
            loaded[item.platform.id] = item
    _check_names(list(loaded.values()))
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


def _load_folder(folder: Path) -> list[_Loaded]:
    return [_load_file(path) for path in _platform_files(folder)]


def _check_names(items: list[_Loaded]) -> None:
    """Every id and alias names one platform; the later file is blamed for a clash."""
    owner: dict[str, _Loaded] = {}
    for item in items:
        platform, source = item.platform, item.source
        other = owner.get(platform.id)
        if other is not None:
            where = f"platform '{other.platform.id}' ({other.source.path})"
            raise _error(source, "platform.id", f"'{platform.id}' is already an alias of {where}", ("platform", "id"))
        owner[platform.id] = item
        for alias in platform.aliases:
            other = owner.get(alias)
            if other is not None:
                used = "the id" if alias == other.platform.id else "an alias"
                raise _error(
                    source,
                    "platform.aliases",
                    f"'{alias}' is already {used} of platform '{other.platform.id}' ({other.source.path})",
                    ("platform", "aliases"),
                )
            owner[alias] = item


# --- Loading one file ------------------------------------------------------------------------


def load_platform_file(path: Path) -> Platform:
    """Load and validate one platform file; its `[platform].id` must equal the file name's stem.

    Checks that need the other platforms (aliases colliding across files) are `load_catalog`'s.
    """
    return _load_file(path).platform


def _load_file(path: Path) -> _Loaded:
    try:
        source = TomlSource.read(path)
        data = source.parse()
    except TomlFileError as exc:
        raise _file_error(exc) from None
    _check_keys(source, data, TOP_KEYS, "top level", ())
    platform_table = _platform_table(source, data)
    pid = _platform_id(source, platform_table, path.stem)
    name = _non_empty_string(source, platform_table, "name", "platform.name", ("platform",))
    aliases = _aliases(source, platform_table, pid)
    endpoints = _endpoints(source, data, pid)
    platform = Platform(id=pid, name=name, endpoints=endpoints, source=source.path, aliases=aliases)
    return _Loaded(platform, source)


def _file_error(exc: TomlFileError) -> CatalogError:
    """The catalog's wording of a file that cannot be read or parsed."""
    if isinstance(exc, UnreadableFile):
        return CatalogError(f"{exc.path}: cannot read the file: {exc.reason}")
    if isinstance(exc, NotUtf8):
        return CatalogError(
            f"{exc.path}:{exc.line}: file: not UTF-8 text (byte 0x{exc.byte:02x} at column {exc.column}); "
            "save it as UTF-8"
        )
    assert isinstance(exc, InvalidToml)
    if exc.column is not None:
        return CatalogError(f"{exc.path}:{exc.line}:{exc.column}: invalid TOML: {exc.message}")
    if exc.at_end:
        return CatalogError(f"{exc.path}:{exc.line}: invalid TOML: {exc.message} (at end of file)")
    return CatalogError(f"{exc.path}: invalid TOML: {exc.message}")


def _error(source: TomlSource, where: str, what: str, at: Key = ()) -> CatalogError:
    """A one-line error for `what` at `where`, with the line of the key `at` (or of its table) if found."""
    line = source.line_of(at)
    position = f"{source.path}:{line}" if line else source.path
    return CatalogError(f"{position}: {where}: {what}")


def _platform_table(source: TomlSource, data: dict[str, Any]) -> dict[str, Any]:
    table = data.get("platform")
    if table is None:
        raise _error(source, "top level", "missing [platform] table (with id and name)")
    if not isinstance(table, dict):
        raise _error(
            source, "top level", f"'platform' must be a table ([platform]), got {_describe(table)}", ("platform",)
        )
    _check_keys(source, table, PLATFORM_KEYS, "platform", ("platform",))
    _check_required(source, table, _PLATFORM_REQUIRED, "platform", ("platform",))
    return table


def _platform_id(source: TomlSource, table: dict[str, Any], stem: str) -> str:
    pid = _string(source, table, "id", "platform.id", ("platform",))
    if not PLATFORM_ID_RE.match(pid):
        raise _error(source, "platform.id", f"'{pid}' is not a valid id ({_ID_RULE})", ("platform", "id"))
    if pid != stem:
        raise _error(
            source,
            "platform.id",
            f"'{pid}' does not match the file name '{stem}.toml' (the id must equal the file name)",
            ("platform", "id"),
        )
    return pid


def _aliases(source: TomlSource, table: dict[str, Any], pid: str) -> tuple[str, ...]:
    where, at = "platform.aliases", ("platform", "aliases")
    aliases = _string_list(source, table, "aliases", where, ("platform",))
    seen: set[str] = set()
    for alias in aliases:
        if not PLATFORM_ID_RE.match(alias):
            raise _error(source, where, f"'{alias}' is not a valid alias ({_ID_RULE})", at)
        if alias == pid:
            raise _error(source, where, f"'{alias}' is the platform's own id", at)
        if alias in seen:
            raise _error(source, where, f"'{alias}' is listed twice", at)
        seen.add(alias)
    return aliases


def _endpoints(source: TomlSource, data: dict[str, Any], pid: str) -> tuple[Endpoint, ...]:
    tables = data.get("endpoint")
    if tables is None or tables == []:
        raise _error(
            source, "top level", "no [[endpoint]] tables (a platform needs at least one endpoint)", ("endpoint",)
        )
    if not isinstance(tables, list):
        raise _error(
            source,
            "top level",
            f"'endpoint' must be an array of tables ([[endpoint]]), got {_describe(tables)}",
            ("endpoint",),
        )
    counts: dict[Capability, int] = {}
    seen: dict[tuple[str, str], int] = {}
    endpoints = []
    for index, table in enumerate(tables):
        endpoint = _endpoint(source, table, index, pid, counts)
        first = seen.setdefault((endpoint.method, endpoint.url), index)
        if first != index:
            raise _error(
                source,
                f"endpoint {index + 1}",
                f"same method and url as endpoint {first + 1} ({endpoint.method} {endpoint.url})",
                ("endpoint", index, "url"),
            )
        endpoints.append(endpoint)
    return tuple(endpoints)


def _endpoint(source: TomlSource, table: Any, index: int, pid: str, counts: dict[Capability, int]) -> Endpoint:
    where, at = f"endpoint {index + 1}", ("endpoint", index)
    if not isinstance(table, dict):
        raise _error(source, where, f"expected a table, got {_describe(table)}", at)
    _check_keys(source, table, ENDPOINT_KEYS, where, at)
    _check_required(source, table, _ENDPOINT_REQUIRED, where, at)
    capability = _capability(source, table, where, at)
    url = _url(source, table, where, at)
    method = _method(source, table, where, at)
    statuses = _statuses(source, table, where, at)
    titles = _string_list(source, table, "expect_title", f"{where}.expect_title", at)
    for title in titles:
        if not title.strip():
            raise _error(source, f"{where}.expect_title", "titles must not be empty", (*at, "expect_title"))
    note = _string(source, table, "note", f"{where}.note", at) if "note" in table else ""
    counts[capability] = counts.get(capability, 0) + 1
    return Endpoint(
        id=f"{pid}.{capability.value}.{counts[capability]}",
        platform=pid,
        capability=capability,
        url=url,
        method=method,
        expect_status=statuses,
        expect_title=titles,
        note=note,
    )


def _capability(source: TomlSource, table: dict[str, Any], where: str, at: Key) -> Capability:
    value = _string(source, table, "capability", f"{where}.capability", at)
    if value not in _CAPABILITIES:
        raise _error(
            source,
            f"{where}.capability",
            f"unknown capability '{value}' (allowed: {', '.join(_CAPABILITIES)})",
            (*at, "capability"),
        )
    return Capability(value)


def _method(source: TomlSource, table: dict[str, Any], where: str, at: Key) -> str:
    if "method" not in table:
        return "GET"
    value = _string(source, table, "method", f"{where}.method", at).upper()
    if value not in METHODS:
        raise _error(
            source,
            f"{where}.method",
            f"unknown method '{table['method']}' (allowed: {', '.join(METHODS)}; post endpoints are "
            "probed with a harmless request, never a real upload)",
            (*at, "method"),
        )
    return value


def _url(source: TomlSource, table: dict[str, Any], where: str, at: Key) -> str:
    value = _string(source, table, "url", f"{where}.url", at)
    try:
        value = ascii_url(value)  # an international name is probed in its IDNA form
    except ValueError as exc:
        raise _error(source, f"{where}.url", f"{value!r} is not a usable URL: {exc}", (*at, "url")) from None
    problem = _url_problem(value)
    if problem:
        raise _error(source, f"{where}.url", problem, (*at, "url"))
    return value


def _url_problem(url: str) -> str:
    """Why this URL cannot be probed, or '' when it can."""
    if any(ch.isspace() for ch in url):
        return f"{url!r} contains whitespace"
    if not re.match(r"^https?://", url):
        return f"{url!r} must start with http:// or https://"
    parts = urlsplit(url)
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


def _statuses(source: TomlSource, table: dict[str, Any], where: str, at: Key) -> tuple[int, ...]:
    field_where, field_at = f"{where}.expect_status", (*at, "expect_status")
    value = table.get("expect_status", [])
    if not isinstance(value, list):
        raise _error(source, field_where, f"expected a list of integers, got {_describe(value)}", field_at)
    seen: list[int] = []
    for n, item in enumerate(value, start=1):
        if isinstance(item, bool) or not isinstance(item, int):
            raise _error(source, field_where, f"item {n}: expected an integer, got {_describe(item)}", field_at)
        if not 100 <= item <= 599:
            raise _error(source, field_where, f"{item} is not an HTTP status code (100-599)", field_at)
        if item in seen:
            raise _error(source, field_where, f"{item} is listed twice", field_at)
        seen.append(item)
    return tuple(seen)


# --- Typed field readers ---------------------------------------------------------------------
# `at` is the key of the table being read: () for the top level, ("platform",), ("endpoint", index).


def _check_keys(source: TomlSource, table: dict[str, Any], allowed: Sequence[str], where: str, at: Key) -> None:
    for key in table:
        if key not in allowed:
            raise _error(source, where, f"unknown key '{key}' (allowed: {', '.join(allowed)})", (*at, key))


def _check_required(source: TomlSource, table: dict[str, Any], required: Sequence[str], where: str, at: Key) -> None:
    for key in required:
        if key not in table:
            raise _error(source, where, f"missing required key '{key}'", at)


def _string(source: TomlSource, table: dict[str, Any], key: str, where: str, at: Key) -> str:
    value = table[key]
    if not isinstance(value, str):
        raise _error(source, where, f"expected a string, got {_describe(value)}", (*at, key))
    return value


def _non_empty_string(source: TomlSource, table: dict[str, Any], key: str, where: str, at: Key) -> str:
    value = _string(source, table, key, where, at)
    if not value.strip():
        raise _error(source, where, "must not be empty", (*at, key))
    return value


def _string_list(source: TomlSource, table: dict[str, Any], key: str, where: str, at: Key) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise _error(source, where, f"expected a list of strings, got {_describe(value)}", (*at, key))
    for n, item in enumerate(value, start=1):
        if not isinstance(item, str):
            raise _error(source, where, f"item {n}: expected a string, got {_describe(item)}", (*at, key))
    return tuple(value)


def _describe(value: object) -> str:
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

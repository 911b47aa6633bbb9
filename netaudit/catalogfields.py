"""A catalog file's endpoint fields, read strictly: id, capability, method, URL, expected answers.

catalog.py reads the files and their platforms; this module reads each `[[endpoint]]` table and
gives every endpoint its id (written in the file, else positional), collecting every problem.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from netaudit.hostname import ascii_url
from netaudit.model import Capability, Endpoint
from netaudit.tomlschema import Schema, describe
from netaudit.tomlsource import Key

METHODS = ("GET", "HEAD", "OPTIONS")
"""HTTP methods a probe may use: only harmless ones, even for `post` endpoints."""

ENDPOINT_KEYS = ("capability", "expect_status", "expect_title", "h3", "id", "method", "note", "url")
_ENDPOINT_REQUIRED = ("capability", "url")
_CAPABILITIES = tuple(c.value for c in Capability)
ENDPOINT_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+")
"""What an endpoint id looks like: the platform id, then one or more parts, separated by dots."""
_ENDPOINT_ID_RULE = "the platform id, then '.'-separated parts of lowercase letters, digits, '-' and '_'"

_HOST_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class EndpointIds:
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


def read_endpoint(schema: Schema, table: Any, index: int, pid: str, ids: EndpointIds) -> Endpoint | None:
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

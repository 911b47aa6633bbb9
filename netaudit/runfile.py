"""A run and its versioned JSON: `netaudit/audit/1` and `netaudit/probe/1`, written and read back as typed objects.

This module owns the shape of those documents (the contract with every other tool, README "JSON").
`audit_document` / `probe_document` build them from an `AuditRun` / `ProbeRun`; `load` reads a saved
file back into the same objects, every nested dataclass and enum restored, so a saved run renders
exactly as the live one did.

Versions: a document names its kind and version in ``"schema"``. Within a version fields are only
ever added, so a reader ignores fields it does not know; a newer version, another kind, or a file
that is not a netaudit run is refused with one line (`InputError`, exit code 2).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from netaudit.errors import InputError
from netaudit.hours import describe_hours, parse_window
from netaudit.model import (
    AccessLevel,
    AuditRun,
    Enforcement,
    Finding,
    Organization,
    Platform,
    PolicySet,
    ProbeResult,
    ProbeRun,
    Profile,
    ProfileRoute,
    Readiness,
    Rules,
)
from netaudit.secrets import mask_url
from netaudit.typedjson import Reader, json_kind

__all__ = [
    "AUDIT_SCHEMA",
    "PROBE_SCHEMA",
    "audit_document",
    "dump",
    "from_document",
    "load",
    "load_audit",
    "load_probe",
    "loads",
    "plain",
    "probe_document",
    "profile_document",
]

AUDIT_SCHEMA = "netaudit/audit/1"
PROBE_SCHEMA = "netaudit/probe/1"
_UNDERSTOOD = {"audit": 1, "probe": 1}
_SCHEMA = re.compile(r"netaudit/([a-z]+)/([0-9]+)")
_T = TypeVar("_T")


# --- Writing -------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Dataclasses, enums, tuples and dicts as JSON-ready data."""
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float)):
        return value
    kind = type(value)
    names = _FIELDS.get(kind) if kind in _FIELDS else _FIELDS.setdefault(kind, _field_names(kind))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


_FIELDS: dict[type, tuple[str, ...] | None] = {}
"""Field names per dataclass type: dataclasses.fields() per value was much of rendering many results."""


def _field_names(cls: type) -> tuple[str, ...] | None:
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls))


def probe_head(generated_at: str, version: str, environment: Mapping[str, str]) -> dict[str, Any]:
    """The `netaudit/probe/1` document without its results (which come last), for streaming them."""
    return {
        "schema": PROBE_SCHEMA,
        "generated_at": generated_at,
        "tool": {"name": "netaudit", "version": version},
        "environment": dict(environment),
    }


def probe_document(run: ProbeRun) -> dict[str, Any]:
    """The `netaudit/probe/1` document of a probe run."""
    return {**probe_head(run.generated_at, run.version, run.environment), "results": [plain(r) for r in run.results]}


def audit_document(run: AuditRun, platforms: Sequence[str] | None = None) -> dict[str, Any]:
    """The `netaudit/audit/1` document: what was intended, what was seen, what it means.

    `platforms` are the platform ids each profile's effective `access` lists; by default the run's own.
    """
    organization = run.policy.organization
    ids = list(platforms) if platforms is not None else [platform.id for platform in run.platforms]
    return {
        "schema": AUDIT_SCHEMA,
        "tool": {"name": "netaudit", "version": run.version},
        "host": run.host,
        "site": run.site,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "catalog_version": run.catalog_version,
        "organization": {
            "name": organization.name,
            "owner": organization.owner,
            "timezone": organization.timezone,
            "source": organization.source,
        },
        "profile_sources": list(run.policy.sources),
        "profiles": [profile_document(p, ids, organization.timezone) for p in run.policy.profiles.values()],
        "platforms": [plain(platform) for platform in run.platforms],
        "routes": [plain(route) for route in run.routes],
        "environment": dict(run.environment),
        "observations": [
            {**plain(result), "profiles": list(names)}
            for result, names in zip(run.observations, run.observation_profiles, strict=True)
        ],
        "findings": [plain(finding) for finding in run.findings],
        "readiness": plain(run.readiness),
    }


def profile_document(profile: Profile, platforms: Sequence[str], timezone: str) -> dict[str, Any]:
    """One profile as the audit and profiles documents show it: effective access per platform, hours in words."""
    rules = profile.rules
    return {
        "name": profile.name,
        "description": profile.description,
        "members": list(profile.members),
        "proxy_user": profile.proxy_user,
        "proxy_password_env": profile.proxy_password_env,
        "proxy": mask_url(profile.proxy) if profile.proxy else None,
        "access": {platform: profile.access_to(platform).value for platform in platforms},
        "access_listed": {platform: level.value for platform, level in profile.access.items()},
        "default": profile.default.value,
        "rules": {
            "hours": list(rules.hours_text),
            "hours_described": describe_hours(rules, ZoneInfo(timezone)),
            "hours_enforced_by": rules.hours_enforced_by.value if rules.hours_enforced_by else None,
            "posting": rules.posting,
            "content": rules.content,
        },
        "source": profile.source,
    }


def dump(run: AuditRun | ProbeRun) -> str:
    """The run's document as JSON text (what `--format json` prints and the store saves)."""
    document = audit_document(run) if isinstance(run, AuditRun) else probe_document(run)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- Reading -------------------------------------------------------------------------------------


def load(path: Path | str) -> AuditRun | ProbeRun:
    """Read a saved run; InputError (one line, naming the file) if it is not one this netaudit reads."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{shown}: cannot read the file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not a netaudit run (not UTF-8 text, byte 0x{raw[exc.start]:02x})") from None
    return loads(text, shown)


def load_audit(path: Path | str) -> AuditRun:
    """Read a saved audit run (`netaudit/audit/1`); InputError for anything else."""
    return _expect(load(path), AuditRun, path, AUDIT_SCHEMA)


def load_probe(path: Path | str) -> ProbeRun:
    """Read a saved probe run (`netaudit/probe/1`); InputError for anything else."""
    return _expect(load(path), ProbeRun, path, PROBE_SCHEMA)


def _expect(run: object, kind: type[_T], path: Path | str, schema: str) -> _T:
    if not isinstance(run, kind):
        raise InputError(f"{path}: a {_kind_of(run)} run, not a {schema} document")
    return run


def _kind_of(run: object) -> str:
    return AUDIT_SCHEMA if isinstance(run, AuditRun) else PROBE_SCHEMA


def loads(text: str, name: str = "<run>") -> AuditRun | ProbeRun:
    """A run from its JSON text; `name` is the file shown in messages."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    return from_document(document, name)


def from_document(document: Any, name: str = "<run>") -> AuditRun | ProbeRun:
    """A run from its parsed document, after checking its schema."""
    kind = _schema_kind(document, name)
    reader = Reader(name)
    if kind == "probe":
        return ProbeRun(
            generated_at=reader.field(document, "generated_at", str, ""),
            version=reader.field(reader.field(document, "tool", dict, ""), "version", str, "tool"),
            environment=reader.value(dict[str, str], document.get("environment", {}), "environment"),
            results=reader.value(tuple[ProbeResult, ...], document.get("results"), "results"),
        )
    return _audit(reader, document)


def _schema_kind(document: Any, name: str) -> str:
    schema = document.get("schema") if isinstance(document, dict) else None
    if not isinstance(schema, str):
        raise InputError(f'{name}: not a netaudit run (no "schema" field such as "{AUDIT_SCHEMA}")')
    found = _SCHEMA.fullmatch(schema)
    if found is None or found[1] not in _UNDERSTOOD:
        known = ", ".join(f"netaudit/{kind}/{version}" for kind, version in _UNDERSTOOD.items())
        raise InputError(f"{name}: schema '{schema}' is not a netaudit run (runs are {known})")
    kind, version, understood = found[1], int(found[2]), _UNDERSTOOD[found[1]]
    if version > understood:
        raise InputError(
            f"{name}: schema '{schema}' is newer than this netaudit understands "
            f"(netaudit/{kind}/{understood}); upgrade netaudit"
        )
    if version < understood:
        raise InputError(f"{name}: schema '{schema}' is older than any this netaudit reads (netaudit/{kind}/1)")
    return kind


def _audit(reader: Reader, document: dict[str, Any]) -> AuditRun:
    org = reader.field(document, "organization", dict, "")
    organization = Organization(
        name=reader.field(org, "name", str, "organization"),
        owner=reader.field(org, "owner", str, "organization"),
        timezone=reader.field(org, "timezone", str, "organization"),
        source=reader.field(org, "source", str, "organization", ""),
    )
    profiles = [
        _profile(reader, item, f"profiles[{n}]") for n, item in enumerate(reader.field(document, "profiles", list, ""))
    ]
    observations = reader.field(document, "observations", list, "")
    for n, item in enumerate(observations):
        reader.field(item, "profiles", list, f"observations[{n}]")
    return AuditRun(
        version=reader.field(reader.field(document, "tool", dict, ""), "version", str, "tool"),
        started_at=reader.field(document, "started_at", str, ""),
        finished_at=reader.field(document, "finished_at", str, ""),
        policy=PolicySet(
            organization=organization,
            profiles={profile.name: profile for profile in profiles},
            sources=reader.value(tuple[str, ...], document.get("profile_sources", []), "profile_sources"),
        ),
        environment=reader.value(dict[str, str], document.get("environment", {}), "environment"),
        observations=tuple(
            reader.value(ProbeResult, {k: v for k, v in item.items() if k != "profiles"}, f"observations[{n}]")
            for n, item in enumerate(observations)
        ),
        observation_profiles=tuple(
            reader.value(tuple[str, ...], item["profiles"], f"observations[{n}].profiles")
            for n, item in enumerate(observations)
        ),
        findings=reader.value(tuple[Finding, ...], document.get("findings"), "findings"),
        readiness=reader.value(Readiness, document.get("readiness"), "readiness"),
        host=reader.field(document, "host", str, "", ""),
        site=reader.field(document, "site", str, "", ""),
        catalog_version=reader.field(document, "catalog_version", str, "", ""),
        platforms=reader.value(tuple[Platform, ...], document.get("platforms", []), "platforms"),
        routes=reader.value(tuple[ProfileRoute, ...], document.get("routes", []), "routes"),
    )


def _profile(reader: Reader, item: Any, where: str) -> Profile:
    if not isinstance(item, dict):
        reader.fail(where, f"expected an object, got {json_kind(item)}")
    rules = reader.field(item, "rules", dict, where)
    hours_text = reader.value(tuple[str, ...], rules.get("hours", []), f"{where}.rules.hours")
    windows = []
    for n, text in enumerate(hours_text):
        try:
            windows.append(parse_window(text))
        except ValueError as exc:
            reader.fail(f"{where}.rules.hours[{n}]", f"{text!r}: {exc}")
    # `access_listed` came with the host and routes; an earlier document has only the effective levels.
    listed = item.get("access_listed", item.get("access", {}))
    return Profile(
        name=reader.field(item, "name", str, where),
        description=reader.field(item, "description", str, where, ""),
        members=reader.value(tuple[str, ...], item.get("members", []), f"{where}.members"),
        proxy_user=reader.value(str | None, item.get("proxy_user"), f"{where}.proxy_user"),
        proxy_password_env=reader.value(str | None, item.get("proxy_password_env"), f"{where}.proxy_password_env"),
        proxy=reader.value(str | None, item.get("proxy"), f"{where}.proxy"),
        access=reader.value(dict[str, AccessLevel], listed, f"{where}.access_listed"),
        default=reader.value(AccessLevel, item.get("default", "none"), f"{where}.default"),
        rules=Rules(
            hours=tuple(windows),
            hours_text=hours_text,
            hours_enforced_by=reader.value(
                Enforcement | None, rules.get("hours_enforced_by"), f"{where}.rules.hours_enforced_by"
            ),
            posting=reader.field(rules, "posting", str, f"{where}.rules", ""),
            content=reader.field(rules, "content", str, f"{where}.rules", ""),
        ),
        source=reader.field(item, "source", str, where, ""),
    )

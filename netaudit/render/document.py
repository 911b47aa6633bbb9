"""Turn runs into their JSON documents: the versioned contract every renderer and other tool reads."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from netaudit.model import AuditRun, Platform, PolicySet, ProbeRun, Profile
from netaudit.schedule import describe_hours
from netaudit.secrets import mask_url

PROBE_SCHEMA = "netaudit/probe/1"
CATALOG_SCHEMA = "netaudit/catalog/1"


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


def probe_document(run: ProbeRun) -> dict[str, Any]:
    """The `netaudit/probe/1` document of a probe run."""
    return {**probe_head(run.generated_at, run.version, run.environment), "results": [plain(r) for r in run.results]}


def probe_head(generated_at: str, version: str, environment: Mapping[str, str]) -> dict[str, Any]:
    """The `netaudit/probe/1` document without its results (which come last), for streaming them."""
    return {
        "schema": PROBE_SCHEMA,
        "generated_at": generated_at,
        "tool": {"name": "netaudit", "version": version},
        "environment": dict(environment),
    }


def catalog_document(platforms: list[Platform]) -> dict[str, Any]:
    """The `netaudit/catalog/1` document: platforms and their endpoints."""
    return {
        "schema": CATALOG_SCHEMA,
        "platforms": [plain(platform) for platform in platforms],
    }


AUDIT_SCHEMA = "netaudit/audit/1"


def audit_document(run: AuditRun, platforms: list[str]) -> dict[str, Any]:
    """The `netaudit/audit/1` document: what was intended, what was seen, what it means."""
    organization = run.policy.organization
    return {
        "schema": AUDIT_SCHEMA,
        "tool": {"name": "netaudit", "version": run.version},
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "organization": {"name": organization.name, "owner": organization.owner, "timezone": organization.timezone},
        "profiles": [_profile(profile, platforms, organization.timezone) for profile in run.policy.profiles.values()],
        "environment": dict(run.environment),
        "observations": [
            {**plain(result), "profiles": list(names)}
            for result, names in zip(run.observations, run.observation_profiles, strict=True)
        ],
        "findings": [plain(finding) for finding in run.findings],
        "readiness": plain(run.readiness),
    }


def _profile(profile: Profile, platforms: list[str], timezone: str) -> dict[str, Any]:
    rules = profile.rules
    return {
        "name": profile.name,
        "description": profile.description,
        "members": list(profile.members),
        "proxy_user": profile.proxy_user,
        "proxy_password_env": profile.proxy_password_env,
        "proxy": mask_url(profile.proxy) if profile.proxy else None,
        "access": {platform: profile.access_to(platform).value for platform in platforms},
        "default": profile.default.value,
        "rules": {
            "hours": list(rules.hours_text),
            "hours_described": describe_hours(rules, ZoneInfo(timezone)),
            "hours_enforced_by": rules.hours_enforced_by.value if rules.hours_enforced_by else None,
            "posting": rules.posting,
            "content": rules.content,
        },
    }


PROFILES_SCHEMA = "netaudit/profiles/1"


def profiles_document(policy: PolicySet, platforms: list[str]) -> dict[str, Any]:
    """The `netaudit/profiles/1` document: the organisation and its profiles as intended."""
    organization = policy.organization
    return {
        "schema": PROFILES_SCHEMA,
        "organization": {"name": organization.name, "owner": organization.owner, "timezone": organization.timezone},
        "sources": list(policy.sources),
        "profiles": [_profile(profile, platforms, organization.timezone) for profile in policy.profiles.values()],
    }

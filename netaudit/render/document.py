"""Turn runs into their JSON documents: the versioned contract every renderer and other tool reads."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from netaudit.model import Platform, ProbeRun

PROBE_SCHEMA = "netaudit/probe/1"
CATALOG_SCHEMA = "netaudit/catalog/1"


def plain(value: Any) -> Any:
    """Dataclasses, enums, tuples and dicts as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def probe_document(run: ProbeRun) -> dict[str, Any]:
    """The `netaudit/probe/1` document of a probe run."""
    return {
        "schema": PROBE_SCHEMA,
        "generated_at": run.generated_at,
        "tool": {"name": "netaudit", "version": run.version},
        "environment": dict(run.environment),
        "results": [plain(result) for result in run.results],
    }


def catalog_document(platforms: list[Platform]) -> dict[str, Any]:
    """The `netaudit/catalog/1` document: platforms and their endpoints."""
    return {
        "schema": CATALOG_SCHEMA,
        "platforms": [plain(platform) for platform in platforms],
    }

"""The JSON documents renderers read. Runs (`netaudit/audit/1`, `netaudit/probe/1`) are runfile.py's,
which also reads them back; the catalog and profiles documents are built here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netaudit.model import Platform, PolicySet
from netaudit.runfile import (
    AUDIT_SCHEMA,
    PROBE_SCHEMA,
    audit_document,
    plain,
    probe_document,
    probe_head,
    profile_document,
)

if TYPE_CHECKING:
    from netaudit.diff import RunDiff

__all__ = [
    "AUDIT_SCHEMA",
    "CATALOG_SCHEMA",
    "DIFF_SCHEMA",
    "PROBE_SCHEMA",
    "PROFILES_SCHEMA",
    "audit_document",
    "catalog_document",
    "diff_document",
    "plain",
    "probe_document",
    "probe_head",
    "profiles_document",
]

CATALOG_SCHEMA = "netaudit/catalog/1"
PROFILES_SCHEMA = "netaudit/profiles/1"


def catalog_document(platforms: list[Platform]) -> dict[str, Any]:
    """The `netaudit/catalog/1` document: platforms and their endpoints."""
    return {
        "schema": CATALOG_SCHEMA,
        "platforms": [plain(platform) for platform in platforms],
    }


def profiles_document(policy: PolicySet, platforms: list[str]) -> dict[str, Any]:
    """The `netaudit/profiles/1` document: the organisation and its profiles as intended."""
    organization = policy.organization
    return {
        "schema": PROFILES_SCHEMA,
        "organization": {"name": organization.name, "owner": organization.owner, "timezone": organization.timezone},
        "sources": list(policy.sources),
        "profiles": [
            profile_document(profile, platforms, organization.timezone) for profile in policy.profiles.values()
        ],
    }


DIFF_SCHEMA = "netaudit/diff/1"


def diff_document(diff: RunDiff) -> dict[str, Any]:
    """The `netaudit/diff/1` document: which runs, whether anything changed, each finding and status that did."""
    return {
        "schema": DIFF_SCHEMA,
        "old": plain(diff.old),
        "new": plain(diff.new),
        "changed": diff.changed,
        "findings": [plain(change) for change in diff.findings],
        "statuses": [plain(change) for change in diff.statuses],
    }

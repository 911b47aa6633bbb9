"""The JSON form: each kind's versioned document (render/document.py), stable key order, one trailing newline."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from netaudit.model import AuditRun, Platform, ProbeRun
from netaudit.render import PolicyListing

if TYPE_CHECKING:
    from netaudit.diff import RunDiff

from netaudit.render.document import (
    audit_document,
    catalog_document,
    diff_document,
    probe_document,
    profiles_document,
)


def render(document: dict[str, Any]) -> str:
    """Any JSON document as text."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_probe(run: ProbeRun) -> str:
    """The `netaudit/probe/1` document."""
    return render(probe_document(run))


def render_catalog(platforms: tuple[Platform, ...]) -> str:
    """The `netaudit/catalog/1` document of the platforms."""
    return render(catalog_document(list(platforms)))


def render_platform(platform: Platform) -> str:
    """The `netaudit/catalog/1` document of one platform."""
    return render(catalog_document([platform]))


def render_audit(run: AuditRun) -> str:
    """The `netaudit/audit/1` document."""
    from netaudit.render.view import platform_ids  # the view is heavy; probe output does not need it

    return render(audit_document(run, list(platform_ids(run))))


def render_profiles(listing: PolicyListing) -> str:
    """The `netaudit/profiles/1` document (for one profile too: a policy that holds only that one)."""
    return render(profiles_document(listing.policy, list(listing.platforms)))


def render_diff(diff: RunDiff) -> str:
    """The `netaudit/diff/1` document."""
    return render(diff_document(diff))


def stream(head: dict[str, Any], key: str, items: Iterable[Any], write: Callable[[str], object]) -> None:
    """Write `{**head, key: list(items)}` exactly as `render` would, one item at a time.

    The list must be the document's last key; each item is written as it arrives, so a run of
    any size holds one item's text at a time instead of the whole document.
    """
    opening = json.dumps({**head, key: []}, indent=2, ensure_ascii=False)
    assert opening.endswith("[]\n}"), "the streamed list must be the document's last key"
    write(opening[: -len("]\n}")])
    first = True
    for item in items:
        text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        write(("\n    " if first else ",\n    ") + text)
        first = False
    write("]\n}\n" if first else "\n  ]\n}\n")

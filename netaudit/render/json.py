"""The JSON form: each kind's versioned document (render/document.py), stable key order, one trailing newline."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring as _string  # json's own, in C where it can be
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
    return indented(document) + "\n"


def indented(value: Any, indent: str = "") -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, each line after the first led by `indent`.

    The same text, about twice as fast: json's own encoder runs in C only without `indent`, and
    its Python one is a generator per level. This one appends pieces to one list, with json's C
    string encoder, and follows json's rules: the same checks in the same order, NaN and
    Infinity, the keys json allows (str, int, float, bool, None), TypeError for anything else.
    """
    parts: list[str] = []
    _encode(value, "\n" + indent, parts)
    return "".join(parts)


def _encode(value: Any, newline: str, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(_string(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        parts.append(_float(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        opening = "[" + inner
        for item in value:
            parts.append(opening)
            opening = "," + inner
            _encode(item, inner, parts)
        parts.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        opening = "{" + inner
        for key, item in value.items():
            parts.append(opening + _key(key) + ": ")
            opening = "," + inner
            _encode(item, inner, parts)
        parts.append(newline + "}")
    else:
        raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _string(key)
    if isinstance(key, float):
        return _string(_float(key))
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return _string(int.__repr__(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


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
    opening = indented({**head, key: []})
    assert opening.endswith("[]\n}"), "the streamed list must be the document's last key"
    write(opening[: -len("]\n}")])
    first = True
    for item in items:
        write(("\n    " if first else ",\n    ") + indented(item, "    "))
        first = False
    write("]\n}\n" if first else "\n  ]\n}\n")

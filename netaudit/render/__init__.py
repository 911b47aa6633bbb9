"""Renderers: one registry keyed by document kind, then format; one file per output form.

Each kind of document (a probe run, the catalog, one platform, an audit, the profiles, one
profile) offers its own formats, and each (kind, format) names the function that lays that
kind out in that form. The renderer modules are imported only when one is used, so the CLI can
build its `--format` choices from this registry without loading tabulate or the library
(`netaudit --help` stays fast).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from netaudit.render.formats import Format

if TYPE_CHECKING:
    from netaudit.diff import RunDiff
    from netaudit.merge import Merged
    from netaudit.model import AuditRun, Platform, PolicySet, ProbeRun

S = TypeVar("S")


class DocumentKind(enum.StrEnum):
    """What is being rendered; each kind has its own JSON schema and its own set of formats."""

    PROBE = "probe"
    CATALOG = "catalog"
    PLATFORM = "platform"
    AUDIT = "audit"
    PROFILES = "profiles"
    PROFILE = "profile"
    MERGE = "merge"
    DIFF = "diff"


@dataclass(frozen=True)
class PolicyListing:
    """Profiles as written, shown against the catalog's platform ids (what `profiles list/show` render).

    For `DocumentKind.PROFILE` the policy holds exactly the one profile shown.
    """

    policy: PolicySet
    platforms: tuple[str, ...]


@dataclass(frozen=True)
class Kind(Generic[S]):
    """One kind of document and its renderers by format, each a `module:function` taking an `S`."""

    kind: DocumentKind
    renderers: Mapping[Format, str]
    coloured: frozenset[Format] = frozenset()
    """The forms whose renderer takes `colour=True`."""

    def formats(self) -> tuple[Format, ...]:
        """The formats this kind offers, in the order of the Format enum."""
        return tuple(fmt for fmt in Format if fmt in self.renderers)

    def renderer(self, fmt: Format | str) -> Callable[[S], str]:
        """The function that renders this kind in `fmt` (ValueError when this kind has no such form)."""
        try:
            target = self.renderers[Format(fmt)]
        except (ValueError, KeyError):
            offered = ", ".join(self.formats())
            raise ValueError(f"a {self.kind} document has no {fmt} form (forms: {offered})") from None
        module, _, name = target.partition(":")
        function: Callable[[S], str] = getattr(importlib.import_module(module), name)
        return function

    def render(self, fmt: Format | str, subject: S, *, colour: bool = False) -> str:
        """`subject` rendered in `fmt`; `colour` (ANSI colours, for a terminal) only where the form has them.

        Whether to colour is the caller's decision (the CLI: a terminal, and NO_COLOR unset); no renderer
        reads the environment.
        """
        function = self.renderer(fmt)
        if colour and Format(fmt) in self.coloured:
            with_colour: Callable[..., str] = function
            return with_colour(subject, colour=True)
        return function(subject)


_TABLE = "netaudit.render.table"
_JSON = "netaudit.render.json"

PROBE: Kind[ProbeRun] = Kind(
    DocumentKind.PROBE, {Format.TABLE: f"{_TABLE}:render_probe", Format.JSON: f"{_JSON}:render_probe"}
)
CATALOG: Kind[tuple[Platform, ...]] = Kind(
    DocumentKind.CATALOG, {Format.TABLE: f"{_TABLE}:render_catalog", Format.JSON: f"{_JSON}:render_catalog"}
)
PLATFORM: Kind[Platform] = Kind(
    DocumentKind.PLATFORM, {Format.TABLE: f"{_TABLE}:render_platform", Format.JSON: f"{_JSON}:render_platform"}
)
AUDIT: Kind[AuditRun] = Kind(
    DocumentKind.AUDIT,
    {
        Format.TABLE: "netaudit.render.audit_table:render_audit",
        Format.JSON: f"{_JSON}:render_audit",
        Format.MARKDOWN: "netaudit.render.markdown:render_audit",
        Format.HTML: "netaudit.render.html:render_audit",
        Format.CSV: "netaudit.render.csv:render_audit",
        Format.JUNIT: "netaudit.render.junit:render_audit",
        Format.PROMETHEUS: "netaudit.render.prometheus:render_audit",
    },
    coloured=frozenset({Format.TABLE}),
)
PROFILES: Kind[PolicyListing] = Kind(
    DocumentKind.PROFILES,
    {Format.TABLE: "netaudit.render.profiles_table:render_profiles", Format.JSON: f"{_JSON}:render_profiles"},
)
PROFILE: Kind[PolicyListing] = Kind(
    DocumentKind.PROFILE,
    {Format.TABLE: "netaudit.render.profiles_table:render_profile", Format.JSON: f"{_JSON}:render_profiles"},
)

MERGE: Kind[Merged] = Kind(
    DocumentKind.MERGE,
    {
        Format.TABLE: "netaudit.render.merge_table:render_merged",
        Format.JSON: "netaudit.render.merge_json:render_merged",
        Format.MARKDOWN: "netaudit.render.merge_markdown:render_merged",
        Format.HTML: "netaudit.render.merge_html:render_merged",
    },
)
DIFF: Kind[RunDiff] = Kind(
    DocumentKind.DIFF,
    {
        Format.TABLE: "netaudit.render.diff_table:render_diff",
        Format.JSON: f"{_JSON}:render_diff",
        Format.MARKDOWN: "netaudit.render.diff_markdown:render_diff",
    },
)

REGISTRY: Mapping[DocumentKind, Kind[Any]] = {
    kind.kind: kind for kind in (PROBE, CATALOG, PLATFORM, AUDIT, PROFILES, PROFILE, DIFF, MERGE)
}
"""Every kind of document, then every format it offers: the one place a renderer is chosen."""

"""The view's data: frozen dataclasses for the review's three questions, and the severity order of findings.

view.py builds them from an AuditRun (`build_view`); every form lays them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from netaudit.model import (
    AccessLevel,
    Capability,
    Enforcement,
    Finding,
    FindingKind,
    Organization,
    ProfileReadiness,
    Readiness,
    Status,
)
from netaudit.render.evidence import Evidence, Observation
from netaudit.render.wording import Action

T = TypeVar("T")

SEVERITY: tuple[FindingKind, ...] = (
    FindingKind.GAP,
    FindingKind.LEAK,
    FindingKind.DEGRADED,
    FindingKind.UNKNOWN,
    FindingKind.INSPECTED,
    FindingKind.OK,
)
"""Finding kinds, worst first: the order of every list and the worst-of rule of every matrix cell.

A gap stops the strategy, a leak breaks a rule, degraded half works; unknown comes before
inspected because a cell that could not be tested hides what the network does, whereas
inspected works (through TLS inspection).
"""

NEEDS_ACTION = frozenset({FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED})
"""The kinds someone has to act on (they carry a remediation line)."""

ALL_CAPABILITIES = tuple(Capability)
WEB_CAPABILITIES = tuple(c for c in Capability if c is not Capability.MESSAGE)
"""What every platform is expected to cover; messaging belongs to the platforms that have a messenger."""


def severity(kind: FindingKind) -> int:
    """0 for the worst kind (gap), growing to ok."""
    return SEVERITY.index(kind)


def worst(kinds: Iterable[FindingKind]) -> FindingKind | None:
    """The worst of the kinds, by SEVERITY; None when there are none."""
    return min(kinds, key=severity, default=None)


@dataclass(frozen=True)
class Matrix(Generic[T]):
    """A profiles x platforms grid: `cells[i][j]` is for `rows[i]` (a profile) and `columns[j]` (a platform id)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[T, ...], ...]

    def cell(self, profile: str, platform: str) -> T:
        return self.cells[self.rows.index(profile)][self.columns.index(platform)]

    def row(self, profile: str) -> tuple[T, ...]:
        return self.cells[self.rows.index(profile)]


@dataclass(frozen=True)
class PlatformHeading:
    """A platform as a column: its id and its display name."""

    id: str
    name: str


@dataclass(frozen=True)
class FindingView:
    """A finding with what the profile may do with that capability and the results behind it (deciding one first)."""

    finding: Finding
    allowed: bool
    """Whether the profile may use this capability at the time of the probe (the finding's expected level suffices)."""
    evidence: tuple[Evidence, ...]
    expectation: str = ""
    """What the profile may do with it and what the network must do (`read only: posting must be blocked`)."""
    who: str = ""
    """Who can act on it (wording.py): the proxy team, the DNS team, the firewall team, the auditor."""

    @property
    def kind(self) -> FindingKind:
        return self.finding.finding


@dataclass(frozen=True)
class RouteView:
    """How one profile was probed: `via` (direct or a masked proxy), the identity, and the route's control."""

    profile: str
    via: str
    identity: str | None = None
    note: str = ""
    problem: str = ""
    """Why the profile was not probed at all (empty when it was)."""
    control: Evidence | None = None
    control_failed: bool = False


@dataclass(frozen=True)
class RulesView:
    """One profile's answer to question 3, and the rules it lacks."""

    profile: str
    hours: tuple[str, ...]
    """Described for a reader, in the organisation's timezone (`any time` when none are written)."""
    hours_enforced_by: Enforcement | None
    posting: str
    content: str
    missing: tuple[str, ...]
    seen_in_hours: bool | None = None
    """For hours the firewall enforces: whether the audit ran inside them (it verified the open side)
    or outside (the closed side); None when the network is not meant to enforce hours."""
    seen_at: str = ""
    """When that side was seen, on the organisation's clock (set with seen_in_hours)."""
    other_side_at: str = ""
    """From when the other side can be checked, on the organisation's clock (set with seen_in_hours)."""


@dataclass(frozen=True)
class Untested:
    """Checks of one profile that could not be tested, and the one reason they share.

    `reason` is the route's problem (why it was not probed), else the failed control's detail
    (`control` set), else the detail of the result that left the check inconclusive (`status` set).
    """

    profile: str
    reason: str
    checks: tuple[tuple[str, Capability], ...]
    """(platform id, capability) pairs."""
    status: Status | None = None
    control: Evidence | None = None


@dataclass(frozen=True)
class ProfileView:
    """Everything the report says about one profile."""

    name: str
    description: str
    members: tuple[str, ...]
    route: RouteView
    rules: RulesView
    findings: tuple[FindingView, ...]
    """In the run's order (platform, then capability)."""
    readiness: ProfileReadiness

    def count(self, kind: FindingKind) -> int:
        return sum(1 for finding in self.findings if finding.kind is kind)


@dataclass(frozen=True)
class CutOff:
    """A route whose control failed: this vantage point could not reach the internet that way."""

    via: str
    control: Evidence
    profiles: tuple[str, ...]


@dataclass(frozen=True)
class AuditView:
    """One audit run as the review's three questions, plus what could not be told."""

    organization: Organization
    version: str
    started_at: str
    finished_at: str
    host: str
    site: str
    catalog_version: str
    environment: tuple[tuple[str, str], ...]
    platforms: tuple[PlatformHeading, ...]
    profiles: tuple[ProfileView, ...]
    intended: Matrix[AccessLevel]
    measured: Matrix[FindingKind | None]
    """The worst finding of each (profile, platform); None where nothing was assessed."""
    attention: tuple[FindingView, ...]
    """Every finding that is not ok or unknown, worst first (then profile, platform, capability)."""
    untested: tuple[Untested, ...]
    control_failures: tuple[RouteView, ...]
    missing_capabilities: tuple[tuple[str, tuple[Capability, ...]], ...]
    """Platforms (id) with capabilities no catalog endpoint stands for; empty when the run lists no platforms."""
    readiness: Readiness
    observations: tuple[Observation, ...]
    actions: tuple[Action, ...] = ()
    """The three to five things that matter most before the rollout, each naming who acts."""

    def count(self, kind: FindingKind) -> int:
        return sum(profile.count(kind) for profile in self.profiles)

    @property
    def cut_off(self) -> tuple[CutOff, ...]:
        """The failed controls, one per route and outcome, with every profile that took that route."""
        groups: dict[tuple[str, str, str], list[RouteView]] = {}
        for route in self.control_failures:
            assert route.control is not None
            groups.setdefault((route.via, route.control.status, route.control.detail), []).append(route)
        return tuple(
            CutOff(routes[0].via, routes[0].control, tuple(route.profile for route in routes))  # type: ignore[arg-type]
            for routes in groups.values()
        )

    @property
    def total(self) -> int:
        return sum(len(profile.findings) for profile in self.profiles)

    @property
    def needs_action(self) -> tuple[FindingView, ...]:
        """The gaps, leaks and degraded findings, worst first: each carries a remediation line."""
        return tuple(finding for finding in self.attention if finding.kind in NEEDS_ACTION)

"""The review's three questions, worked out once from an AuditRun, for every form to lay out.

Who will have access (the intended matrix, members, the route each profile took), are there
firewalls that would prevent it (the measured matrix, findings by profile, every gap and leak
with its evidence and remediation), what are the rules (hours, who enforces them, posting,
content, what is missing), and what this audit could not tell (failed controls, untested
profiles, capabilities with no endpoint). Frozen data only: no text layout, no probing, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from netaudit.assess import required_level
from netaudit.hours import describe_hours, in_hours
from netaudit.model import (
    AccessLevel,
    AuditRun,
    Capability,
    Enforcement,
    Finding,
    FindingKind,
    Organization,
    ProbePath,
    ProbeResult,
    Profile,
    ProfileReadiness,
    ProfileRoute,
    Readiness,
    Status,
)
from netaudit.render.evidence import Evidence, Observation
from netaudit.render.wording import Action, actions_of, expectation, moment, other_side, who_acts
from netaudit.secrets import mask_url

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

_CAPABILITIES = tuple(Capability)
_WEB = tuple(c for c in Capability if c is not Capability.MESSAGE)
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


def platform_ids(run: AuditRun) -> tuple[str, ...]:
    """The platforms the run audited, in order.

    From `run.platforms`; a run that does not list them (made before AuditRun carried them) gives
    the platforms of its findings, in the order assessed (the catalog's).
    """
    if run.platforms:
        return tuple(platform.id for platform in run.platforms)
    return tuple(dict.fromkeys(finding.platform for finding in run.findings))


def build_view(run: AuditRun) -> AuditView:
    """Work out the three questions of one run."""
    policy = run.policy
    ids = platform_ids(run)
    names = {platform.id: platform.name for platform in run.platforms}
    profiles = tuple(policy.profiles.values())
    verdicts = {verdict.profile: verdict for verdict in run.readiness.profiles}
    results = _results_by_profile(run)
    routes = {route.profile: route for route in run.routes}
    timezone = ZoneInfo(policy.organization.timezone)
    views = tuple(
        ProfileView(
            name=profile.name,
            description=profile.description,
            members=profile.members,
            route=_route(routes.get(profile.name), profile.name, run, results),
            rules=_rules(profile, verdicts.get(profile.name), timezone, _probed_at(run, profile.name)),
            findings=tuple(_finding(f, results, profile, timezone) for f in run.findings if f.profile == profile.name),
            readiness=verdicts.get(profile.name) or ProfileReadiness(profile=profile.name, ready=False),
        )
        for profile in profiles
    )
    rows = tuple(profile.name for profile in profiles)
    intended = Matrix(rows, ids, tuple(tuple(p.access_to(pid) for pid in ids) for p in profiles))
    measured = Matrix(
        rows,
        ids,
        tuple(tuple(worst(f.kind for f in v.findings if f.finding.platform == pid) for pid in ids) for v in views),
    )
    attention = _attention(views, ids)
    return AuditView(
        organization=policy.organization,
        version=run.version,
        started_at=run.started_at,
        finished_at=run.finished_at,
        host=run.host or run.environment.get("host", ""),
        site=run.site,
        catalog_version=run.catalog_version,
        environment=tuple((key, mask_url(value)) for key, value in run.environment.items()),
        platforms=tuple(PlatformHeading(pid, names.get(pid, pid)) for pid in ids),
        profiles=views,
        intended=intended,
        measured=measured,
        attention=attention,
        untested=tuple(group for view in views for group in _untested(view)),
        control_failures=tuple(view.route for view in views if view.route.control_failed),
        missing_capabilities=tuple(
            (platform.id, missing)
            for platform in run.platforms
            if (missing := tuple(c for c in _WEB if all(e.capability is not c for e in platform.endpoints)))
        ),
        readiness=run.readiness,
        observations=tuple(
            Observation(Evidence.of(result), names)
            for result, names in zip(run.observations, run.observation_profiles, strict=True)
        ),
        actions=actions_of(views, attention, names, policy.organization.owner),
    )


def _results_by_profile(run: AuditRun) -> dict[tuple[str, str, ProbePath], ProbeResult]:
    """(profile, endpoint id, path) -> the result of that profile's identity on that path."""
    found: dict[tuple[str, str, ProbePath], ProbeResult] = {}
    for result, names in zip(run.observations, run.observation_profiles, strict=True):
        for name in names:
            found.setdefault((name, result.id, result.path), result)
    return found


def _finding(
    finding: Finding, results: dict[tuple[str, str, ProbePath], ProbeResult], profile: Profile, timezone: ZoneInfo
) -> FindingView:
    own = [results[key] for e in finding.endpoints if (key := (finding.profile, e, finding.path)) in results]
    # The deciding result is the first whose status the finding reports (the model does not name it).
    deciding = [r for r in own if r.status.value == finding.observed][:1]
    ordered = deciding + [r for r in own if r not in deciding]
    allowed = finding.expected >= required_level(finding.capability)
    evidence = tuple(Evidence.of(r) for r in ordered)
    hours = "; ".join(describe_hours(profile.rules, timezone)) if profile.rules.hours else ""
    return FindingView(
        finding=finding,
        allowed=allowed,
        evidence=evidence,
        expectation=expectation(finding, profile.access_to(finding.platform), hours),
        who=who_acts(finding.finding, evidence[0] if evidence else None),
    )


def _attention(views: Sequence[ProfileView], ids: Sequence[str]) -> tuple[FindingView, ...]:
    order = {view.name: index for index, view in enumerate(views)}
    listed = [f for view in views for f in view.findings if f.kind not in (FindingKind.OK, FindingKind.UNKNOWN)]

    def key(view: FindingView) -> tuple[int, int, int, int]:
        finding = view.finding
        platform = ids.index(finding.platform) if finding.platform in ids else len(ids)
        return severity(view.kind), order[finding.profile], platform, _CAPABILITIES.index(finding.capability)

    return tuple(sorted(listed, key=key))


def _route(
    route: ProfileRoute | None, profile: str, run: AuditRun, results: dict[tuple[str, str, ProbePath], ProbeResult]
) -> RouteView:
    if route is not None:
        control = Evidence.of(route.control) if route.control else None
        return RouteView(
            profile=profile,
            via=mask_url(route.via),
            identity=route.identity,
            note=route.note,
            problem=route.problem,
            control=control,
            control_failed=route.control_failed,
        )
    # A run without routes: the route is the one its results took, or the reason it has none.
    for (name, _, _), result in results.items():
        if name == profile:
            via = mask_url(result.proxy) if result.proxy else result.route.value
            return RouteView(profile=profile, via=via, identity=result.identity)
    problems = [f.detail for f in run.findings if f.profile == profile and f.observed == "untested"]
    return RouteView(profile=profile, via="", problem=problems[0] if problems else "not probed")


def _probed_at(run: AuditRun, profile: str) -> datetime | None:
    """When the profile's probes ran (its earliest assessed finding); None when it was not probed."""
    moments = [datetime.fromisoformat(f.probed_at) for f in run.findings if f.profile == profile and f.probed_at]
    return min(moments, default=None)


def _rules(profile: Profile, verdict: ProfileReadiness | None, timezone: ZoneInfo, when: datetime | None) -> RulesView:
    rules = profile.rules
    enforced = rules.hours_enforced_by is Enforcement.FIREWALL and rules.hours
    seen_in_hours = in_hours(rules, when, timezone) if enforced and when and when.tzinfo else None
    seen_at = other_side_at = ""
    if seen_in_hours is not None and when is not None:
        seen_at = moment(when, timezone)
        other = other_side(rules, when, timezone, seen_in_hours)
        other_side_at = moment(other, timezone) if other else ""
    return RulesView(
        profile=profile.name,
        hours=tuple(describe_hours(rules, timezone)),
        hours_enforced_by=rules.hours_enforced_by,
        posting=rules.posting,
        content=rules.content,
        missing=verdict.missing_rules if verdict else (),
        seen_in_hours=seen_in_hours,
        seen_at=seen_at,
        other_side_at=other_side_at,
    )


def _untested(view: ProfileView) -> list[Untested]:
    """Unknown findings grouped by reason: the route's problem or failed control, else the deciding result's."""
    route = view.route
    control = route.control if route.control_failed and not route.problem else None
    groups: dict[tuple[str, Status | None], list[tuple[str, Capability]]] = {}
    for finding in view.findings:
        if finding.kind is not FindingKind.UNKNOWN:
            continue
        if route.problem:
            key: tuple[str, Status | None] = (route.problem, None)
        elif control:
            key = (control.detail, control.status)
        elif finding.evidence:
            key = (finding.evidence[0].detail, finding.evidence[0].status)
        else:
            key = (finding.finding.detail or "not probed", None)
        groups.setdefault(key, []).append((finding.finding.platform, finding.finding.capability))
    return [
        Untested(view.name, reason, tuple(checks), status=status, control=control)
        for (reason, status), checks in groups.items()
    ]

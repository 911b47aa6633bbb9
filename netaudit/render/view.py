"""The review's three questions, worked out once from an AuditRun, for every form to lay out.

Who will have access (the intended matrix, members, the route each profile took), are there
firewalls that would prevent it (the measured matrix, findings by profile, every gap and leak
with its evidence and remediation), what are the rules (hours, who enforces them, posting,
content, what is missing), and what this audit could not tell (failed controls, untested
profiles, capabilities with no endpoint). Frozen data only: no text layout, no probing, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from netaudit.assess import required_level
from netaudit.hours import describe_hours, in_hours
from netaudit.model import (
    AuditRun,
    Capability,
    Enforcement,
    Finding,
    FindingKind,
    ProbePath,
    ProbeResult,
    Profile,
    ProfileReadiness,
    ProfileRoute,
    Status,
)
from netaudit.render.evidence import Evidence, Observation
from netaudit.render.viewmodel import (
    ALL_CAPABILITIES,
    NEEDS_ACTION,
    SEVERITY,
    WEB_CAPABILITIES,
    AuditView,
    CutOff,
    FindingView,
    Matrix,
    PlatformHeading,
    ProfileView,
    RouteView,
    RulesView,
    Untested,
    severity,
    worst,
)
from netaudit.render.wording import actions_of, expectation, moment, other_side, who_acts
from netaudit.secrets import mask_url

__all__ = [
    "NEEDS_ACTION",
    "SEVERITY",
    "AuditView",
    "CutOff",
    "FindingView",
    "Matrix",
    "PlatformHeading",
    "ProfileView",
    "RouteView",
    "RulesView",
    "Untested",
    "build_view",
    "platform_ids",
    "severity",
    "worst",
]


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
            if (missing := tuple(c for c in WEB_CAPABILITIES if all(e.capability is not c for e in platform.endpoints)))
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
        return severity(view.kind), order[finding.profile], platform, ALL_CAPABILITIES.index(finding.capability)

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

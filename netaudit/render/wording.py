"""What the report says in words every form shares: expectations, who acts, and the actions that matter most.

"Expected" is written as what the profile may do with the capability ("read only: posting must be
blocked"), never as the platform's level. Who acts follows from the layer that decided a finding: a
proxy's answer is the proxy team's, a DNS filter the DNS team's, a dropped connection the firewall
team's, a missing rule the policy owner's. Pure functions over findings and evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from netaudit.hours import in_hours
from netaudit.model import AccessLevel, Capability, Enforcement, Finding, FindingKind, ProbePath, Rules, Status
from netaudit.render.evidence import Evidence

if TYPE_CHECKING:
    from netaudit.render.view import AuditView, FindingView, ProfileView, RulesView, Untested

PROXY_TEAM = "proxy team"
DNS_TEAM = "DNS team"
FIREWALL_TEAM = "firewall team"
POLICY_OWNER = "policy owner"
AUDITOR = "auditor"
"""Whoever runs netaudit: a password to set, a vantage point to fix."""

MAX_ACTIONS = 5

_DOING = {
    Capability.READ: "reading",
    Capability.MEDIA: "loading media",
    Capability.LOGIN: "signing in",
    Capability.POST: "posting",
    Capability.MESSAGE: "messaging",
}
_DNS = frozenset({Status.DNS_NXDOMAIN, Status.DNS_SINKHOLE, Status.DNS_ERROR})
_PROXY = frozenset({Status.PROXY_DENIED, Status.PROXY_AUTH_REQUIRED, Status.PROXY_ERROR})


def doing(capability: Capability) -> str:
    """The capability as an activity: `posting`, `loading media`."""
    return _DOING[capability]


def expectation(finding: Finding, configured: AccessLevel, hours: str = "") -> str:
    """What the profile may do with this capability at the time of the probe, and what the network must do.

    `configured` is the profile's written level on the platform; `finding.expected` the level at the
    moment of the probe (`none` outside hours the firewall enforces); `hours` describes those hours.
    """
    needed = AccessLevel.POST if finding.capability is Capability.POST else AccessLevel.READ
    activity = _DOING[finding.capability]
    level = finding.expected
    if level >= needed:
        may = "may post" if level is AccessLevel.POST else "may read"
        return f"{may}: {activity} must work"
    if configured >= needed:
        return f"outside its hours{f' ({hours})' if hours else ''}: {activity} must be blocked"
    if level is AccessLevel.READ:
        return f"read only: {activity} must be blocked"
    return f"no access: {activity} must be blocked"


def who_acts(kind: FindingKind, evidence: Evidence | None) -> str:
    """The team that can act on a gap, leak, degraded or inspected finding, from the result that decided it.

    "" for ok and unknown findings: nothing to act on, or nothing known (section 5 says why).
    """
    if kind in (FindingKind.OK, FindingKind.UNKNOWN) or evidence is None:
        return ""
    if kind is FindingKind.LEAK:
        return PROXY_TEAM if evidence.proxy else FIREWALL_TEAM
    status = evidence.status
    if status in _DNS:
        return DNS_TEAM
    if status in _PROXY or status is Status.INSPECTED or status is Status.TLS_UNTRUSTED:
        return PROXY_TEAM if evidence.proxy or status is not Status.TLS_UNTRUSTED else FIREWALL_TEAM
    if status is Status.BLOCK_PAGE:
        return PROXY_TEAM if evidence.proxy else FIREWALL_TEAM
    return FIREWALL_TEAM


def host_of(url: str) -> str:
    """The host name of a URL (the URL itself when it has none)."""
    return urlsplit(url).hostname or url


@dataclass(frozen=True)
class Action:
    """One thing someone has to do before the rollout, the team or person who does it, and what it settles."""

    who: str
    what: str
    refs: tuple[str, ...] = ()
    """Finding ids, or profile names for rules and untested profiles."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _listing(items: Sequence[str], most: int = 3) -> str:
    """`a`, `a and b`, `a, b and c`, `a, b, c and 2 more` (duplicates once)."""
    unique = list(dict.fromkeys(items))
    if len(unique) > most:
        return f"{', '.join(unique[:most])} and {len(unique) - most} more"
    return " and ".join(filter(None, [", ".join(unique[:-1]), unique[-1] if unique else ""]))


def _finding_actions(findings: Sequence[FindingView], names: dict[str, str]) -> list[tuple[int, Action]]:
    """One action per (kind, who), worst kind first: what to open or close, for whom."""
    groups: dict[tuple[FindingKind, str], list[Finding]] = {}
    hosts_of: dict[str, list[str]] = {}
    for view in findings:
        groups.setdefault((view.kind, view.who), []).append(view.finding)
        hosts_of[view.finding.id] = [host_of(evidence.url) for evidence in view.evidence[:1]]
    ranked: list[tuple[int, Action]] = []
    order = (FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED)
    for (kind, who), members in groups.items():
        hosts = _listing([host for member in members for host in hosts_of[member.id]])
        profiles = _listing([member.profile for member in members])
        uses = _listing([f"{doing(m.capability)} on {names.get(m.platform, m.platform)}" for m in members])
        count = _plural(len(members), "degraded check" if kind is FindingKind.DEGRADED else kind.value)
        if kind is FindingKind.LEAK:
            what = f"block {hosts} for {profiles} ({count}: {uses} must be blocked)"
        elif kind is FindingKind.GAP:
            what = f"open {hosts} for {profiles} ({count}: {uses} must work)"
        else:
            what = f"open {hosts} for {profiles} ({count}: the site opens, {uses} is partly blocked)"
        ranked.append((order.index(kind), Action(who, what, tuple(m.id for m in members))))
    ranked.sort(key=lambda item: (item[0], -len(item[1].refs)))
    return ranked


def actions_of(
    profiles: Sequence[ProfileView], attention: Sequence[FindingView], names: dict[str, str], owner: str
) -> tuple[Action, ...]:
    """The actions that matter most, at most MAX_ACTIONS, most urgent first, every team that must act named.

    Gaps, leaks and degraded findings grouped by who acts; then the rules the policy owner has to
    write (`owner`: who owns social media, "" when nobody is named); then the auditor's part: routes
    whose control failed, profiles that could not be probed. `names`: platform names by id.
    """
    needing = [view for view in attention if view.kind in (FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED)]
    actions = [action for _, action in _finding_actions(needing, names)]
    lacking = [(view.name, view.rules.missing) for view in profiles if view.rules.missing]
    cut_off = [(v.name, v.route.via) for v in profiles if v.route.control_failed and not v.route.problem]
    unprobed = [(view.name, view.route.problem) for view in profiles if view.route.problem]
    if lacking:
        who = f"{POLICY_OWNER} ({owner})" if owner else POLICY_OWNER
        written = [rule for _, rules in lacking for rule in rules if rule != "owner"]
        kinds = f"{_listing(written)} {'rule' if len(set(written)) == 1 else 'rules'}"
        if any("owner" in rules for _, rules in lacking):
            what = "name who owns social media" + (f" and write down the {kinds}" if written else "")
        else:
            what = f"write down the {kinds}"
        named = [name for name, _ in lacking]
        actions.append(Action(who, f"{what} of {_listing(named)}", tuple(named)))
    if cut_off:
        named = [name for name, _ in cut_off]
        routes = _listing([route_words(route) for _, route in cut_off])
        what = (
            f"rerun from a vantage point that reaches the internet: the control could not be reached {routes}, "
            f"so {_listing(named)} could not be audited"
        )
        actions.append(Action(AUDITOR, what, tuple(named)))
    for name, problem in unprobed:
        actions.append(Action(AUDITOR, problem, (name,)))
    return _most_urgent(actions)


def _most_urgent(ranked: Sequence[Action]) -> tuple[Action, ...]:
    """At most MAX_ACTIONS, in rank order, each team's first action before any team's second one."""
    first = {action.who: index for index, action in reversed(list(enumerate(ranked)))}
    chosen = sorted(first.values())[:MAX_ACTIONS]
    chosen += [index for index in range(len(ranked)) if index not in chosen][: MAX_ACTIONS - len(chosen)]
    return tuple(ranked[index] for index in sorted(chosen))


def other_side(rules: Rules, when: datetime, tz: ZoneInfo, inside: bool) -> datetime | None:
    """The first moment after `when` on the other side of the rules' hours (None when there is none).

    An audit inside a lunch-hour window verified the open side; this says from when the closed side
    can be checked (and the other way round). Candidates are the windows' edges over the next eight days.
    """
    local = when.astimezone(tz)
    edges = sorted(
        {
            datetime.combine(local.date() + timedelta(days=day), time(), tzinfo=tz) + timedelta(minutes=minute)
            for day in range(9)
            for window in rules.hours
            for minute in (window.start, window.end)
        }
    )
    return next((edge for edge in edges if edge > local and in_hours(rules, edge, tz) != inside), None)


def moment(when: datetime, tz: ZoneInfo) -> str:
    """A moment as a reader reads it, on the organisation's wall clock: `Wed 1 Jul 2026 12:30 Europe/London`."""
    local = when.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {tz.key}"


def seen(evidence: Evidence) -> str:
    """One result in one line: endpoint, status and layer, the way it went, then what was seen, then why."""
    via = f"via {evidence.proxy}" if evidence.proxy else "direct"
    if evidence.path is not ProbePath.TCP:
        via += f" over {evidence.path}"
    parts = [f"{evidence.endpoint} {evidence.status} at the {evidence.layer} layer, {via}"]
    if evidence.identity:
        parts[0] += f" as {evidence.identity}"
    if evidence.dns_answers:
        resolver = f" from {evidence.resolver}" if evidence.resolver else ""
        parts.append(f"DNS {', '.join(evidence.dns_answers)}{resolver}")
    if evidence.tls_issuer:
        inspector = f" ({evidence.tls_inspector})" if evidence.tls_inspector else ""
        parts.append(f"TLS issuer {evidence.tls_issuer}{inspector}")
    if evidence.http_status is not None:
        parts.append(f"HTTP {evidence.http_status}")
    if evidence.block_page:
        parts.append(f"block page of {evidence.block_page}")
    return "; ".join(parts) + f": {' '.join(evidence.detail.split())}"


def hours_side(rules: RulesView) -> str:
    """Which side of hours the firewall enforces the audit verified, when, and from when the other side can be checked.

    "" when the network is not meant to enforce hours; a sentence saying neither side was seen when the
    profile was not probed.
    """
    if rules.hours_enforced_by is not Enforcement.FIREWALL or rules.hours == ("any time",):
        return ""
    if rules.seen_in_hours is None:
        return "not probed: neither side of these hours was verified"
    side, other = ("open", "closed") if rules.seen_in_hours else ("closed", "open")
    where = "inside" if rules.seen_in_hours else "outside"
    text = f"audited {rules.seen_at}, {where} these hours: the {side} side was verified"
    if rules.other_side_at:
        text += f"; the {other} side can be checked from {rules.other_side_at}"
    return text


def untested_reason(group: Untested) -> str:
    """Why a group of checks could not be tested, in one line."""
    if group.control:
        return f"the route's control {group.control.url} failed ({group.status}: {group.reason})"
    return f"{group.status}: {group.reason}" if group.status else group.reason


def checks_text(group: Untested) -> str:
    """The checks of an untested group: listed when few, counted when many."""
    checks = [f"{platform} {capability}" for platform, capability in group.checks]
    return f"{len(checks)} checks" if len(checks) > 3 else ", ".join(checks)


def route_words(via: str) -> str:
    """`directly`, or `through http://proxy:3128`."""
    return "directly" if via == "direct" else f"through {via}"


def environment_rows(view: AuditView) -> list[tuple[str, str]]:
    """The audit environment for the appendix: where, with which settings (proxy masked), which versions, when."""
    return [
        ("host", view.host),
        ("site", view.site),
        *view.environment,
        ("netaudit", view.version),
        ("catalog", view.catalog_version),
        ("started", view.started_at),
        ("finished", view.finished_at),
    ]

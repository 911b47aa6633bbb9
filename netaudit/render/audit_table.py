"""The audit as terminal text, laid out from the view: the review's three questions in order, then readiness."""

from __future__ import annotations

import re
from collections.abc import Callable

from tabulate import tabulate

from netaudit.model import AuditRun, FindingKind, ProbePath
from netaudit.render.view import SEVERITY, AuditView, FindingView, build_view
from netaudit.render.wording import checks_text, hours_side, seen, untested_reason

_SUMMARY = (FindingKind.OK, *[kind for kind in SEVERITY if kind is not FindingKind.OK])
_ANSI = {
    FindingKind.OK.value: "32",
    FindingKind.GAP.value: "1;31",
    FindingKind.LEAK.value: "1;35",
    FindingKind.DEGRADED.value: "33",
    FindingKind.INSPECTED.value: "36",
    FindingKind.UNKNOWN.value: "2",
    "ready": "32",
    "NOT READY": "1;31",
    "READY": "1;32",
    "THIS AUDIT COULD NOT RUN": "1;31",
}
"""ANSI colours of the words that carry a verdict: finding kinds, readiness, a failed control."""

Paint = Callable[[str], str]
_CONTROL = re.compile(r"\x1b(?!\[[0-9;]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]")
_ANY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain(word: str) -> str:
    return word


def _paint(word: str) -> str:
    """A finding kind or a verdict in its terminal colour."""
    code = _ANSI.get(word)
    return f"\033[{code}m{word}\033[0m" if code else word


def render_audit(run: AuditRun, *, colour: bool = False) -> str:
    """Who has access, what the network does about it, which rules are written down, and readiness.

    With `colour` (the CLI decides: a terminal, and NO_COLOR unset) finding kinds and verdicts are coloured.
    """
    view = build_view(run)
    paint = _paint if colour else _plain
    sections = [_heading(view, paint), _who(view), _network(view, paint), _rules(view), _readiness(view, paint)]
    text = "\n\n".join(section.rstrip("\n") for section in sections) + "\n"
    # A title or detail from the network must not drive the terminal: only our own colour codes stay.
    return _CONTROL.sub("", text) if colour else _ANY_CONTROL.sub("", text)


def _heading(view: AuditView, paint: Paint) -> str:
    environment = dict(view.environment)
    where = f" on {view.host}" if view.host else ""
    where += f" (site {view.site})" if view.site else ""
    catalog = f"; catalog {view.catalog_version}" if view.catalog_version else ""
    heading = (
        f"netaudit {view.version} - social media readiness of {view.organization.name}\n"
        f"audited {view.started_at} to {view.finished_at}{where}; proxy: {environment.get('proxy', '?')}; "
        f"resolver: {environment.get('resolver', '?')}{catalog}"
    )
    for cut in view.cut_off:
        how = "directly" if cut.via == "direct" else f"through {cut.via}"
        heading += (
            f"\n{paint('THIS AUDIT COULD NOT RUN')} for {', '.join(cut.profiles)}: "
            f"this vantage point cannot reach the internet {how} "
            f"(control {cut.control.url}: {cut.control.status}, {cut.control.detail}); "
            "what failed the same way is unknown, not a gap"
        )
    return heading


def _who(view: AuditView) -> str:
    rows = []
    for profile, levels in zip(view.profiles, view.intended.cells, strict=True):
        route = profile.route
        via = "not probed" if route.problem else route.via + (f" as {route.identity}" if route.identity else "")
        via += " (control failed)" if route.control_failed else ""
        rows.append([profile.name, ", ".join(profile.members) or "-", via, *[level.value for level in levels]])
    headers = ["profile", "members", "probed via", *[platform.id for platform in view.platforms]]
    return f"1. Who will have access to the sites?\n\n{tabulate(rows, headers=headers, tablefmt='simple')}"


def _network(view: AuditView, paint: Paint) -> str:
    summary = ", ".join(f"{view.count(kind)} {kind}" for kind in _SUMMARY if view.count(kind))
    text = f"2. Are there firewalls that would prevent access?\n\n{view.total} checks: {summary or 'none'}"
    if view.profiles and view.platforms:
        rows = [
            [name, *[paint(kind.value) if kind else "-" for kind in cells]]
            for name, cells in zip(view.measured.rows, view.measured.cells, strict=True)
        ]
        headers = ["measured", *[platform.id for platform in view.platforms]]
        text += "\n\n" + tabulate(rows, headers=headers, tablefmt="simple")
    if view.attention:
        rows = [
            [
                paint(f.kind.value),
                f.finding.profile,
                f.finding.platform,
                f.finding.capability.value + ("" if f.finding.path is ProbePath.TCP else f" ({f.finding.path})"),
                f.expectation,
                f.finding.observed,
            ]
            for f in view.attention
        ]
        text += "\n\n" + tabulate(
            rows, headers=["finding", "profile", "platform", "capability", "expected", "observed"]
        )
        text += "\n\nEvidence, and what the firewall and proxy team can do:\n" + "\n".join(
            _detail(finding) for finding in view.attention
        )
    untested = _untested(view)
    if untested:
        text += "\n\nCould not be tested:\n" + "\n".join(untested)
    if not view.attention and not untested:
        text += "\nThe network does what every profile says."
    return text


def _detail(view: FindingView) -> str:
    finding = view.finding
    lines = [f"- [{finding.id}] {finding.finding}: {finding.remediation or _unremedied(view)}"]
    if view.evidence:
        lines.append(f"    seen: {seen(view.evidence[0])}")
    return "\n".join(lines)


def _unremedied(view: FindingView) -> str:
    if view.kind is FindingKind.INSPECTED:
        return "works through TLS inspection; apps that pin certificates may fail"
    return view.finding.detail


def _untested(view: AuditView) -> list[str]:
    """One line per profile and reason, not one row per check."""
    lines = [f"- {group.profile} ({checks_text(group)}): {untested_reason(group)}" for group in view.untested]
    for platform, capabilities in view.missing_capabilities:
        lines.append(f"- {platform}: no endpoint for {', '.join(capabilities)}")
    return lines


def _rules(view: AuditView) -> str:
    owner = view.organization.owner or "NOT NAMED"
    lines = [f"3. What are the rules about time spent and content posted?\n\nOwner of social media: {owner}"]
    for profile in view.profiles:
        rules = profile.rules
        enforced = f", enforced by {rules.hours_enforced_by}" if rules.hours_enforced_by else ""
        side = hours_side(rules)
        lines.append(f"\n{profile.name}: {profile.description}")
        lines.append(f"  hours:   {'; '.join(rules.hours)}{enforced}")
        if side:
            lines.append(f"           {side}")
        lines.append(f"  posting: {rules.posting or '-'}")
        lines.append(f"  content: {rules.content or '-'}")
        if rules.missing:
            lines.append(f"  MISSING: {', '.join(rules.missing)}")
    return "\n".join(lines)


def _readiness(view: AuditView, paint: Paint) -> str:
    rows = [
        [p.name, paint("ready" if p.readiness.ready else "NOT READY"), "; ".join(p.readiness.reasons) or "-"]
        for p in view.profiles
    ]
    overall = "READY" if view.readiness.ready else "NOT READY"
    text = f"Readiness: {paint(overall)}\n\n" + tabulate(rows, headers=["profile", "verdict", "why"], tablefmt="simple")
    if view.actions:
        text += "\n\nWhat to do first:\n" + "\n".join(
            f"{number}. {action.who}: {action.what}" for number, action in enumerate(view.actions, 1)
        )
    return text

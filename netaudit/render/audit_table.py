"""The audit as terminal text, laid out from the view: the review's three questions in order, then readiness."""

from __future__ import annotations

from tabulate import tabulate

from netaudit.model import AuditRun, FindingKind, ProbePath
from netaudit.render.evidence import Evidence
from netaudit.render.view import SEVERITY, AuditView, FindingView, build_view

_SUMMARY = (FindingKind.OK, *[kind for kind in SEVERITY if kind is not FindingKind.OK])


def render_audit(run: AuditRun) -> str:
    """Who has access, what the network does about it, which rules are written down, and readiness."""
    view = build_view(run)
    sections = [_heading(view), _who(view), _network(view), _rules(view), _readiness(view)]
    return "\n\n".join(section.rstrip("\n") for section in sections) + "\n"


def _heading(view: AuditView) -> str:
    environment = dict(view.environment)
    where = f" on {view.host}" if view.host else ""
    where += f" (site {view.site})" if view.site else ""
    catalog = f"; catalog {view.catalog_version}" if view.catalog_version else ""
    heading = (
        f"netaudit {view.version} - social media readiness of {view.organization.name}\n"
        f"audited {view.started_at} to {view.finished_at}{where}; proxy: {environment.get('proxy', '?')}; "
        f"resolver: {environment.get('resolver', '?')}{catalog}"
    )
    for route in view.control_failures:
        assert route.control is not None
        how = "directly" if route.via == "direct" else f"through {route.via}"
        heading += (
            f"\nTHIS AUDIT COULD NOT RUN for {route.profile}: this vantage point cannot reach the internet {how} "
            f"(control {route.control.url}: {route.control.status}, {route.control.detail}); "
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


def _network(view: AuditView) -> str:
    summary = ", ".join(f"{view.count(kind)} {kind}" for kind in _SUMMARY if view.count(kind))
    text = f"2. Are there firewalls that would prevent access?\n\n{view.total} checks: {summary or 'none'}"
    if view.profiles and view.platforms:
        rows = [
            [name, *[kind.value if kind else "-" for kind in cells]]
            for name, cells in zip(view.measured.rows, view.measured.cells, strict=True)
        ]
        headers = ["measured", *[platform.id for platform in view.platforms]]
        text += "\n\n" + tabulate(rows, headers=headers, tablefmt="simple")
    if view.attention:
        rows = [
            [
                f.kind.value,
                f.finding.profile,
                f.finding.platform,
                f.finding.capability.value + ("" if f.finding.path is ProbePath.TCP else f" ({f.finding.path})"),
                f.finding.expected.value,
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
        lines.append(f"    seen: {_evidence(view.evidence[0])}")
    return "\n".join(lines)


def _unremedied(view: FindingView) -> str:
    if view.kind is FindingKind.INSPECTED:
        return "works through TLS inspection; apps that pin certificates may fail"
    return view.finding.detail


def _evidence(evidence: Evidence) -> str:
    """One result in one line: endpoint, status and layer, the way it went, then what was seen."""
    via = f"via {evidence.proxy}" if evidence.proxy else "direct"
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


def _untested(view: AuditView) -> list[str]:
    """One line per profile and reason, not one row per check."""
    lines = []
    for group in view.untested:
        checks = [f"{platform} {capability}" for platform, capability in group.checks]
        what = f"{len(checks)} checks" if len(checks) > 3 else ", ".join(checks)
        if group.control:
            reason = f"the route's control {group.control.url} failed ({group.status}: {group.reason})"
        else:
            reason = f"{group.status}: {group.reason}" if group.status else group.reason
        lines.append(f"- {group.profile} ({what}): {reason}")
    for platform, capabilities in view.missing_capabilities:
        lines.append(f"- {platform}: no endpoint for {', '.join(capabilities)}")
    return lines


def _rules(view: AuditView) -> str:
    owner = view.organization.owner or "NOT NAMED"
    lines = [f"3. What are the rules about time spent and content posted?\n\nOwner of social media: {owner}"]
    for profile in view.profiles:
        rules = profile.rules
        enforced = f", enforced by {rules.hours_enforced_by}" if rules.hours_enforced_by else ""
        if rules.seen_in_hours is not None:
            enforced += f" (audited {'inside' if rules.seen_in_hours else 'outside'} these hours)"
        lines.append(f"\n{profile.name}: {profile.description}")
        lines.append(f"  hours:   {'; '.join(rules.hours)}{enforced}")
        lines.append(f"  posting: {rules.posting or '-'}")
        lines.append(f"  content: {rules.content or '-'}")
        if rules.missing:
            lines.append(f"  MISSING: {', '.join(rules.missing)}")
    return "\n".join(lines)


def _readiness(view: AuditView) -> str:
    rows = [
        [p.name, "ready" if p.readiness.ready else "NOT READY", "; ".join(p.readiness.reasons) or "-"]
        for p in view.profiles
    ]
    overall = "READY" if view.readiness.ready else "NOT READY"
    return f"Readiness: {overall}\n\n" + tabulate(rows, headers=["profile", "verdict", "why"], tablefmt="simple")

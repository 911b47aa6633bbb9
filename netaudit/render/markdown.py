"""The audit as Markdown for a wiki or the review document (GitHub and Confluence), laid out from the view.

Pipe tables and plain headings only (no HTML), so it reads the same on GitHub, in Confluence's
Markdown import and as plain text. Every string from the network or a file is escaped (`md`).
"""

from __future__ import annotations

import re

from netaudit.model import AuditRun, FindingKind
from netaudit.render.view import SEVERITY, AuditView, FindingView, build_view
from netaudit.render.wording import checks_text, environment_rows, hours_side, route_words, seen, untested_reason

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_KINDS = (FindingKind.OK, *[kind for kind in SEVERITY if kind is not FindingKind.OK])


def md(text: object) -> str:
    """`text` as literal Markdown inline text: one line, punctuation escaped, `<`, `>` and `&` as entities."""
    flat = " ".join(str(text).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", flat)


def _code(text: object) -> str:
    """An identifier in code style; backticks inside are dropped (they cannot be escaped in a code span)."""
    flat = " ".join(str(text).split()).replace("`", "'")
    return f"`{flat.replace('|', '/')}`" if flat else ""


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_audit(run: AuditRun) -> str:
    """The readiness report: summary and actions, the three questions, what could not be told, the evidence."""
    view = build_view(run)
    sections = [_heading(view), _summary(view), _who(view), _network(view), _rules(view), _unknown(view)]
    sections.append(_appendix(view))
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


def _heading(view: AuditView) -> str:
    where = f" on {_code(view.host)}" if view.host else ""
    where += f", site {_code(view.site)}" if view.site else ""
    text = (
        f"# Social media readiness of {md(view.organization.name)}\n\n"
        f"netaudit {md(view.version)}, audited {md(view.started_at)} to {md(view.finished_at)}{where}."
    )
    for cut in view.cut_off:
        text += (
            f"\n\n> **This audit could not run for {md(', '.join(cut.profiles))}**: this vantage point cannot reach "
            f"the internet {md(route_words(cut.via))} (control {md(cut.control.url)}: {cut.control.status}, "
            f"{md(cut.control.detail)}); what failed the same way is unknown, not a gap."
        )
    return text


def _summary(view: AuditView) -> str:
    ready = sum(1 for profile in view.profiles if profile.readiness.ready)
    verdict = "Ready" if view.readiness.ready else "Not ready"
    text = f"## Summary\n\n**{verdict}**: {ready} of {len(view.profiles)} profiles are ready.\n\n"
    rows = [
        [
            md(p.name),
            "ready" if p.readiness.ready else "**not ready**",
            *[str(p.count(kind)) for kind in SEVERITY if kind is not FindingKind.OK],
            md("; ".join(p.readiness.reasons)),
        ]
        for p in view.profiles
    ]
    headers = ["profile", "verdict", *[kind.value for kind in SEVERITY if kind is not FindingKind.OK], "why"]
    text += table(headers, rows)
    if view.actions:
        text += "\n\n### What to do first\n\n" + "\n".join(
            f"{number}. **{md(action.who)}**: {md(action.what)}" for number, action in enumerate(view.actions, 1)
        )
    return text


def _who(view: AuditView) -> str:
    owner = md(view.organization.owner) if view.organization.owner else "**nobody is named**"
    text = f"## 1. Who will have access to the sites?\n\nOwner of social media: {owner}.\n\n"
    rows = []
    for profile, levels in zip(view.profiles, view.intended.cells, strict=True):
        route = profile.route
        via = "not probed" if route.problem else md(route.via) + (f" as {md(route.identity)}" if route.identity else "")
        via += " (control failed)" if route.control_failed else ""
        members = md(", ".join(profile.members)) if profile.members else " "
        hours = md("; ".join(profile.rules.hours))
        rows.append([md(profile.name), md(profile.description), members, hours, via, *[lv.value for lv in levels]])
    headers = ["profile", "description", "members", "hours", "probed via", *[md(p.name) for p in view.platforms]]
    text += table(headers, rows)
    return text + "\n\nAccess levels: none (must be blocked), read (read, media, sign in), post (read and post)."


def _network(view: AuditView) -> str:
    counts = ", ".join(f"{view.count(kind)} {kind}" for kind in _KINDS if view.count(kind))
    text = f"## 2. Are there firewalls that would prevent access?\n\n{view.total} checks: {counts or 'none'}.\n\n"
    rows = []
    for name, intended, measured in zip(view.measured.rows, view.intended.cells, view.measured.cells, strict=True):
        cells = [f"{level} → {_cell(kind)}" for level, kind in zip(intended, measured, strict=True)]
        rows.append([md(name), *cells])
    text += table(["intended → measured", *[md(p.name) for p in view.platforms]], rows)
    text += (
        "\n\nEach cell: the access written down, then the worst finding of its checks: ok, **gap** (should work, "
        "is blocked), **leak** (should be blocked, works), **degraded** (partly works), inspected (works through "
        "TLS inspection), unknown (could not be tested)."
    )
    if view.attention:
        rows = [
            [
                f.kind.value,
                md(f.finding.profile),
                md(f.finding.platform),
                f.finding.capability.value,
                md(f.expectation),
                md(f.finding.observed),
                md(f.who),
            ]
            for f in view.attention
        ]
        headers = ["finding", "profile", "platform", "capability", "expected", "observed", "who acts"]
        text += "\n\n### Findings that need attention\n\n" + table(headers, rows)
        text += "\n\n" + "\n\n".join(_finding(finding) for finding in view.attention)
    elif view.count(FindingKind.UNKNOWN):
        text += "\n\nNothing needs attention among what could be tested; see what could not be tested below."
    else:
        text += "\n\nThe network does what every profile says."
    return text


def _cell(kind: FindingKind | None) -> str:
    if kind is None:
        return "-"
    return f"**{kind}**" if kind in (FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED) else kind.value


def _finding(view: FindingView) -> str:
    finding = view.finding
    lines = [f"#### {view.kind}: {_code(finding.id)}", "", f"- Expected: {md(view.expectation)}"]
    lines += [f"- Seen: {md(seen(evidence))}" for evidence in view.evidence]
    if finding.remediation:
        lines.append(f"- Remediation ({md(view.who)}): {md(finding.remediation)}")
    elif view.kind is FindingKind.INSPECTED:
        lines.append(f"- Note ({md(view.who)}): works through TLS inspection; apps that pin certificates may fail")
    return "\n".join(lines)


def _rules(view: AuditView) -> str:
    text = "## 3. What are the rules about time spent and content posted?\n\n"
    rows = []
    for profile in view.profiles:
        rules = profile.rules
        rows.append(
            [
                md(profile.name),
                md("; ".join(rules.hours)),
                rules.hours_enforced_by.value if rules.hours_enforced_by else "-",
                md(hours_side(rules)) or "-",
                md(rules.posting) or "**none written**",
                md(rules.content) or "-",
                md(", ".join(rules.missing)) or "-",
            ]
        )
    headers = ["profile", "hours", "enforced by", "verified at audit time", "posting", "content", "missing"]
    text += table(headers, rows)
    lacking = [profile.name for profile in view.profiles if profile.rules.missing]
    if lacking:
        text += f"\n\nProfiles that lack a rule: {md(', '.join(lacking))}."
    return text


def _unknown(view: AuditView) -> str:
    lines = [f"- {md(g.profile)} ({md(checks_text(g))}): {md(untested_reason(g))}" for g in view.untested]
    for platform, capabilities in view.missing_capabilities:
        lines.append(f"- {md(platform)}: the catalog has no endpoint for {', '.join(capabilities)}")
    body = "\n".join(lines) if lines else "Everything was tested."
    controls = [
        [md(p.name), md(p.route.via), md(p.route.control.url), p.route.control.status.value, md(p.route.control.detail)]
        for p in view.profiles
        if p.route.control is not None
    ]
    if controls:
        body += "\n\nThe vantage point's control checks (a neutral endpoint probed on each route first):\n\n"
        body += table(["profile", "route", "control", "status", "detail"], controls)
    return f"## 4. What this audit could not tell\n\n{body}"


def _appendix(view: AuditView) -> str:
    environment = environment_rows(view)
    text = "## Appendix: evidence\n\n### The audit environment\n\n"
    text += table(["setting", "value"], [[md(key), md(value) or "-"] for key, value in environment])
    rows = []
    for observation in view.observations:
        e = observation.evidence
        rows.append(
            [
                _code(e.endpoint),
                md(", ".join(observation.profiles)),
                e.status.value,
                e.layer.value,
                md(e.proxy or "direct") + (f" as {md(e.identity)}" if e.identity else ""),
                md(", ".join(e.dns_answers)),
                md(e.tls_issuer),
                "" if e.http_status is None else str(e.http_status),
                md(e.http_title),
                md(e.block_page),
                md(e.detail),
            ]
        )
    headers = ["endpoint", "profiles", "status", "layer", "via", "DNS", "TLS issuer", "HTTP", "title", "block page"]
    text += "\n\n### Every probe result\n\n" + table([*headers, "detail"], rows)
    return text

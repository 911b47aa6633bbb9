"""The audit as terminal text: the review's three questions in order, then readiness."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tabulate import tabulate

_CAPABILITY_ORDER = {"read": 0, "media": 1, "login": 2, "post": 3}
_ATTENTION = ("gap", "leak", "degraded", "inspected", "unknown")


def render_audit(document: dict[str, Any]) -> str:
    """Who has access, what the network does about it, which rules are written down, and readiness."""
    sections = [
        _heading(document),
        _who(document),
        _network(document),
        _rules(document),
        _readiness(document),
    ]
    return "\n\n".join(section.rstrip("\n") for section in sections) + "\n"


def _heading(document: dict[str, Any]) -> str:
    organization = document["organization"]
    environment = document.get("environment", {})
    return (
        f"netaudit {document['tool']['version']} - social media readiness of {organization['name']}\n"
        f"audited {document['started_at']} to {document['finished_at']}; proxy: {environment.get('proxy', '?')}; "
        f"resolver: {environment.get('resolver', '?')}"
    )


def _who(document: dict[str, Any]) -> str:
    profiles = document["profiles"]
    platforms = list(profiles[0]["access"]) if profiles else []
    rows = [[p["name"], ", ".join(p["members"]) or "-", *[p["access"][x] for x in platforms]] for p in profiles]
    table = tabulate(rows, headers=["profile", "members", *platforms], tablefmt="simple")
    return f"1. Who will have access to the sites?\n\n{table}"


def _network(document: dict[str, Any]) -> str:
    findings = document["findings"]
    counts = Counter(finding["finding"] for finding in findings)
    summary = ", ".join(f"{counts[kind]} {kind}" for kind in ("ok", *_ATTENTION) if counts[kind])
    text = f"2. Are there firewalls that would prevent access?\n\n{len(findings)} checks: {summary or 'none'}"
    listed = sorted(
        (f for f in findings if f["finding"] not in ("ok", "unknown")),
        key=lambda f: (
            _ATTENTION.index(f["finding"]),
            f["profile"],
            f["platform"],
            _CAPABILITY_ORDER.get(f["capability"], 9),
        ),
    )
    if listed:
        rows = [
            [f["finding"], f["profile"], f["platform"], f["capability"], f["expected"], f["observed"]] for f in listed
        ]
        text += "\n\n" + tabulate(
            rows, headers=["finding", "profile", "platform", "capability", "expected", "observed"]
        )
    remedies = [f"- [{f['id']}] {f['remediation']}" for f in listed if f["remediation"]]
    if remedies:
        text += "\n\nFor the firewall and proxy team:\n" + "\n".join(remedies)
    untested = _untested(findings)
    if untested:
        text += "\n\nCould not be tested:\n" + "\n".join(untested)
    if not listed and not untested:
        text += "\nThe network does what every profile says."
    return text


def _untested(findings: list[dict[str, Any]]) -> list[str]:
    """Unknown findings grouped by profile and reason: one line each, not one row per check."""
    groups: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        if finding["finding"] == "unknown":
            reason = finding["detail"].split(": ", 1)[-1] if finding["observed"] != "untested" else finding["detail"]
            groups.setdefault((finding["profile"], reason), []).append(f"{finding['platform']} {finding['capability']}")
    lines = []
    for (profile, reason), checks in groups.items():
        what = f"{len(checks)} checks" if len(checks) > 3 else ", ".join(checks)
        lines.append(f"- {profile} ({what}): {reason}")
    return lines


def _rules(document: dict[str, Any]) -> str:
    owner = document["organization"]["owner"] or "NOT NAMED"
    lines = [f"3. What are the rules about time spent and content posted?\n\nOwner of social media: {owner}"]
    missing = {v["profile"]: v["missing_rules"] for v in document["readiness"]["profiles"]}
    for profile in document["profiles"]:
        rules = profile["rules"]
        enforced = f", enforced by {rules['hours_enforced_by']}" if rules["hours_enforced_by"] else ""
        hours = "; ".join(rules["hours_described"])
        lines.append(f"\n{profile['name']}: {profile['description']}")
        lines.append(f"  hours:   {hours}{enforced}")
        lines.append(f"  posting: {rules['posting'] or '-'}")
        lines.append(f"  content: {rules['content'] or '-'}")
        if missing.get(profile["name"]):
            lines.append(f"  MISSING: {', '.join(missing[profile['name']])}")
    return "\n".join(lines)


def _readiness(document: dict[str, Any]) -> str:
    readiness = document["readiness"]
    rows = [
        [verdict["profile"], "ready" if verdict["ready"] else "NOT READY", "; ".join(verdict["reasons"]) or "-"]
        for verdict in readiness["profiles"]
    ]
    overall = "READY" if readiness["ready"] else "NOT READY"
    return f"Readiness: {overall}\n\n" + tabulate(rows, headers=["profile", "verdict", "why"], tablefmt="simple")

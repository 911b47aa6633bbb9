"""The traffic plan (`--plan`) as a terminal table or as its versioned JSON document."""

from __future__ import annotations

import json
from typing import Any

from tabulate import tabulate

from netaudit.plan import PLAN_SCHEMA, TrafficPlan

PLAN_FORMATS = ("table", "json")


def plan_document(plan: TrafficPlan) -> dict[str, Any]:
    """The `netaudit/plan/1` document: every contact, the DNS servers, the control and the count of probes."""
    return {
        "schema": PLAN_SCHEMA,
        "probes": plan.probes,
        "control": plan.control,
        "dns_servers": list(plan.dns_servers),
        "contacts": [
            {
                "route": c.route,
                "identity": c.identity,
                "host": c.host,
                "port": c.port,
                "protocol": c.protocol,
                "method": c.method,
                "path": c.path.value,
                "for": list(c.purpose),
            }
            for c in plan.contacts
        ],
        "notes": list(plan.notes),
    }


def render_plan_json(plan: TrafficPlan) -> str:
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False) + "\n"


def render_plan_table(plan: TrafficPlan) -> str:
    """One row per contact, then the DNS servers, the control, the count and the notes."""
    rows = [
        [
            c.route,
            c.identity or "",
            c.host,
            c.port,
            c.protocol,
            c.path.value,
            c.method,
            ", ".join(c.purpose) if len(c.purpose) <= 3 else f"{', '.join(c.purpose[:3])} (+{len(c.purpose) - 3})",
        ]
        for c in plan.contacts
    ]
    table = tabulate(
        rows, headers=["route", "identity", "host", "port", "protocol", "path", "method", "for"], tablefmt="simple"
    )
    lines = [
        f"Traffic plan: {plan.probes} probes, {len(plan.contacts)} distinct contacts; nothing has been sent.",
        "",
        table,
        "",
        f"DNS servers asked: {', '.join(plan.dns_servers) or 'none (names resolved by the proxy or the hosts file)'}",
        f"Control endpoint: {plan.control or 'none'}",
    ]
    lines += [f"Note: {note}" for note in plan.notes]
    return "\n".join(lines) + "\n"


def render_plan(plan: TrafficPlan, fmt: str) -> str:
    """The plan in `fmt` (one of PLAN_FORMATS)."""
    return render_plan_json(plan) if fmt == "json" else render_plan_table(plan)

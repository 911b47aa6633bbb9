"""The audit as Prometheus text exposition, for the node_exporter textfile collector (cron) or a Pushgateway.

Gauges only, no sample timestamps (the textfile collector refuses them); every series carries `site`,
so runs from several vantage points can be told apart, and endpoint and readiness series carry the
identity they were probed as. Label values are escaped as the format requires (backslash, double
quote, newline).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from netaudit.model import AuditRun, FindingKind, ProbePath
from netaudit.render.view import build_view

Labels = tuple[tuple[str, str], ...]


def escape(value: str) -> str:
    """A label value as the exposition format writes it."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _sample(name: str, labels: Labels, value: float) -> str:
    inside = ",".join(f'{key}="{escape(text)}"' for key, text in labels)
    number = f"{value:.3f}" if isinstance(value, float) and not value.is_integer() else f"{int(value)}"
    return f"{name}{{{inside}}} {number}"


def _family(name: str, help_text: str, samples: Iterable[tuple[Labels, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    seen: set[Labels] = set()
    for labels, value in samples:
        if labels not in seen:  # one series per label set: a duplicate would make the scrape fail
            seen.add(labels)
            lines.append(_sample(name, labels, value))
    return lines


def _seconds(moment: str) -> float:
    return datetime.fromisoformat(moment).timestamp() if moment else 0.0


def render_audit(run: AuditRun) -> str:
    """Per endpoint and identity its status, per profile its findings by kind and whether it is ready."""
    view = build_view(run)
    site = ("site", view.site)
    routes = {profile.name: profile.route for profile in view.profiles}
    lines = _family(
        "netaudit_endpoint_status",
        "1 for the status each endpoint had for each identity (status label: the status vocabulary).",
        (
            (
                (
                    site,
                    ("endpoint", e.endpoint),
                    ("platform", e.platform or ""),
                    ("via", e.proxy or "direct"),
                    ("identity", e.identity or ""),
                    ("status", e.status.value),
                    ("layer", e.layer.value),
                    # A path around the policy (--bypass) is a series of its own; the ordinary path keeps its labels.
                    *((("path", e.path.value),) if e.path is not ProbePath.TCP else ()),
                ),
                1,
            )
            for observation in view.observations
            for e in (observation.evidence,)
        ),
    )
    lines += _family(
        "netaudit_findings",
        "Checks (profile, platform, capability) of each profile by finding kind.",
        (
            ((site, ("profile", profile.name), ("finding", kind.value)), profile.count(kind))
            for profile in view.profiles
            for kind in FindingKind
        ),
    )
    lines += _family(
        "netaudit_profile_ready",
        "1 when the profile is ready for the rollout (no gap, leak or degraded finding, rules written, tested).",
        (
            (
                (site, ("profile", p.name), ("identity", routes[p.name].identity or ""), ("via", routes[p.name].via)),
                int(p.readiness.ready),
            )
            for p in view.profiles
        ),
    )
    lines += _family(
        "netaudit_route_control_ok",
        "1 when the profile's route reached the control endpoint (0: its findings say nothing about the sites).",
        (
            ((site, ("profile", p.name), ("via", p.route.via)), int(not p.route.control_failed))
            for p in view.profiles
            if p.route.control is not None
        ),
    )
    lines += _family("netaudit_ready", "1 when every profile is ready.", [((site,), int(view.readiness.ready))])
    lines += _family(
        "netaudit_audit_timestamp_seconds",
        "When the audit finished, in seconds since the epoch.",
        [((site, ("host", view.host)), _seconds(view.finished_at or view.started_at))],
    )
    lines += _family(
        "netaudit_audit_duration_seconds",
        "How long the audit took.",
        [((site, ("host", view.host)), max(0.0, _seconds(view.finished_at) - _seconds(view.started_at)))],
    )
    lines += _family(
        "netaudit_info",
        "The tool and catalog versions of the audit (always 1).",
        [((site, ("version", view.version), ("catalog_version", view.catalog_version)), 1)],
    )
    return "\n".join(lines) + "\n"

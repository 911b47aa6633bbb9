"""Drift: a saved run against the site's earlier runs, and the alert that decides an unattended run's exit.

Findings are matched by their stable id (`profile.platform.capability`; endpoint ids are stable, so
a reordered catalog changes nothing) and compared with `diff.classify`. A finding is compared with
the latest earlier run that expected the same access for it: a profile whose hours the firewall
enforces is expected to reach a site at 12:30 and not at 13:15, so its open-side run is compared
with the previous open-side run, and its closed-side run with the previous closed-side run, never
one with the other. A profile an earlier run did not audit (a run with `--profile`) is no change.

`alert` words the short message a cron mail carries: what changed, for whom, since which run.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from netaudit.diff import Change, classify
from netaudit.model import AuditRun, Finding, FindingKind

__all__ = ["AlertOn", "Drift", "DriftItem", "alert", "drift"]

_NEEDS_ACTION = (FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED)


class AlertOn(enum.StrEnum):
    """When an unattended run exits 1 with a message."""

    CHANGE = "change"
    """A finding changed since the site's previous comparable run."""
    GAP = "gap"
    """The run has a gap, leak or degraded finding (every run, until it is fixed)."""
    NEVER = "never"
    """Only errors change the exit code."""


@dataclass(frozen=True)
class DriftItem:
    """One finding that moved, and the run it moved since (its start time and label)."""

    finding: Finding
    old: FindingKind
    change: Change
    since: str


@dataclass(frozen=True)
class Drift:
    """What moved in `current` since the earlier runs; `baseline` is False when there was nothing to compare."""

    items: tuple[DriftItem, ...]
    baseline: bool

    @property
    def changed(self) -> bool:
        return bool(self.items)


def drift(current: AuditRun, earlier: Sequence[tuple[str, AuditRun]]) -> Drift:
    """Compare `current` with `earlier` (label, run), oldest first: each finding with the newest run
    that holds the same check with the same expected access."""
    items = []
    for finding in current.findings:
        for label, run in reversed(earlier):
            before = _same_check(run, finding)
            if before is None:
                continue
            change = classify(before.finding, finding.finding)
            if change is not None:
                items.append(DriftItem(finding=finding, old=before.finding, change=change, since=label))
            break
    return Drift(items=tuple(items), baseline=bool(earlier))


def _same_check(run: AuditRun, finding: Finding) -> Finding | None:
    for candidate in run.findings:
        if candidate.id == finding.id and candidate.expected == finding.expected:
            return candidate
    return None


def alert(alert_on: AlertOn, run: AuditRun, found: Drift, saved: str = "") -> str | None:
    """The message a cron mail carries, or None when this run needs no one's attention."""
    where = run.site or run.host or "this vantage point"
    if alert_on is AlertOn.NEVER:
        return None
    if alert_on is AlertOn.CHANGE:
        if not found.changed:
            return None
        since = sorted({item.since for item in found.items})
        lines = [
            f"netaudit: {where}: {len(found.items)} finding{'s' if len(found.items) != 1 else ''} changed "
            f"since {', '.join(since)}:"
        ]
        for item in found.items:
            f = item.finding
            lines.append(
                f"  {f.profile} {f.platform} {f.capability}: {item.old} -> {f.finding} ({_words(item)})"
                + (f"; {f.remediation}" if f.remediation and item.change is Change.NEW else "")
            )
    else:
        acting = [f for f in run.findings if f.finding in _NEEDS_ACTION]
        if not acting:
            return None
        lines = [f"netaudit: {where}: {len(acting)} finding{'s' if len(acting) != 1 else ''} to act on:"]
        for f in acting:
            seen = f"expected {f.expected}, seen {f.observed}"
            lines.append(f"  {f.profile} {f.platform} {f.capability}: {f.finding} ({seen})")
    if saved:
        lines.append(f"Report: {saved}")
    return "\n".join(lines) + "\n"


def _words(item: DriftItem) -> str:
    if item.change is Change.NEW:
        return f"new {item.finding.finding}"
    if item.change is Change.RESOLVED:
        return f"{item.old} resolved"
    return "changed"

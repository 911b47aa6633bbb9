"""What changed between two audit runs: new and resolved gaps and leaks, other findings that changed, changed statuses.

Findings are matched by their stable id (`profile.platform.capability`), probe results by endpoint id
and the way they went (proxy, masked, and identity), so a cron job can say exactly what moved since
the last run. Pure functions over two AuditRuns: no I/O, no clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netaudit.model import AuditRun, Finding, FindingKind, ProbeResult, Status
from netaudit.secrets import mask_url

ALARMING = frozenset({FindingKind.GAP, FindingKind.LEAK})
"""The kinds a change is named after: a new gap or leak, a resolved one."""


class Change(enum.StrEnum):
    """How one finding moved between the runs."""

    NEW = "new"
    """Now a gap or a leak, and was not (or not that kind)."""
    RESOLVED = "resolved"
    """Was a gap or a leak, and is no longer one."""
    CHANGED = "changed"
    """Another change of kind (e.g. ok to degraded, unknown to ok), or a check only one run has."""


@dataclass(frozen=True)
class FindingChange:
    """One (profile, platform, capability) whose finding differs; `old` or `new` is None when only one run has it."""

    id: str
    profile: str
    platform: str
    capability: str
    change: Change
    old: FindingKind | None
    new: FindingKind | None
    detail: str = ""
    """The newer run's detail (the older one's when the check is gone)."""
    remediation: str = ""


@dataclass(frozen=True)
class StatusChange:
    """One endpoint, probed the same way in both runs, with a different status; None when only one run probed it."""

    endpoint: str
    platform: str
    via: str
    """`direct`, or the masked proxy."""
    identity: str
    profiles: tuple[str, ...]
    old: Status | None
    new: Status | None
    detail: str = ""


@dataclass(frozen=True)
class RunRef:
    """Which run: when, where and what was audited."""

    started_at: str
    host: str
    site: str
    ready: bool


@dataclass(frozen=True)
class RunDiff:
    """Two runs compared: the findings and statuses that changed, in the newer run's order."""

    old: RunRef
    new: RunRef
    findings: tuple[FindingChange, ...]
    statuses: tuple[StatusChange, ...]

    @property
    def changed(self) -> bool:
        """True when anything differs (the exit code of `netaudit diff`)."""
        return bool(self.findings or self.statuses) or self.old.ready != self.new.ready

    def of(self, change: Change, kind: FindingKind | None = None) -> tuple[FindingChange, ...]:
        """The finding changes of one sort; for new and resolved, optionally of one kind (gap or leak)."""
        return tuple(
            c
            for c in self.findings
            if c.change is change and (kind is None or (c.new if change is Change.NEW else c.old) is kind)
        )


def _ref(run: AuditRun) -> RunRef:
    return RunRef(started_at=run.started_at, host=run.host, site=run.site, ready=run.readiness.ready)


def classify(old: FindingKind | None, new: FindingKind | None) -> Change | None:
    """How a finding moved from `old` to `new` (None: it did not)."""
    if old is new:
        return None
    if new in ALARMING:
        return Change.NEW
    if old in ALARMING:
        return Change.RESOLVED
    return Change.CHANGED


def diff_runs(old: AuditRun, new: AuditRun) -> RunDiff:
    """Every finding and probe result that differs between `old` and `new`."""
    before = {finding.id: finding for finding in old.findings}
    after = {finding.id: finding for finding in new.findings}
    findings: list[FindingChange] = []
    for finding_id in [*after, *[key for key in before if key not in after]]:
        was, now = before.get(finding_id), after.get(finding_id)
        change = classify(was.finding if was else None, now.finding if now else None)
        if change is not None:
            findings.append(_finding_change(finding_id, change, was, now))
    return RunDiff(old=_ref(old), new=_ref(new), findings=tuple(findings), statuses=_status_changes(old, new))


def _finding_change(finding_id: str, change: Change, was: Finding | None, now: Finding | None) -> FindingChange:
    shown = now or was
    assert shown is not None
    return FindingChange(
        id=finding_id,
        profile=shown.profile,
        platform=shown.platform,
        capability=shown.capability.value,
        change=change,
        old=was.finding if was else None,
        new=now.finding if now else None,
        detail=shown.detail,
        remediation=now.remediation if now else "",
    )


_Key = tuple[str, str, str]


def _results(run: AuditRun) -> dict[_Key, tuple[ProbeResult, tuple[str, ...]]]:
    found: dict[_Key, tuple[ProbeResult, tuple[str, ...]]] = {}
    for result, names in zip(run.observations, run.observation_profiles, strict=True):
        via = mask_url(result.proxy) if result.proxy else "direct"
        found.setdefault((result.id, via, result.identity or ""), (result, names))
    return found


def _status_changes(old: AuditRun, new: AuditRun) -> tuple[StatusChange, ...]:
    before, after = _results(old), _results(new)
    changes = []
    for key in [*after, *[key for key in before if key not in after]]:
        was, now = before.get(key), after.get(key)
        old_status = was[0].status if was else None
        new_status = now[0].status if now else None
        if old_status is new_status:
            continue
        result, names = now or was  # type: ignore[misc] # one of them exists: the key came from one
        endpoint, via, identity = key
        changes.append(
            StatusChange(
                endpoint=endpoint,
                platform=result.platform or "",
                via=via,
                identity=identity,
                profiles=names,
                old=old_status,
                new=new_status,
                detail=result.detail,
            )
        )
    return tuple(changes)

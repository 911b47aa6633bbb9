"""`netaudit merge`: the latest runs of several sites (offices, VLANs, guest networks) as one report.

Runs are grouped by site (the run's `--site` label, else its host); each site is shown by its newest
run, and all of a site's runs together say which sides of its firewall-enforced windows were seen
(windows.py). The matrices gain a site dimension: for each profile and platform, the worst finding
at each site. The summary says, per profile, where it is ready and where not (with the reasons).

Runs that do not belong together are named, never silently mixed: different organisations,
different catalog versions, or a profile written differently at two sites each become a `Conflict`
that every form shows first. Pure functions over AuditRuns: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netaudit.model import AuditRun, FindingKind, Profile
from netaudit.render.view import worst
from netaudit.windows import SideSeen, WindowCoverage, window_coverage

__all__ = ["MERGE_SCHEMA", "Conflict", "Merged", "ProfileAcross", "SiteState", "merge_runs", "merged_document"]

MERGE_SCHEMA = "netaudit/merge/1"


@dataclass(frozen=True)
class SiteState:
    """One site: its newest run (and the file it came from), and how many of its runs were given."""

    site: str
    run: AuditRun
    source: str
    runs: int


@dataclass(frozen=True)
class ProfileAcross:
    """One profile across the sites: where it is ready, where not (with reasons), where it was not audited."""

    profile: str
    ready_at: tuple[str, ...]
    not_ready_at: tuple[tuple[str, tuple[str, ...]], ...]
    absent_at: tuple[str, ...]


@dataclass(frozen=True)
class Conflict:
    """Runs that disagree on something that must be the same to compare them: each value and its sites."""

    what: str
    values: tuple[tuple[str, tuple[str, ...]], ...]

    def describe(self) -> str:
        shown = "; ".join(f"{value or '(none)'} at {', '.join(sites)}" for value, sites in self.values)
        return f"{self.what} differs: {shown}"


@dataclass(frozen=True)
class Merged:
    """Several sites' runs as one report."""

    organization: str
    sites: tuple[SiteState, ...]
    profiles: tuple[str, ...]
    platforms: tuple[str, ...]
    cells: Mapping[tuple[str, str, str], FindingKind | None]
    """(profile, platform, site) -> the worst finding there; None where nothing was assessed."""
    readiness: tuple[ProfileAcross, ...]
    windows: tuple[tuple[str, tuple[WindowCoverage, ...]], ...]
    """Per site, each firewall-enforced window and the sides its runs have seen."""
    conflicts: tuple[Conflict, ...]

    @property
    def site_names(self) -> tuple[str, ...]:
        return tuple(state.site for state in self.sites)

    def cell(self, profile: str, platform: str, site: str) -> FindingKind | None:
        return self.cells.get((profile, platform, site))


def site_of(run: AuditRun, source: str) -> str:
    """The label a run is merged under: its site, else its host, else its file."""
    return run.site or (f"({run.host})" if run.host else f"({source})")


def merge_runs(runs: Sequence[tuple[str, AuditRun]]) -> Merged:
    """Merge (source, run) pairs: each site's newest run for the matrices, all its runs for the windows."""
    by_site: dict[str, list[tuple[str, AuditRun]]] = {}
    seen: set[tuple[str, str, str]] = set()
    for source, run in runs:
        site = site_of(run, source)
        if (site, run.host, run.started_at) in seen:  # latest.json beside the run it copies
            continue
        seen.add((site, run.host, run.started_at))
        by_site.setdefault(site, []).append((source, run))
    states = []
    for site, entries in sorted(by_site.items()):
        source, newest = max(entries, key=lambda entry: entry[1].started_at)
        states.append(SiteState(site=site, run=newest, source=source, runs=len(entries)))
    every_run = [run for entries in by_site.values() for _, run in entries]
    profiles = _ordered(name for run in every_run for name in run.policy.profiles)
    platforms = _ordered(f.platform for run in every_run for f in run.findings)
    # A site's newest run may be one of a window's runs (--profile staff): each profile is shown by
    # the newest of the site's runs that audited it.
    latest = {
        (site, profile): found
        for site, entries in by_site.items()
        for profile in profiles
        if (found := _newest_with(entries, profile)) is not None
    }
    cells: dict[tuple[str, str, str], FindingKind | None] = {}
    for (site, profile), run in latest.items():
        for platform in platforms:
            kinds = [f.finding for f in run.findings if f.profile == profile and f.platform == platform]
            cells[(profile, platform, site)] = worst(kinds)
    return Merged(
        organization=_organization(states),
        sites=tuple(states),
        profiles=profiles,
        platforms=platforms,
        cells=cells,
        readiness=tuple(_across(profile, [s.site for s in states], latest) for profile in profiles),
        windows=tuple(
            (site, tuple(window_coverage([run for _, run in by_site[site]]))) for site in sorted(by_site)
        ),
        conflicts=_conflicts(states),
    )


def _ordered(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _organization(states: Sequence[SiteState]) -> str:
    names = _ordered(state.run.policy.organization.name for state in states)
    return names[0] if len(names) == 1 else " / ".join(names)


def _newest_with(entries: Sequence[tuple[str, AuditRun]], profile: str) -> AuditRun | None:
    having = [run for _, run in entries if any(p.profile == profile for p in run.readiness.profiles)]
    return max(having, key=lambda run: run.started_at, default=None)


def _across(profile: str, sites: Sequence[str], latest: Mapping[tuple[str, str], AuditRun]) -> ProfileAcross:
    ready, not_ready, absent = [], [], []
    for site in sites:
        run = latest.get((site, profile))
        verdict = next((p for p in run.readiness.profiles if p.profile == profile), None) if run else None
        if verdict is None:
            absent.append(site)
        elif verdict.ready:
            ready.append(site)
        else:
            reasons = verdict.reasons or tuple(f"missing rule: {rule}" for rule in verdict.missing_rules)
            not_ready.append((site, tuple(reasons)))
    return ProfileAcross(profile, tuple(ready), tuple(not_ready), tuple(absent))


def _conflicts(states: Sequence[SiteState]) -> tuple[Conflict, ...]:
    found = []
    checks: list[tuple[str, Any]] = [
        ("organisation", lambda run, _name: run.policy.organization.name),
        ("organisation timezone", lambda run, _name: run.policy.organization.timezone),
        ("catalog version", lambda run, _name: run.catalog_version),
    ]
    for what, value_of in checks:
        conflict = _disagreement(what, {state.site: value_of(state.run, "") for state in states})
        if conflict:
            found.append(conflict)
    for profile in _ordered(name for state in states for name in state.run.policy.profiles):
        written = {
            state.site: _fingerprint(state.run.policy.profiles[profile])
            for state in states
            if profile in state.run.policy.profiles
        }
        conflict = _disagreement(f"profile {profile} as written (access or rules)", written)
        if conflict:
            found.append(conflict)
    return tuple(found)


def _disagreement(what: str, values: Mapping[str, str]) -> Conflict | None:
    grouped: dict[str, list[str]] = {}
    for site, value in values.items():
        grouped.setdefault(value, []).append(site)
    if len(grouped) < 2:
        return None
    return Conflict(what, tuple((value, tuple(sites)) for value, sites in grouped.items()))


def _fingerprint(profile: Profile) -> str:
    """A short digest of what a profile says (access, default, rules), to tell two versions apart."""
    rules = profile.rules
    said = {
        "access": {platform: level.value for platform, level in sorted(profile.access.items())},
        "default": profile.default.value,
        "hours": list(rules.hours_text),
        "enforced_by": rules.hours_enforced_by.value if rules.hours_enforced_by else None,
        "posting": rules.posting,
        "content": rules.content,
    }
    return "version " + hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()[:8]


def merged_document(merged: Merged) -> dict[str, Any]:
    """The `netaudit/merge/1` JSON document."""
    return {
        "schema": MERGE_SCHEMA,
        "organization": merged.organization,
        "conflicts": [
            {"what": c.what, "values": [{"value": v, "sites": list(s)} for v, s in c.values]} for c in merged.conflicts
        ],
        "sites": [
            {
                "site": state.site,
                "host": state.run.host,
                "started_at": state.run.started_at,
                "catalog_version": state.run.catalog_version,
                "ready": state.run.readiness.ready,
                "source": state.source,
                "runs": state.runs,
            }
            for state in merged.sites
        ],
        "readiness": [
            {
                "profile": p.profile,
                "ready_at": list(p.ready_at),
                "not_ready_at": [{"site": site, "reasons": list(reasons)} for site, reasons in p.not_ready_at],
                "absent_at": list(p.absent_at),
            }
            for p in merged.readiness
        ],
        "findings": [
            {"profile": profile, "platform": platform, "site": site, "worst": kind.value if kind else None}
            for (profile, platform, site), kind in merged.cells.items()
        ],
        "windows": [
            {
                "site": site,
                "profile": w.profile,
                "window": w.window,
                "timezone": w.timezone,
                "open": _side_document(w.open),
                "closed": _side_document(w.closed),
            }
            for site, coverage in merged.windows
            for w in coverage
        ],
    }


def _side_document(seen: SideSeen | None) -> dict[str, Any] | None:
    if seen is None:
        return None
    return {"at": seen.at.isoformat(), "site": seen.site, "held": seen.held, "problems": list(seen.problems)}

"""Run an audit: probe the catalog once per identity (the profiles' proxy users and routes), then assess.

Each profile is probed as the identity it stands for, because a proxy decides by user: the
communications team and the staff see different networks. Profiles that share an identity share
its probes, so every (identity, endpoint) pair is probed exactly once. Each identity also probes a
control endpoint that no social-media policy blocks, so that a vantage point that cannot reach the
internet at all is reported as such instead of as a list of gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from netaudit import __version__
from netaudit.assess import assess, readiness
from netaudit.catalog import Catalog
from netaudit.errors import InputError
from netaudit.identity import Identity, IdentityKey, PasswordSource, identity_for
from netaudit.jobs import Job, Probes
from netaudit.model import AuditRun, Finding, PolicySet, ProbeResult, Profile, ProfileRoute, Readiness, Target
from netaudit.net.config import NetConfig
from netaudit.runner import run_jobs

if TYPE_CHECKING:
    from netaudit.bypass.run import BypassSettings

ProberFactory = Callable[[NetConfig], Probes]

CONTROL_ID = "control"
DEFAULT_CONTROL_URL = "https://www.gstatic.com/generate_204"
"""The connectivity check Android and Chrome use: no social platform, and blocking it breaks far more than
social media. `--control URL` names another (an intranet page, a vendor's status page) where it is blocked."""


def control_target(url: str) -> Target:
    """The control endpoint probed on every route before anything is blamed on the network."""
    return Target(id=CONTROL_ID, url=url)


def select_profiles(policy: PolicySet, names: Sequence[str]) -> list[Profile]:
    """The profiles named (all when none are), in the file's order."""
    if not names:
        return list(policy.profiles.values())
    unknown = [name for name in names if name not in policy.profiles]
    if unknown:
        known = ", ".join(policy.profiles)
        raise InputError(f"unknown profile '{unknown[0]}' (known: {known})")
    return [profile for name, profile in policy.profiles.items() if name in names]


@dataclass(frozen=True)
class AuditPlan:
    """What an audit will do: the profiles chosen, who each is on the network, and every probe to make."""

    policy: PolicySet
    catalog: Catalog
    base: NetConfig
    identities: dict[str, Identity]
    probers: dict[IdentityKey, Probes]
    targets: list[Target]
    control: Target | None = None
    bypass: BypassSettings | None = None
    """With --bypass: the paths around the policy to try after the ordinary probes (bypass/run.py)."""

    @property
    def jobs(self) -> list[Job]:
        """One job per (identity, endpoint), each identity's control first: profiles sharing an identity
        share its probes."""
        first = [self.control] if self.control is not None else []
        return [Job((key, t.id), prober, t) for key, prober in self.probers.items() for t in [*first, *self.targets]]


def plan_audit(
    policy: PolicySet,
    catalog: Catalog,
    base: NetConfig,
    make_prober: ProberFactory,
    *,
    profile_names: Sequence[str] = (),
    passwords: PasswordSource,
    control: Target | None = None,
    bypass: BypassSettings | None = None,
) -> AuditPlan:
    """Choose the profiles, work out each one's identity, and make one prober per distinct identity."""
    profiles = select_profiles(policy, profile_names)
    identities = {profile.name: identity_for(profile, base, passwords) for profile in profiles}
    probers: dict[IdentityKey, Probes] = {}
    for identity in identities.values():
        if identity.config is not None and identity.key not in probers:
            probers[identity.key] = make_prober(identity.config)
    selected = PolicySet(
        organization=policy.organization,
        profiles={profile.name: profile for profile in profiles},
        sources=policy.sources,
    )
    targets = [Target.from_endpoint(endpoint) for endpoint in catalog.endpoints()]
    return AuditPlan(selected, catalog, base, identities, probers, targets, control, bypass)


def run_audit(
    plan: AuditPlan,
    *,
    concurrency: int = 32,
    on_result: Callable[[ProbeResult], None] | None = None,
    host: str = "",
    site: str = "",
) -> AuditRun:
    """Make every probe of the plan, then hold the results against the profiles."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    results: dict[Hashable, dict[str, ProbeResult]] = {key: {} for key in plan.probers}
    for job_key, result in run_jobs(plan.jobs, concurrency):
        if on_result:
            on_result(result)
        assert isinstance(job_key, tuple)
        results[job_key[0]][job_key[1]] = result
    identities = plan.identities
    controls = {key: found.pop(CONTROL_ID) for key, found in results.items() if CONTROL_ID in found}
    observed = {name: results[identity.key] for name, identity in identities.items() if identity.config}
    unavailable = {name: identity.problem for name, identity in identities.items() if identity.problem}
    failed_controls = {
        name: controls[identity.key]
        for name, identity in identities.items()
        if identity.key in controls and not controls[identity.key].status.works
    }
    findings, verdict = assess(plan.policy, plan.catalog, observed, unavailable, failed_controls)
    bypassed: dict[IdentityKey, list[ProbeResult]] = {}
    if plan.bypass is not None:
        from netaudit.bypass.run import run_bypasses

        bypassed = run_bypasses(plan, results, concurrency, on_result)
    if bypassed:
        findings, verdict = _with_bypasses(plan, findings, bypassed, observed)
    observations: list[ProbeResult] = []
    users: list[tuple[str, ...]] = []
    for key in plan.probers:
        names = tuple(name for name, identity in identities.items() if identity.key == key)
        for target in plan.targets:
            observations.append(results[key][target.id])
            users.append(names)
        for result in bypassed.get(key, []):
            observations.append(result)
            users.append(names)
    routes = tuple(
        ProfileRoute(
            profile=name,
            via=identity.via,
            identity=identity.user,
            note=identity.note,
            problem=identity.problem,
            control=controls.get(identity.key),
        )
        for name, identity in identities.items()
    )
    return AuditRun(
        version=__version__,
        started_at=started_at,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        policy=plan.policy,
        environment={**plan.base.describe(), **_bypass_environment(plan)},
        observations=tuple(observations),
        observation_profiles=tuple(users),
        findings=tuple(findings),
        readiness=verdict,
        host=host,
        site=site,
        catalog_version=plan.catalog.version,
        platforms=tuple(plan.catalog.platforms.values()),
        routes=routes,
    )


def _with_bypasses(
    plan: AuditPlan,
    findings: list[Finding],
    bypassed: dict[IdentityKey, list[ProbeResult]],
    observed: dict[str, dict[str, ProbeResult]],
) -> tuple[list[Finding], Readiness]:
    """The findings with the paths around the policy added (bypass/findings.py), and readiness again."""
    from netaudit.bypass.findings import bypass_findings

    by_profile = {name: bypassed.get(identity.key, []) for name, identity in plan.identities.items()}
    merged = bypass_findings(plan.policy, findings, by_profile, observed)
    return merged, readiness(plan.policy, merged)


def _bypass_environment(plan: AuditPlan) -> dict[str, str]:
    """With --bypass, the state of the Firefox DoH canary on the first route's resolver."""
    from netaudit.bypass.run import canary
    from netaudit.probe.engine import Prober

    probers = [prober for prober in plan.probers.values() if isinstance(prober, Prober)]
    return canary(probers[0]) if plan.bypass is not None and probers else {}

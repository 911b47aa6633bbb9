"""Run an audit: probe the catalog once per identity (the profiles' proxy users and routes), then assess.

Each profile is probed as the identity it stands for, because a proxy decides by user: the
communications team and the staff see different networks. Profiles that share an identity share
its probes, so every (identity, endpoint) pair is probed exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from netaudit import __version__
from netaudit.assess import assess
from netaudit.catalog import Catalog
from netaudit.errors import InputError
from netaudit.model import AuditRun, PolicySet, ProbeResult, Profile, Target
from netaudit.net.config import NetConfig, build_netconfig
from netaudit.runner import Job, Probes, run_jobs

FALLBACK_PASSWORD_ENV = "NETAUDIT_PROXY_PASSWORD"

ProberFactory = Callable[[NetConfig], Probes]


@dataclass(frozen=True)
class Identity:
    """Who a profile is on the network: its route and proxy user, or why it cannot be probed."""

    key: Hashable
    config: NetConfig | None
    problem: str = ""


def identity_for(profile: Profile, base: NetConfig, environ: Mapping[str, str]) -> Identity:
    """The network identity a profile is audited as.

    The profile's own proxy URL replaces the route; its proxy_user (with the password from the
    variable proxy_password_env names) replaces the user. A profile with neither is audited as
    this workstation, with the command's own network options.
    """
    if not profile.proxy and not profile.proxy_user:
        return Identity(key=(base.describe()["proxy"], ""), config=base)
    password: str | None = None
    if profile.proxy_user:
        variable = profile.proxy_password_env or FALLBACK_PASSWORD_ENV
        password = environ.get(variable)
        if password is None:
            return Identity(
                key=("unset", profile.name),
                config=None,
                problem=f"set {variable} to the proxy password of user {profile.proxy_user} "
                f"to audit profile {profile.name}",
            )
    if profile.proxy:
        config = build_netconfig(
            proxy=profile.proxy,
            proxy_user=profile.proxy_user,
            proxy_password=password,
            resolver=_resolver_text(base),
            ca_bundle=str(base.ca_bundle) if base.ca_bundle else None,
            public_roots=str(base.public_roots),
            timeout=base.timeout,
            environ=environ,
        )
    else:
        config = base.with_credentials(profile.proxy_user, password)
    return Identity(key=(config.describe()["proxy"], profile.proxy_user or ""), config=config)


def _resolver_text(config: NetConfig) -> str | None:
    if config.resolver is None:
        return None
    address, port = config.resolver
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


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
    probers: dict[Hashable, Probes]
    targets: list[Target]

    @property
    def jobs(self) -> list[Job]:
        """One job per (identity, endpoint): profiles sharing an identity share its probes."""
        return [Job((key, t.id), prober, t) for key, prober in self.probers.items() for t in self.targets]


def plan_audit(
    policy: PolicySet,
    catalog: Catalog,
    base: NetConfig,
    make_prober: ProberFactory,
    *,
    profile_names: Sequence[str] = (),
    environ: Mapping[str, str],
) -> AuditPlan:
    """Choose the profiles, work out each one's identity, and make one prober per distinct identity."""
    profiles = select_profiles(policy, profile_names)
    identities = {profile.name: identity_for(profile, base, environ) for profile in profiles}
    probers: dict[Hashable, Probes] = {}
    for identity in identities.values():
        if identity.config is not None and identity.key not in probers:
            probers[identity.key] = make_prober(identity.config)
    selected = PolicySet(
        organization=policy.organization,
        profiles={profile.name: profile for profile in profiles},
        sources=policy.sources,
    )
    targets = [Target.from_endpoint(endpoint) for endpoint in catalog.endpoints()]
    return AuditPlan(selected, catalog, base, identities, probers, targets)


def run_audit(
    plan: AuditPlan, *, concurrency: int = 32, on_result: Callable[[ProbeResult], None] | None = None
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
    observed = {name: results[identity.key] for name, identity in identities.items() if identity.config}
    unavailable = {name: identity.problem for name, identity in identities.items() if identity.problem}
    findings, readiness = assess(plan.policy, plan.catalog, observed, unavailable)
    observations: list[ProbeResult] = []
    users: list[tuple[str, ...]] = []
    for key in plan.probers:
        names = tuple(name for name, identity in identities.items() if identity.key == key)
        for target in plan.targets:
            observations.append(results[key][target.id])
            users.append(names)
    return AuditRun(
        version=__version__,
        started_at=started_at,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        policy=plan.policy,
        environment=dict(plan.base.describe()),
        observations=tuple(observations),
        observation_profiles=tuple(users),
        findings=tuple(findings),
        readiness=readiness,
    )

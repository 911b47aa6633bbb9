"""What `netaudit audit` concludes: findings per (profile, platform, capability), routes and readiness."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from netaudit.model.policy import AccessLevel, PolicySet
from netaudit.model.probe import Capability, Platform, ProbePath, ProbeResult


class FindingKind(enum.StrEnum):
    """How what the network does compares with what a profile says (DESIGN.md, "Assessment")."""

    OK = "ok"
    GAP = "gap"
    LEAK = "leak"
    DEGRADED = "degraded"
    INSPECTED = "inspected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Finding:
    """Expected access against observed status for one profile, platform and capability."""

    id: str
    profile: str
    platform: str
    capability: Capability
    finding: FindingKind
    expected: AccessLevel
    observed: str
    endpoints: tuple[str, ...]
    detail: str = ""
    remediation: str = ""
    probed_at: str = ""
    path: ProbePath = ProbePath.TCP
    """The way to the site the finding is about: `tcp`, or a path around the policy (ipv6, quic, doh)."""


@dataclass(frozen=True)
class ProfileReadiness:
    """Whether one profile is ready for the rollout, and why not."""

    profile: str
    ready: bool
    counts: dict[str, int] = field(default_factory=dict, hash=False)
    missing_rules: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Readiness:
    """Overall readiness: ready when every profile is."""

    ready: bool
    profiles: tuple[ProfileReadiness, ...] = ()


@dataclass(frozen=True)
class ProfileRoute:
    """How one profile was probed: the route and identity, the route's control result, or why it was not probed.

    `via` is the route's description ("direct", a masked proxy URL, a PAC file); `identity` the proxy
    user; `control` the neutral endpoint probed the same way, so a failure of the vantage point itself is
    never blamed on the network; `problem` why the profile could not be probed at all.
    """

    profile: str
    via: str
    identity: str | None = None
    note: str = ""
    problem: str = ""
    control: ProbeResult | None = None

    @property
    def control_failed(self) -> bool:
        """True when this route could not reach even the control endpoint."""
        return self.control is not None and not self.control.status.works


@dataclass(frozen=True)
class AuditRun:
    """The outcome of `netaudit audit`: intentions, observations, findings and readiness, in one object."""

    version: str
    started_at: str
    finished_at: str
    policy: PolicySet
    environment: dict[str, str]
    observations: tuple[ProbeResult, ...]
    observation_profiles: tuple[tuple[str, ...], ...]
    findings: tuple[Finding, ...]
    readiness: Readiness
    host: str = ""
    site: str = ""
    catalog_version: str = ""
    platforms: tuple[Platform, ...] = ()
    routes: tuple[ProfileRoute, ...] = ()

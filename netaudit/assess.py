"""Hold what each profile should reach against what the network did: findings and readiness.

Pure functions over loaded data: no probing, no clock of their own (each expectation is taken
at the moment its probes ran, in the organisation's timezone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from netaudit.catalog import Catalog
from netaudit.hours import describe_hours, expected_access
from netaudit.model import (
    AccessLevel,
    Capability,
    Finding,
    FindingKind,
    Organization,
    Platform,
    PolicySet,
    ProbeResult,
    Profile,
    ProfileReadiness,
    Readiness,
    Status,
)
from netaudit.remediation import gap_remedy, leak_remedy

# Statuses that mean the network keeps the user out; the others mean the test was inconclusive
# (the site itself failing, a stalled transfer, credentials the proxy would not take).
BLOCKING = frozenset(
    {
        Status.DNS_NXDOMAIN,
        Status.DNS_SINKHOLE,
        Status.TCP_TIMEOUT,
        Status.TCP_REFUSED,
        Status.PROXY_DENIED,
        Status.PROXY_ERROR,
        Status.TLS_RESET,
        Status.TLS_UNTRUSTED,
        Status.BLOCK_PAGE,
    }
)
NOT_READY = (FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED)

Observed = Mapping[str, ProbeResult]
"""One identity's results by endpoint id."""


def blocks(result: ProbeResult) -> bool:
    """True when the result shows the network keeping the user out.

    A proxy that could not be reached at all proves nothing about the sites behind it (this
    vantage point may simply not be on that proxy's network): that is inconclusive, whereas a
    proxy that answers 502/503/504 is the path failing, and counts as blocking.
    """
    if result.status is Status.PROXY_ERROR:
        return result.http is not None and result.http.status is not None
    return result.status in BLOCKING


def site_answered(result: ProbeResult) -> bool:
    """True when the site itself answered, even with an error: the network let the request through."""
    if result.status.works:
        return True
    return result.status is Status.HTTP_ERROR and result.tls is not None and result.tls.verified_public


def required_level(capability: Capability) -> AccessLevel:
    """The access level a capability needs: posting needs `post`, everything else `read`."""
    return AccessLevel.POST if capability in (Capability.POST, Capability.MESSAGE) else AccessLevel.READ


def assess(
    policy: PolicySet,
    catalog: Catalog,
    observed: Mapping[str, Observed],
    unavailable: Mapping[str, str],
    failed_controls: Mapping[str, ProbeResult] | None = None,
) -> tuple[list[Finding], Readiness]:
    """Findings per (profile, platform, capability) and the readiness verdict.

    `observed` maps a profile name to its identity's results; `unavailable` maps a profile name
    to why it could not be probed (e.g. its password variable is unset): its findings are unknown.
    `failed_controls` maps a profile name to its route's control result when even that failed: a
    result that fails the same way says nothing about the site, so it is unknown, never a gap.
    """
    tz = ZoneInfo(policy.organization.timezone)
    controls = failed_controls or {}
    findings = [
        _Case(profile, platform, capability, observed.get(profile.name, {}), tz, controls.get(profile.name)).finding(
            unavailable.get(profile.name)
        )
        for profile in policy.profiles.values()
        for platform in catalog.platforms.values()
        for capability in Capability
        if any(endpoint.capability is capability for endpoint in platform.endpoints)
    ]
    return findings, readiness(policy, findings)


@dataclass
class _Case:
    """One (profile, platform, capability) and the results of its endpoints."""

    profile: Profile
    platform: Platform
    capability: Capability
    observed: Observed
    tz: ZoneInfo
    control: ProbeResult | None = None

    def finding(self, unavailable: str | None) -> Finding:
        ids = tuple(e.id for e in self.platform.endpoints if e.capability is self.capability)
        results = [self.observed[i] for i in ids if i in self.observed]
        configured = self.profile.access_to(self.platform.id)
        if unavailable or len(results) < len(ids):
            return self._make(ids, FindingKind.UNKNOWN, configured, "untested", unavailable or "not probed")
        when = min(datetime.fromisoformat(result.started_at) for result in results)
        level = expected_access(self.profile, self.platform.id, when, self.tz)
        works = [r for r in results if r.status.works]
        blocked = [r for r in results if blocks(r) and not self._like_control(r)]
        inconclusive = [r for r in results if not r.status.works and all(r is not b for b in blocked)]

        def make(kind: FindingKind, evidence: ProbeResult, remediation: str = "") -> Finding:
            detail = f"{evidence.id}: {evidence.detail}"
            if kind is FindingKind.UNKNOWN and self._like_control(evidence) and self.control is not None:
                detail = (
                    f"this vantage point cannot reach the internet (control {self.control.url}: "
                    f"{self.control.status}): {detail}"
                )
            return self._make(ids, kind, level, evidence.status.value, detail, remediation, when)

        if level < required_level(self.capability):
            answered = works + [r for r in inconclusive if site_answered(r)]
            if answered:
                hours = self._outside_hours(configured, level)
                name, profile = self.platform.name, self.profile.name
                remedy = leak_remedy(answered[0], profile, name, self.capability, hours)
                return make(FindingKind.LEAK, answered[0], remedy)
            if inconclusive:
                return make(FindingKind.UNKNOWN, inconclusive[0])
            return make(FindingKind.OK, (blocked or results)[0])
        if not blocked and not inconclusive:
            inspected = [r for r in works if r.status is Status.INSPECTED]
            return make(FindingKind.INSPECTED if inspected else FindingKind.OK, (inspected or works)[0])
        if not blocked:
            return make(FindingKind.UNKNOWN, inconclusive[0])
        remedy = gap_remedy(blocked[0], self.profile.name, self.platform.name, self.capability)
        if works or (self.capability is Capability.MEDIA and self._site_opens()):
            return make(FindingKind.DEGRADED, blocked[0], remedy)
        return make(FindingKind.GAP, blocked[0], remedy)

    def _make(
        self,
        ids: tuple[str, ...],
        kind: FindingKind,
        expected: AccessLevel,
        observed: str,
        detail: str,
        remediation: str = "",
        when: datetime | None = None,
    ) -> Finding:
        return Finding(
            id=f"{self.profile.name}.{self.platform.id}.{self.capability.value}",
            profile=self.profile.name,
            platform=self.platform.id,
            capability=self.capability,
            finding=kind,
            expected=expected,
            observed=observed,
            endpoints=ids,
            detail=detail,
            remediation=remediation,
            probed_at=when.isoformat() if when else "",
        )

    def _like_control(self, result: ProbeResult) -> bool:
        """True when this route's control failed the same way: the result says nothing about the site."""
        return self.control is not None and result.status is self.control.status

    def _site_opens(self) -> bool:
        reads = [e.id for e in self.platform.endpoints if e.capability is Capability.READ]
        return any(self.observed[i].status.works for i in reads if i in self.observed)

    def _outside_hours(self, configured: AccessLevel, level: AccessLevel) -> str:
        needed = required_level(self.capability)
        if configured >= needed > level:
            return f" outside its hours ({'; '.join(describe_hours(self.profile.rules, self.tz))})"
        return ""


def readiness(policy: PolicySet, findings: list[Finding]) -> Readiness:
    """Ready: no gap, leak or degraded finding, the rules say who owns it, when and what may be posted,
    and the profile could be tested at all (a profile whose every check is unknown is not ready)."""
    verdicts = []
    for profile in policy.profiles.values():
        own = [finding for finding in findings if finding.profile == profile.name]
        counts = {kind.value: sum(1 for f in own if f.finding is kind) for kind in FindingKind}
        missing = tuple(missing_rules(profile, policy.organization))
        untested = counts[FindingKind.UNKNOWN.value]
        reasons = [f"{counts[kind.value]} {kind.value}" for kind in NOT_READY if counts[kind.value]]
        reasons += [
            "no owner of social media named" if rule == "owner" else f"no {rule} rule written down" for rule in missing
        ]
        if own and untested == len(own):
            reasons.append(f"could not be tested: {own[0].detail}")
        elif untested:
            reasons.append(f"{untested} could not be tested")
        ready = not any(counts[kind.value] for kind in NOT_READY) and not missing and untested < max(1, len(own))
        verdicts.append(
            ProfileReadiness(
                profile=profile.name, ready=ready, counts=counts, missing_rules=missing, reasons=tuple(reasons)
            )
        )
    return Readiness(ready=all(verdict.ready for verdict in verdicts), profiles=tuple(verdicts))


RULE_NAMES = ("owner", "hours", "posting", "content")
"""The written rules the readiness verdict asks for, in the order missing_rules() names them."""


def missing_rules(profile: Profile, organization: Organization) -> list[str]:
    """Which written rules (of RULE_NAMES: owner, hours, posting, content) this profile lacks.

    What a profile needs depends on what it may do, so that no profile is held to a rule that
    cannot apply to it:

    - every profile needs the organisation's `owner` of social media;
    - a profile that may read (any platform, or its default, above `none`) also needs `hours`
      (when it may be used; `mon-sun 00:00-24:00` says "any time" explicitly) and `posting`
      (whether and how it may post, e.g. "Staff do not post on behalf of the company");
    - a profile that may post anywhere also needs `content` (what may be posted).

    A profile that may not use social media at all (every level `none`, e.g. guests) needs no
    hours, posting or content rule: there is nothing for them to govern.
    """
    missing: list[str] = []
    if not organization.owner.strip():
        missing.append("owner")
    level = profile.max_access
    if level >= AccessLevel.READ:
        if not profile.rules.hours:
            missing.append("hours")
        if not profile.rules.posting.strip():
            missing.append("posting")
    if level >= AccessLevel.POST and not profile.rules.content.strip():
        missing.append("content")
    return missing

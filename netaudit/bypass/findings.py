"""Findings of the paths around the policy: a bypass that reaches a platform a profile must not use is a leak.

A bypass result counts when it reached the real site (the certificate verified for the name against
public roots) while the ordinary probe of the same endpoint was kept out. For a profile that must
not reach the platform (at the moment the probe ran) that is a `leak` finding carrying the path and
a remediation for the team that owns the missing rule; for a profile that may use it, the main
finding only notes it ("reachable over quic as well").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from netaudit.bypass import needed_level
from netaudit.hours import expected_access
from netaudit.model import Finding, FindingKind, PolicySet, ProbePath, ProbeResult

_VERBS = {"read": "read", "media": "load media on", "login": "sign in to", "post": "post on", "message": "message on"}


def reached(result: ProbeResult) -> bool:
    """True when a bypass reached the real site: verified for the name against public roots."""
    return result.status.works and result.tls is not None and result.tls.verified_public


def _address(result: ProbeResult) -> str:
    if result.dns and result.dns.answers:
        first = result.dns.answers[0]
        return f"[{first}]" if ":" in first else first
    return urlsplit(result.url).hostname or ""


def remedy(result: ProbeResult, ordinary: ProbeResult, profile: str, platform: str) -> str:
    """What to close so that this path no longer reaches the site."""
    host = urlsplit(result.url).hostname or ""
    verb = _VERBS.get(result.capability.value if result.capability else "read", "use")
    should = f"profile {profile} should not {verb} {platform}"
    address = _address(result)
    match result.path:
        case ProbePath.IPV6 if ordinary.proxy:
            return (
                f"the proxy keeps {host} out ({ordinary.status}), but this workstation reaches it directly over IPv6 "
                f"at {address}:443, without the proxy; {should}: block direct IPv6 web traffic at the firewall "
                "(or at least to this site), so that every request goes through the proxy"
            )
        case ProbePath.IPV6:
            return (
                f"{host} is kept out over IPv4 ({ordinary.status}) but reachable over IPv6 at {address}:443: the IPv4 "
                f"rule that blocks it has no IPv6 twin; {should}: add the same rule for IPv6 (an ip6/inet firewall "
                "rule, the filter's IPv6 side), or do not route IPv6 from this network"
            )
        case ProbePath.DOH if ordinary.proxy:
            return (
                f"the proxy refuses {host} by its name ({ordinary.status}), but DNS-over-HTTPS gives its address "
                f"({'; '.join(result.notes)}) and the proxy lets CONNECT {address}:443 through, the site answering "
                f"for its name; {should}: make the proxy's rule cover the site's addresses too (or refuse CONNECT "
                "to bare IP addresses), and block the DoH resolvers"
            )
        case ProbePath.DOH:
            return (
                f"the resolver blocks {host} ({ordinary.status}), but DNS-over-HTTPS answers it "
                f"({'; '.join(result.notes)}) and the site is reachable at {address}; {should}: block the DoH "
                "resolvers (their addresses, or the proxy's DoH category), answer use-application-dns.net "
                "NXDOMAIN, and block the site's addresses, not only its name"
            )
        case ProbePath.QUIC:
            return (
                f"{host} is kept out over TCP ({ordinary.status}) but a QUIC handshake completes at {address} "
                f"on UDP 443; {should}: drop UDP 443 to {host} ({address}), or block QUIC at the firewall so "
                "browsers fall back to TCP"
            )
        case _:
            return f"{host} is reachable over {result.path}; {should}: close that path"


def bypass_findings(
    policy: PolicySet,
    findings: Sequence[Finding],
    bypasses: Mapping[str, Sequence[ProbeResult]],
    ordinary: Mapping[str, Mapping[str, ProbeResult]],
) -> list[Finding]:
    """The findings with bypass leaks added and bypasses of allowed platforms noted.

    `bypasses` and `ordinary` map a profile name to its identity's bypass results and ordinary results
    (by endpoint id).
    """
    tz = ZoneInfo(policy.organization.timezone)
    out = list(findings)
    index = {(f.profile, f.platform, f.capability.value): i for i, f in enumerate(out) if f.path is ProbePath.TCP}
    leaks: dict[tuple[str, str, str, ProbePath], Finding] = {}
    for name, results in bypasses.items():
        profile = policy.profiles[name]
        for result in results:
            if not reached(result) or result.platform is None or result.capability is None:
                continue
            base = ordinary.get(name, {}).get(result.id)
            if base is None or base.status.works:
                continue
            when = datetime.fromisoformat(result.started_at)
            level = expected_access(profile, result.platform, when, tz)
            cap = result.capability.value
            if level >= needed_level(result.capability):
                at = index.get((name, result.platform, cap))
                if at is not None:
                    note = f"{result.id} reachable over {result.path} as well"
                    detail = f"{out[at].detail}; {note}" if out[at].detail else note
                    out[at] = replace(out[at], detail=detail)
                continue
            key = (name, result.platform, cap, result.path)
            if key in leaks:
                leaks[key] = replace(leaks[key], endpoints=(*leaks[key].endpoints, result.id))
                continue
            leaks[key] = Finding(
                id=f"{name}.{result.platform}.{cap}.{result.path.value}",
                profile=name,
                platform=result.platform,
                capability=result.capability,
                finding=FindingKind.LEAK,
                expected=level,
                observed=result.status.value,
                endpoints=(result.id,),
                detail=f"{result.id} over {result.path}: {result.detail}",
                remediation=remedy(result, base, name, result.platform),
                probed_at=when.isoformat(),
                path=result.path,
            )
    return out + list(leaks.values())

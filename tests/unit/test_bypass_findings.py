"""Bypass results become findings: a leak with its path for a profile that must not reach the platform,
only a note for one that may, nothing for a bypass that did not reach the real site."""

from __future__ import annotations

from dataclasses import replace

from netaudit.bypass.findings import bypass_findings
from netaudit.model import (
    AccessLevel,
    Capability,
    DnsEvidence,
    Finding,
    FindingKind,
    Layer,
    Organization,
    PolicySet,
    ProbePath,
    ProbeResult,
    Profile,
    Route,
    Status,
    TlsEvidence,
)

WHEN = "2026-11-30T10:00:00+00:00"
POLICY = PolicySet(
    organization=Organization(name="Corp", owner="Comms", timezone="UTC"),
    profiles={
        "staff": Profile(name="staff", access={}, default=AccessLevel.NONE),
        "comms": Profile(name="comms", access={"site": AccessLevel.READ}),
    },
)


def _result(status: Status, path: ProbePath, *, verified: bool = True, answers: tuple[str, ...] = ()) -> ProbeResult:
    return ProbeResult(
        id="site.read.1",
        url="https://www.site.test/",
        platform="site",
        capability=Capability.READ,
        status=status,
        layer=Layer.HTTP if status.works else Layer.TCP,
        detail=f"{status} over {path}",
        route=Route.DIRECT,
        dns=DnsEvidence(name="www.site.test", resolver="192.0.2.53", answers=answers),
        tls=TlsEvidence(verified_trusted=verified, verified_public=verified) if status.works else None,
        started_at=WHEN,
        path=path,
    )


BLOCKED = _result(Status.TCP_TIMEOUT, ProbePath.TCP, answers=("198.51.100.20",))
V6 = _result(Status.REACHABLE, ProbePath.IPV6, answers=("2001:db8::20",))


def _finding(profile: str, kind: FindingKind) -> Finding:
    return Finding(
        id=f"{profile}.site.read",
        profile=profile,
        platform="site",
        capability=Capability.READ,
        finding=kind,
        expected=POLICY.profiles[profile].access_to("site"),
        observed="tcp_timeout",
        endpoints=("site.read.1",),
        detail="site.read.1: dropped",
    )


def _run(bypass: ProbeResult) -> dict[str, Finding]:
    findings = [_finding("staff", FindingKind.OK), _finding("comms", FindingKind.GAP)]
    ordinary = {name: {"site.read.1": BLOCKED} for name in POLICY.profiles}
    merged = bypass_findings(POLICY, findings, {name: [bypass] for name in POLICY.profiles}, ordinary)
    return {finding.id: finding for finding in merged}


def test_ipv6_reaching_a_forbidden_site_is_a_leak_with_its_path_and_remedy() -> None:
    found = _run(V6)
    leak = found["staff.site.read.ipv6"]
    assert (leak.finding, leak.path, leak.observed) == (FindingKind.LEAK, ProbePath.IPV6, "reachable")
    assert "no IPv6 twin" in leak.remediation and "[2001:db8::20]:443" in leak.remediation
    assert found["staff.site.read"].finding is FindingKind.OK  # the ordinary path still holds


def test_a_bypass_to_an_allowed_site_is_only_noted() -> None:
    found = _run(V6)
    assert "comms.site.read.ipv6" not in found
    assert found["comms.site.read"].finding is FindingKind.GAP
    assert found["comms.site.read"].detail.endswith("site.read.1 reachable over ipv6 as well")


def test_a_bypass_that_did_not_reach_the_real_site_is_no_finding() -> None:
    unverified = replace(V6, status=Status.INSPECTED, tls=TlsEvidence(verified_trusted=True, verified_public=False))
    assert set(_run(unverified)) == {"staff.site.read", "comms.site.read"}
    assert set(_run(replace(V6, status=Status.TCP_TIMEOUT, tls=None))) == {"staff.site.read", "comms.site.read"}


def test_quic_and_doh_remedies_say_what_to_close() -> None:
    quic = _run(replace(V6, path=ProbePath.QUIC, dns=replace(BLOCKED.dns or DnsEvidence("", ""))))
    assert "drop UDP 443 to www.site.test (198.51.100.20)" in quic["staff.site.read.quic"].remediation
    doh = _run(replace(V6, path=ProbePath.DOH, notes=("https://dns.test/q answered www.site.test with 192.0.2.9",)))
    remedy = doh["staff.site.read.doh"].remediation
    assert "use-application-dns.net" in remedy and "https://dns.test/q answered" in remedy

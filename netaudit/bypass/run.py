"""The bypass probes of one run: which to make after the ordinary probes, and the probers that make them.

For each identity and each endpoint one of its profiles must not reach, when the ordinary probe was
kept out: the IPv6 path (AAAA records alone, from this workstation itself, so also around a proxy
an app may ignore); DNS-over-HTTPS through the route, when the resolver blocked the name (direct)
or the proxy refused it (then the proxy is asked for the address instead); on any route, QUIC where
the host offers HTTP/3 (quic.py). Every
bypass result is an ordinary ProbeResult whose `path` names the way it took.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from time import monotonic
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from netaudit.bypass import advertises_h3, forbidden_targets
from netaudit.bypass.doh import DohResolver, canary_state, first_answer
from netaudit.errors import NetauditError
from netaudit.jobs import Job
from netaudit.model import DnsEvidence, Layer, ProbePath, ProbeResult, ProxySpec, Route, Status, Target
from netaudit.probe.deadline import Deadline
from netaudit.probe.dns import HostsFile
from netaudit.probe.engine import Prober
from netaudit.probe.proxy import open_tunnel
from netaudit.runner import run_jobs

if TYPE_CHECKING:
    from netaudit.audit import AuditPlan
    from netaudit.identity import IdentityKey

DNS_BLOCKS = (Status.DNS_SINKHOLE, Status.DNS_NXDOMAIN, Status.DNS_ERROR)
"""On a direct route: the resolver keeps the user out, so an address from elsewhere may go around it."""
PROXY_BLOCKS = (Status.PROXY_DENIED, Status.PROXY_ERROR)
"""Through a proxy: it refuses the name (or cannot resolve it); asked for the address, it may let it through."""


@dataclass(frozen=True)
class BypassSettings:
    """What `--bypass` tries: the DoH resolvers to ask (empty: no DoH), and whether to try QUIC and IPv6."""

    doh: tuple[DohResolver, ...] = ()
    quic: bool = True
    ipv6: bool = True


@dataclass(frozen=True)
class DohProbe:
    """Probes a target at the address a DoH resolver gives for its name, through the identity's engine."""

    prober: Prober
    resolvers: tuple[DohResolver, ...]

    def probe(self, target: Target) -> ProbeResult:
        started = monotonic()
        host = urlsplit(target.url).hostname or ""
        proxy = self._proxy(target)
        tunnel = None
        if proxy is not None:
            spec = proxy

            def tunnel(address: str, port: int, deadline: Deadline) -> socket.socket:
                return open_tunnel(spec, self.prober.proxy_addresses(spec, deadline), address, port, deadline)

        found, problems = first_answer(
            list(self.resolvers), host, self.prober.stores, self.prober.config.timeout, tunnel
        )
        if found is None:
            return ProbeResult(
                id=target.id,
                url=target.url,
                platform=target.platform,
                capability=target.capability,
                status=Status.DNS_ERROR,
                layer=Layer.DNS,
                detail=f"no DNS-over-HTTPS resolver gave an address for {host}: {'; '.join(problems)}",
                route=Route.PROXY if proxy else Route.DIRECT,
                proxy=proxy.masked() if proxy else None,
                identity=proxy.username if proxy else None,
                dns=DnsEvidence(name=host, resolver="DNS-over-HTTPS", rcode="no answer"),
                elapsed_ms=round((monotonic() - started) * 1000, 1),
                started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                path=ProbePath.DOH,
            )
        answers = HostsFile(f"{found.resolver.name}, {found.resolver.url}", {host: found.addresses}, "DoH answer")
        # Through a proxy the answer is what the proxy is asked for: CONNECT address:443, TLS naming the host.
        result = self.prober.on_path(ProbePath.DOH, answers=answers, dial=proxy is not None).probe(target)
        note = f"{found.resolver.url} answered {host} with {', '.join(found.addresses)}"
        return replace(result, notes=(*result.notes, note))

    def _proxy(self, target: Target) -> ProxySpec | None:
        try:
            return self.prober.config.proxy_for(target.url)
        except NetauditError:
            return None


def bypass_jobs(
    probers: Mapping[Hashable, Prober],
    wanted: Mapping[Hashable, Sequence[Target]],
    results: Mapping[Hashable, Mapping[str, ProbeResult]],
    settings: BypassSettings,
    alt_svc: Mapping[str, bool],
) -> list[Job]:
    """The bypass probes to make for the `wanted` targets of each prober, keyed (prober key, endpoint id, path)."""
    jobs: list[Job] = []
    for key, prober in probers.items():
        seen = results.get(key, {})
        for target in wanted.get(key, ()):
            ordinary = seen.get(target.id)
            if ordinary is None or ordinary.status.works or not target.url.startswith("https://"):
                continue  # the ordinary path already leaks (a finding of its own), or nothing to go around
            try:
                direct = prober.config.proxy_for(target.url) is None
            except NetauditError:
                continue  # the ordinary probe met the same problem (proxy_error): no route to go around
            if settings.ipv6:  # from this workstation itself: an app that ignores the proxy goes this way too
                route = None if direct else prober.config.direct()
                ipv6 = prober.on_path(ProbePath.IPV6, family="ipv6", config=route)
                jobs.append(Job((key, target.id, ProbePath.IPV6), ipv6, target))
            if settings.doh and ordinary.status in (DNS_BLOCKS if direct else PROXY_BLOCKS):
                jobs.append(Job((key, target.id, ProbePath.DOH), DohProbe(prober, settings.doh), target))
            host = urlsplit(target.url).hostname or ""
            if settings.quic and (target.h3 or alt_svc.get(host)):
                from netaudit.bypass.quic import QuicProbe  # aioquic is loaded only when a QUIC probe is made

                jobs.append(Job((key, target.id, ProbePath.QUIC), QuicProbe(prober), target))
    return jobs


def h3_advertised(results: Iterable[ProbeResult]) -> dict[str, bool]:
    """The hosts whose answers (inside TLS verified for the name) offered HTTP/3 in Alt-Svc."""
    return {
        urlsplit(result.url).hostname or "": True
        for result in results
        if result.http is not None and result.http.alt_svc and advertises_h3(result.http.alt_svc)
    }


def run_bypass_jobs(
    jobs: Sequence[Job], concurrency: int, on_result: Callable[[ProbeResult], None] | None = None
) -> dict[Hashable, list[ProbeResult]]:
    """Run bypass jobs; their results by prober key."""
    out: dict[Hashable, list[ProbeResult]] = {}
    for job_key, result in run_jobs(jobs, concurrency):
        if on_result:
            on_result(result)
        assert isinstance(job_key, tuple)
        out.setdefault(job_key[0], []).append(result)
    return out


def probe_bypasses(
    prober: Prober,
    targets: Sequence[Target],
    results: Sequence[ProbeResult],
    settings: BypassSettings,
    concurrency: int,
) -> list[ProbeResult]:
    """`netaudit probe --bypass`: the paths around every https target the ordinary probe did not reach."""
    seen = {result.id: result for result in results}
    jobs = bypass_jobs({"": prober}, {"": targets}, {"": seen}, settings, h3_advertised(results))
    return run_bypass_jobs(jobs, concurrency).get("", [])


def canary(prober: Prober) -> dict[str, str]:
    """The Firefox DoH canary's state on this route's resolver, for the run's environment."""
    return {"doh_canary": canary_state(prober.resolver, Deadline(prober.config.timeout))}


def run_bypasses(
    plan: AuditPlan,
    results: Mapping[Hashable, Mapping[str, ProbeResult]],
    concurrency: int,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> dict[IdentityKey, list[ProbeResult]]:
    """Make the bypass probes of an audit after its ordinary ones; their results by identity key."""
    assert plan.bypass is not None
    probers: dict[Hashable, Prober] = {k: prober for k, prober in plan.probers.items() if isinstance(prober, Prober)}
    profiles_of = {
        key: [plan.policy.profiles[name] for name, identity in plan.identities.items() if identity.key == key]
        for key in probers
    }
    now = datetime.now(UTC)
    timezone = plan.policy.organization.timezone
    wanted: dict[Hashable, Sequence[Target]] = {
        key: forbidden_targets(profiles, plan.targets, now, timezone) for key, profiles in profiles_of.items()
    }
    alt_svc = h3_advertised(result for found in results.values() for result in found.values())
    jobs = bypass_jobs(probers, wanted, results, plan.bypass, alt_svc)
    found = run_bypass_jobs(jobs, concurrency, on_result)
    return {key: found.get(key, []) for key in plan.probers if key in probers}

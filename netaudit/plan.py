"""The traffic plan: every host, port and protocol a run would touch, worked out before a packet is sent.

Security teams sign off what a tool does on their network before it runs. `--plan` on `probe` and
`audit` builds this plan from the same objects the run uses (targets, routes, identities, the
resolver) and prints it instead of probing. A contact is one (route, identity, host, port,
protocol, method); the endpoints that cause it are listed with it, so identical contacts appear
once. Names are shown as names: their addresses are only known once the resolver answers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from netaudit.bypass import forbidden_targets
from netaudit.bypass.doh import CANARY, DohResolver
from netaudit.errors import NetauditError
from netaudit.identity import route_of
from netaudit.model import ProbePath, ProxySpec, Target
from netaudit.probe.engine import MAX_REDIRECTS, Prober

if TYPE_CHECKING:
    from netaudit.audit import AuditPlan

PLAN_SCHEMA = "netaudit/plan/1"


@dataclass(frozen=True)
class Contact:
    """One kind of traffic: from this route and identity, to host:port over protocol, doing method."""

    route: str
    identity: str | None
    host: str
    port: int
    protocol: str
    """`udp` or `tcp` (IPv4 or IPv6, as the name resolves), `tcp/ipv6`, `udp/quic`."""
    method: str
    path: ProbePath = ProbePath.TCP
    purpose: tuple[str, ...] = ()
    """The endpoint ids (or `control`, `dns`, `proxy`) this contact is made for."""


@dataclass(frozen=True)
class TrafficPlan:
    """Everything a run would touch: the contacts, the DNS servers asked, the control, the count of probes."""

    contacts: tuple[Contact, ...]
    dns_servers: tuple[str, ...]
    control: str | None
    probes: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedRoute:
    """One identity's probes: its engine (route, resolver, trust) and its targets, its control first."""

    prober: Prober
    route: str
    identity: str | None
    targets: tuple[Target, ...]
    bypass: tuple[Target, ...] = ()
    """The targets this identity also tries the paths around the policy for (empty without --bypass)."""


@dataclass
class _Collect:
    contacts: dict[tuple[str, str | None, str, int, str, str, ProbePath], list[str]] = field(default_factory=dict)
    servers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def route_of(self, route: PlannedRoute, url: str, why: str) -> tuple[bool, ProxySpec | None]:
        """(known, proxy) for `url` on this route; a route that cannot be chosen is noted, and sends nothing."""
        try:
            return True, route.prober.config.proxy_for(url)
        except NetauditError as exc:
            self.notes.append(f"{why}: the route cannot be chosen ({exc}): the run records proxy_error, sends nothing")
            return False, None

    def add(
        self,
        route: PlannedRoute,
        host: str,
        port: int,
        protocol: str,
        method: str,
        why: str,
        path: ProbePath = ProbePath.TCP,
    ) -> None:
        key = (route.route, route.identity, host, port, protocol, method, path)
        found = self.contacts.setdefault(key, [])
        if why not in found:
            found.append(why)

    def dns(
        self, route: PlannedRoute, name: str, why: str, rdtypes: str = "A, then AAAA if no A", hosts_file: bool = True
    ) -> None:
        if _is_address(name):
            return
        hosts = route.prober.hosts
        if hosts_file and hosts is not None and hosts.lookup(name):
            return  # answered from the hosts file, no packet
        resolver = route.prober.resolver
        for server in resolver.nameservers:
            server_text = str(server)
            if server_text not in self.servers:
                self.servers.append(server_text)
            self.add(route, server_text, int(resolver.port), "udp", f"DNS {rdtypes} {name}", why)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def traffic_plan(
    routes: Sequence[PlannedRoute], control: Target | None, doh: Iterable[DohResolver] = (), canary: bool = False
) -> TrafficPlan:
    """The plan of a run over these routes (one per identity); `doh` is the DoH resolver list of --bypass,
    `canary` whether the run asks the first route's resolver for the Firefox DoH canary (--bypass)."""
    collect = _Collect()
    probes = 0
    doh_servers = tuple(doh)
    if canary and routes:
        collect.dns(routes[0], CANARY, "doh canary", hosts_file=False)
    for route in routes:
        for target in route.targets:
            probes += 1
            _ordinary(collect, route, target)
        for target in route.bypass:
            probes += _bypass(collect, route, target, doh_servers)
    contacts = tuple(
        Contact(route, identity, host, port, protocol, method, path, tuple(why))
        for (route, identity, host, port, protocol, method, path), why in collect.contacts.items()
    )
    notes = [
        f"a redirect is followed to at most {MAX_REDIRECTS} further URLs, which are known only once the site "
        "answers; each is fetched the same way (its name resolved, or through the same proxy)",
        "a certificate that does not verify is fetched once more on the same path, to name its issuer",
        "contacts on tcp use the name's IPv4 addresses, else its IPv6 ones",
    ]
    notes += list(dict.fromkeys(collect.notes))
    return TrafficPlan(contacts, tuple(collect.servers), control.url if control else None, probes, tuple(notes))


def _ordinary(collect: _Collect, route: PlannedRoute, target: Target) -> None:
    parts = urlsplit(target.url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    if parts.scheme in ("tcp", "tls"):
        _chat(collect, route, target, host, port)
        return
    known, proxy = collect.route_of(route, target.url, target.id)
    if not known:
        return
    if proxy is None:
        collect.dns(route, host, target.id)
        what = f"TLS (SNI {host}), then {target.method} {target.url}" if https else f"{target.method} {target.url}"
        collect.add(route, host, port, "tcp", what, target.id)
        return
    if not _is_address(proxy.host):
        # With --resolver the proxy's name is asked there; else as the system resolves names (hosts file first).
        collect.dns(route, proxy.host, "proxy", "A, then AAAA if no A")
    what = (
        f"CONNECT {host}:{port}, then TLS and {target.method} {target.url}"
        if https
        else (f"{target.method} {target.url}")
    )
    collect.add(route, proxy.host, proxy.port, "tcp", what, target.id)


def _chat(collect: _Collect, route: PlannedRoute, target: Target, host: str, port: int) -> None:
    """A chat server's endpoint: a connection (tcp://) or a TLS handshake (tls://), no request."""
    what = "TCP connect, nothing sent" if target.url.startswith("tcp:") else f"TLS handshake (SNI {host}), no request"
    known, proxy = collect.route_of(route, f"https://{host}:{port}/", target.id)
    if not known:
        return
    if proxy is None:
        collect.dns(route, host, target.id)
        collect.add(route, host, port, "tcp", what, target.id)
        return
    if not _is_address(proxy.host):
        collect.dns(route, proxy.host, "proxy")
    collect.add(route, proxy.host, proxy.port, "tcp", f"CONNECT {host}:{port}, then {what}", target.id)


def _bypass(collect: _Collect, route: PlannedRoute, target: Target, doh: Sequence[DohResolver]) -> int:
    """The paths around the policy tried for one target; returns how many probes they may add."""
    parts = urlsplit(target.url)
    host = parts.hostname or ""
    if parts.scheme != "https" or _is_address(host):
        return 0
    port = parts.port or 443
    known, proxy = collect.route_of(route, target.url, target.id)
    if not known:
        return 0
    direct = proxy is None
    count = 0
    around = "" if direct else ", direct: without the proxy"
    collect.dns(route, host, target.id, "AAAA")
    collect.add(
        route,
        host,
        port,
        "tcp/ipv6",
        f"TLS (SNI {host}), then {target.method} {target.url}{around}",
        target.id,
        ProbePath.IPV6,
    )
    count += 1
    if doh:
        for server in doh:
            doh_port = urlsplit(server.url).port or 443
            for n, address in enumerate(server.addresses if direct else server.addresses[:1]):
                also = "" if n == 0 else ", when the address before refuses"
                what = f"DoH {server.name}: GET {server.url} for A {host} (only if the resolver blocks it{also})"
                if proxy is None:
                    collect.add(route, address, doh_port, "tcp", what, target.id, ProbePath.DOH)
                else:
                    what = f"CONNECT {address}:{doh_port}, then {what.replace('the resolver', 'the proxy')}"
                    collect.add(route, proxy.host, proxy.port, "tcp", what, target.id, ProbePath.DOH)
        at = f"TLS (SNI {host}) at the DoH answer, then {target.method} {target.url}"
        if proxy is None:
            collect.add(route, host, port, "tcp", at, target.id, ProbePath.DOH)
        else:
            collect.add(
                route,
                proxy.host,
                proxy.port,
                "tcp",
                f"CONNECT <the DoH answer>:{port}, then {at}",
                target.id,
                ProbePath.DOH,
            )
        count += 1
    if not direct:
        collect.dns(route, host, target.id)  # QUIC leaves the workstation itself: it resolves the name
    collect.add(
        route,
        host,
        port,
        "udp/quic",
        f"QUIC handshake (SNI {host}, ALPN h3) if {host} offers HTTP/3{around}",
        target.id,
        ProbePath.QUIC,
    )
    return count + 1


def probe_plan(prober: Prober, targets: Sequence[Target], bypass: bool, doh: Iterable[DohResolver]) -> TrafficPlan:
    """The plan of `netaudit probe`: one route, these targets; with --bypass every https target's paths too."""
    user = prober.config.proxy.username if prober.config.proxy else None
    tried = tuple(targets) if bypass else ()
    route = PlannedRoute(prober, route_of(prober.config), user, tuple(targets), tried)
    return traffic_plan([route], None, doh, canary=bypass)


def audit_plan(plan: AuditPlan, bypass: bool, doh: Iterable[DohResolver]) -> TrafficPlan:
    """The plan of `netaudit audit`: each identity's control and endpoints, and with --bypass the paths
    around the policy for the endpoints one of its profiles must not reach (as of now)."""
    now = datetime.now(UTC)
    routes = []
    first = [plan.control] if plan.control is not None else []
    for key, prober in plan.probers.items():
        if not isinstance(prober, Prober):
            continue
        names = [name for name, identity in plan.identities.items() if identity.key == key]
        identity = plan.identities[names[0]]
        profiles = [plan.policy.profiles[name] for name in names]
        tried = forbidden_targets(profiles, plan.targets, now, plan.policy.organization.timezone) if bypass else []
        routes.append(PlannedRoute(prober, identity.via, identity.user, (*first, *plan.targets), tuple(tried)))
    return traffic_plan(routes, plan.control, doh, canary=bypass)

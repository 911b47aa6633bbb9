"""The way to a site for one probe: resolve it (or let the proxy), connect, tunnel, and shake hands over TLS.

`Connections` holds what every probe of one identity shares (resolver, trust stores, what the run
has learnt, the proxy's addresses) and turns a host and port into a connected, verified socket;
the engine (engine.py) follows the HTTP exchange on it and names the verdict. `Trace` is what one
probe has seen so far, layer by layer.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from time import monotonic
from urllib.parse import urlsplit

import dns.resolver

from netaudit.errors import NetauditError
from netaudit.model import (
    DnsEvidence,
    HttpEvidence,
    Layer,
    ProxySpec,
    Route,
    Status,
    Target,
    TlsEvidence,
)
from netaudit.net.config import NetConfig
from netaudit.probe import dns as dns_layer
from netaudit.probe import proxy as proxy_layer
from netaudit.probe import tcp as tcp_layer
from netaudit.probe import tls as tls_layer
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure, Stopwatch
from netaudit.probe.hints import Resolved, RunHints
from netaudit.probe.hub import wait_for


@dataclass
class Trace:
    """What one probe has seen so far; a failure at any layer keeps the evidence gathered before it."""

    layer: Layer = Layer.DNS
    route: Route = Route.DIRECT
    proxy: ProxySpec | None = None
    dns: DnsEvidence | None = None
    tls: TlsEvidence | None = None
    http: HttpEvidence | None = None
    redirects: list[str] = field(default_factory=list)
    private: str = ""
    notes: list[str] = field(default_factory=list)

    def reached_site(self) -> bool:
        """True when the answer came inside a TLS session verified for the name against public roots."""
        return self.tls is not None and self.tls.verified_public


class Connections:
    """The network path of one identity's probes; the engine's Prober is one (see engine.py)."""

    config: NetConfig
    family: str
    resolver: dns.resolver.Resolver
    stores: tls_layer.TrustStores
    hints: RunHints
    hosts: dns_layer.HostsFile | None
    connects: tcp_layer.ConnectLedger
    dial: bool
    _proxy_addresses: dict[str, list[str]]
    _proxy_lock: threading.Lock

    def proxy_addresses(self, spec: ProxySpec, deadline: Deadline) -> list[str]:
        """The proxy's addresses, looked up once per run: with --resolver when given (no sinkhole rule:
        proxies live at private addresses), else as the system resolves names (hosts file included)."""
        try:
            ipaddress.ip_address(spec.host)
            return [spec.host]
        except ValueError:
            pass
        with self._proxy_lock:
            known = self._proxy_addresses.get(spec.host)
        if known is not None:
            return known
        # Looked up outside the lock: the lookup waits, and in a hub the next probe to ask runs on this
        # thread (see hub.py). Two probes may both ask at first; the first answer kept is every later one's.
        try:
            if self.config.resolver is not None:
                found = dns_layer.lookup(self.resolver, spec.host, deadline)
            else:  # the system's resolver blocks: on a thread of its own, so the hub's other probes go on
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="getaddrinfo") as pool:
                    infos = wait_for(pool.submit(socket.getaddrinfo, spec.host, spec.port, type=socket.SOCK_STREAM))
                found = list(dict.fromkeys(str(info[4][0]) for info in infos))
        except (LayerFailure, OSError) as exc:
            reason = exc.detail if isinstance(exc, LayerFailure) else str(exc)
            raise LayerFailure(
                Status.PROXY_ERROR, Layer.PROXY, f"cannot resolve the proxy {spec.masked()}: {reason}"
            ) from exc
        with self._proxy_lock:
            return self._proxy_addresses.setdefault(spec.host, found)

    def prepare(self, target: Target) -> tuple[str, ...]:
        """Resolve the target's name ahead of its probe (direct route only), so the runner can order work;
        returns the addresses its connection will try (none for a proxy route or a failed lookup)."""
        try:
            if self.config.proxy_for(target.url) is not None:
                return ()
        except NetauditError:
            return ()
        host = urlsplit(target.url).hostname
        if not host:
            return ()
        try:
            return self._resolve(host, Deadline(self.config.timeout)).addresses
        except (NetauditError, OSError):
            return ()  # the probe itself meets the same problem and reports it

    def on_hanging(self, listener: Callable[[str], None]) -> None:
        """Tell `listener` each address seen hanging on connect this run (the runner starts those targets first)."""
        self.hints.on_hanging(listener)

    def hang_seconds(self) -> float:
        """How long a probe whose connection hangs lasts: its whole deadline (the runner weighs such jobs by it)."""
        return self.config.timeout

    def _direct(self, host: str, port: int, deadline: Deadline, watch: Stopwatch, trace: Trace) -> socket.socket:
        trace.layer = Layer.DNS
        started = monotonic()
        outcome = self._resolve(host, deadline)
        watch.add("dns", outcome.elapsed_ms)
        # Resolved ahead of the probe (or for an earlier one): count the lookup in this probe's time too.
        watch.ahead_ms += max(0.0, outcome.elapsed_ms - (monotonic() - started) * 1000)
        if outcome.failure is not None:
            failure = LayerFailure(outcome.failure.status, outcome.failure.layer, outcome.failure.detail)
            failure.dns = outcome.evidence
            raise failure
        trace.dns = outcome.evidence
        trace.private = outcome.private
        trace.layer = Layer.TCP
        started = monotonic()
        try:
            return tcp_layer.connect(list(outcome.addresses), port, deadline, self.hints.hanging, self.connects)
        finally:
            watch.lap("tcp", started)

    def _resolve(self, host: str, deadline: Deadline) -> Resolved:
        """The name's DNS outcome, asked once per run: definite answers are kept for every later probe."""
        known = self.hints.resolved(host)
        if known is not None:
            return known
        started = monotonic()
        try:
            answer = dns_layer.resolve(self.resolver, host, deadline, self.hosts, self.family)
        except LayerFailure as failure:
            outcome = Resolved(failure.dns, (), failure, round((monotonic() - started) * 1000, 1))
            if failure.status is Status.DNS_ERROR:
                return outcome  # a timeout or SERVFAIL may pass: the next probe asks again
            return self.hints.remember(host, outcome)
        elapsed = round((monotonic() - started) * 1000, 1)
        return self.hints.remember(host, Resolved(answer.evidence, answer.addresses, None, elapsed, answer.private))

    def _tunnel(
        self, proxy: ProxySpec, host: str, port: int, deadline: Deadline, watch: Stopwatch, trace: Trace
    ) -> socket.socket:
        trace.layer = Layer.PROXY
        trace.dns = DnsEvidence(name=host, resolver="the proxy", resolved_by_proxy=True)
        listed = self.hosts.lookup(host) if self.dial and self.hosts is not None else ()
        if listed and self.hosts is not None:
            where = f"{self.hosts.kind} ({self.hosts.path})"
            trace.dns = DnsEvidence(name=host, resolver=where, answers=listed, rcode="hosts")
        started = monotonic()
        try:
            authority = listed[0] if listed else host
            return proxy_layer.open_tunnel(proxy, self.proxy_addresses(proxy, deadline), authority, port, deadline)
        finally:
            watch.lap("proxy", started)

    def _tls(
        self,
        sock: socket.socket,
        host: str,
        port: int,
        proxy: ProxySpec | None,
        deadline: Deadline,
        watch: Stopwatch,
        trace: Trace,
    ) -> socket.socket:
        trace.layer = Layer.TLS
        started = monotonic()
        try:
            tls_sock, trace.tls = tls_layer.handshake(sock, host, self.stores, deadline)
            return tls_sock
        except LayerFailure as failure:
            if failure.status is Status.TLS_UNTRUSTED:
                trace.tls = self._peek(host, port, proxy, deadline)
                if trace.tls and trace.tls.issuer:
                    failure.detail += f" (issued by {trace.tls.issuer})"
            raise
        finally:
            watch.lap("tls", started)

    def _peek(self, host: str, port: int, proxy: ProxySpec | None, deadline: Deadline) -> TlsEvidence | None:
        # Evidence for an untrusted certificate: who issued it. Best effort, inside the same deadline.
        try:
            if proxy is None:
                sock = tcp_layer.connect(list(self._resolve(host, deadline).addresses), port, deadline)
            else:
                sock = proxy_layer.open_tunnel(proxy, self.proxy_addresses(proxy, deadline), host, port, deadline)
            return tls_layer.peek_certificate(sock, host, self.stores, deadline)
        except (LayerFailure, DeadlineExceeded, OSError):
            return None

"""Probe one target layer by layer along the path a browser would take, and name the first layer that fails."""

from __future__ import annotations

import logging
import ssl
import threading
from datetime import UTC, datetime
from time import monotonic
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import dns.resolver

from netaudit.errors import LocalResourceError, NetauditError, local_resource_error
from netaudit.model import (
    DnsEvidence,
    HttpEvidence,
    Layer,
    ProbePath,
    ProbeResult,
    ProxySpec,
    Route,
    Status,
    Target,
)
from netaudit.net.config import NetConfig
from netaudit.probe import dns as dns_layer
from netaudit.probe import proxy as proxy_layer
from netaudit.probe import tcp as tcp_layer
from netaudit.probe import tls as tls_layer
from netaudit.probe.blockpages import match_block_page, page_title
from netaudit.probe.classify import Verdict, classify_answer, site_answer
from netaudit.probe.connection import Connections, Trace
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure, Stopwatch
from netaudit.probe.hints import RunHints
from netaudit.probe.http import HttpAnswer, HttpProtocolError, build_request, read_body, read_head
from netaudit.probe.inspection import inspected_by
from netaudit.probe.proxyauth import basic_credentials
from netaudit.probe.stream import Stream, StreamClosed
from netaudit.secrets import redact

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


class Prober(Connections):
    """Probes targets with one network configuration (one identity, one route)."""

    cooperative: ClassVar[bool] = True
    """Every wait of a probe goes through hub.py, so the runner may run many on one thread."""

    def __init__(
        self,
        config: NetConfig,
        *,
        resolver: dns.resolver.Resolver | None = None,
        stores: tls_layer.TrustStores | None = None,
        proxy_addresses: dict[str, list[str]] | None = None,
        hints: RunHints | None = None,
        hosts: dns_layer.HostsFile | None = None,
        path: ProbePath = ProbePath.TCP,
        family: str = "any",
    ) -> None:
        self.config = config
        self.path = path
        """The way this prober's results are labelled with (a bypass prober says ipv6 or doh)."""
        self.family = family
        """Which addresses a name resolves to here: `any` (A, else AAAA) or `ipv6` (AAAA only)."""
        self.resolver = resolver or dns_layer.make_resolver(config.resolver)
        self.stores = stores or tls_layer.TrustStores(config.ca_bundle, config.public_roots)
        self.secrets = config.secrets()
        self._proxy_addresses = proxy_addresses if proxy_addresses is not None else {}
        self._proxy_lock = threading.Lock()
        self.hints = hints or RunHints()
        self.hosts = hosts
        self.dial = False
        """Through a proxy, CONNECT to the address `hosts` lists for a name instead of the name (see on_path)."""
        self.connects = tcp_layer.ConnectLedger()  # this identity's direct connections: drops shared per run

    def with_config(self, config: NetConfig) -> Prober:
        """A prober for another identity or route that shares this one's resolver, trust and proxy lookups."""
        return Prober(
            config,
            resolver=self.resolver,
            stores=self.stores,
            proxy_addresses=self._proxy_addresses,
            hints=self.hints,
            hosts=self.hosts,
        )

    def on_path(
        self,
        path: ProbePath,
        *,
        family: str = "any",
        answers: dns_layer.HostsFile | None = None,
        config: NetConfig | None = None,
        dial: bool = False,
    ) -> Prober:
        """A prober for a path around the policy: the same identity, resolver and trust, its own DNS outcomes.

        `family="ipv6"` resolves names to their AAAA records only; `answers` are addresses found ahead
        (a DoH answer), used instead of the resolver for the names they list; `config` another route
        (going direct where the identity uses a proxy); `dial` asks the proxy for those addresses
        instead of the names (CONNECT address:port; TLS still names the host).
        """
        prober = Prober(
            config or self.config,
            resolver=self.resolver,
            stores=self.stores,
            proxy_addresses=self._proxy_addresses,
            hints=RunHints(),
            hosts=answers if answers is not None else self.hosts,
            path=path,
            family=family,
        )
        prober.dial = dial
        return prober

    def probe(self, target: Target) -> ProbeResult:
        """Probe `target`; never raises: every failure becomes a status with a detail."""
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        deadline = Deadline(self.config.timeout)
        watch = Stopwatch()
        trace = Trace()
        try:
            status, detail = self._follow(target, deadline, watch, trace)
        except LayerFailure as failure:
            status, detail = failure.status, failure.detail
            trace.layer = failure.layer
            if failure.answer is not None:
                trace.http = failure.answer
            if failure.dns is not None:
                trace.dns = failure.dns
        except DeadlineExceeded:
            status, detail = Status.TIMEOUT, self._stalled(trace)
        except (TimeoutError, ssl.SSLError, OSError, StreamClosed, HttpProtocolError) as exc:
            local = local_resource_error(exc)
            if local is not None:
                raise local from exc  # this machine's problem, not the network's: the run cannot go on
            status, detail = self._broken(trace, exc)
        except LocalResourceError:
            raise
        except NetauditError as exc:
            status, detail = Status.PROXY_ERROR, str(exc)
            trace.layer = Layer.PROXY
        except Exception as exc:  # the engine must never raise; a bug still yields a result
            log.exception("unexpected error probing %s", target.url)
            status, detail = (
                Status.HTTP_ERROR,
                f"netaudit could not probe this endpoint ({type(exc).__name__}: {exc})",
            )
        if trace.private and not status.works and not trace.reached_site() and trace.layer is not Layer.DNS:
            # A private-use answer that does not lead to the site: the resolver's answer is what keeps the user out.
            name = trace.dns.name if trace.dns else urlsplit(target.url).hostname
            resolver = trace.dns.resolver if trace.dns else "the resolver"
            status, detail = (
                Status.DNS_SINKHOLE,
                (
                    f"{resolver} answers {name} with {trace.private}, and that address does not reach the site "
                    f"({status}: {detail})"
                ),
            )
            trace.layer = Layer.DNS
        return ProbeResult(
            id=target.id,
            url=target.url,
            platform=target.platform,
            capability=target.capability,
            status=status,
            layer=trace.layer,
            detail=redact(detail, self.secrets) or status.value,
            route=trace.route,
            proxy=trace.proxy.masked() if trace.proxy else None,
            identity=trace.proxy.username if trace.proxy else None,
            dns=trace.dns,
            tls=trace.tls,
            http=trace.http,
            timings_ms=watch.timings,
            elapsed_ms=watch.elapsed_ms(),
            started_at=started_at,
            notes=tuple(redact(note, self.secrets) for note in trace.notes),
            path=self.path,
        )

    def _follow(self, target: Target, deadline: Deadline, watch: Stopwatch, trace: Trace) -> tuple[Status, str]:
        url = target.url
        method = target.method
        if urlsplit(url).scheme in ("tcp", "tls"):
            return self._connect_only(url, deadline, watch, trace)
        for hop in range(MAX_REDIRECTS + 1):
            answer = self._fetch(url, method, deadline, watch, trace)
            text = answer.text()
            title = page_title(text)
            location = answer.headers.get("location", "")
            # Inside a TLS session verified for the name against public roots, the answer is the site's own.
            fingerprint = None if trace.reached_site() else match_block_page(answer.status, answer.headers, text, title)
            trace.http = HttpEvidence(
                status=answer.status,
                title=title,
                location=location,
                server=answer.headers.get("server", ""),
                via=answer.headers.get("via", ""),
                bytes_read=len(answer.body),
                redirects=tuple(trace.redirects),
                fingerprint=fingerprint.product if fingerprint else "",
                alt_svc=answer.headers.get("alt-svc", "") if trace.reached_site() else "",
            )
            if answer.status in _REDIRECTS and location and not fingerprint:
                if hop == MAX_REDIRECTS:
                    return Status.HTTP_ERROR, f"more than {MAX_REDIRECTS} redirects (last to {location})"
                url = urljoin(url, location)
                trace.redirects.append(url)
                method = "GET" if answer.status == 303 else method
                continue
            verdict: Verdict
            if trace.reached_site():
                verdict = site_answer(target, answer.status, title)
            else:
                verdict = classify_answer(target, answer.status, answer.headers, text, title)
            if verdict.note:
                trace.notes.append(verdict.note)
            if verdict.status is Status.REACHABLE and trace.tls and not trace.tls.verified_public:
                return Status.INSPECTED, (
                    f"{verdict.detail}, but TLS was intercepted{inspected_by(trace.tls)}: the certificate is "
                    f"issued by {trace.tls.issuer}, trusted by this workstation and not by the public roots"
                )
            return verdict.status, verdict.detail
        raise AssertionError("unreachable")

    def _connect_only(self, url: str, deadline: Deadline, watch: Stopwatch, trace: Trace) -> tuple[Status, str]:
        """A chat server's endpoint (`tcp://` or `tls://host:port`): as far as the connection or the TLS
        handshake, no request; through the proxy with CONNECT when the route uses one (as for https)."""
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or 443
        proxy = self.config.proxy_for(f"https://{parts.netloc}/")
        trace.route = Route.PROXY if proxy else Route.DIRECT
        trace.proxy = proxy
        if proxy is None:
            sock = self._direct(host, port, deadline, watch, trace)
        else:
            try:
                sock = self._tunnel(proxy, host, port, deadline, watch, trace)
            except LayerFailure as failure:
                if failure.status is Status.PROXY_DENIED and port != 443:
                    failure.detail += (
                        f" (many proxies allow CONNECT only to port 443, as Squid's default SSL_ports does: "
                        f"port {port} needs a rule of its own)"
                    )
                raise
        way = f" through the proxy {proxy.masked()}" if proxy else ""
        if parts.scheme == "tcp":
            sock.close()
            return Status.REACHABLE, f"a TCP connection to {host}:{port} opened{way} (nothing sent)"
        self._tls(sock, host, port, proxy, deadline, watch, trace).close()
        if trace.tls is not None and not trace.tls.verified_public:
            return Status.INSPECTED, (
                f"the TLS handshake with {host}:{port} completed{way}, but TLS was intercepted: the certificate is "
                f"issued by {trace.tls.issuer}, trusted by this workstation and not by the public roots"
            )
        return Status.REACHABLE, f"the TLS handshake with {host}:{port} completed{way} (no request sent)"

    def _fetch(self, url: str, method: str, deadline: Deadline, watch: Stopwatch, trace: Trace) -> HttpAnswer:
        parts = urlsplit(url)
        host = parts.hostname or ""
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        proxy = self.config.proxy_for(url)
        trace.private = ""
        trace.route = Route.PROXY if proxy else Route.DIRECT
        trace.proxy = proxy
        trace.tls = None
        stream: Stream
        if proxy is None:
            sock = self._direct(host, port, deadline, watch, trace)
        elif https:
            sock = self._tunnel(proxy, host, port, deadline, watch, trace)
        else:
            trace.layer = Layer.PROXY
            trace.dns = DnsEvidence(name=host, resolver="the proxy", resolved_by_proxy=True)
            started = monotonic()
            request = build_request(method, url, parts.netloc, basic_credentials(proxy))
            sock, stream = proxy_layer.forward_request(proxy, self.proxy_addresses(proxy, deadline), request, deadline)
            watch.lap("proxy", started)
            return self._answer(stream, method, deadline, watch, trace, proxy=proxy, what=f"GET {url}")
        if https:
            sock = self._tls(sock, host, port, proxy, deadline, watch, trace)
        trace.layer = Layer.HTTP
        stream = Stream(sock, deadline)
        try:
            stream.send(build_request(method, path, parts.netloc.rpartition("@")[2]))
        except BaseException:
            sock.close()
            raise
        return self._answer(stream, method, deadline, watch, trace)

    def _answer(
        self,
        stream: Stream,
        method: str,
        deadline: Deadline,
        watch: Stopwatch,
        trace: Trace,
        *,
        proxy: ProxySpec | None = None,
        what: str = "",
    ) -> HttpAnswer:
        trace.layer = Layer.HTTP
        started = monotonic()
        try:
            answer = read_head(stream)
            watch.lap("http", started)
            if proxy is not None:
                refusal = proxy_layer.proxy_refusal_of(answer, proxy, what, stream)
                if refusal:
                    raise refusal
            started = monotonic()
            read_body(stream, answer, method)
            watch.lap("transfer", started)
            return answer
        finally:
            stream.sock.close()

    @staticmethod
    def _stalled(trace: Trace) -> str:
        where = {
            Layer.DNS: "waiting for DNS",
            Layer.TCP: "connecting",
            Layer.PROXY: "waiting for the proxy",
            Layer.TLS: "in the TLS handshake",
            Layer.HTTP: "receiving the answer (a stalled or slow-drip transfer)",
        }.get(trace.layer, "")
        return f"the probe's deadline passed {where}".strip()

    @staticmethod
    def _broken(trace: Trace, exc: BaseException) -> tuple[Status, str]:
        if isinstance(exc, TimeoutError):
            return Status.TIMEOUT, Prober._stalled(trace)
        if isinstance(exc, ConnectionResetError):
            return Status.TCP_REFUSED, f"the connection was reset at the {trace.layer} layer"
        if isinstance(exc, StreamClosed):
            return (
                Status.HTTP_ERROR,
                f"the server closed the connection without a complete answer ({trace.layer} layer)",
            )
        return Status.HTTP_ERROR, f"the answer could not be read: {exc}"

"""QUIC (HTTP/3 over UDP 443): a handshake to a host that advertises h3, verified for the name against public roots.

An HTTP proxy never sees UDP, and a firewall rule written for TCP 443 does not match it: a browser
that is refused over TCP may still reach the site over QUIC. Firewall vendors tell admins to block
QUIC so browsers fall back to TCP (Zscaler, "Managing the QUIC protocol"; Smoothwall). The probe goes
only as far as the handshake (aioquic, ALPN h3), within the probe's deadline; a handshake that
completes with a certificate valid for the name under the public roots is the real site.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from time import monotonic
from urllib.parse import urlsplit

from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ConnectionTerminated, QuicEvent

from netaudit.model import DnsEvidence, Layer, ProbePath, ProbeResult, Route, Status, Target, TlsEvidence
from netaudit.probe import dns as dns_layer
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure
from netaudit.probe.engine import Prober


@dataclass(frozen=True)
class QuicProbe:
    """A QUIC handshake to a target's host on UDP 443, from this workstation (no proxy carries UDP)."""

    prober: Prober

    def probe(self, target: Target) -> ProbeResult:
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        started = monotonic()
        deadline = Deadline(self.prober.config.timeout)
        parts = urlsplit(target.url)
        host = parts.hostname or ""
        port = parts.port or 443  # HTTP/3 is offered on the site's own port (Alt-Svc h3=":443")
        status, layer, detail = Status.TIMEOUT, Layer.DNS, ""
        evidence: DnsEvidence | None = None
        tls: TlsEvidence | None = None
        try:
            answer = dns_layer.resolve(self.prober.resolver, host, deadline, self.prober.hosts)
            evidence = answer.evidence
            layer = Layer.TLS
            status, detail, tls = asyncio.run(self._handshake(host, answer.addresses[0], port, deadline))
        except LayerFailure as failure:
            status, layer, detail, evidence = failure.status, failure.layer, failure.detail, failure.dns or evidence
        except DeadlineExceeded:
            status, detail = Status.TIMEOUT, f"the probe's deadline passed before a QUIC handshake with {host}"
        return ProbeResult(
            id=target.id,
            url=target.url,
            platform=target.platform,
            capability=target.capability,
            status=status,
            layer=layer,
            detail=detail or status.value,
            route=Route.DIRECT,
            dns=evidence,
            tls=tls,
            elapsed_ms=round((monotonic() - started) * 1000, 1),
            started_at=started_at,
            path=ProbePath.QUIC,
        )

    async def _handshake(
        self, host: str, address: str, port: int, deadline: Deadline
    ) -> tuple[Status, str, TlsEvidence | None]:
        where = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        configuration = QuicConfiguration(
            is_client=True, alpn_protocols=["h3"], server_name=host, verify_mode=ssl.CERT_REQUIRED
        )
        configuration.load_verify_locations(cafile=str(self.prober.config.public_roots))
        configuration.idle_timeout = max(1.0, deadline.remaining())
        ended: list[ConnectionTerminated] = []

        class Recording(QuicConnectionProtocol):
            """Keeps the event that ended the connection: why a handshake failed is in its reason."""

            def quic_event_received(self, event: QuicEvent) -> None:
                if isinstance(event, ConnectionTerminated):
                    ended.append(event)
                super().quic_event_received(event)

        try:
            async with asyncio.timeout(deadline.remaining()):
                async with connect(
                    address, port, configuration=configuration, create_protocol=Recording, wait_connected=True
                ) as client:
                    peer = client._quic.tls._peer_certificate
                    tls = TlsEvidence(
                        issuer=peer.issuer.rfc4514_string() if peer else "",
                        subject=peer.subject.rfc4514_string() if peer else "",
                        verified_trusted=True,
                        verified_public=True,
                        version="QUIC (TLS 1.3)",
                    )
                    return (
                        Status.REACHABLE,
                        f"a QUIC handshake with {host} at {where} (UDP, ALPN h3) completed, the certificate "
                        "verified for the name against public roots",
                        tls,
                    )
        except TimeoutError:
            return Status.TCP_TIMEOUT, f"no QUIC answer from {where} within the deadline (UDP {port} dropped)", None
        except ConnectionError as exc:
            reason = _close_reason(ended[0] if ended else None, exc)
            if "certificate" in reason.lower() or "verif" in reason.lower():
                return Status.TLS_UNTRUSTED, f"the QUIC handshake with {host} at {where} failed: {reason}", None
            return Status.TLS_RESET, f"the QUIC handshake with {host} at {where} was cut: {reason}", None
        except OSError as exc:
            return Status.TCP_REFUSED, f"UDP {where}: {exc.strerror or exc}", None


def _close_reason(event: ConnectionTerminated | None, exc: BaseException) -> str:
    if event is not None:
        return event.reason_phrase or f"QUIC error code {event.error_code:#x}"
    return str(exc) or type(exc).__name__

"""A probe result as a reader of a report needs it: where it stopped, why, what was seen, the proxy masked."""

from __future__ import annotations

from dataclasses import dataclass

from netaudit.model import Layer, ProbePath, ProbeResult, Route, Status
from netaudit.secrets import mask_url


@dataclass(frozen=True)
class Evidence:
    """One probe result as a reader needs it: where it stopped, why, and what was seen on the way."""

    endpoint: str
    url: str
    status: Status
    layer: Layer
    detail: str
    route: Route
    platform: str | None = None
    proxy: str | None = None
    """Masked: `http://user:***@host:port`."""
    identity: str | None = None
    resolver: str = ""
    dns_answers: tuple[str, ...] = ()
    tls_issuer: str = ""
    tls_inspector: str = ""
    http_status: int | None = None
    http_title: str = ""
    """The page title as the server sent it (untrusted text: every form escapes it)."""
    block_page: str = ""
    """The product whose block page was recognised (empty when none was)."""
    notes: tuple[str, ...] = ()
    started_at: str = ""
    elapsed_ms: float = 0.0
    path: ProbePath = ProbePath.TCP
    """The way the probe took: `tcp`, or a path around the policy (ipv6, quic, doh)."""

    @classmethod
    def of(cls, result: ProbeResult) -> Evidence:
        dns, tls, http = result.dns, result.tls, result.http
        notes = (*result.notes, *((dns.note,) if dns and dns.note else ()))
        return cls(
            endpoint=result.id,
            path=result.path,
            url=result.url,
            status=result.status,
            layer=result.layer,
            detail=result.detail,
            route=result.route,
            platform=result.platform,
            proxy=mask_url(result.proxy) if result.proxy else None,
            identity=result.identity,
            resolver=dns.resolver if dns else "",
            dns_answers=dns.answers if dns else (),
            tls_issuer=tls.issuer if tls else "",
            tls_inspector=tls.inspector if tls else "",
            http_status=http.status if http else None,
            http_title=http.title if http else "",
            block_page=http.fingerprint if http else "",
            notes=notes,
            started_at=result.started_at,
            elapsed_ms=result.elapsed_ms,
        )


@dataclass(frozen=True)
class Observation:
    """One probe result of the run and the profiles whose identity made it (the evidence appendix)."""

    evidence: Evidence
    profiles: tuple[str, ...]

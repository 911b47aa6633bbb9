"""What a probe finds: the one status vocabulary, the catalog's endpoints, evidence, results, proxies."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from urllib.parse import quote


class Status(enum.StrEnum):
    """What a probe found: the one vocabulary used in JSON, tables and metrics (DESIGN.md)."""

    REACHABLE = "reachable"
    INSPECTED = "inspected"
    DNS_NXDOMAIN = "dns_nxdomain"
    DNS_SINKHOLE = "dns_sinkhole"
    DNS_ERROR = "dns_error"
    TCP_TIMEOUT = "tcp_timeout"
    TCP_REFUSED = "tcp_refused"
    PROXY_DENIED = "proxy_denied"
    PROXY_AUTH_REQUIRED = "proxy_auth_required"
    PROXY_ERROR = "proxy_error"
    TLS_RESET = "tls_reset"
    TLS_UNTRUSTED = "tls_untrusted"
    BLOCK_PAGE = "block_page"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"

    @property
    def works(self) -> bool:
        """True when the site itself answered (possibly through TLS inspection)."""
        return self in (Status.REACHABLE, Status.INSPECTED)


class Layer(enum.StrEnum):
    """Where along the path a probe stopped (or `http` when it went all the way)."""

    DNS = "dns"
    TCP = "tcp"
    PROXY = "proxy"
    TLS = "tls"
    HTTP = "http"
    DEADLINE = "deadline"


class Capability(enum.StrEnum):
    """What an endpoint stands for on its platform."""

    READ = "read"
    MEDIA = "media"
    LOGIN = "login"
    POST = "post"
    MESSAGE = "message"
    """A messenger's chat endpoint (`tcp://` or `tls://host:port`, or an https API): needs the `post` level."""


class Route(enum.StrEnum):
    """How the request travelled."""

    DIRECT = "direct"
    PROXY = "proxy"


class ProbePath(enum.StrEnum):
    """Which way to the site a probe took: the ordinary one (`tcp`: the route a browser uses), or one of
    the paths around a policy that browsers and apps also know (DESIGN.md, "Paths around the policy")."""

    TCP = "tcp"
    IPV6 = "ipv6"
    QUIC = "quic"
    DOH = "doh"


@dataclass(frozen=True)
class Endpoint:
    """One URL of a platform, with what the real site's answer looks like."""

    id: str
    platform: str
    capability: Capability
    url: str
    method: str = "GET"
    expect_status: tuple[int, ...] = ()
    expect_title: tuple[str, ...] = ()
    note: str = ""
    h3: bool = False
    """The host serves HTTP/3 (QUIC) too: `--bypass` tries a QUIC handshake without waiting for Alt-Svc."""


@dataclass(frozen=True)
class Platform:
    """A social site: a named set of endpoints, loaded from one catalog file."""

    id: str
    name: str
    endpoints: tuple[Endpoint, ...]
    source: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """One thing to probe: a catalog endpoint, or an ad-hoc URL given on the command line."""

    id: str
    url: str
    platform: str | None = None
    capability: Capability | None = None
    method: str = "GET"
    expect_status: tuple[int, ...] = ()
    expect_title: tuple[str, ...] = ()
    h3: bool = False

    @classmethod
    def from_endpoint(cls, endpoint: Endpoint) -> Target:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            platform=endpoint.platform,
            capability=endpoint.capability,
            method=endpoint.method,
            expect_status=endpoint.expect_status,
            expect_title=endpoint.expect_title,
            h3=endpoint.h3,
        )


@dataclass(frozen=True)
class DnsEvidence:
    """What the resolver answered (or that the proxy resolved the name instead)."""

    name: str
    resolver: str
    answers: tuple[str, ...] = ()
    rcode: str = ""
    resolved_by_proxy: bool = False
    note: str = ""
    """Something unusual about the answer that did not decide the status (e.g. a private-use address)."""


@dataclass(frozen=True)
class TlsEvidence:
    """The leaf certificate seen and whether it verifies for the workstation and the public."""

    issuer: str = ""
    subject: str = ""
    not_after: str = ""
    verified_trusted: bool = False
    verified_public: bool = False
    version: str = ""
    anchor: str = ""
    inspector: str = ""
    """The TLS-inspection product whose CA issued the certificate, when the issuer is a known one."""


@dataclass(frozen=True)
class HttpEvidence:
    """The HTTP answer: status, page title, notable headers, and what matched a block page."""

    status: int | None = None
    title: str = ""
    location: str = ""
    server: str = ""
    via: str = ""
    bytes_read: int = 0
    redirects: tuple[str, ...] = ()
    fingerprint: str = ""
    alt_svc: str = ""
    """The Alt-Svc header (RFC 7838): where the site offers HTTP/3 (`h3`), the QUIC path is worth trying."""


@dataclass(frozen=True)
class ProbeResult:
    """One probe of one target: a status from the vocabulary, where it stopped, and the evidence."""

    id: str
    url: str
    platform: str | None
    capability: Capability | None
    status: Status
    layer: Layer
    detail: str
    route: Route
    proxy: str | None = None
    identity: str | None = None
    dns: DnsEvidence | None = None
    tls: TlsEvidence | None = None
    http: HttpEvidence | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    started_at: str = ""
    notes: tuple[str, ...] = ()
    """What was unusual but did not change the status (an unexpected status code from the real site)."""
    path: ProbePath = ProbePath.TCP
    """The way to the site this probe took (`tcp` for the ordinary probe; see ProbePath)."""


@dataclass(frozen=True)
class ProbeRun:
    """The outcome of `netaudit probe`: where it ran, with which settings, and every result."""

    generated_at: str
    version: str
    environment: dict[str, str]
    results: tuple[ProbeResult, ...]


# --- Proxies ---------------------------------------------------------------------------------

_USER_SAFE = "!$&'()*+,;=-._~"
"""Characters a masked proxy URL shows unencoded in a user name."""


class ProxyMode(enum.StrEnum):
    """Where the proxy for a URL comes from."""

    ENVIRONMENT = "environment"
    EXPLICIT = "explicit"
    PAC = "pac"
    NONE = "none"


@dataclass(frozen=True)
class ProxySpec:
    """One proxy server. The password is left out of repr and equality."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)

    def _hostport(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self) -> str:
        """``scheme://host:port``, never credentials."""
        return f"{self.scheme}://{self._hostport()}"

    def masked(self) -> str:
        """The proxy for people: ``scheme://user:***@host:port`` (or ``user@``, or just the URL)."""
        if self.username is None:
            return self.url()
        user = quote(self.username, safe=_USER_SAFE)
        secret = ":***" if self.password is not None else ""
        return f"{self.scheme}://{user}{secret}@{self._hostport()}"

    def url_with_credentials(self) -> str:
        """The URL with percent-encoded credentials, to hand to requests/urllib3 only. Never log it."""
        if self.username is None:
            return self.url()
        user = quote(self.username, safe="")
        secret = ":" + quote(self.password, safe="") if self.password is not None else ""
        return f"{self.scheme}://{user}{secret}@{self._hostport()}"

    def with_credentials(self, username: str | None, password: str | None) -> ProxySpec:
        """A copy with these credentials (a password without a user is dropped)."""
        return ProxySpec(self.scheme, self.host, self.port, username, password if username else None)

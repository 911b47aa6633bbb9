"""The data every part of netaudit shares: frozen dataclasses and the one status vocabulary.

Nothing here imports another netaudit module; every other module may import this one.
"""

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


# --- Profiles ---
# Who should reach which platform, and under which rules (DESIGN.md, "Profiles"). Loaded and
# validated by policy.py; the time logic on them lives in schedule.py.


class AccessLevel(enum.StrEnum):
    """What a profile may do on a platform, ordered `none < read < post` (not alphabetically)."""

    NONE = "none"
    READ = "read"
    POST = "post"

    @property
    def rank(self) -> int:
        """0 for none, 1 for read, 2 for post."""
        return _ACCESS_ORDER.index(self.value)

    @staticmethod
    def _rank_of(other: object) -> int | None:
        # Plain strings compare by level too ("read" < AccessLevel.POST), never alphabetically.
        if isinstance(other, str) and other in _ACCESS_ORDER:
            return _ACCESS_ORDER.index(other)
        return None

    def __lt__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank < rank

    def __le__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank <= rank

    def __gt__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank > rank

    def __ge__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank >= rank


_ACCESS_ORDER = ("none", "read", "post")


class Enforcement(enum.StrEnum):
    """Who enforces a profile's hours: the network (`firewall`) or a written rule (`policy`)."""

    FIREWALL = "firewall"
    POLICY = "policy"


@dataclass(frozen=True)
class TimeWindow:
    """Days of the week (0 = Monday .. 6 = Sunday) and minutes after midnight, in the organisation's timezone.

    `end` may be 1440 (24:00). A window whose end is before its start crosses midnight and belongs to
    the day it starts on: `fri 22:00-02:00` covers Friday 22:00-24:00 and Saturday 00:00-02:00.
    """

    days: frozenset[int]
    start: int
    end: int

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start


@dataclass(frozen=True)
class Rules:
    """A profile's written rules: when it may use social media, who enforces that, what may be posted."""

    hours: tuple[TimeWindow, ...] = ()
    hours_text: tuple[str, ...] = ()
    hours_enforced_by: Enforcement | None = None
    posting: str = ""
    content: str = ""


@dataclass(frozen=True)
class Profile:
    """Who (members), as which proxy identity, may do what on each platform, under which rules."""

    name: str
    description: str = ""
    members: tuple[str, ...] = ()
    proxy_user: str | None = None
    proxy_password_env: str | None = None
    proxy: str | None = None
    access: dict[str, AccessLevel] = field(default_factory=dict, hash=False)
    default: AccessLevel = AccessLevel.NONE
    rules: Rules = field(default_factory=Rules)
    source: str = ""

    def access_to(self, platform_id: str) -> AccessLevel:
        """The level listed for this platform id, else the profile's default."""
        return self.access.get(platform_id, self.default)

    @property
    def max_access(self) -> AccessLevel:
        """The most this profile may do anywhere (its default counts: it covers unlisted platforms)."""
        return max((self.default, *self.access.values()))


@dataclass(frozen=True)
class Organization:
    """The organisation the profiles belong to; `owner` is who owns social media ("" when not written)."""

    name: str
    owner: str
    timezone: str
    source: str = ""


@dataclass(frozen=True)
class PolicySet:
    """Everything loaded from the profiles files: one organisation and its profiles by name."""

    organization: Organization
    profiles: dict[str, Profile] = field(hash=False)
    sources: tuple[str, ...] = ()


# --- Audit ---
# What `netaudit audit` concludes: findings per (profile, platform, capability) and readiness.


class FindingKind(enum.StrEnum):
    """How what the network does compares with what a profile says (DESIGN.md, "Assessment")."""

    OK = "ok"
    GAP = "gap"
    LEAK = "leak"
    DEGRADED = "degraded"
    INSPECTED = "inspected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Finding:
    """Expected access against observed status for one profile, platform and capability."""

    id: str
    profile: str
    platform: str
    capability: Capability
    finding: FindingKind
    expected: AccessLevel
    observed: str
    endpoints: tuple[str, ...]
    detail: str = ""
    remediation: str = ""
    probed_at: str = ""
    path: ProbePath = ProbePath.TCP
    """The way to the site the finding is about: `tcp`, or a path around the policy (ipv6, quic, doh)."""


@dataclass(frozen=True)
class ProfileReadiness:
    """Whether one profile is ready for the rollout, and why not."""

    profile: str
    ready: bool
    counts: dict[str, int] = field(default_factory=dict, hash=False)
    missing_rules: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Readiness:
    """Overall readiness: ready when every profile is."""

    ready: bool
    profiles: tuple[ProfileReadiness, ...] = ()


@dataclass(frozen=True)
class ProfileRoute:
    """How one profile was probed: the route and identity, the route's control result, or why it was not probed.

    `via` is the route's description ("direct", a masked proxy URL, a PAC file); `identity` the proxy
    user; `control` the neutral endpoint probed the same way, so a failure of the vantage point itself is
    never blamed on the network; `problem` why the profile could not be probed at all.
    """

    profile: str
    via: str
    identity: str | None = None
    note: str = ""
    problem: str = ""
    control: ProbeResult | None = None

    @property
    def control_failed(self) -> bool:
        """True when this route could not reach even the control endpoint."""
        return self.control is not None and not self.control.status.works


@dataclass(frozen=True)
class AuditRun:
    """The outcome of `netaudit audit`: intentions, observations, findings and readiness, in one object."""

    version: str
    started_at: str
    finished_at: str
    policy: PolicySet
    environment: dict[str, str]
    observations: tuple[ProbeResult, ...]
    observation_profiles: tuple[tuple[str, ...], ...]
    findings: tuple[Finding, ...]
    readiness: Readiness
    host: str = ""
    site: str = ""
    catalog_version: str = ""
    platforms: tuple[Platform, ...] = ()
    routes: tuple[ProfileRoute, ...] = ()


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

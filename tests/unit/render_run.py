"""A small audit run with every finding kind for the renderer tests, until the shared fixture (tests/fixtures/) lands.

Built from model objects (no TOML, no network): two platforms, five profiles, one identity each,
results chosen so that assess() itself gives ok, gap, leak, degraded, inspected and unknown.
Swap later: the tests use only `audit_run()`, `probe_run()`, `platforms()` and `policy()`.
"""

from __future__ import annotations

from netaudit.assess import assess
from netaudit.catalog import Catalog
from netaudit.hours import parse_window
from netaudit.model import (
    AccessLevel,
    AuditRun,
    Capability,
    DnsEvidence,
    Endpoint,
    Enforcement,
    HttpEvidence,
    Layer,
    Organization,
    Platform,
    PolicySet,
    ProbeResult,
    ProbeRun,
    Profile,
    ProfileRoute,
    Route,
    Rules,
    Status,
    TlsEvidence,
)

# A Wednesday at 12:30 in London (summer time): inside the staff's firewall-enforced lunch hour.
WHEN = "2026-07-01T11:30:00+00:00"
PROXY = "http://proxy.test:3128"
GUEST_PROXY = "http://guest-proxy.test:3129"

CHIRP = Platform(
    id="chirp",
    name="Chirp",
    source="chirp.toml",
    endpoints=(
        Endpoint("chirp.read.1", "chirp", Capability.READ, "https://www.chirp.test/"),
        Endpoint("chirp.media.1", "chirp", Capability.MEDIA, "https://img.chirp.test/"),
        Endpoint("chirp.media.2", "chirp", Capability.MEDIA, "https://video.chirp.test/"),
        Endpoint("chirp.post.1", "chirp", Capability.POST, "https://upload.chirp.test/", expect_status=(401,)),
    ),
)
FACADE = Platform(
    id="facade",
    name="Facade <Book>",
    source="facade.toml",
    aliases=("fb",),
    endpoints=(
        Endpoint("facade.read.1", "facade", Capability.READ, "https://www.facade.test/", expect_title=("Facade",)),
        Endpoint("facade.post.1", "facade", Capability.POST, "https://api.facade.test/", method="POST"),
    ),
)


def platforms() -> tuple[Platform, ...]:
    return (CHIRP, FACADE)


def _rules(hours: str, by: Enforcement | None, posting: str = "", content: str = "") -> Rules:
    return Rules(
        hours=(parse_window(hours),), hours_text=(hours,), hours_enforced_by=by, posting=posting, content=content
    )


def policy() -> PolicySet:
    profiles = (
        Profile(
            name="comms",
            description="Social media team",
            members=("AD group SocialMediaTeam",),
            proxy_user="comms",
            proxy_password_env="PW_COMMS",
            access={"chirp": AccessLevel.POST, "facade": AccessLevel.POST},
            rules=_rules("daily 00:00-24:00", Enforcement.POLICY, "Approved messages only", "Brand guide"),
        ),
        Profile(
            name="staff",
            description="All other staff",
            members=("AD group Domain Users",),
            proxy_user="staff",
            proxy_password_env="PW_STAFF",
            access={"chirp": AccessLevel.READ},
            rules=_rules("mon-fri 12:00-13:00", Enforcement.FIREWALL, "Staff do not post for the company"),
        ),
        Profile(name="guests", description="Guest Wi-Fi", members=("Guest Wi-Fi",), proxy=GUEST_PROXY),
        Profile(
            name="contractors",
            description="Contractors",
            proxy_user="dave",
            proxy_password_env="PW_DAVE",
            access={"chirp": AccessLevel.READ},
        ),
        Profile(name="kiosk", description="Lobby kiosk", access={"chirp": AccessLevel.READ}),
    )
    organization = Organization(name="Fixture Corp", owner="Corporate Communications", timezone="Europe/London")
    return PolicySet(organization=organization, profiles={p.name: p for p in profiles}, sources=("fixture.toml",))


def _result(endpoint_id: str, status: Status, **evidence: object) -> ProbeResult:
    endpoint = next(e for p in platforms() for e in p.endpoints if e.id == endpoint_id)
    layer = {
        Status.REACHABLE: Layer.HTTP,
        Status.INSPECTED: Layer.TLS,
        Status.DNS_NXDOMAIN: Layer.DNS,
        Status.DNS_SINKHOLE: Layer.DNS,
        Status.DNS_ERROR: Layer.DNS,
        Status.TCP_TIMEOUT: Layer.TCP,
        Status.TCP_REFUSED: Layer.TCP,
        Status.TLS_RESET: Layer.TLS,
        Status.TLS_UNTRUSTED: Layer.TLS,
        Status.BLOCK_PAGE: Layer.HTTP,
        Status.HTTP_ERROR: Layer.HTTP,
        Status.TIMEOUT: Layer.DEADLINE,
    }.get(status, Layer.PROXY)
    return ProbeResult(
        id=endpoint.id,
        url=endpoint.url,
        platform=endpoint.platform,
        capability=endpoint.capability,
        status=status,
        layer=layer,
        detail=str(evidence.pop("detail", f"{status.value} at {endpoint.url}")),
        route=Route.PROXY if "proxy" in evidence else Route.DIRECT,
        started_at=WHEN,
        elapsed_ms=12.0,
        **evidence,  # type: ignore[arg-type]
    )


def _identity_results() -> dict[str, list[ProbeResult]]:
    comms = {"proxy": f"http://comms@{PROXY[7:]}", "identity": "comms"}
    staff = {"proxy": f"http://staff@{PROXY[7:]}", "identity": "staff"}
    guests = {"proxy": GUEST_PROXY}
    squid_403 = HttpEvidence(status=403, fingerprint="Squid", title="ERROR: Access Denied")
    return {
        "comms": [
            _result("chirp.read.1", Status.REACHABLE, **comms),
            _result("chirp.media.1", Status.REACHABLE, **comms),
            _result(
                "chirp.media.2",
                Status.PROXY_ERROR,
                detail="the proxy answered 504 to CONNECT video.chirp.test:443",
                http=HttpEvidence(status=504),
                **comms,
            ),
            _result(
                "chirp.post.1",
                Status.PROXY_DENIED,
                detail="the proxy answered 403 to CONNECT upload.chirp.test:443",
                http=squid_403,
                **comms,
            ),
            _result("facade.read.1", Status.REACHABLE, **comms),
            _result("facade.post.1", Status.REACHABLE, **comms),
        ],
        "staff": [
            _result(
                "chirp.read.1",
                Status.INSPECTED,
                detail="TLS inspected by Corp Inspection CA",
                tls=TlsEvidence(issuer="CN=Corp Inspection CA", inspector="ExampleGuard", verified_trusted=True),
                **staff,
            ),
            _result("chirp.media.1", Status.REACHABLE, **staff),
            _result("chirp.media.2", Status.REACHABLE, **staff),
            _result("chirp.post.1", Status.REACHABLE, http=HttpEvidence(status=401), **staff),
            _result(
                "facade.read.1",
                Status.BLOCK_PAGE,
                detail="answered 200 with a block page: FortiGuard",
                http=HttpEvidence(status=200, fingerprint="FortiGuard"),
                **staff,
            ),
            _result("facade.post.1", Status.TCP_TIMEOUT, **staff),
        ],
        "guests": [
            _result(
                "chirp.read.1",
                Status.DNS_SINKHOLE,
                dns=DnsEvidence("www.chirp.test", "10.0.0.53", ("0.0.0.0",)),
                **guests,
            ),
            _result(
                "chirp.media.1",
                Status.DNS_NXDOMAIN,
                dns=DnsEvidence("img.chirp.test", "10.0.0.53", rcode="NXDOMAIN"),
                **guests,
            ),
            _result("chirp.media.2", Status.TLS_RESET, **guests),
            _result("chirp.post.1", Status.TCP_REFUSED, **guests),
            _result("facade.read.1", Status.REACHABLE, **guests),
            _result("facade.post.1", Status.PROXY_ERROR, http=HttpEvidence(status=502), **guests),
        ],
        "kiosk": [
            _result("chirp.read.1", Status.DNS_ERROR, detail="no answer from 127.0.0.53"),
            _result("chirp.media.1", Status.TIMEOUT),
            _result("chirp.media.2", Status.HTTP_ERROR, http=HttpEvidence(status=500)),
            _result("chirp.post.1", Status.TIMEOUT),
            _result("facade.read.1", Status.DNS_ERROR, detail="no answer from 127.0.0.53"),
            _result("facade.post.1", Status.TIMEOUT),
        ],
    }


CONTRACTORS_PROBLEM = "set PW_DAVE to the proxy password of user dave to audit profile contractors"


def audit_run(*, complete: bool = True) -> AuditRun:
    """The fixture run; `complete=False` leaves out what older runs lack (host, platforms, routes)."""
    chosen = policy()
    by_identity = _identity_results()
    observed = {name: {r.id: r for r in results} for name, results in by_identity.items()}
    findings, readiness = assess(
        chosen, Catalog(platforms={p.id: p for p in platforms()}), observed, {"contractors": CONTRACTORS_PROBLEM}
    )
    control = _result("chirp.read.1", Status.REACHABLE)
    routes = (
        ProfileRoute("comms", f"http://comms@{PROXY[7:]}", identity="comms", control=control),
        ProfileRoute("staff", f"http://staff@{PROXY[7:]}", identity="staff", control=control),
        ProfileRoute("guests", GUEST_PROXY, control=control),
        ProfileRoute("contractors", PROXY, identity="dave", problem=CONTRACTORS_PROBLEM),
        ProfileRoute(
            "kiosk",
            "direct",
            control=ProbeResult(
                id="control",
                url="https://control.example/",
                platform=None,
                capability=None,
                status=Status.TCP_TIMEOUT,
                layer=Layer.TCP,
                detail="no answer to TCP SYN from control.example:443",
                route=Route.DIRECT,
                started_at=WHEN,
            ),
        ),
    )
    return AuditRun(
        version="0.1.0",
        started_at=WHEN,
        finished_at="2026-07-01T11:31:00+00:00",
        policy=chosen,
        environment={"proxy": PROXY, "resolver": "10.0.0.53:53", "trust": "system"},
        observations=tuple(r for results in by_identity.values() for r in results),
        observation_profiles=tuple((name,) for name, results in by_identity.items() for _ in results),
        findings=tuple(findings),
        readiness=readiness,
        host="audit-ws1" if complete else "",
        site="london" if complete else "",
        catalog_version="sha256:0123abcd" if complete else "",
        platforms=platforms() if complete else (),
        routes=routes if complete else (),
    )


def probe_run() -> ProbeRun:
    return ProbeRun(
        generated_at=WHEN,
        version="0.1.0",
        environment={"proxy": PROXY, "resolver": "10.0.0.53:53"},
        results=tuple(_identity_results()["guests"]),
    )

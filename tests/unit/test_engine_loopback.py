"""The engine against real TLS servers on loopback (no root needed): each HTTP/TLS-level status.

The lab tests (tests/integration) add DNS, firewall and proxy paths; these run anywhere.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import trustme

from netaudit.model import Layer, Route, Status, Target
from netaudit.net.config import build_netconfig
from netaudit.probe.dns import parse_hosts
from netaudit.probe.engine import Prober
from tests.netlab.origin import OriginServer, tls_context


@dataclass
class Loopback:
    ports: dict[str, int]
    public_root: Path
    other_root: Path
    workstation_trust: Path


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loopback]:
    folder = tmp_path_factory.mktemp("loopback")
    public, rogue, other = trustme.CA(), trustme.CA(organization_name="Rogue CA"), trustme.CA()
    # A filter that inspects TLS: its CA is deployed on the workstation, but is no public root. A block
    # page inside HTTPS can only come that way: a session verified against public roots is the site's.
    inspector = trustme.CA(organization_name="Corp Inspection CA")
    public.cert_pem.write_to_path(str(folder / "public.pem"))
    other.cert_pem.write_to_path(str(folder / "other.pem"))
    (folder / "workstation.pem").write_bytes(public.cert_pem.bytes() + inspector.cert_pem.bytes())
    for name, ca in (("good", public), ("bad", rogue), ("inspected", inspector)):
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        leaf.private_key_and_cert_chain_pem.write_to_path(str(folder / f"{name}.pem"))
    good_ctx, bad_ctx = tls_context(str(folder / "good.pem")), tls_context(str(folder / "bad.pem"))
    inspected_ctx = tls_context(str(folder / "inspected.pem"))
    servers = {
        name: OriginServer("127.0.0.1", 0, behaviour, context)
        for name, behaviour, context in [
            ("ok", "ok", good_ctx),
            ("untrusted", "ok", bad_ctx),
            ("block", "block", inspected_ctx),
            ("inspected", "ok", inspected_ctx),
            ("inspected-api", "api", inspected_ctx),
            ("error", "error", good_ctx),
            ("api", "api", good_ctx),
            ("slowdrip", "slowdrip", good_ctx),
            ("tlsreset", "tlsreset", good_ctx),
            ("plain", "ok", None),
            ("portal", "portal", inspected_ctx),
            ("site-portal", "portal", good_ctx),
            ("loop", "loop", good_ctx),
            ("redirect", "redirect", good_ctx),
        ]
    }
    for server in servers.values():
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    yield Loopback(
        ports={name: server.server_address[1] for name, server in servers.items()},
        public_root=folder / "public.pem",
        other_root=folder / "other.pem",
        workstation_trust=folder / "workstation.pem",
    )
    for server in servers.values():
        server.shutdown()
        server.server_close()


def _prober(loop: Loopback, *, public_roots: Path | None = None, timeout: float = 3.0) -> Prober:
    config = build_netconfig(
        no_proxy=True,
        ca_bundle=str(loop.workstation_trust),
        public_roots=str(public_roots or loop.public_root),
        timeout=timeout,
        environ={},
    )
    return Prober(config)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("server", "expect_status", "status", "layer", "said"),
    [
        ("ok", (), Status.REACHABLE, Layer.HTTP, "answered 200 'Social Test – Home'"),
        ("untrusted", (), Status.TLS_UNTRUSTED, Layer.TLS, "Rogue CA"),
        ("block", (), Status.BLOCK_PAGE, Layer.HTTP, "block page"),
        ("error", (), Status.HTTP_ERROR, Layer.HTTP, "the site itself answered 500"),
        ("api", (401,), Status.REACHABLE, Layer.HTTP, "answered 401"),
        ("tlsreset", (), Status.TLS_RESET, Layer.TLS, "handshake"),
    ],
)
def test_status_of_each_server(
    loopback: Loopback, server: str, expect_status: tuple[int, ...], status: Status, layer: Layer, said: str
) -> None:
    url = f"https://127.0.0.1:{loopback.ports[server]}/"
    result = _prober(loopback).probe(Target(id=server, url=url, expect_status=expect_status))
    assert (result.status, result.layer, result.route) == (status, layer, Route.DIRECT), result.detail
    assert said in result.detail


@pytest.mark.parametrize("expect_status", [(), (200,)])
def test_the_real_site_answering_an_unexpected_status_is_reachable_with_a_note(
    loopback: Loopback, expect_status: tuple[int, ...]
) -> None:
    # A posting API that answers at all is an open path (a read-only profile reaching it is a leak),
    # not "could not be tested": the TLS session was verified for the name against public roots.
    url = f"https://127.0.0.1:{loopback.ports['api']}/"
    result = _prober(loopback).probe(Target(id="api", url=url, expect_status=expect_status))
    assert result.status is Status.REACHABLE, result.detail
    if expect_status:
        assert result.notes and "answered 401 where the catalog expects 200" in result.notes[0]
    assert result.http is not None and result.http.status == 401


def test_through_inspection_an_unexpected_status_is_not_proof_of_the_site(loopback: Loopback) -> None:
    # The inspecting box could have written that answer itself: only a session verified against public
    # roots proves the answer is the site's, so here the unexpected status stays an http_error.
    url = f"https://127.0.0.1:{loopback.ports['inspected-api']}/"
    result = _prober(loopback).probe(Target(id="api", url=url, expect_status=(200,)))
    assert result.status is Status.HTTP_ERROR, result.detail
    assert result.detail == "answered 401; the real site answers 200"


def test_untrusted_names_the_issuer(loopback: Loopback) -> None:
    url = f"https://127.0.0.1:{loopback.ports['untrusted']}/"
    result = _prober(loopback).probe(Target(id="u", url=url))
    assert result.tls is not None and "Rogue CA" in result.tls.issuer
    assert "Rogue CA" in result.detail


def test_inspected_when_the_chain_is_not_publicly_anchored(loopback: Loopback) -> None:
    url = f"https://127.0.0.1:{loopback.ports['ok']}/"
    result = _prober(loopback, public_roots=loopback.other_root).probe(Target(id="i", url=url))
    assert result.status is Status.INSPECTED
    assert result.tls is not None and result.tls.verified_trusted and not result.tls.verified_public
    assert result.tls.issuer in result.detail


def test_reachable_evidence(loopback: Loopback) -> None:
    url = f"https://127.0.0.1:{loopback.ports['ok']}/"
    result = _prober(loopback).probe(Target(id="ok", url=url, expect_title=("Social Test",)))
    assert result.status is Status.REACHABLE
    assert result.http is not None and result.http.status == 200 and result.http.title == "Social Test – Home"
    assert result.tls is not None and result.tls.verified_public and result.tls.not_after
    assert {"dns", "tcp", "tls", "http"} <= set(result.timings_ms)


def test_title_that_is_not_the_site_is_a_block_page_only_when_tls_was_intercepted(loopback: Loopback) -> None:
    target = Target(id="t", url="", expect_status=(200,), expect_title=("LinkedIn",))
    url = f"https://127.0.0.1:{loopback.ports['inspected']}/"
    intercepted = _prober(loopback).probe(replace(target, url=url))
    assert intercepted.status is Status.BLOCK_PAGE, intercepted.detail
    url = f"https://127.0.0.1:{loopback.ports['ok']}/"
    verified = _prober(loopback).probe(replace(target, url=url))
    assert verified.status is Status.REACHABLE, verified.detail
    assert "none of 'LinkedIn'" in verified.notes[0]


def test_plain_http(loopback: Loopback) -> None:
    result = _prober(loopback).probe(Target(id="p", url=f"http://127.0.0.1:{loopback.ports['plain']}/"))
    assert result.status is Status.REACHABLE and result.tls is None


def test_refused(loopback: Loopback) -> None:
    result = _prober(loopback).probe(Target(id="r", url=f"https://127.0.0.1:{_closed_port()}/"))
    assert (result.status, result.layer) == (Status.TCP_REFUSED, Layer.TCP)


def test_slow_drip_ends_at_the_deadline(loopback: Loopback) -> None:
    url = f"https://127.0.0.1:{loopback.ports['slowdrip']}/"
    result = _prober(loopback, timeout=1.5).probe(Target(id="s", url=url))
    assert (result.status, result.layer) == (Status.TIMEOUT, Layer.HTTP)
    assert 1400 <= result.elapsed_ms < 3000


def test_redirect_to_a_block_portal_is_a_block_page(loopback: Loopback) -> None:
    url = f"https://127.0.0.1:{loopback.ports['portal']}/"
    result = _prober(loopback).probe(Target(id="p", url=url))
    assert result.status is Status.BLOCK_PAGE
    assert result.http is not None and result.http.fingerprint == "squidGuard"
    assert "squidGuard.cgi" in result.http.location


def test_a_redirect_inside_a_verified_session_is_the_sites_own(loopback: Loopback) -> None:
    # No filter can put a redirect into a session verified against public roots: the redirect is
    # followed like any other. The portal's name is answered from a hosts file (0.0.0.0), so no DNS
    # query leaves this machine.
    url = f"https://127.0.0.1:{loopback.ports['site-portal']}/"
    prober = _prober(loopback)
    prober.hosts = parse_hosts("hosts", "0.0.0.0 filter.corp.test\n")
    result = prober.probe(Target(id="p", url=url))
    assert result.status is Status.DNS_SINKHOLE, result.detail
    assert result.dns is not None and result.dns.resolver == "hosts file (hosts)"
    assert result.http is not None and result.http.fingerprint == "" and result.http.status == 302


def test_redirects_are_followed_and_bounded(loopback: Loopback) -> None:
    moved = _prober(loopback).probe(Target(id="r", url=f"https://127.0.0.1:{loopback.ports['redirect']}/"))
    assert moved.status is Status.REACHABLE
    assert moved.http is not None and moved.http.redirects == (f"https://127.0.0.1:{loopback.ports['redirect']}/home",)
    looping = _prober(loopback).probe(Target(id="l", url=f"https://127.0.0.1:{loopback.ports['loop']}/x"))
    assert (looping.status, looping.layer) == (Status.HTTP_ERROR, Layer.HTTP)
    assert "more than 5 redirects" in looping.detail

"""The engine against real TLS servers on loopback (no root needed): each HTTP/TLS-level status.

The lab tests (tests/integration) add DNS, firewall and proxy paths; these run anywhere.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from netaudit.model import Layer, Route, Status, Target
from netaudit.net.config import build_netconfig
from netaudit.probe.engine import Prober
from tests.netlab.origin import OriginServer, tls_context


@dataclass
class Loopback:
    ports: dict[str, int]
    public_root: Path
    other_root: Path


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loopback]:
    folder = tmp_path_factory.mktemp("loopback")
    public, rogue, other = trustme.CA(), trustme.CA(organization_name="Rogue CA"), trustme.CA()
    public.cert_pem.write_to_path(str(folder / "public.pem"))
    other.cert_pem.write_to_path(str(folder / "other.pem"))
    good = public.issue_cert("127.0.0.1", "localhost")
    bad = rogue.issue_cert("127.0.0.1", "localhost")
    good.private_key_and_cert_chain_pem.write_to_path(str(folder / "good.pem"))
    bad.private_key_and_cert_chain_pem.write_to_path(str(folder / "bad.pem"))
    good_ctx, bad_ctx = tls_context(str(folder / "good.pem")), tls_context(str(folder / "bad.pem"))
    servers = {
        name: OriginServer("127.0.0.1", 0, behaviour, context)
        for name, behaviour, context in [
            ("ok", "ok", good_ctx),
            ("untrusted", "ok", bad_ctx),
            ("block", "block", good_ctx),
            ("error", "error", good_ctx),
            ("api", "api", good_ctx),
            ("slowdrip", "slowdrip", good_ctx),
            ("tlsreset", "tlsreset", good_ctx),
            ("plain", "ok", None),
            ("portal", "portal", good_ctx),
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
    )
    for server in servers.values():
        server.shutdown()
        server.server_close()


def _prober(loop: Loopback, *, public_roots: Path | None = None, timeout: float = 3.0) -> Prober:
    config = build_netconfig(
        no_proxy=True,
        ca_bundle=str(loop.public_root),
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
    ("server", "expect_status", "status", "layer"),
    [
        ("ok", (), Status.REACHABLE, Layer.HTTP),
        ("untrusted", (), Status.TLS_UNTRUSTED, Layer.TLS),
        ("block", (), Status.BLOCK_PAGE, Layer.HTTP),
        ("error", (), Status.HTTP_ERROR, Layer.HTTP),
        ("api", (401,), Status.REACHABLE, Layer.HTTP),
        ("api", (), Status.HTTP_ERROR, Layer.HTTP),
        ("tlsreset", (), Status.TLS_RESET, Layer.TLS),
    ],
)
def test_status_of_each_server(
    loopback: Loopback, server: str, expect_status: tuple[int, ...], status: Status, layer: Layer
) -> None:
    url = f"https://127.0.0.1:{loopback.ports[server]}/"
    result = _prober(loopback).probe(Target(id=server, url=url, expect_status=expect_status))
    assert (result.status, result.layer, result.route) == (status, layer, Route.DIRECT), result.detail
    assert result.detail


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


def test_title_that_is_not_the_site_is_a_block_page(loopback: Loopback) -> None:
    url = f"https://127.0.0.1:{loopback.ports['ok']}/"
    result = _prober(loopback).probe(Target(id="t", url=url, expect_status=(200,), expect_title=("LinkedIn",)))
    assert result.status is Status.BLOCK_PAGE


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


def test_redirects_are_followed_and_bounded(loopback: Loopback) -> None:
    moved = _prober(loopback).probe(Target(id="r", url=f"https://127.0.0.1:{loopback.ports['redirect']}/"))
    assert moved.status is Status.REACHABLE
    assert moved.http is not None and moved.http.redirects == (f"https://127.0.0.1:{loopback.ports['redirect']}/home",)
    looping = _prober(loopback).probe(Target(id="l", url=f"https://127.0.0.1:{loopback.ports['loop']}/x"))
    assert (looping.status, looping.layer) == (Status.HTTP_ERROR, Layer.HTTP)
    assert "more than 5 redirects" in looping.detail

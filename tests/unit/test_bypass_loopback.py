"""The bypass probes against real servers on loopback (no root needed): a DoH resolver and a QUIC endpoint.

The DoH resolver is the lab's (tests/netlab/doh_server.py) and the QUIC endpoint aioquic's server
with the lab's key loading (tests/netlab/quic_server.py), both in threads of this process; the
certificates come from a test CA passed as the public roots.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme
from aioquic.asyncio import serve

from netaudit.bypass import advertises_h3
from netaudit.bypass.doh import DohResolver, ask, first_answer
from netaudit.bypass.quic import QuicProbe
from netaudit.model import Capability, ProbePath, Status, Target
from netaudit.net.config import build_netconfig
from netaudit.probe.deadline import Deadline
from netaudit.probe.dns import parse_hosts
from netaudit.probe.engine import Prober
from netaudit.probe.tls import TrustStores
from tests.netlab import doh_server
from tests.netlab.quic_server import configuration


@dataclass
class Servers:
    doh_port: int
    quic_port: int
    quic_untrusted_port: int
    roots: Path


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("bypass")
    public, rogue = trustme.CA(), trustme.CA(organization_name="Rogue CA")
    public.cert_pem.write_to_path(str(folder / "roots.pem"))
    for name, ca in (("good", public), ("rogue", rogue)):
        leaf = ca.issue_cert("localhost", "127.0.0.1")
        leaf.private_key_and_cert_chain_pem.write_to_path(str(folder / f"{name}.pem"))

    doh_server.RECORDS.update({"blocked.example": "192.0.2.80", "sinkholed.example": "0.0.0.0"})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(folder / "good.pem"))
    doh = ThreadingHTTPServer(("127.0.0.1", 0), doh_server.Handler)
    doh.daemon_threads = True
    doh.socket = context.wrap_socket(doh.socket, server_side=True)
    threading.Thread(target=doh.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    loop = asyncio.new_event_loop()
    quic_ports = (_free_udp_port(), _free_udp_port())

    async def start() -> None:
        await serve("127.0.0.1", quic_ports[0], configuration=configuration(str(folder / "good.pem")))
        await serve("127.0.0.1", quic_ports[1], configuration=configuration(str(folder / "rogue.pem")))

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield Servers(int(doh.server_address[1]), quic_ports[0], quic_ports[1], folder / "roots.pem")
    doh.shutdown()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def _prober(servers: Servers, timeout: float = 3.0) -> Prober:
    config = build_netconfig(
        no_proxy=True, ca_bundle=str(servers.roots), public_roots=str(servers.roots), timeout=timeout, environ={}
    )
    return Prober(config, hosts=parse_hosts("test hosts", "127.0.0.1 localhost\n"))


def _resolver(servers: Servers, path: str = "/dns-query") -> DohResolver:
    return DohResolver("loopback", f"https://localhost:{servers.doh_port}{path}", ("127.0.0.1",))


def test_doh_answers_with_the_address(servers: Servers) -> None:
    stores = TrustStores(servers.roots, servers.roots)
    found = ask(_resolver(servers), "blocked.example", stores, Deadline(3))
    assert (found.addresses, found.problem) == (("192.0.2.80",), "")


@pytest.mark.parametrize(
    ("name", "path", "said"),
    [
        ("nothing.example", "/dns-query", "says NXDOMAIN for nothing.example"),
        ("sinkholed.example", "/dns-query", "has no usable address for sinkholed.example"),
        ("blocked.example", "/elsewhere", "answered HTTP 404, not a DNS message"),
    ],
)
def test_doh_without_a_usable_answer_says_why(servers: Servers, name: str, path: str, said: str) -> None:
    stores = TrustStores(servers.roots, servers.roots)
    found = ask(_resolver(servers, path), name, stores, Deadline(3))
    assert found.addresses == ()
    assert said in found.problem


def test_doh_tries_the_next_resolver_and_keeps_the_problems(servers: Servers) -> None:
    stores = TrustStores(servers.roots, servers.roots)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = DohResolver("dead", f"https://localhost:{closed.getsockname()[1]}/dns-query", ("127.0.0.1",))
    found, problems = first_answer([dead, _resolver(servers)], "blocked.example", stores, 3.0)
    assert found is not None and found.resolver.name == "loopback"
    assert len(problems) == 1 and "refused" in problems[0]


def _target(port: int) -> Target:
    return Target(id="site.read.1", url=f"https://127.0.0.1:{port}/", platform="site", capability=Capability.READ)


def test_quic_handshake_verified_against_public_roots(servers: Servers) -> None:
    result = QuicProbe(_prober(servers)).probe(_target(servers.quic_port))
    assert (result.status, result.path) == (Status.REACHABLE, ProbePath.QUIC), result.detail
    assert result.tls is not None and result.tls.verified_public
    assert "ALPN h3" in result.detail


def test_quic_with_a_certificate_the_public_does_not_trust(servers: Servers) -> None:
    result = QuicProbe(_prober(servers)).probe(_target(servers.quic_untrusted_port))
    assert result.status is Status.TLS_UNTRUSTED, result.detail
    assert "certificate" in result.detail.lower()
    assert not result.status.works


def test_quic_where_nothing_answers_ends_within_the_deadline(servers: Servers) -> None:
    result = QuicProbe(_prober(servers, timeout=1.0)).probe(_target(_free_udp_port()))
    assert not result.status.works
    assert result.elapsed_ms < 5000, result.elapsed_ms


@pytest.mark.parametrize(
    ("header", "offers"),
    [
        ('h3=":443"; ma=86400', True),
        ('h3-29=":443", h2=":443"', True),
        ('h2=":443"; ma=2592000', False),
        ("clear", False),
    ],
)
def test_alt_svc_offering_http3(header: str, offers: bool) -> None:
    assert advertises_h3(header) is offers


def test_a_silent_resolver_leaves_the_next_one_its_share_of_the_time(servers: Servers) -> None:
    stores = TrustStores(servers.roots, servers.roots)
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        mute = DohResolver("mute", f"https://localhost:{silent.getsockname()[1]}/dns-query", ("127.0.0.1",))
        found, problems = first_answer([mute, _resolver(servers)], "blocked.example", stores, 2.0)
    assert found is not None and found.addresses == ("192.0.2.80",)
    assert len(problems) == 1 and problems[0].startswith(mute.url)

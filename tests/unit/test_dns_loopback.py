"""The DNS layer against DNS servers on loopback that the tests start: stray datagrams, TC and TCP, rcodes,
silence, and lookups in a hub's greenlets that wait side by side."""

from __future__ import annotations

import heapq
import os
import resource
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from netaudit.errors import LocalResourceError
from netaudit.model import Status
from netaudit.probe import dns as dns_layer
from netaudit.probe.deadline import Deadline, LayerFailure
from netaudit.probe.hub import Hub

Sends = list[tuple[float, bytes]]
"""What the server sends for one question: (seconds after it arrived, datagram)."""
OnUdp = Callable[[dns.message.Message], Sends]
OnTcp = Callable[[dns.message.Message], bytes]


class Server:
    """A DNS server on 127.0.0.1: `udp(query)` says what to send back for each datagram; a TCP listener on
    the same port answers each length-prefixed question with `tcp(query)`."""

    def __init__(self, udp: OnUdp, tcp: OnTcp) -> None:
        self.udp_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp_sock.bind(("127.0.0.1", 0))
        self.port = self.udp_sock.getsockname()[1]
        self.tcp_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp_sock.bind(("127.0.0.1", self.port))
        self.tcp_sock.listen(8)
        self.udp_handler, self.tcp_handler = udp, tcp
        self.asked: list[str] = []  # "udp" or "tcp", per question
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        due: list[tuple[float, int, bytes, tuple[str, int]]] = []
        order = 0
        while not self._stop.is_set():
            wait = 0.05 if not due else max(0.0, min(0.05, due[0][0] - time.monotonic()))
            readable, _, _ = select.select([self.udp_sock, self.tcp_sock], [], [], wait)
            if self.udp_sock in readable:
                data, peer = self.udp_sock.recvfrom(4096)
                self.asked.append("udp")
                for delay, datagram in self.udp_handler(dns.message.from_wire(data)):
                    order += 1
                    heapq.heappush(due, (time.monotonic() + delay, order, datagram, peer))
            if self.tcp_sock in readable:
                conn, _ = self.tcp_sock.accept()
                threading.Thread(target=self._answer_tcp, args=(conn,), daemon=True).start()
            while due and due[0][0] <= time.monotonic():
                _, _, datagram, peer = heapq.heappop(due)
                self.udp_sock.sendto(datagram, peer)

    def _answer_tcp(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            data = b""
            while len(data) < 2 or len(data) < 2 + int.from_bytes(data[:2], "big"):
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.asked.append("tcp")
            answer = self.tcp_handler(dns.message.from_wire(data[2:]))
            for i in range(0, len(answer) + 2, 7):  # in small pieces: the reader must put them together
                conn.sendall((len(answer).to_bytes(2, "big") + answer)[i : i + 7])

    def resolver(self, timeout: float = 2.0) -> dns.resolver.Resolver:
        resolver = dns_layer.make_resolver(("127.0.0.1", self.port))
        resolver.timeout = timeout
        return resolver

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.udp_sock.close()
        self.tcp_sock.close()


def reply(
    query: dns.message.Message, *addresses: str, rcode: dns.rcode.Rcode = dns.rcode.NOERROR, tc: bool = False
) -> bytes:
    """dnspython's response to `query`: its A or AAAA question answered with `addresses`."""
    response = dns.message.make_response(query)
    question = query.question[0]
    if addresses:
        kind = dns.rdatatype.to_text(question.rdtype)
        response.answer.append(dns.rrset.from_text(question.name, 60, "IN", kind, *addresses))
    response.set_rcode(rcode)
    if tc:
        response.flags |= dns.flags.TC
    return response.to_wire()


def never(query: dns.message.Message) -> bytes:
    raise AssertionError("TCP was not expected")


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(udp: OnUdp, tcp: OnTcp = never) -> Server:
        servers.append(Server(udp, tcp))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_datagram_with_another_id_is_ignored_and_the_answer_taken(serve: Callable[..., Server]) -> None:
    def udp(query: dns.message.Message) -> Sends:
        stray = dns.message.from_wire(reply(query, "203.0.113.66"))
        stray.id = (query.id + 1) % 65536
        return [(0.0, stray.to_wire()), (0.05, reply(query, "192.0.2.10"))]

    server = serve(udp)
    assert dns_layer.lookup(server.resolver(), "www.example.test", Deadline(5)) == ["192.0.2.10"]
    assert server.asked == ["udp"]


def test_an_answer_to_another_question_is_ignored(serve: Callable[..., Server]) -> None:
    def udp(query: dns.message.Message) -> Sends:
        other = dns.message.make_query("other.example.test", "A")
        other.id = query.id
        return [(0.0, reply(other, "203.0.113.66")), (0.05, reply(query, "192.0.2.11"))]

    server = serve(udp)
    assert dns_layer.lookup(server.resolver(), "www.example.test", Deadline(5)) == ["192.0.2.11"]


def test_a_truncated_answer_is_asked_again_over_tcp(serve: Callable[..., Server]) -> None:
    server = serve(
        lambda query: [(0.0, reply(query, tc=True))],
        lambda query: reply(query, *[f"192.0.2.{i}" for i in range(1, 41)]),
    )
    answers = dns_layer.lookup(server.resolver(), "big.example.test", Deadline(5))
    assert sorted(answers) == sorted(f"192.0.2.{i}" for i in range(1, 41))
    assert server.asked == ["udp", "tcp"]


def test_aaaa_when_there_is_no_a(serve: Callable[..., Server]) -> None:
    def udp(query: dns.message.Message) -> Sends:
        if query.question[0].rdtype == dns.rdatatype.A:
            return [(0.0, reply(query))]  # no data
        return [(0.0, reply(query, "2001:db8::5"))]

    server = serve(udp)
    assert dns_layer.lookup(server.resolver(), "v6.example.test", Deadline(5)) == ["2001:db8::5"]
    assert server.asked == ["udp", "udp"]


def test_nxdomain_and_servfail_keep_their_statuses_and_words(serve: Callable[..., Server]) -> None:
    server = serve(lambda query: [(0.0, reply(query, rcode=dns.rcode.NXDOMAIN))])
    where = f"127.0.0.1 port {server.port}"
    with pytest.raises(LayerFailure) as nx:
        dns_layer.lookup(server.resolver(), "nothing.example.test", Deadline(5))
    assert nx.value.status is Status.DNS_NXDOMAIN
    assert nx.value.detail == f"{where} says nothing.example.test does not exist (NXDOMAIN)"

    failing = serve(lambda query: [(0.0, reply(query, rcode=dns.rcode.SERVFAIL))])
    with pytest.raises(LayerFailure) as servfail:
        dns_layer.lookup(failing.resolver(), "broken.example.test", Deadline(5))
    assert servfail.value.status is Status.DNS_ERROR
    assert servfail.value.detail == f"127.0.0.1 port {failing.port} failed to answer for broken.example.test: SERVFAIL"


def test_a_malformed_answer_is_a_dns_error_with_the_reason(serve: Callable[..., Server]) -> None:
    server = serve(lambda query: [(0.0, reply(query, "192.0.2.1")[:-3])])
    with pytest.raises(LayerFailure) as failure:
        dns_layer.lookup(server.resolver(), "cut.example.test", Deadline(5))
    assert failure.value.status is Status.DNS_ERROR
    assert failure.value.detail == (
        f"127.0.0.1 port {server.port} failed to answer for cut.example.test: "
        "127.0.0.1: malformed answer (an answer record's data runs past the end of the message)"
    )


def test_a_silent_server_ends_at_the_deadline(serve: Callable[..., Server]) -> None:
    server = serve(lambda query: [])
    started = time.monotonic()
    with pytest.raises(LayerFailure) as failure:
        dns_layer.lookup(server.resolver(timeout=0.2), "silent.example.test", Deadline(0.7))
    assert 0.6 < time.monotonic() - started < 1.5
    assert failure.value.detail == f"no answer from 127.0.0.1 port {server.port} for silent.example.test within 0.7s"
    assert len(server.asked) >= 3  # asked again each round while the deadline allowed


def test_a_port_where_nothing_listens_is_named() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    resolver = dns_layer.make_resolver(("127.0.0.1", port))
    with pytest.raises(LayerFailure) as failure:
        dns_layer.lookup(resolver, "nobody.example.test", Deadline(5))
    assert failure.value.status is Status.DNS_ERROR
    assert "127.0.0.1: [Errno 111] Connection refused" in failure.value.detail


def test_running_out_of_descriptors_is_a_local_error(serve: Callable[..., Server]) -> None:
    server = serve(lambda query: [(0.0, reply(query, "192.0.2.50"))])
    resolver = server.resolver()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowest_free = os.open(os.devnull, os.O_RDONLY)
    os.close(lowest_free)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))  # the next descriptor is one too many
    try:
        with pytest.raises(LocalResourceError, match="ran out of resources for probing"):
            dns_layer.lookup(resolver, "www.example.test", Deadline(5))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert dns_layer.lookup(resolver, "www.example.test", Deadline(5)) == ["192.0.2.50"]


def test_an_international_name_is_asked_in_its_idna_form(serve: Callable[..., Server]) -> None:
    asked: list[str] = []

    def udp(query: dns.message.Message) -> Sends:
        asked.append(query.question[0].name.to_text())
        return [(0.0, reply(query, "192.0.2.40"))]

    server = serve(udp)
    assert dns_layer.lookup(server.resolver(), "prøxy.example.test", Deadline(5)) == ["192.0.2.40"]
    assert asked == ["xn--prxy-hra.example.test."]


def test_an_invalid_name_is_a_dns_error() -> None:
    resolver = dns_layer.make_resolver(("127.0.0.1", 9))
    with pytest.raises(LayerFailure, match=r"is not a valid DNS name: .* longer than 63") as failure:
        dns_layer.lookup(resolver, "a" * 64 + ".example.test", Deadline(1))
    assert failure.value.status is Status.DNS_ERROR


def _two_lookups_in_a_hub(resolver: dns.resolver.Resolver) -> tuple[list[list[str]], float]:
    """Two names looked up by two greenlets of one hub: their answers, and the seconds both took."""
    found: list[list[str]] = []

    def look(name: str) -> None:
        found.append(dns_layer.lookup(resolver, name, Deadline(5)))

    hub = Hub()
    hub.spawn(look, "one.example.test")
    hub.spawn(look, "two.example.test")
    started = time.monotonic()
    hub.run()
    return found, time.monotonic() - started


def test_lookups_in_a_hub_wait_side_by_side(serve: Callable[..., Server]) -> None:
    server = serve(lambda query: [(0.3, reply(query, "192.0.2.20"))])
    found, elapsed = _two_lookups_in_a_hub(server.resolver())
    assert found == [["192.0.2.20"], ["192.0.2.20"]]
    assert 0.3 <= elapsed < 0.55, elapsed  # one after the other would take 0.6 s


def test_tcp_lookups_in_a_hub_wait_side_by_side(serve: Callable[..., Server]) -> None:
    def tcp(query: dns.message.Message) -> bytes:
        time.sleep(0.3)
        return reply(query, "192.0.2.30")

    server = serve(lambda query: [(0.0, reply(query, tc=True))], tcp)
    found, elapsed = _two_lookups_in_a_hub(server.resolver())
    assert found == [["192.0.2.30"], ["192.0.2.30"]]
    assert sorted(server.asked) == ["tcp", "tcp", "udp", "udp"]
    assert 0.3 <= elapsed < 0.55, elapsed

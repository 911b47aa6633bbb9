"""The proxy layer (probe/proxy.py, probe/proxyauth.py) against a CONNECT proxy stub on loopback.

No root and no Squid: the stub allows CONNECT and relays to a loopback TLS origin, or refuses it
(403, 502), asks for Basic or NTLM credentials (407, checked for real: NTLM through pyspnego's
acceptor), or closes without a word; for plain-HTTP requests it answers as a proxy or relays an
origin's answer. Each case is probed with netaudit's real engine, so this runs on a laptop too.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import spnego
import trustme

from netaudit.model import Layer, ProbeResult, Route, Status, Target
from netaudit.net.config import build_netconfig
from netaudit.probe.engine import Prober
from netaudit.probe.proxyauth import basic_credentials, handshake_scheme, offered_schemes
from tests.netlab.origin import OriginServer, tls_context

USER, PASSWORD = "CORP\\carol", "Proxy-Secret-1"


def _head(status: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in (headers or {}).items()), f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _read_request(sock: socket.socket) -> tuple[str, dict[str, str]] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def _relay(client: socket.socket, authority: str) -> None:
    host, _, port = authority.rpartition(":")
    upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)

    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(16384):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    other = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    other.start()
    pump(client, upstream)
    other.join(5)
    upstream.close()


@dataclass
class Stub:
    """How the stub proxy behaves, and what it saw (request lines, per connection)."""

    behaviour: str = "allow"
    plain_answer: bytes = b""
    connections: list[list[str]] = field(default_factory=list)


class _Handler(socketserver.BaseRequestHandler):
    server: _ProxyStub

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)
        stub = self.server.stub
        seen: list[str] = []
        stub.connections.append(seen)
        behaviour = stub.behaviour
        ntlm: Any = None
        while True:
            request = _read_request(sock)
            if request is None or behaviour == "close":
                return
            line, headers = request
            seen.append(line)
            method, authority = line.split(" ")[:2]
            if method != "CONNECT":
                sock.sendall(stub.plain_answer)
                return
            auth = headers.get("proxy-authorization", "")
            if behaviour in ("403", "502"):
                reason = {"403": "403 Forbidden", "502": "502 Bad Gateway"}[behaviour]
                sock.sendall(_head(reason, {"Content-Type": "text/html"}, b"<html>no</html>"))
                return
            if behaviour == "basic" and auth != basic_credentials_header():
                sock.sendall(_head("407 Proxy Authentication Required", {"Proxy-Authenticate": 'Basic realm="corp"'}))
                return
            if behaviour == "ntlm":
                scheme, _, token = auth.partition(" ")
                if scheme != "NTLM":
                    sock.sendall(_head("407 Proxy Authentication Required", {"Proxy-Authenticate": "NTLM"}))
                    return
                try:
                    if ntlm is None:
                        ntlm = spnego.server(protocol="ntlm")
                    reply = ntlm.step(base64.b64decode(token))
                except Exception:
                    sock.sendall(_head("407 Proxy Authentication Required", {"Proxy-Authenticate": "NTLM"}))
                    return
                if not ntlm.complete:
                    challenge = {"Proxy-Authenticate": f"NTLM {base64.b64encode(reply or b'').decode()}"}
                    sock.sendall(_head("407 Proxy Authentication Required", challenge))
                    continue  # the answer comes on this same connection
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _relay(sock, authority)
            return


def basic_credentials_header() -> str:
    return "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


class _ProxyStub(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stub = Stub()


@dataclass
class Loop:
    proxy: _ProxyStub
    origin_port: int
    roots: Path


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loop]:
    folder = tmp_path_factory.mktemp("proxy-stub")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "roots.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(folder / "chain.pem"))
    origin = OriginServer("127.0.0.1", 0, "ok", tls_context(str(folder / "chain.pem")))
    proxy = _ProxyStub()
    for server in (origin, proxy):
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield Loop(proxy, origin.server_address[1], folder / "roots.pem")
    for server in (origin, proxy):
        server.shutdown()
        server.server_close()


def _probe(loop: Loop, behaviour: str, *, user: str | None = None, password: str | None = None) -> ProbeResult:
    loop.proxy.stub = Stub(behaviour)
    config = build_netconfig(
        proxy=f"http://127.0.0.1:{loop.proxy.server_address[1]}",
        proxy_user=user,
        proxy_password=password,
        ca_bundle=str(loop.roots),
        public_roots=str(loop.roots),
        timeout=5.0,
        environ={},
    )
    return Prober(config).probe(Target(id=behaviour, url=f"https://127.0.0.1:{loop.origin_port}/"))


def test_connect_allowed_reaches_the_site(loop: Loop) -> None:
    result = _probe(loop, "allow")
    assert (result.status, result.route) == (Status.REACHABLE, Route.PROXY), result.detail
    assert result.dns is not None and result.dns.resolved_by_proxy
    assert loop.proxy.stub.connections[0][0].startswith(f"CONNECT 127.0.0.1:{loop.origin_port} ")


@pytest.mark.parametrize(
    ("behaviour", "status", "words"),
    [
        ("403", Status.PROXY_DENIED, "refused CONNECT"),
        ("502", Status.PROXY_ERROR, "502 Bad Gateway"),
        ("close", Status.PROXY_ERROR, "broke off CONNECT"),
        ("basic", Status.PROXY_AUTH_REQUIRED, "none were given"),
        ("ntlm", Status.PROXY_AUTH_REQUIRED, "NTLM"),
    ],
)
def test_connect_refusals(loop: Loop, behaviour: str, status: Status, words: str) -> None:
    result = _probe(loop, behaviour)
    assert (result.status, result.layer) == (status, Layer.PROXY), result.detail
    assert words in result.detail


def test_basic_credentials_open_the_tunnel_and_a_wrong_password_does_not(loop: Loop) -> None:
    result = _probe(loop, "basic", user=USER, password=PASSWORD)
    assert (result.status, result.identity) == (Status.REACHABLE, USER), result.detail
    wrong = _probe(loop, "basic", user=USER, password="not-it")
    assert wrong.status is Status.PROXY_AUTH_REQUIRED and "rejected the credentials" in wrong.detail
    assert "not-it" not in wrong.detail and PASSWORD not in result.detail


def test_ntlm_challenge_is_answered_on_one_connection(
    loop: Loop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = tmp_path / "ntlm-users"
    users.write_text(f"CORP:carol:{PASSWORD}\n", encoding="utf-8")
    monkeypatch.setenv("NTLM_USER_FILE", str(users))  # what pyspnego's NTLM acceptor checks against
    result = _probe(loop, "ntlm", user=USER, password=PASSWORD)
    assert result.status is Status.REACHABLE, result.detail
    first, handshake = loop.proxy.stub.connections[:2]
    assert len(first) == 1 and len(handshake) == 2  # the challenge and its answer share a connection
    wrong = _probe(loop, "ntlm", user=USER, password="not-it")
    assert wrong.status is Status.PROXY_AUTH_REQUIRED and "rejected the credentials" in wrong.detail


def test_an_unreachable_proxy_is_a_proxy_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = build_netconfig(proxy=f"http://127.0.0.1:{port}", timeout=3.0, environ={})
    result = Prober(config).probe(Target(id="x", url="https://www.example.com/"))
    assert (result.status, result.layer) == (Status.PROXY_ERROR, Layer.PROXY)
    assert "cannot reach the proxy" in result.detail


# --- plain HTTP through the proxy: the proxy's own answer is its verdict -----------------------


@pytest.mark.parametrize(
    ("answer", "status", "fingerprint"),
    [
        # Squid's own error page for a request it will not forward: never the site's http_error.
        (
            _head("400 Bad Request", {"Server": "squid/6.10", "X-Squid-Error": "ERR_INVALID_URL 0"}, b"<html/>"),
            Status.PROXY_DENIED,
            "Squid",
        ),
        (_head("403 Forbidden", {"Server": "tinyproxy/1.11.1"}, b"<html>no</html>"), Status.PROXY_DENIED, "tinyproxy"),
        # A Privoxy page its owner rewrote: the reason phrase still signs it.
        (_head("403 Request blocked by Privoxy", {}, b"<title>Nope</title>"), Status.PROXY_DENIED, "Privoxy"),
        (_head("503 Service Unavailable", {"X-Squid-Error": "ERR_DNS_FAIL 0"}, b"x"), Status.PROXY_ERROR, ""),
        (_head("504 Gateway Timeout", {}, b"x"), Status.PROXY_ERROR, ""),
        (
            _head("407 Proxy Authentication Required", {"Proxy-Authenticate": 'Basic realm="corp"'}),
            Status.PROXY_AUTH_REQUIRED,
            "",
        ),
        # The origin's own error, relayed (its Server, the proxy's Via): the site's answer.
        (
            _head("404 Not Found", {"Server": "nginx", "Via": "1.1 proxy (squid/6.10)"}, b"<html>gone</html>"),
            Status.HTTP_ERROR,
            "",
        ),
        (
            _head("200 OK", {"Server": "nginx", "Via": "1.1 proxy (squid/6.10)"}, b"<title>Home</title>"),
            Status.REACHABLE,
            "",
        ),
    ],
)
def test_plain_http_answers_through_the_proxy(loop: Loop, answer: bytes, status: Status, fingerprint: str) -> None:
    loop.proxy.stub = Stub("plain", plain_answer=answer)
    config = build_netconfig(proxy=f"http://127.0.0.1:{loop.proxy.server_address[1]}", timeout=5.0, environ={})
    result = Prober(config).probe(Target(id="p", url="http://www.example.com/"))
    assert result.status is status, result.detail
    assert (result.http.fingerprint if result.http else "") == fingerprint
    assert loop.proxy.stub.connections[0][0].startswith("GET http://www.example.com/ ")


def test_proxyauth_schemes() -> None:
    assert offered_schemes('Basic realm="corp", NTLM, Negotiate') == ["Basic", "NTLM", "Negotiate"]
    assert handshake_scheme("NTLM") == "NTLM"
    assert handshake_scheme("Negotiate, NTLM") == "Negotiate"
    assert handshake_scheme('Basic realm="x", NTLM') is None  # Basic went with the first request
    assert handshake_scheme("Digest realm=x") is None
    spec = build_netconfig(
        proxy="http://proxy:3128", proxy_user="carol", proxy_password=PASSWORD, environ={}
    ).proxy_for("https://www.example.com/")
    assert spec is not None
    assert basic_credentials(spec) == {
        "Proxy-Authorization": "Basic " + base64.b64encode(f"carol:{PASSWORD}".encode()).decode()
    }

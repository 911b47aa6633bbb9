"""Masking hides credentials where they are and never rewrites evidence (a probe's detail through a real proxy stub)."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from netaudit.model import Target
from netaudit.net.config import build_netconfig
from netaudit.probe.engine import Prober


class _EchoingProxy(socketserver.BaseRequestHandler):
    """A proxy on loopback: 403 to every CONNECT, except echo.test, which gets a 407 echoing the credentials sent."""

    heads: ClassVar[list[str]] = []

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        head = data.split(b"\r\n\r\n")[0].decode("latin-1")
        type(self).heads.append(head)
        sent = [line for line in head.splitlines() if line.lower().startswith("proxy-authorization:")]
        if sent and head.startswith("CONNECT echo.test:443 "):
            echo = sent[0].replace('"', "'")
            answer = (
                f'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="you sent {echo}"\r\n'
            )
        else:
            answer = "HTTP/1.1 403 Forbidden\r\n"
        self.request.sendall(answer.encode() + b"Content-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture
def proxy_port() -> Iterator[int]:
    _EchoingProxy.heads = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _EchoingProxy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _probe(
    port: int, user: str | None, password: str | None, url: str = "https://www.facebook.com/"
) -> tuple[str, str | None]:
    config = build_netconfig(
        proxy=f"http://127.0.0.1:{port}", proxy_user=user, proxy_password=password, timeout=3, environ={}
    )
    result = Prober(config).probe(Target(id=url, url=url))
    return result.detail, result.proxy


def test_a_password_that_is_part_of_a_host_name_leaves_the_host_name_alone(proxy_port: int) -> None:
    detail, proxy = _probe(proxy_port, "bob", "com")
    assert proxy == f"http://bob:***@127.0.0.1:{proxy_port}"
    assert "www.facebook.com:443" in detail
    assert "facebook.***" not in detail
    assert "Proxy-Authorization: Basic " in _EchoingProxy.heads[0]


def test_an_echoed_proxy_authorization_header_is_masked(proxy_port: int) -> None:
    detail, _ = _probe(proxy_port, "bob", "hunter2", "https://echo.test/")
    assert "Proxy-Authorization: Basic " in _EchoingProxy.heads[0]  # the stub really got the credentials
    assert detail == (
        f"the proxy http://bob:***@127.0.0.1:{proxy_port} rejected the credentials of user 'bob' "
        '(Basic realm="you sent Proxy-Authorization: Basic ***")'
    )


def test_without_credentials_the_refusal_is_told_as_it_is(proxy_port: int) -> None:
    detail, _ = _probe(proxy_port, None, None)
    assert detail.startswith(f"the proxy http://127.0.0.1:{proxy_port} refused CONNECT www.facebook.com:443 with 403")

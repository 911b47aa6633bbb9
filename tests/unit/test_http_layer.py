"""The HTTP layer's reader: framing, bounds and the deadline, over a real socket pair."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from netaudit.probe.deadline import Deadline, DeadlineExceeded
from netaudit.probe.http import MAX_BODY, HttpProtocolError, build_request, read_body, read_head
from netaudit.probe.stream import Stream


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    client, server = socket.socketpair()
    yield client, server
    client.close()
    server.close()


def _serve(server: socket.socket, payload: bytes, close: bool = True) -> None:
    try:
        server.sendall(payload)
    except BrokenPipeError:  # the reader stops at its bound and hangs up: expected
        return
    if close:
        server.shutdown(socket.SHUT_WR)


def test_content_length_body(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    _serve(
        server,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello extra",
    )
    stream = Stream(client, Deadline(5))
    answer = read_head(stream)
    read_body(stream, answer, "GET")
    assert (answer.status, answer.reason, answer.body) == (200, "OK", b"hello")
    assert answer.headers["content-type"] == "text/html; charset=utf-8"


def test_chunked_body_and_repeated_headers(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    _serve(
        server,
        b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\nVia: a\r\nVia: b\r\n\r\n"
        b"4\r\nbloc\r\n3;ext=1\r\nked\r\n0\r\n\r\n",
    )
    stream = Stream(client, Deadline(5))
    answer = read_head(stream)
    read_body(stream, answer, "GET")
    assert answer.body == b"blocked"
    assert answer.headers["via"] == "a, b"
    assert not answer.truncated


def test_body_is_bounded(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    big = b"x" * (MAX_BODY * 2)
    sender = threading.Thread(
        target=_serve, args=(server, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
    )
    sender.start()
    stream = Stream(client, Deadline(5))
    answer = read_head(stream)
    read_body(stream, answer, "GET")
    client.close()
    sender.join(5)
    assert len(answer.body) == MAX_BODY
    assert answer.truncated


def test_head_request_has_no_body(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    _serve(server, b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", close=False)
    stream = Stream(client, Deadline(2))
    answer = read_head(stream)
    read_body(stream, answer, "HEAD")
    assert answer.body == b""


def test_not_http(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    _serve(server, b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    with pytest.raises(HttpProtocolError, match="not an HTTP answer"):
        read_head(Stream(client, Deadline(2)))


def test_slow_drip_is_cut_at_the_deadline(pair: tuple[socket.socket, socket.socket]) -> None:
    client, server = pair
    stop = threading.Event()

    def drip() -> None:
        server.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        while not stop.is_set():
            try:
                server.sendall(b"x")
            except OSError:
                return
            time.sleep(0.05)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    deadline = Deadline(0.6)
    stream = Stream(client, deadline)
    answer = read_head(stream)
    try:
        with pytest.raises((DeadlineExceeded, TimeoutError)):
            read_body(stream, answer, "GET")
        assert deadline.expired()
    finally:
        stop.set()
        thread.join(2)


def test_request_head() -> None:
    request = build_request("GET", "/path?q=1", "www.example.test", {"Proxy-Authorization": "Basic eA=="})
    assert request.startswith(b"GET /path?q=1 HTTP/1.1\r\nHost: www.example.test\r\n")
    assert b"Proxy-Authorization: Basic eA==\r\n" in request
    assert request.endswith(b"\r\n\r\n")

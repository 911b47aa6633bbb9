"""A socket reader that never blocks past the probe's deadline, with bounded reads.

Sockets stay non-blocking, and the waits are a `poll` bounded by what is left of the deadline.
Setting a socket timeout before each call (as this module did) costs a system call that lets go
of the interpreter lock, and with many probes at once every such hand-over is a context switch:
that was a large share of a probe's CPU.
"""

from __future__ import annotations

import re
import socket
import ssl

from netaudit.probe.deadline import Deadline
from netaudit.probe.hub import wait_ready

CHUNK = 16384


class StreamClosed(Exception):
    """The peer closed the connection before the expected data arrived."""


def wait(sock: socket.socket, deadline: Deadline, *, writing: bool = False) -> None:
    """Wait until `sock` is readable (or writable); TimeoutError when the deadline passes first.

    In a hub's greenlet the wait switches to the other probes (see hub.py); on a thread it polls.
    """
    if not wait_ready(sock, deadline.remaining(), writing=writing):
        raise TimeoutError("timed out")


def nonblocking(sock: socket.socket) -> socket.socket:
    """Put `sock` in non-blocking mode unless it already is (one system call at most)."""
    if sock.gettimeout() != 0.0:
        sock.setblocking(False)
    return sock


class Stream:
    """Buffered reads on a socket; every wait is bounded by what is left of the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self.sock = nonblocking(sock)
        self.deadline = deadline
        self.buffer = bytearray()
        self.eof = False

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except ssl.SSLWantReadError:
                wait(self.sock, self.deadline)
                continue
            except (ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
                wait(self.sock, self.deadline, writing=True)
                continue
            view = view[sent:]

    def _fill(self) -> None:
        sock = self.sock
        # Data TLS has already decrypted is not visible to poll(): read it first.
        ready = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        while True:
            if not ready:
                wait(sock, self.deadline)
            try:
                chunk = sock.recv(CHUNK)
                break
            except ssl.SSLZeroReturnError:
                chunk = b""
                break
            except ssl.SSLWantWriteError:
                wait(sock, self.deadline, writing=True)
                ready = True
            except (ssl.SSLWantReadError, BlockingIOError, InterruptedError):
                ready = False
        if not chunk:
            self.eof = True
            raise StreamClosed("the connection was closed")
        self.buffer += chunk

    def read_until(self, marker: bytes, limit: int) -> bytes:
        """Bytes up to and including `marker`; ValueError past `limit` bytes."""
        while True:
            index = self.buffer.find(marker)
            if index >= 0:
                end = index + len(marker)
                data = bytes(self.buffer[:end])
                del self.buffer[:end]
                return data
            if len(self.buffer) > limit:
                raise ValueError(f"no end of headers within {limit} bytes")
            self._fill()

    def read_through(self, end: re.Pattern[bytes], limit: int) -> bytes:
        """Bytes up to and including the first match of `end`; ValueError past `limit` bytes."""
        while True:
            found = end.search(self.buffer)
            if found is not None:
                data = bytes(self.buffer[: found.end()])
                del self.buffer[: found.end()]
                return data
            if len(self.buffer) > limit:
                raise ValueError(f"no end of headers within {limit} bytes")
            self._fill()

    def read(self, size: int) -> bytes:
        """Exactly `size` bytes, or fewer if the peer closes first."""
        while len(self.buffer) < size:
            try:
                self._fill()
            except StreamClosed:
                break
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def read_to_eof(self, limit: int) -> bytes:
        """Everything until the peer closes, at most `limit` bytes."""
        while len(self.buffer) < limit:
            try:
                self._fill()
            except StreamClosed:
                break
        data = bytes(self.buffer[:limit])
        del self.buffer[:limit]
        return data

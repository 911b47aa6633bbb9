"""A socket reader that never blocks past the probe's deadline, with bounded reads."""

from __future__ import annotations

import re
import socket
import ssl

from netaudit.probe.deadline import Deadline

CHUNK = 16384


class StreamClosed(Exception):
    """The peer closed the connection before the expected data arrived."""


class Stream:
    """Buffered reads on a socket; every recv is bounded by what is left of the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = bytearray()
        self.eof = False

    def send(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.remaining())
        self.sock.sendall(data)

    def _fill(self) -> None:
        self.sock.settimeout(self.deadline.remaining())
        try:
            chunk = self.sock.recv(CHUNK)
        except ssl.SSLZeroReturnError:
            chunk = b""
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

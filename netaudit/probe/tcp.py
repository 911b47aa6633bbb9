"""The TCP layer: open a connection to one of a host's addresses, telling a silent drop from a refusal."""

from __future__ import annotations

import errno
import ipaddress
import os
import select
import socket
from collections.abc import Callable

from netaudit.model import Layer, Status
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure

HANG_AFTER = 0.5
"""Seconds after which a pending connect counts as hanging (a lost SYN is resent after 1 s)."""

_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM}


class ConnectFailed(Exception):
    """No address accepted the connection; `status` says how it failed."""

    def __init__(self, status: Status, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def open_connection(
    addresses: list[str], port: int, deadline: Deadline, on_hang: Callable[[str], None] | None = None
) -> socket.socket:
    """A connected, non-blocking socket to the first address that accepts; raises ConnectFailed otherwise.

    `on_hang(address)` is called once if the connection is still pending after HANG_AFTER seconds
    (its SYN unanswered: a firewall that drops silently); the wait itself goes on to the deadline.
    """
    last: ConnectFailed | None = None
    for address in addresses:
        family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
        # Non-blocking from the start, and left so: the layers above wait with poll (see stream.py).
        sock = socket.socket(family, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        try:
            _connect(sock, address, port, deadline, on_hang)
        except DeadlineExceeded as exc:
            sock.close()
            raise ConnectFailed(
                Status.TCP_TIMEOUT,
                f"{_where(address, port)} did not answer within {deadline.seconds:g}s (packets silently dropped)",
            ) from exc
        except ConnectionRefusedError:
            sock.close()
            last = ConnectFailed(Status.TCP_REFUSED, f"{_where(address, port)} refused the connection (reset)")
            continue
        except OSError as exc:
            sock.close()
            reason = "unreachable (rejected with ICMP)" if exc.errno in _UNREACHABLE else exc.strerror or str(exc)
            last = ConnectFailed(Status.TCP_REFUSED, f"{_where(address, port)}: {reason}")
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise last or ConnectFailed(Status.TCP_REFUSED, "no address to connect to")


def _connect(
    sock: socket.socket, address: str, port: int, deadline: Deadline, on_hang: Callable[[str], None] | None
) -> None:
    # A non-blocking connect, waited for in two steps so a hanging one can be reported early.
    code = sock.connect_ex((address, port))
    if code not in (0, errno.EINPROGRESS, errno.EAGAIN):
        raise OSError(code, os.strerror(code))
    if code != 0:
        poller = select.poll()  # not select(): it cannot watch descriptors above 1023
        poller.register(sock, select.POLLOUT)
        if not poller.poll(min(HANG_AFTER, deadline.remaining()) * 1000):
            if on_hang is not None:
                on_hang(address)
            if not poller.poll(deadline.remaining() * 1000):
                raise DeadlineExceeded(f"no answer from {_where(address, port)}")
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code == errno.ECONNREFUSED:
            raise ConnectionRefusedError(code, os.strerror(code))
        if code:
            raise OSError(code, os.strerror(code))


def connect(
    addresses: list[str], port: int, deadline: Deadline, on_hang: Callable[[str], None] | None = None
) -> socket.socket:
    """open_connection for a site: failures become tcp_* statuses."""
    try:
        return open_connection(addresses, port, deadline, on_hang)
    except ConnectFailed as exc:
        raise LayerFailure(exc.status, Layer.TCP, exc.detail) from exc


def _where(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"

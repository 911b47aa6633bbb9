"""The TCP layer: open a connection to one of a host's addresses, telling a silent drop from a refusal."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import threading
from collections.abc import Callable

from netaudit.model import Layer, Status
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure
from netaudit.probe.hub import Flag, wait_ready

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
    addresses: list[str],
    port: int,
    deadline: Deadline,
    on_hang: Callable[[str], None] | None = None,
    ledger: ConnectLedger | None = None,
) -> socket.socket:
    """A connected, non-blocking socket to the first address that accepts; raises ConnectFailed otherwise.

    `on_hang(address)` is called once if the connection is still pending after HANG_AFTER seconds
    (its SYN unanswered: a firewall that drops silently); the wait itself goes on to the deadline.
    With a `ledger`, an address and port that already dropped or refused a connection this run
    is not tried again: its outcome is shared (see ConnectLedger).
    """
    last: ConnectFailed | None = None
    for address in addresses:

        def attempt(address: str = address) -> socket.socket | ConnectFailed:
            return _attempt(address, port, deadline, on_hang)

        outcome = attempt() if ledger is None else ledger.attempt(address, port, deadline, attempt)
        if isinstance(outcome, socket.socket):
            return outcome
        if outcome.status is Status.TCP_TIMEOUT:
            raise outcome
        last = outcome
    raise last or ConnectFailed(Status.TCP_REFUSED, "no address to connect to")


def _attempt(
    address: str, port: int, deadline: Deadline, on_hang: Callable[[str], None] | None
) -> socket.socket | ConnectFailed:
    """One connection attempt: the socket, or how it failed."""
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    # Non-blocking from the start, and left so: the layers above wait with poll (see stream.py).
    sock = socket.socket(family, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    try:
        _connect(sock, address, port, deadline, on_hang)
    except DeadlineExceeded:
        sock.close()
        return _dropped(address, port, deadline)
    except ConnectionRefusedError:
        sock.close()
        return ConnectFailed(Status.TCP_REFUSED, f"{_where(address, port)} refused the connection (reset)")
    except OSError as exc:
        sock.close()
        reason = "unreachable (rejected with ICMP)" if exc.errno in _UNREACHABLE else exc.strerror or str(exc)
        return ConnectFailed(Status.TCP_REFUSED, f"{_where(address, port)}: {reason}")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _dropped(address: str, port: int, deadline: Deadline) -> ConnectFailed:
    return ConnectFailed(
        Status.TCP_TIMEOUT,
        f"{_where(address, port)} did not answer within {deadline.seconds:g}s (packets silently dropped)",
    )


class ConnectLedger:
    """The connection attempts of one identity and route in one run, by address and port.

    The first attempt to an address and port is made; an identical attempt made meanwhile waits
    for its outcome (within its own deadline). A drop or a refusal is then every identical
    attempt's outcome for the rest of the run, so a hundred endpoints behind one dropped address
    cost one timeout, not a hundred; each endpoint is still reported, with the shared evidence.
    A connection that succeeds is not shared: the next probe connects for itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int], Flag] = {}
        self._failed: dict[tuple[str, int], ConnectFailed] = {}

    def attempt(
        self, address: str, port: int, deadline: Deadline, connect: Callable[[], socket.socket | ConnectFailed]
    ) -> socket.socket | ConnectFailed:
        key = (address, port)
        with self._lock:
            failed = self._failed.get(key)
            pending = self._pending.get(key) if failed is None else None
            if failed is None and pending is None:
                mine = self._pending[key] = Flag()
        if failed is not None:
            return _shared(failed)
        if pending is None:
            return self._make(key, mine, connect)
        try:
            settled = pending.wait(deadline.remaining())
        except DeadlineExceeded:
            settled = False
        if not settled:
            failure = _dropped(address, port, deadline)
            return ConnectFailed(failure.status, f"{failure.detail}; {_SHARED}, still pending")
        with self._lock:
            failed = self._failed.get(key)
        return connect() if failed is None else _shared(failed)

    def _make(
        self, key: tuple[str, int], mine: Flag, connect: Callable[[], socket.socket | ConnectFailed]
    ) -> socket.socket | ConnectFailed:
        outcome: socket.socket | ConnectFailed | None = None
        try:
            outcome = connect()
            return outcome
        finally:
            with self._lock:
                if isinstance(outcome, ConnectFailed):
                    self._failed[key] = outcome
                # connected (or broke unexpectedly): later attempts connect for themselves
                del self._pending[key]
            mine.set()


def _shared(failure: ConnectFailed) -> ConnectFailed:
    return ConnectFailed(failure.status, f"{failure.detail} ({_SHARED})")


_SHARED = "one connection attempt to this address and port this run, shared by every probe that needed it"


def _connect(
    sock: socket.socket, address: str, port: int, deadline: Deadline, on_hang: Callable[[str], None] | None
) -> None:
    # A non-blocking connect, waited for in two steps so a hanging one can be reported early.
    code = sock.connect_ex((address, port))
    if code not in (0, errno.EINPROGRESS, errno.EAGAIN):
        raise OSError(code, os.strerror(code))
    if code != 0:
        if not wait_ready(sock, min(HANG_AFTER, deadline.remaining()), writing=True):
            if on_hang is not None:
                on_hang(address)
            if not wait_ready(sock, deadline.remaining(), writing=True):
                raise DeadlineExceeded(f"no answer from {_where(address, port)}")
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code == errno.ECONNREFUSED:
            raise ConnectionRefusedError(code, os.strerror(code))
        if code:
            raise OSError(code, os.strerror(code))


def connect(
    addresses: list[str],
    port: int,
    deadline: Deadline,
    on_hang: Callable[[str], None] | None = None,
    ledger: ConnectLedger | None = None,
) -> socket.socket:
    """open_connection for a site: failures become tcp_* statuses."""
    try:
        return open_connection(addresses, port, deadline, on_hang, ledger)
    except ConnectFailed as exc:
        raise LayerFailure(exc.status, Layer.TCP, exc.detail) from exc


def _where(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"

"""The TCP layer: open a connection to one of a host's addresses, telling a silent drop from a refusal."""

from __future__ import annotations

import errno
import ipaddress
import socket

from netaudit.model import Layer, Status
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure

_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM}


class ConnectFailed(Exception):
    """No address accepted the connection; `status` says how it failed."""

    def __init__(self, status: Status, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def open_connection(addresses: list[str], port: int, deadline: Deadline) -> socket.socket:
    """A connected socket to the first address that accepts; raises ConnectFailed otherwise."""
    last: ConnectFailed | None = None
    for address in addresses:
        family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect((address, port))
        except DeadlineExceeded as exc:
            sock.close()
            raise ConnectFailed(Status.TCP_TIMEOUT, f"no answer from {_where(address, port)}") from exc
        except TimeoutError as exc:
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


def connect(addresses: list[str], port: int, deadline: Deadline) -> socket.socket:
    """open_connection for a site: failures become tcp_* statuses."""
    try:
        return open_connection(addresses, port, deadline)
    except ConnectFailed as exc:
        raise LayerFailure(exc.status, Layer.TCP, exc.detail) from exc


def _where(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"

"""A packet capture in a lab namespace: every TCP connection and UDP packet a namespace starts, by destination.

An AF_PACKET socket opened inside the namespace (setns(2) in a short-lived thread, as ns_socket
does) sees the packets of every interface there; the ones the kernel marks PACKET_OUTGOING are what
the namespace's programs sent. Used to hold a real run's traffic against its `--plan`.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import struct
import threading
from dataclasses import dataclass, field

from .errors import LabError
from .namespaces import CLONE_NEWNET, NETNS_RUN_DIR, _libc

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
PROTOCOLS = {6: "tcp", 17: "udp"}
TCP_SYN = 0x02


@dataclass(frozen=True)
class Sent:
    """One destination a namespace sent to: address, transport protocol, port."""

    address: str
    protocol: str
    port: int


def parse(packet: bytes) -> Sent | None:
    """The destination of an IPv4 or IPv6 TCP/UDP packet (no link header); None for anything else."""
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4 and len(packet) >= 20:
        header = (packet[0] & 0x0F) * 4
        proto, dst = packet[9], packet[16:20]
    elif version == 6 and len(packet) >= 40:
        header, proto, dst = 40, packet[6], packet[24:40]
    else:
        return None
    if proto not in PROTOCOLS or len(packet) < header + 4:
        return None
    if proto == 6 and (len(packet) < header + 14 or not packet[header + 13] & TCP_SYN):
        return None  # only connection openings: the tail of a connection made before the capture is not news
    (port,) = struct.unpack("!H", packet[header + 2 : header + 4])
    return Sent(str(ipaddress.ip_address(dst)), PROTOCOLS[proto], port)


@dataclass
class Capture:
    """Runs until stopped; `sent` holds what the namespace sent meanwhile."""

    namespace: str
    sent: set[Sent] = field(default_factory=set)
    packets: int = 0
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Capture:
        ready = threading.Event()
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                fd = os.open(NETNS_RUN_DIR / self.namespace, os.O_RDONLY)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(f"setns({self.namespace}) failed")
                finally:
                    os.close(fd)
                self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
            except BaseException as exc:
                errors.append(exc)
                ready.set()
                return
            ready.set()
            self._loop()

        self._thread = threading.Thread(target=worker, name=f"capture-{self.namespace}", daemon=True)
        self._thread.start()
        ready.wait(5.0)
        if errors or self._sock is None:
            raise LabError(f"cannot capture in {self.namespace}: {errors[0] if errors else 'timed out'}")
        return self

    def _loop(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            readable, _, _ = select.select([self._sock], [], [], 0.2)
            if not readable:
                continue
            data, address = self._sock.recvfrom(65535)
            if address[2] != PACKET_OUTGOING:
                continue
            found = parse(data)
            if found is not None:
                self.packets += 1
                self.sent.add(found)

    def stop(self) -> set[Sent]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._sock is not None:
            self._sock.close()
        return self.sent

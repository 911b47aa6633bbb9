"""The lab's DNS server (dnsmasq) and a tiny stdlib DNS client to check it.

dnsmasq answers for social.test from a hosts file (unknown names are NXDOMAIN through
`local=/social.test/`). broken.test is sent to "the standard servers", of which there are none
(`no-resolv`), so dnsmasq answers REFUSED at once; unanswered.test is forwarded to an address where
nothing listens, so the client gets no answer at all (a DNS timeout). More names (for the
benchmark) are added with `add_hosts`, which rewrites an addn-hosts file and sends dnsmasq a SIGHUP.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LabError
from .namespaces import ns_argv, ns_socket
from .plan import BROKEN_DOMAIN, DEAD_DNS_ADDR, DOMAIN, UNANSWERED_DOMAIN
from .procs import Service, start_service

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


@dataclass
class Dnsmasq:
    """A running dnsmasq and the files it reads."""

    service: Service
    conf: Path
    hosts_file: Path
    extra_hosts_file: Path
    namespace: str
    listen: str
    extra: dict[str, str] = field(default_factory=dict)
    extra_lines: list[str] = field(default_factory=list)
    """More hosts-file lines (e.g. AAAA records: `2001:db8::1 name`), written after `extra`."""

    def add_hosts(self, records: Mapping[str, str], timeout: float = 10.0) -> None:
        """Serve more name -> address records (e.g. ~1,000 benchmark names), then wait until live."""
        self.extra.update(records)
        write_hosts(self.extra_hosts_file, self.extra, self.extra_lines)
        self.service.signal(signal.SIGHUP)
        if not records:
            return
        name, address = list(records.items())[-1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if query(self.namespace, self.listen, name).addresses == [address]:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise LabError(f"dnsmasq did not pick up {len(records)} new records\n{self.service.logs()}")


def write_hosts(path: Path, records: Mapping[str, str], lines: list[str] | None = None) -> None:
    """A hosts file, written atomically and readable by dnsmasq's unprivileged user."""
    tmp = path.with_suffix(".tmp")
    text = "".join(f"{addr} {name}\n" for name, addr in records.items()) + "".join(f"{x}\n" for x in lines or [])
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o644)
    tmp.replace(path)


def start_dnsmasq(
    namespace: str, listen: str, records: Mapping[str, str], folder: Path, timeout: float = 10.0
) -> Dnsmasq:
    """Configure and start dnsmasq on listen:53 in the namespace; return once it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    hosts_file = folder / "lab.hosts"
    extra_hosts_file = folder / "extra.hosts"
    write_hosts(hosts_file, records)
    write_hosts(extra_hosts_file, {})
    conf = folder / "dnsmasq.conf"
    log_file = folder / "dnsmasq.log"
    conf.write_text(
        "\n".join(
            [
                "# netaudit lab resolver",
                "no-resolv",
                "no-hosts",
                "no-poll",
                f"listen-address={listen}",
                "bind-interfaces",
                "port=53",
                f"local=/{DOMAIN}/",  # names not in the hosts files are NXDOMAIN, never forwarded
                f"server=/{BROKEN_DOMAIN}/#",  # "standard servers": there are none -> REFUSED
                f"server=/{UNANSWERED_DOMAIN}/{DEAD_DNS_ADDR}",  # nothing listens there -> no answer
                f"addn-hosts={hosts_file}",
                f"addn-hosts={extra_hosts_file}",
                "cache-size=10000",
                "neg-ttl=1",
                "local-ttl=1",
                "dns-forward-max=1000",
                "user=nobody",
                "group=nogroup",
                "log-queries",
                f"log-facility={log_file}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    argv = ns_argv(
        namespace, ["dnsmasq", "--keep-in-foreground", f"--conf-file={conf}", f"--pid-file={folder / 'dnsmasq.pid'}"]
    )
    service = start_service("dnsmasq", argv, folder / "dnsmasq.out", extra_logs=[log_file])
    server = Dnsmasq(
        service=service,
        conf=conf,
        hosts_file=hosts_file,
        extra_hosts_file=extra_hosts_file,
        namespace=namespace,
        listen=listen,
    )
    probe_name = next(iter(records))

    def answers() -> bool:
        try:
            return query(namespace, listen, probe_name, timeout=0.5).rcode == "NOERROR"
        except OSError:
            return False

    service.wait_ready(answers, timeout, f"(no DNS answer from {listen}:53)")
    return server


@dataclass(frozen=True)
class DnsAnswer:
    """What a DNS server said: the response code name and the A records."""

    rcode: str
    addresses: list[str]
    elapsed: float


def query(namespace: str, server: str, name: str, timeout: float = 2.0) -> DnsAnswer:
    """Ask `server` (from inside `namespace`) for the A records of `name`, over UDP."""
    qid = random.randrange(65536)
    packet = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    packet += b"".join(bytes([len(label)]) + label.encode("ascii") for label in name.split(".")) + b"\0"
    packet += struct.pack("!HH", 1, 1)
    sock = ns_socket(namespace, socket.AF_INET, socket.SOCK_DGRAM)
    started = time.monotonic()
    try:
        sock.settimeout(timeout)
        sock.sendto(packet, (server, 53))
        while True:
            data, _ = sock.recvfrom(4096)
            if len(data) >= 12 and struct.unpack("!H", data[:2])[0] == qid:
                break
    finally:
        sock.close()
    elapsed = time.monotonic() - started
    flags, qdcount, ancount = struct.unpack("!HHH", data[2:8])
    rcode = RCODES.get(flags & 0xF, str(flags & 0xF))
    offset = 12
    for _ in range(qdcount):
        offset = _skip_name(data, offset) + 4
    addresses = []
    for _ in range(ancount):
        offset = _skip_name(data, offset)
        rtype, _rclass, _ttl, rdlen = struct.unpack("!HHIH", data[offset : offset + 10])
        offset += 10
        if rtype == 1 and rdlen == 4:
            addresses.append(socket.inet_ntoa(data[offset : offset + 4]))
        offset += rdlen
    return DnsAnswer(rcode=rcode, addresses=addresses, elapsed=elapsed)


def _skip_name(data: bytes, offset: int) -> int:
    while True:
        length = data[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += length + 1

"""The DNS layer: a name's addresses from the hosts file or the resolver; NXDOMAIN, errors, sinkholes told apart.

Queries are sent here, not through dnspython's `Resolver.resolve`, so that every wait is bounded
by the probe's own deadline: the resolver's retry loop sleeps between rounds without looking at
its lifetime, which made a name that is never answered end its probe late. They go out on our own
non-blocking sockets, and every wait is `hub.wait_ready`, so a lookup in a hub's greenlet lets the
other probes run; messages are encoded and read by dnswire.py (dnspython's cost a quarter of a
millisecond of CPU per name). dnspython still reads the resolver configuration.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

import dns.rdatatype
import dns.resolver

from netaudit.errors import EnvironmentProblem, InputError, local_resource_error
from netaudit.hostname import ascii_host
from netaudit.model import DnsEvidence, Layer, Status
from netaudit.probe import dnswire, hub
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure
from netaudit.probe.sinkhole import AddressKind, classify_address

_RCODES = {Status.DNS_NXDOMAIN: "NXDOMAIN", Status.DNS_ERROR: "no usable answer"}


@dataclass(frozen=True)
class HostsFile:
    """The workstation's hosts file: names (lowercase, no trailing dot) to the addresses it gives them."""

    path: str
    entries: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    kind: str = "hosts file"
    """What the table is, for the evidence: the hosts file, or another answer given ahead (a DoH answer)."""

    def lookup(self, name: str) -> tuple[str, ...]:
        return self.entries.get(name.lower().rstrip("."), ())


def system_hosts_path() -> Path:
    """Where this operating system keeps its hosts file."""
    if sys.platform == "win32":
        return Path(r"C:\Windows\System32\drivers\etc\hosts")
    return Path("/etc/hosts")


def parse_hosts(path: str, text: str) -> HostsFile:
    """Read hosts-file lines (``ADDRESS NAME [ALIAS...]``, ``#`` comments); lines that are not that are skipped,
    as the system's resolver skips them."""
    entries: dict[str, list[str]] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            address = str(ipaddress.ip_address(fields[0].split("%", 1)[0]))
        except ValueError:
            continue
        for name in fields[1:]:
            known = entries.setdefault(name.lower().rstrip("."), [])
            if address not in known:
                known.append(address)
    return HostsFile(path, {name: tuple(addresses) for name, addresses in entries.items()})


def load_hosts(path: Path) -> HostsFile:
    """The hosts file at `path`; an absent file is an empty one (as for the system's resolver)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return HostsFile(str(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the hosts file: {exc.strerror or exc}") from exc
    return parse_hosts(str(path), text)


def make_resolver(server: tuple[str, int] | None) -> dns.resolver.Resolver:
    """A resolver for `server` (ip, port), or one configured like the system's (/etc/resolv.conf)."""
    if server is None:
        try:
            return dns.resolver.Resolver()
        except (dns.resolver.NoResolverConfiguration, OSError) as exc:
            raise EnvironmentProblem(
                f"no usable system resolver configuration ({exc}); give --resolver IP[:PORT]"
            ) from exc
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server[0]]
    resolver.port = server[1]
    return resolver


def describe_resolver(resolver: dns.resolver.Resolver) -> str:
    servers = ", ".join(str(ns) for ns in resolver.nameservers)
    return f"{servers} port {resolver.port}" if resolver.port != 53 else servers


@dataclass(frozen=True)
class Answer:
    """A usable DNS answer: its evidence, the addresses to connect to (public ones first), and, when every
    one of them is private-use space, why (the engine then calls a failure to reach the site a sinkhole)."""

    evidence: DnsEvidence
    addresses: tuple[str, ...]
    private: str = ""


FAMILIES: dict[str, tuple[dns.rdatatype.RdataType, ...]] = {
    "any": (dns.rdatatype.A, dns.rdatatype.AAAA),
    "ipv6": (dns.rdatatype.AAAA,),
}
"""Which records a lookup asks for: A, then AAAA when there is no A (`any`); or AAAA alone (`ipv6`)."""


def resolve(
    resolver: dns.resolver.Resolver,
    name: str,
    deadline: Deadline,
    hosts: HostsFile | None = None,
    family: str = "any",
) -> Answer:
    """The addresses of `name`; raises LayerFailure with a dns_* status when there are none worth using.

    A name in the hosts file is answered from it, as a browser's resolver would (a hosts-file entry is a
    real control). An answer that cannot be the site (see sinkhole.py) stops the probe here.
    """
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        literal = DnsEvidence(name=name, resolver=describe_resolver(resolver), answers=(name,), rcode="literal")
        return Answer(literal, (name,))

    listed = hosts.lookup(name) if hosts is not None else ()
    if family == "ipv6":
        listed = tuple(address for address in listed if ":" in address)
    if listed:
        assert hosts is not None
        where, answers, rcode = f"{hosts.kind} ({hosts.path})", list(listed), "hosts"
    else:
        where, rcode = describe_resolver(resolver), "NOERROR"
        try:
            answers = lookup(resolver, name, deadline, FAMILIES[family])
        except LayerFailure as failure:
            failure.dns = DnsEvidence(name=name, resolver=where, rcode=_RCODES.get(failure.status, "no answer"))
            raise
    kinds = [classify_address(address) for address in answers]
    notes = [kind.reason for kind in kinds if kind.kind in (AddressKind.PRIVATE, AddressKind.UNUSUAL)]
    evidence = DnsEvidence(name=name, resolver=where, answers=tuple(answers), rcode=rcode, note="; ".join(notes))
    usable = [(a, k) for a, k in zip(answers, kinds, strict=True) if k.kind is not AddressKind.BLOCK]
    if not usable:
        sinkhole = LayerFailure(
            Status.DNS_SINKHOLE, Layer.DNS, f"{where} answers {name} with a sinkhole: {kinds[0].reason}"
        )
        sinkhole.dns = evidence
        raise sinkhole
    private = [k for _, k in usable if k.kind is AddressKind.PRIVATE]
    ordered = sorted(usable, key=lambda pair: pair[1].kind is AddressKind.PRIVATE)
    return Answer(
        evidence,
        tuple(address for address, _ in ordered),
        private[0].reason if len(private) == len(usable) else "",
    )


def lookup(
    resolver: dns.resolver.Resolver,
    name: str,
    deadline: Deadline,
    rdtypes: tuple[dns.rdatatype.RdataType, ...] = FAMILIES["any"],
) -> list[str]:
    """The A (else AAAA) answers for `name`, or those of `rdtypes`; LayerFailure with a dns_* status when
    there are none."""
    where = describe_resolver(resolver)
    for rdtype in rdtypes:
        answers = _ask(resolver, where, name, rdtype, deadline)
        if answers:
            return answers
    wanted = "/".join(dns.rdatatype.to_text(rdtype) for rdtype in rdtypes)
    raise LayerFailure(Status.DNS_ERROR, Layer.DNS, f"{where} has no address ({wanted}) for {name}")


def _ask(
    resolver: dns.resolver.Resolver, where: str, name: str, rdtype: dns.rdatatype.RdataType, deadline: Deadline
) -> list[str]:
    """One question to the resolver's servers in turn, each wait bounded by the deadline; [] for no such record."""
    try:
        query = dnswire.make_query(ascii_host(name), int(rdtype))  # ascii_host: a proxy's name may be international
    except ValueError as exc:  # InvalidName, or no IDNA form
        raise LayerFailure(Status.DNS_ERROR, Layer.DNS, f"{name} is not a valid DNS name: {exc}") from exc
    servers = [str(server) for server in resolver.nameservers]
    failed: list[str] = []
    while servers:
        for server in list(servers):
            try:
                timeout = min(deadline.remaining(), resolver.timeout)
            except DeadlineExceeded as exc:
                raise LayerFailure(
                    Status.DNS_ERROR, Layer.DNS, f"no answer from {where} for {name} within {deadline.seconds:g}s"
                ) from exc
            try:
                reply = _udp(query, server, resolver.port, timeout)
                if reply.truncated:
                    reply = _tcp(query, server, resolver.port, deadline)
            except (_Unanswered, DeadlineExceeded):
                continue  # this server may answer on the next round, while the deadline allows
            except dnswire.MalformedAnswer as exc:
                failed.append(f"{server}: malformed answer ({exc})")
                servers.remove(server)
                continue
            except OSError as exc:
                local = local_resource_error(exc)
                if local is not None:
                    raise local from exc
                failed.append(f"{server}: {exc}")
                servers.remove(server)
                continue
            if reply.rcode == dnswire.NXDOMAIN:
                raise LayerFailure(Status.DNS_NXDOMAIN, Layer.DNS, f"{where} says {name} does not exist (NXDOMAIN)")
            if reply.rcode != dnswire.NOERROR:
                failed.append(dnswire.rcode_text(reply.rcode))
                servers.remove(server)
                continue
            return list(reply.addresses)
    reasons = ", ".join(sorted(set(failed)))
    raise LayerFailure(Status.DNS_ERROR, Layer.DNS, f"{where} failed to answer for {name}: {reasons}")


class _Unanswered(Exception):
    """No answer to the question within the wait (the server may answer a later round)."""


def _family(server: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in server else socket.AF_INET


def _udp(query: dnswire.Query, server: str, port: int, timeout: float) -> dnswire.Reply:
    """Ask `server` over UDP and wait up to `timeout` for the answer; datagrams that do not answer the
    question (another id, another question) are dropped and the wait goes on."""
    end = monotonic() + timeout
    sock = socket.socket(_family(server), socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.connect((server, port))  # only the server's datagrams arrive, and its ICMP errors are seen
        try:
            sock.send(query.wire)
        except BlockingIOError:
            if not hub.wait_ready(sock, end - monotonic(), writing=True):
                raise _Unanswered from None
            sock.send(query.wire)
        while True:
            if not hub.wait_ready(sock, end - monotonic()):
                raise _Unanswered
            try:
                data = sock.recv(65535)
            except BlockingIOError:
                continue
            reply = dnswire.parse_reply(query, data)
            if reply is not None:
                return reply
    finally:
        sock.close()


def _tcp(query: dnswire.Query, server: str, port: int, deadline: Deadline) -> dnswire.Reply:
    """Ask `server` over TCP (after a truncated UDP answer), every wait bounded by the deadline."""
    sock = socket.socket(_family(server), socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        code = sock.connect_ex((server, port))
        if code in (errno.EINPROGRESS, errno.EAGAIN):
            if not hub.wait_ready(sock, deadline.remaining(), writing=True):
                raise _Unanswered
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            raise OSError(code, os.strerror(code))
        message = memoryview(len(query.wire).to_bytes(2, "big") + query.wire)
        while message:
            try:
                message = message[sock.send(message) :]
            except BlockingIOError:
                if not hub.wait_ready(sock, deadline.remaining(), writing=True):
                    raise _Unanswered from None
        length = int.from_bytes(_receive(sock, 2, deadline), "big")
        reply = dnswire.parse_reply(query, _receive(sock, length, deadline), stream=True)
    finally:
        sock.close()
    if reply is None:
        raise dnswire.MalformedAnswer("over TCP, an answer to another question")
    return reply


def _receive(sock: socket.socket, size: int, deadline: Deadline) -> bytes:
    data = bytearray()
    while len(data) < size:
        if not hub.wait_ready(sock, deadline.remaining()):
            raise _Unanswered
        try:
            chunk = sock.recv(size - len(data))
        except BlockingIOError:
            continue
        if not chunk:
            raise dnswire.MalformedAnswer(f"over TCP, the connection closed after {len(data)} of {size} bytes")
        data += chunk
    return bytes(data)

"""DNS-over-HTTPS: ask the well-known public resolvers (RFC 8484) for a name the system's resolver blocks.

A DNS filter is one place a block can live; a browser with DoH on asks a public resolver over HTTPS
instead and never meets it. The resolvers come from a data file (netaudit/data/doh-resolvers.toml,
or `--doh-resolvers FILE`), each with its addresses so that asking it needs nothing from the
system's resolver. A query travels through the engine's own layers (TCP, TLS verified against the
workstation's trust, HTTP/1.1), inside the probe's deadline. The Firefox canary domain
`use-application-dns.net` tells browsers whether the network wants DoH off; its answer on the
system's resolver is reported with the run.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver

from netaudit.errors import InputError
from netaudit.model import Status
from netaudit.probe import dns as dns_layer
from netaudit.probe import tcp as tcp_layer
from netaudit.probe import tls as tls_layer
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure
from netaudit.probe.http import USER_AGENT, HttpProtocolError, read_body, read_head
from netaudit.probe.sinkhole import AddressKind, classify_address
from netaudit.probe.stream import Stream, StreamClosed
from netaudit.resources import package_data
from netaudit.tomlsource import TomlFileError, TomlSource

CANARY = "use-application-dns.net"
"""Firefox turns DoH off when the network's resolver answers this name NXDOMAIN, SERVFAIL or with no
address (Mozilla support, "Configuring Networks to Disable DNS over HTTPS")."""

_KEYS = ("addresses", "name", "source", "url")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
MESSAGE_TYPE = "application/dns-message"


@dataclass(frozen=True)
class DohResolver:
    """One DoH resolver: its id, its URL (https://host/path) and the addresses it listens on."""

    name: str
    url: str
    addresses: tuple[str, ...]
    source: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


def builtin_resolvers_path() -> Path:
    return package_data("doh-resolvers.toml")


def load_resolvers(path: Path | None = None) -> list[DohResolver]:
    """The resolvers in `path` (default: the built-in list); InputError naming the file and entry."""
    chosen = path or builtin_resolvers_path()
    try:
        data = TomlSource.read(chosen).parse()
    except TomlFileError as exc:
        raise InputError(f"{chosen}: {exc}") from None
    unknown = [key for key in data if key != "resolver"]
    if unknown:
        raise InputError(f"{chosen}: unknown top-level key '{unknown[0]}' (expected [[resolver]])")
    entries = data.get("resolver")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{chosen}: no [[resolver]] entries")
    return [_resolver(f"{chosen}: resolver {index}", entry) for index, entry in enumerate(entries, start=1)]


def _resolver(label: str, entry: Any) -> DohResolver:
    if not isinstance(entry, dict):
        raise InputError(f"{label}: must be a table")
    for key in entry:
        if key not in _KEYS:
            raise InputError(f"{label}: unknown key '{key}' (allowed: {', '.join(_KEYS)})")
    for key in ("name", "url", "addresses"):
        if key not in entry:
            raise InputError(f"{label}: missing '{key}'")
    name, url, addresses = entry["name"], entry["url"], entry["addresses"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(f"{label}: name must use only a-z, 0-9, '_', '.' and '-'")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        raise InputError(f"{label} ({name}): url must be https://host/path, not {url!r}")
    if not isinstance(addresses, list) or not addresses:
        raise InputError(f"{label} ({name}): addresses must be a non-empty list of IP addresses")
    for address in addresses:
        try:
            ipaddress.ip_address(address)
        except (ValueError, TypeError):
            raise InputError(f"{label} ({name}): '{address}' is not an IP address") from None
    source = entry.get("source", "")
    if not isinstance(source, str):
        raise InputError(f"{label} ({name}): source must be a string")
    return DohResolver(name, url, tuple(addresses), source)


@dataclass(frozen=True)
class DohAnswer:
    """What one resolver said for a name: its addresses (those that can be the site), or why not."""

    resolver: DohResolver
    addresses: tuple[str, ...] = ()
    problem: str = ""


Tunnel = Callable[[str, int, Deadline], socket.socket]
"""Opens a connection to address:port through the route's proxy (CONNECT), for a query through a proxy."""


def ask(
    resolver: DohResolver,
    name: str,
    stores: tls_layer.TrustStores,
    deadline: Deadline,
    rdtype: dns.rdatatype.RdataType = dns.rdatatype.A,
    tunnel: Tunnel | None = None,
) -> DohAnswer:
    """One RFC 8484 GET query for `name` to `resolver`, directly or through `tunnel`; never raises for a
    network problem."""
    query = dns.message.make_query(name, rdtype)
    query.id = 0  # RFC 8484 4.1: 0 makes the GET cacheable
    encoded = base64.urlsafe_b64encode(query.to_wire()).rstrip(b"=").decode("ascii")
    parts = urlsplit(resolver.url)
    path = f"{parts.path or '/'}?{parts.query + '&' if parts.query else ''}dns={encoded}"
    try:
        port = parts.port or 443
        if tunnel is None:
            sock = tcp_layer.connect(list(resolver.addresses), port, deadline)
        else:
            sock = tunnel(resolver.addresses[0], port, deadline)
        tls, _evidence = tls_layer.handshake(sock, resolver.host, stores, deadline)
        stream = Stream(tls, deadline)
        try:
            stream.send(_request(path, parts.netloc))
            answer = read_head(stream)
            read_body(stream, answer, "GET", 65535)
        finally:
            tls.close()
    except LayerFailure as failure:
        return DohAnswer(resolver, problem=f"{resolver.url}: {failure.detail}")
    except (DeadlineExceeded, OSError, StreamClosed, HttpProtocolError) as exc:
        return DohAnswer(resolver, problem=f"{resolver.url}: {type(exc).__name__}: {exc}")
    if answer.status != 200 or MESSAGE_TYPE not in answer.headers.get("content-type", ""):
        return DohAnswer(resolver, problem=f"{resolver.url} answered HTTP {answer.status}, not a DNS message")
    try:
        response = dns.message.from_wire(answer.body)
    except dns.exception.DNSException as exc:
        return DohAnswer(resolver, problem=f"{resolver.url}: not a DNS message ({exc})")
    if response.rcode() != dns.rcode.NOERROR:
        return DohAnswer(resolver, problem=f"{resolver.url} says {dns.rcode.to_text(response.rcode())} for {name}")
    found = [rr.to_text() for rrset in response.answer if rrset.rdtype == rdtype for rr in rrset]
    usable = tuple(a for a in found if classify_address(a).kind is not AddressKind.BLOCK)
    if not usable:
        return DohAnswer(resolver, problem=f"{resolver.url} has no usable address for {name} ({found or 'none'})")
    return DohAnswer(resolver, usable)


def _request(path: str, host: str) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {USER_AGENT}",
        f"Accept: {MESSAGE_TYPE}",
        "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def first_answer(
    resolvers: list[DohResolver],
    name: str,
    stores: tls_layer.TrustStores,
    seconds: float,
    tunnel: Tunnel | None = None,
) -> tuple[DohAnswer | None, list[str]]:
    """The first resolver's answer with usable addresses, and the problems of those asked before it.

    The resolvers share `seconds` (each gets its part, at least one second): a resolver the firewall
    drops must not leave the others no time at all.
    """
    problems: list[str] = []
    share = max(1.0, seconds / max(1, len(resolvers)))
    for resolver in resolvers:
        found = ask(resolver, name, stores, Deadline(share), tunnel=tunnel)
        if found.addresses:
            return found, problems
        problems.append(found.problem)
    return None, problems


def canary_state(resolver: dns.resolver.Resolver, deadline: Deadline) -> str:
    """What the system's resolver says for the Firefox canary domain, in words."""
    try:
        addresses = dns_layer.lookup(resolver, CANARY, deadline)
    except LayerFailure as failure:
        if failure.status in (Status.DNS_NXDOMAIN, Status.DNS_ERROR):
            return f"DoH off signalled: {CANARY} gives {failure.status} ({failure.detail})"
        return f"unknown: {failure.detail}"
    return (
        f"DoH not signalled off: {CANARY} resolves ({', '.join(addresses)}), so browsers may turn DNS-over-HTTPS "
        "on and go around the DNS filter; answer it NXDOMAIN to signal DoH off"
    )

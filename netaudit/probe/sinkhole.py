"""Sinkholes: which DNS answers cannot be the site, and which are only unusual.

An address is evidence, not a verdict. `classify_address` sorts an answer into four kinds:

- `BLOCK`: it cannot be the site, so the probe stops at DNS (`dns_sinkhole`): the unspecified
  address and 0.0.0.0/8, loopback, multicast and broadcast, the discard-only prefix, a known DNS
  filter's block address (data: the ``[[dns]]`` tables of ``netaudit/data/blockpages.toml``), or an
  address the user lists.
- `PRIVATE`: private-use space (RFC 1918, RFC 6598 shared space, fc00::/7, link-local). Real
  networks answer real sites with it (split-horizon DNS pointing at an internal reverse proxy), so
  the probe connects; only when the address then fails to reach the site is it a `dns_sinkhole`,
  with the connection's outcome as evidence (the engine decides that).
- `UNUSUAL`: special-purpose space that is still an ordinary destination (benchmarking space, which
  the fake-IP DNS of local proxy clients hands out; reserved space): connected to like any other,
  and only noted in the evidence.
- `PUBLIC`: everything else, documentation ranges included (they are ordinary addresses too).

Python's `ipaddress` calls many of these ranges "private"; that is why this module lists its
ranges itself instead of using `is_private`.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netaudit.errors import InputError
from netaudit.probe.blockpages import default_dns_files
from netaudit.probe.fingerprintfile import EntryLabel, read_entries
from netaudit.resources import load_once
from netaudit.tomlschema import each_entry

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network


class AddressKind(enum.Enum):
    """What a DNS answer's address says about the answer (see the module's docstring)."""

    BLOCK = "block"
    PRIVATE = "private"
    UNUSUAL = "unusual"
    PUBLIC = "public"


# (network, kind, reason suffix): the first that contains the address names it. Checked after the
# user's and the known filters' addresses.
_RANGES_V4: tuple[tuple[ipaddress.IPv4Network, AddressKind, str], ...] = (
    (_V4("0.0.0.0/32"), AddressKind.BLOCK, "is the unspecified address"),
    (_V4("0.0.0.0/8"), AddressKind.BLOCK, "is in 0.0.0.0/8 ('this network', RFC 1122)"),
    (_V4("127.0.0.0/8"), AddressKind.BLOCK, "is a loopback address"),
    (_V4("224.0.0.0/4"), AddressKind.BLOCK, "is multicast"),
    (_V4("255.255.255.255/32"), AddressKind.BLOCK, "is the broadcast address"),
    (_V4("10.0.0.0/8"), AddressKind.PRIVATE, "is a private address (RFC 1918)"),
    (_V4("172.16.0.0/12"), AddressKind.PRIVATE, "is a private address (RFC 1918)"),
    (_V4("192.168.0.0/16"), AddressKind.PRIVATE, "is a private address (RFC 1918)"),
    (_V4("100.64.0.0/10"), AddressKind.PRIVATE, "is shared address space (RFC 6598)"),
    (_V4("169.254.0.0/16"), AddressKind.PRIVATE, "is link-local"),
    (_V4("192.0.0.0/24"), AddressKind.UNUSUAL, "is reserved for IETF protocol assignments (RFC 6890)"),
    (
        _V4("198.18.0.0/15"),
        AddressKind.UNUSUAL,
        "is benchmarking space (RFC 2544; also used by the fake-IP DNS of local proxy clients)",
    ),
    (_V4("240.0.0.0/4"), AddressKind.UNUSUAL, "is reserved (240.0.0.0/4)"),
)

_RANGES_V6: tuple[tuple[ipaddress.IPv6Network, AddressKind, str], ...] = (
    (_V6("::/128"), AddressKind.BLOCK, "is the unspecified address"),
    (_V6("::1/128"), AddressKind.BLOCK, "is a loopback address"),
    (_V6("100::/64"), AddressKind.BLOCK, "is in the discard-only prefix (RFC 6666)"),
    (_V6("ff00::/8"), AddressKind.BLOCK, "is multicast"),
    (_V6("fc00::/7"), AddressKind.PRIVATE, "is a unique local address (RFC 4193)"),
    (_V6("fe80::/10"), AddressKind.PRIVATE, "is link-local"),
    (_V6("fec0::/10"), AddressKind.PRIVATE, "is a deprecated site-local address"),
    (_V6("::/96"), AddressKind.UNUSUAL, "is a deprecated IPv4-compatible address"),
)

_NAT64 = _V6("64:ff9b::/96")


@dataclass(frozen=True)
class DnsFingerprint:
    """Addresses a DNS filter answers with instead of the real site's."""

    product: str
    networks: tuple[Network, ...]
    source: str = ""


def _network(text: str) -> Network:
    return ipaddress.ip_network(text.strip(), strict=False)


@load_once
def _load_dns(path: Path) -> tuple[DnsFingerprint, ...]:
    toml, entries = read_entries(path, "dns")

    def read(index: int, entry: Any) -> DnsFingerprint:
        label = EntryLabel(toml, index, "dns")
        if not isinstance(entry, dict):
            raise InputError(f"{label}: must be a table")
        for key in entry:
            if key not in ("product", "addresses", "source"):
                raise InputError(f"{label}: unknown key '{key}' (allowed: addresses, product, source)")
        product = entry.get("product")
        if not isinstance(product, str) or not product.strip():
            raise InputError(f"{label}: 'product' must be a non-empty string")
        addresses = entry.get("addresses")
        if not isinstance(addresses, list) or not addresses or not all(isinstance(a, str) for a in addresses):
            raise InputError(f"{label}: 'addresses' must be a non-empty list of IP addresses or CIDRs")
        networks: list[Network] = []
        for address in addresses:
            try:
                networks.append(_network(address))
            except ValueError:
                raise InputError(f"{label}: '{address}' is not an IP address or CIDR") from None
        source = entry.get("source", "")
        if not isinstance(source, str):
            raise InputError(f"{label}: 'source' must be a string")
        return DnsFingerprint(product.strip(), tuple(networks), source)

    return tuple(each_entry(entries, read))


def load_dns_fingerprints(path: Path | None = None) -> tuple[DnsFingerprint, ...]:
    """The ``[[dns]]`` entries of `path` (default: the built-in fingerprint files), cached; strict."""
    if path is not None:
        return _load_dns(Path(path))
    return tuple(entry for file in default_dns_files() for entry in _load_dns(file))


@dataclass(frozen=True)
class _FilterIndex:
    """The known filters' block addresses, for one look-up per answer: single addresses in a dict, the
    few ranges in a list (the first entry that names an address wins, as in the files)."""

    exact: dict[Address, str]
    ranges: tuple[tuple[Network, str], ...]

    def product_of(self, address: Address) -> str | None:
        found = self.exact.get(address)
        if found is not None:
            return found
        return next((product for network, product in self.ranges if _contains(network, address)), None)


@load_once
def _known_filters() -> _FilterIndex:
    exact: dict[Address, str] = {}
    ranges: list[tuple[Network, str]] = []
    for fingerprint in load_dns_fingerprints():
        for network in fingerprint.networks:
            if network.num_addresses == 1:
                exact.setdefault(network.network_address, fingerprint.product)
            else:
                ranges.append((network, fingerprint.product))
    return _FilterIndex(exact, tuple(ranges))


@functools.lru_cache(maxsize=64)
def _parse_block_addresses(values: tuple[str, ...]) -> tuple[Network, ...]:
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(_network(value))
        except ValueError:
            raise InputError(f"block address '{value}' is not an IP address or CIDR") from None
    return tuple(networks)


def parse_block_addresses(values: Iterable[str]) -> tuple[Network, ...]:
    """Check user-configured block addresses (IPs or CIDRs) up front; InputError names a bad one."""
    return _parse_block_addresses(tuple(values))


def _contains(network: Network, address: Address) -> bool:
    return network.version == address.version and address in network


def _special(address: Address) -> tuple[AddressKind, str] | None:
    ranges: Iterable[tuple[Network, AddressKind, str]] = (
        _RANGES_V4 if isinstance(address, ipaddress.IPv4Address) else _RANGES_V6
    )
    for network, kind, reason in ranges:
        if _contains(network, address):
            return kind, reason
    return None


@dataclass(frozen=True)
class AddressClass:
    """An answer's kind and, unless it is an ordinary public address, why (``"10.0.0.1 is a private ..."``)."""

    kind: AddressKind
    reason: str = ""


_PUBLIC = AddressClass(AddressKind.PUBLIC)


def classify_address(address: str, extra: Iterable[str] = ()) -> AddressClass:
    """What `address` says about a DNS answer for a public site (see the module's docstring).

    `extra` are user-configured block addresses or CIDRs (InputError if one is not). An
    IPv4-mapped (``::ffff:a.b.c.d``) or NAT64 (``64:ff9b::a.b.c.d``) address is judged by its
    IPv4 address. Text that is not an IP address at all is PUBLIC (nothing to judge).
    """
    user_networks = _parse_block_addresses(tuple(extra))
    try:
        parsed: Address = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return _PUBLIC
    shown = address.strip()
    candidates: list[Address] = [parsed]
    note = ""
    if isinstance(parsed, ipaddress.IPv6Address):
        embedded = parsed.ipv4_mapped
        if embedded is None and parsed in _NAT64:
            embedded = ipaddress.IPv4Address(int(parsed) & 0xFFFFFFFF)
        if embedded is not None:
            candidates.insert(0, embedded)
            kind = "IPv4-mapped" if parsed.ipv4_mapped is not None else "NAT64 of"
            note = f" ({kind} {embedded})"

    for candidate in candidates:
        if any(_contains(network, candidate) for network in user_networks):
            return AddressClass(AddressKind.BLOCK, f"{shown} is a configured block address{note}")
    for candidate in candidates:
        product = _known_filters().product_of(candidate)
        if product is not None:
            return AddressClass(AddressKind.BLOCK, f"{shown} is a {product} block address{note}")
    for candidate in candidates:
        special = _special(candidate)
        if special is not None:
            return AddressClass(special[0], f"{shown} {special[1]}{note}")
    return _PUBLIC


def sinkhole_reason(address: str, extra: Iterable[str] = ()) -> str | None:
    """Why `address` cannot be the site (a BLOCK answer), or None when it may be."""
    found = classify_address(address, extra)
    return found.reason if found.kind is AddressKind.BLOCK else None

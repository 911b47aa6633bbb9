"""Sinkholes: DNS answers for a public site that cannot be the site itself.

`sinkhole_reason` tells a real public address from the answers DNS filters give instead:
0.0.0.0, loopback, private (RFC 1918), shared (RFC 6598), link-local, multicast and other
reserved ranges, their IPv6 equivalents, the block-page addresses of known DNS filters (data,
in the ``[[dns]]`` tables of ``netaudit/data/blockpages.toml``), and addresses the user lists.

The documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737) and
2001:db8::/32 (RFC 3849) are deliberately NOT sinkholes: netaudit's own test network uses them
as its stand-in internet, and no filter answers with them. (Python's `ipaddress` calls them
"private"; that is why this module lists its ranges itself instead of using `is_private`.)
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from netaudit.errors import InputError
from netaudit.probe.blockpages import entry_label, read_entries
from netaudit.resources import package_data

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# (network, reason suffix): the first that contains the address names it. Checked after the
# user's and the known filters' addresses. Documentation ranges are absent on purpose (see above).
_SPECIAL_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/32"), "is the unspecified address"),
    (_V4("0.0.0.0/8"), "is in 0.0.0.0/8 ('this network', RFC 1122)"),
    (_V4("127.0.0.0/8"), "is a loopback address"),
    (_V4("10.0.0.0/8"), "is a private address (RFC 1918)"),
    (_V4("172.16.0.0/12"), "is a private address (RFC 1918)"),
    (_V4("192.168.0.0/16"), "is a private address (RFC 1918)"),
    (_V4("100.64.0.0/10"), "is shared address space (RFC 6598)"),
    (_V4("169.254.0.0/16"), "is link-local"),
    (_V4("192.0.0.0/24"), "is reserved for IETF protocol assignments (RFC 6890)"),
    (_V4("224.0.0.0/4"), "is multicast"),
    (_V4("255.255.255.255/32"), "is the broadcast address"),
    (_V4("240.0.0.0/4"), "is reserved (240.0.0.0/4)"),
)

_SPECIAL_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "is the unspecified address"),
    (_V6("::1/128"), "is a loopback address"),
    (_V6("::/96"), "is a deprecated IPv4-compatible address"),
    (_V6("100::/64"), "is in the discard-only prefix (RFC 6666)"),
    (_V6("fc00::/7"), "is a unique local address (RFC 4193)"),
    (_V6("fe80::/10"), "is link-local"),
    (_V6("fec0::/10"), "is a deprecated site-local address"),
    (_V6("ff00::/8"), "is multicast"),
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


@functools.lru_cache(maxsize=8)
def _load_dns(path: Path) -> tuple[DnsFingerprint, ...]:
    toml, entries = read_entries(path, "dns")
    found: list[DnsFingerprint] = []
    for index, entry in enumerate(entries):
        label = entry_label(toml, index, "dns")
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
        found.append(DnsFingerprint(product.strip(), tuple(networks), source))
    return tuple(found)


def load_dns_fingerprints(path: Path | None = None) -> tuple[DnsFingerprint, ...]:
    """The ``[[dns]]`` entries of `path` (default: the built-in ``blockpages.toml``), cached; strict."""
    return _load_dns(Path(path) if path is not None else package_data("blockpages.toml"))


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


def _special(address: Address) -> str | None:
    if isinstance(address, ipaddress.IPv4Address):
        for network, reason in _SPECIAL_V4:
            if address in network:
                return reason
        return None
    for network6, reason in _SPECIAL_V6:
        if address in network6:
            return reason
    return None


def sinkhole_reason(address: str, extra: Iterable[str] = ()) -> str | None:
    """None when `address` looks like a real public address; else a short reason it cannot be one.

    `extra` are user-configured block addresses or CIDRs (InputError if one is not). An
    IPv4-mapped (``::ffff:a.b.c.d``) or NAT64 (``64:ff9b::a.b.c.d``) address is judged by its
    IPv4 address. Text that is not an IP address at all yields None (nothing to judge).
    """
    user_networks = _parse_block_addresses(tuple(extra))
    try:
        parsed: Address = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return None
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
            return f"{shown} is a configured block address{note}"
    for candidate in candidates:
        for fingerprint in load_dns_fingerprints():
            if any(_contains(network, candidate) for network in fingerprint.networks):
                return f"{shown} is a {fingerprint.product} block address{note}"
    for candidate in candidates:
        reason = _special(candidate)
        if reason is not None:
            return f"{shown} {reason}{note}"
    return None

"""Unit tests for netaudit.probe.sinkhole: which DNS answers are sinkholes, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from netaudit.errors import InputError
from netaudit.probe.sinkhole import (
    AddressKind,
    classify_address,
    load_dns_fingerprints,
    parse_block_addresses,
    sinkhole_reason,
)

SINKHOLES = [
    ("0.0.0.0", "0.0.0.0 is the unspecified address"),
    ("0.1.2.3", "0.1.2.3 is in 0.0.0.0/8 ('this network', RFC 1122)"),
    ("127.0.0.1", "127.0.0.1 is a loopback address"),
    ("127.0.53.53", "127.0.53.53 is a loopback address"),
    ("224.0.0.1", "224.0.0.1 is multicast"),
    ("239.255.255.250", "239.255.255.250 is multicast"),
    ("255.255.255.255", "255.255.255.255 is the broadcast address"),
    ("146.112.61.106", "146.112.61.106 is a Cisco Umbrella/OpenDNS block address"),
    ("146.112.61.104", "146.112.61.104 is a Cisco Umbrella/OpenDNS block address"),
    ("208.91.112.55", "208.91.112.55 is a FortiGuard DNS filter block address"),
    ("::", ":: is the unspecified address"),
    ("::1", "::1 is a loopback address"),
    ("ff02::1", "ff02::1 is multicast"),
    ("100::1", "100::1 is in the discard-only prefix (RFC 6666)"),
    ("::ffff:127.0.0.1", "::ffff:127.0.0.1 is a loopback address (IPv4-mapped 127.0.0.1)"),
    ("::ffff:0.0.0.0", "::ffff:0.0.0.0 is the unspecified address (IPv4-mapped 0.0.0.0)"),
    (
        "::ffff:208.91.112.55",
        "::ffff:208.91.112.55 is a FortiGuard DNS filter block address (IPv4-mapped 208.91.112.55)",
    ),
]


@pytest.mark.parametrize(("address", "reason"), SINKHOLES)
def test_sinkholes_are_named_with_a_reason(address: str, reason: str) -> None:
    assert sinkhole_reason(address) == reason


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "157.240.1.35",  # a Facebook address
        "172.32.0.1",  # just outside 172.16.0.0/12
        "100.128.0.1",  # just outside 100.64.0.0/10
        "2a03:2880:f12f:83:face:b00c:0:25de",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        # Documentation ranges are ordinary addresses (no filter answers with them).
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.200",
        "2001:db8::1",
    ],
)
def test_public_and_documentation_addresses_are_not_sinkholes(address: str) -> None:
    assert sinkhole_reason(address) is None
    assert classify_address(address).kind is AddressKind.PUBLIC


PRIVATE = [
    ("10.1.2.3", "10.1.2.3 is a private address (RFC 1918)"),
    ("172.16.0.1", "172.16.0.1 is a private address (RFC 1918)"),
    ("172.31.255.254", "172.31.255.254 is a private address (RFC 1918)"),
    ("192.168.1.1", "192.168.1.1 is a private address (RFC 1918)"),
    ("100.64.0.1", "100.64.0.1 is shared address space (RFC 6598)"),
    ("169.254.1.1", "169.254.1.1 is link-local"),
    ("fc00::1", "fc00::1 is a unique local address (RFC 4193)"),
    ("fd12:3456::1", "fd12:3456::1 is a unique local address (RFC 4193)"),
    ("fe80::1", "fe80::1 is link-local"),
    ("fe80::1%eth0", "fe80::1%eth0 is link-local"),
    ("::ffff:10.0.0.1", "::ffff:10.0.0.1 is a private address (RFC 1918) (IPv4-mapped 10.0.0.1)"),
    ("64:ff9b::a00:1", "64:ff9b::a00:1 is a private address (RFC 1918) (NAT64 of 10.0.0.1)"),
]


@pytest.mark.parametrize(("address", "reason"), PRIVATE)
def test_private_use_answers_are_connected_to_not_stopped_at_dns(address: str, reason: str) -> None:
    # Split-horizon DNS answers real sites with such addresses: the engine connects, and only calls the
    # answer a sinkhole when the address then fails to reach the site.
    assert sinkhole_reason(address) is None
    found = classify_address(address)
    assert (found.kind, found.reason) == (AddressKind.PRIVATE, reason)


UNUSUAL = [
    ("240.0.0.1", "240.0.0.1 is reserved (240.0.0.0/4)"),
    ("192.0.0.8", "192.0.0.8 is reserved for IETF protocol assignments (RFC 6890)"),
    (
        "198.18.0.7",
        "198.18.0.7 is benchmarking space (RFC 2544; also used by the fake-IP DNS of local proxy clients)",
    ),
    (
        "198.19.64.1",
        "198.19.64.1 is benchmarking space (RFC 2544; also used by the fake-IP DNS of local proxy clients)",
    ),
]


@pytest.mark.parametrize(("address", "reason"), UNUSUAL)
def test_benchmarking_and_reserved_space_are_ordinary_destinations_with_a_note(address: str, reason: str) -> None:
    assert sinkhole_reason(address) is None
    found = classify_address(address)
    assert (found.kind, found.reason) == (AddressKind.UNUSUAL, reason)


def test_text_that_is_no_address_is_not_judged() -> None:
    assert sinkhole_reason("not-an-ip") is None
    assert sinkhole_reason("") is None


def test_configured_block_addresses_and_cidrs() -> None:
    extra = ["198.51.100.66", "203.0.113.0/28", "2001:db8:bad::/48"]
    assert sinkhole_reason("198.51.100.66", extra) == "198.51.100.66 is a configured block address"
    assert sinkhole_reason("203.0.113.9", extra) == "203.0.113.9 is a configured block address"
    assert sinkhole_reason("203.0.113.16", extra) is None
    assert sinkhole_reason("2001:db8:bad::1", extra) == "2001:db8:bad::1 is a configured block address"
    assert (
        sinkhole_reason("::ffff:198.51.100.66", extra)
        == "::ffff:198.51.100.66 is a configured block address (IPv4-mapped 198.51.100.66)"
    )
    # The user's list comes first, then the known filters, then the special ranges.
    assert sinkhole_reason("10.0.0.1", ["10.0.0.0/8"]) == "10.0.0.1 is a configured block address"


def test_a_bad_configured_address_is_an_input_error() -> None:
    with pytest.raises(InputError, match="block address 'bogus' is not an IP address or CIDR"):
        sinkhole_reason("8.8.8.8", ["bogus"])
    with pytest.raises(InputError, match=r"'10\.0\.0\.0/33'"):
        parse_block_addresses(["10.0.0.0/33"])
    assert len(parse_block_addresses(["10.0.0.1", "fd00::/8"])) == 2


def test_the_builtin_dns_fingerprints_name_the_known_filters() -> None:
    products = {fp.product for fp in load_dns_fingerprints()}
    assert {"Cisco Umbrella/OpenDNS", "FortiGuard DNS filter"} <= products


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[[dns]]\nproduct = 'X'\naddresses = ['1.2.3.4']\ncolour = 'red'\n",
            "{path}:1: dns #1: unknown key 'colour'",
        ),
        (
            "[[dns]]\nproduct = 'X'\naddresses = ['nope']\n",
            "{path}:1: dns #1: 'nope' is not an IP address or CIDR",
        ),
        (
            "[[dns]]\nproduct = 'X'\naddresses = []\n",
            "{path}:1: dns #1: 'addresses' must be a non-empty list",
        ),
        ("\n\n[[dns]]\naddresses = ['1.2.3.4']\n", "{path}:3: dns #1: 'product' must be a non-empty string"),
        ("dns = 'x'\n", "{path}: 'dns' must be an array of tables"),
        ("[[dnss]]\nproduct = 'X'\n", "{path}: unknown top-level key 'dnss'"),
    ],
)
def test_bad_dns_fingerprint_files_are_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_dns_fingerprints(path)
    assert str(caught.value).startswith(message.format(path=path))


def test_a_custom_dns_fingerprint_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[[dns]]\nproduct = 'Our filter'\naddresses = ['198.51.100.0/24']\n", encoding="utf-8")
    (entry,) = load_dns_fingerprints(path)
    assert entry.product == "Our filter"
    assert str(entry.networks[0]) == "198.51.100.0/24"

"""The DoH resolver list (built-in and --doh-resolvers files) and the traffic plan, without the network."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from netaudit.bypass.doh import load_resolvers
from netaudit.errors import InputError
from netaudit.model import Capability, ProbePath, Target
from netaudit.net.config import build_netconfig
from netaudit.plan import probe_plan
from netaudit.probe.engine import Prober


def test_the_builtin_list_names_the_well_known_resolvers_with_their_addresses() -> None:
    resolvers = load_resolvers()
    assert [r.name for r in resolvers] == ["google", "cloudflare", "quad9", "nextdns", "adguard"]
    for resolver in resolvers:
        assert urlsplit(resolver.url).scheme == "https" and resolver.host, resolver.name
        assert resolver.source, resolver.name
        versions = [ipaddress.ip_address(a).version for a in resolver.addresses]
        assert versions[0] == 4, resolver.name  # asked first: works on IPv4-only networks


BAD = {
    "unknown-key": (
        '[[resolver]]\nname = "x"\nurl = "https://x.test/q"\naddresses = ["192.0.2.1"]\ncolour = 1\n',
        "resolver 1: unknown key 'colour' (allowed: addresses, name, source, url)",
    ),
    "missing-addresses": ('[[resolver]]\nname = "x"\nurl = "https://x.test/q"\n', "resolver 1: missing 'addresses'"),
    "plain-http": (
        '[[resolver]]\nname = "x"\nurl = "http://x.test/q"\naddresses = ["192.0.2.1"]\n',
        "resolver 1 (x): url must be https://host/path, not 'http://x.test/q'",
    ),
    "not-an-address": (
        '[[resolver]]\nname = "x"\nurl = "https://x.test/q"\naddresses = ["dns.x.test"]\n',
        "resolver 1 (x): 'dns.x.test' is not an IP address",
    ),
    "top-level": ("resolvers = []\n", "unknown top-level key 'resolvers' (expected [[resolver]])"),
    "empty": ("", "no [[resolver]] entries"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_resolver_file_is_one_line_naming_the_entry(tmp_path: Path, case: str) -> None:
    text, said = BAD[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_resolvers(path)
    assert str(raised.value) == f"{path}: {said}"


def _prober(**options: Any) -> Prober:
    config = build_netconfig(timeout=2.0, environ={}, **options)
    return Prober(config)


TARGETS = [
    Target(id="site.read.1", url="https://www.site.test/", platform="site", capability=Capability.READ),
    Target(id="site.message.1", url="tls://chat.site.test:5222", platform="site", capability=Capability.MESSAGE),
]


def test_a_direct_plan_lists_dns_and_each_connection() -> None:
    plan = probe_plan(_prober(no_proxy=True, resolver="192.0.2.53"), TARGETS, False, ())
    rows = {(c.host, c.port, c.protocol, c.path) for c in plan.contacts}
    assert rows == {
        ("192.0.2.53", 53, "udp", ProbePath.TCP),
        ("www.site.test", 443, "tcp", ProbePath.TCP),
        ("chat.site.test", 5222, "tcp", ProbePath.TCP),
    }
    assert plan.dns_servers == ("192.0.2.53",) and plan.probes == 2 and plan.control is None


def test_a_proxied_plan_goes_to_the_proxy_only() -> None:
    plan = probe_plan(_prober(proxy="http://192.0.2.8:3128"), TARGETS, False, ())
    assert {(c.host, c.port) for c in plan.contacts} == {("192.0.2.8", 3128)}
    methods = sorted(c.method for c in plan.contacts)
    assert methods[0].startswith("CONNECT chat.site.test:5222") and methods[1].startswith("CONNECT www.site.test:443")
    assert plan.dns_servers == ()


def test_a_bypass_plan_adds_ipv6_doh_and_quic() -> None:
    doh = load_resolvers()[:1]
    plan = probe_plan(_prober(no_proxy=True, resolver="192.0.2.53"), TARGETS[:1], True, doh)
    paths = {(c.host, c.port, c.protocol, c.path) for c in plan.contacts}
    assert ("www.site.test", 443, "tcp/ipv6", ProbePath.IPV6) in paths
    assert ("8.8.8.8", 443, "tcp", ProbePath.DOH) in paths
    assert ("www.site.test", 443, "udp/quic", ProbePath.QUIC) in paths
    assert plan.probes == 4  # the ordinary probe, IPv6, DoH, QUIC


def test_a_run_saved_before_paths_existed_loads_with_path_tcp() -> None:
    from netaudit.runfile import audit_document, from_document
    from tests.fixtures.run import fixture_run

    run = fixture_run()
    document = audit_document(run)
    for item in [*document["observations"], *document["findings"]]:
        del item["path"]
    for item in document["observations"]:
        if item.get("http"):
            del item["http"]["alt_svc"]
    loaded = from_document(document, "before-bypass.json")
    assert loaded == run
    assert {o.path for o in run.observations} == {f.path for f in run.findings} == {ProbePath.TCP}


def test_a_route_the_pac_file_cannot_choose_is_a_note_not_a_contact(tmp_path: Path) -> None:
    pac = tmp_path / "proxy.pac"
    pac.write_text('function FindProxyForURL(url, host) { return "SOCKS5 192.0.2.9:1080"; }\n', encoding="utf-8")
    plan = probe_plan(_prober(pac=str(pac), resolver="192.0.2.53"), TARGETS[:1], True, ())
    assert [c.purpose for c in plan.contacts] == [("doh canary",)]  # the canary is asked of the resolver
    (note,) = [n for n in plan.notes if n.startswith("site.read.1:")]
    assert "the route cannot be chosen" in note and "sends nothing" in note

"""The paths around the policy in the lab: IPv6 beside IPv4, a DoH resolver, and a firewall that closes them.

`add_bypass(lab)` gives the running lab (without changing anything its other tests rely on):

* IPv6 on the veth pair (documentation prefix 2001:db8:2::/64) and a default IPv6 route for the client;
* `v6only.social.test`: A 198.51.100.20 and AAAA 2001:db8:10::20, one ok origin listening on both,
  with our own nftables table dropping TCP to it over IPv4 only (an IPv4 rule without an IPv6 twin);
* `dohsite.social.test`: sinkholed by dnsmasq (0.0.0.0); the lab's DoH resolver at 198.51.100.30
  (`doh.social.test`, RFC 8484) answers it, and `denied.social.test` (which Squid refuses by name),
  with the ok origin;
* a QUIC (HTTP/3) endpoint, aioquic's server, on UDP 443 of the ok origin 198.51.100.10 (where
  `denied.social.test` points: the proxy denies it over HTTPS, QUIC goes around the proxy);
* `chat.social.test` (198.51.100.50): TLS on 5222 and 443, a messenger's chat server;
* `apply(closed=...)`: our nftables table with a rule closing each path named (IPv6 TCP to the
  origin, TCP to the DoH resolver, UDP 443), `apply()` opening them again.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .lab import Lab
from .namespaces import add_address, ns_argv, run, tcp_connects
from .plan import DOMAIN, HOSTS, ORIGIN_OK
from .procs import start_service

CLIENT_V6 = "2001:db8:2::2"
GATEWAY_V6 = "2001:db8:2::1"
DUAL_V4 = "198.51.100.20"
DUAL_V6 = "2001:db8:10::20"
DOH_ADDR = "198.51.100.30"
QUIC_ADDR = ORIGIN_OK
CHAT_ADDR = "198.51.100.50"
CHAT = f"chat.{DOMAIN}"
V6ONLY = f"v6only.{DOMAIN}"
DOHSITE = f"dohsite.{DOMAIN}"
DOH_HOST = f"doh.{DOMAIN}"
TABLE = "netlab_bypass"
HERE = Path(__file__).parent


@dataclass
class BypassLab:
    """What add_bypass set up, and the switches that close the paths again."""

    lab: Lab
    doh_url: str = f"https://{DOH_HOST}/dns-query"

    def doh_list(self) -> Path:
        """A --doh-resolvers file naming the lab's resolver only."""
        path = self.lab.workdir / "doh-resolvers.toml"
        path.write_text(
            f'[[resolver]]\nname = "lab"\nurl = "{self.doh_url}"\naddresses = ["{DOH_ADDR}"]\n'
            'source = "tests/netlab/doh_server.py"\n',
            encoding="utf-8",
        )
        return path

    def _rules(self, closed: tuple[str, ...]) -> str:
        lines = [f"    ip daddr {DUAL_V4} meta l4proto tcp drop"]
        if "ipv6" in closed:
            lines.append(f"    ip6 daddr {DUAL_V6} meta l4proto tcp drop")
        if "doh" in closed:
            lines.append(f"    ip daddr {DOH_ADDR} meta l4proto tcp drop")
        if "quic" in closed:
            lines.append("    meta l4proto udp udp dport 443 drop")
        return "\n".join(lines)

    def apply(self, closed: tuple[str, ...] = ()) -> None:
        """Our table with the IPv4-only rule, plus a rule closing each path named in `closed`."""
        script = (
            f"table inet {TABLE} {{}}\ndelete table inet {TABLE}\n"
            f"table inet {TABLE} {{\n  chain input {{\n    type filter hook input priority filter; policy accept;\n"
            f"{self._rules(closed)}\n  }}\n}}\n"
        )
        run(ns_argv(self.lab.net_ns, ["nft", "-f", "-"]), input_text=script)

    def remove(self) -> None:
        run(ns_argv(self.lab.net_ns, ["nft", "delete", "table", "inet", TABLE]), check=False)


_ADDED: dict[str, BypassLab] = {}


def add_bypass(lab: Lab, timeout: float = 20.0) -> BypassLab:
    """Set the bypass paths up on a running lab (once per lab); everything is undone when the lab closes."""
    if lab.client_ns in _ADDED:
        return _ADDED[lab.client_ns]
    client_if, net_if = f"{lab.client_ns}0", f"{lab.net_ns}0"
    run(["ip", "-n", lab.client_ns, "-6", "addr", "add", f"{CLIENT_V6}/64", "dev", client_if, "nodad"])
    run(["ip", "-n", lab.net_ns, "-6", "addr", "add", f"{GATEWAY_V6}/64", "dev", net_if, "nodad"])
    run(["ip", "-n", lab.client_ns, "-6", "route", "add", "default", "via", GATEWAY_V6])
    has_dummy = run(["ip", "-n", lab.net_ns, "link", "show", "origins"], check=False).returncode == 0
    origins = "origins" if has_dummy else "lo"
    run(["ip", "-n", lab.net_ns, "-6", "addr", "add", f"{DUAL_V6}/128", "dev", origins, "nodad"])
    add_address(lab.net_ns, origins, f"{DUAL_V4}/32")
    add_address(lab.net_ns, origins, f"{DOH_ADDR}/32")
    add_address(lab.net_ns, origins, f"{CHAT_ADDR}/32")
    bypass = BypassLab(lab)
    bypass.apply()
    lab.on_close("delete the bypass nft table", bypass.remove)

    folder = lab.workdir / "bypass"
    folder.mkdir(exist_ok=True)
    chain = str(lab.certs.origin_chain)
    listeners = [
        {"address": address, "port": 443, "tls": True, "behaviour": "ok", "chain": chain}
        for address in (DUAL_V4, DUAL_V6)
    ]
    # A chat service: TLS on its own port 5222 and on 443, as messengers use them.
    listeners += [
        {"address": CHAT_ADDR, "port": port, "tls": True, "behaviour": "ok", "chain": chain} for port in (5222, 443)
    ]
    config = folder / "origin.json"
    config.write_text(json.dumps({"listeners": listeners}), encoding="utf-8")
    origin = start_service(
        "bypass-origin",
        ns_argv(lab.net_ns, [sys.executable, "-u", str(HERE / "origin.py"), str(config)]),
        folder / "origin.log",
    )
    lab.services[origin.name] = origin
    lab.on_close("stop bypass-origin", origin.stop)
    records = folder / "doh-records.json"
    # denied.social.test too: the proxy refuses the name, and may let its address through.
    records.write_text(json.dumps({DOHSITE: ORIGIN_OK, V6ONLY: DUAL_V4, HOSTS.denied: ORIGIN_OK}), encoding="utf-8")
    doh = start_service(
        "doh",
        ns_argv(
            lab.net_ns,
            [sys.executable, "-P", "-u", str(HERE / "doh_server.py"), DOH_ADDR, "443", chain, str(records)],
        ),
        folder / "doh.log",
    )
    lab.services[doh.name] = doh
    lab.on_close("stop doh", doh.stop)
    doh.wait_ready(partial(tcp_connects, lab.client_ns, DOH_ADDR, 443, 0.5), timeout, "(DoH resolver not listening)")
    origin.wait_ready(partial(_v6_connects, lab, DUAL_V6), timeout, "(IPv6 origin not listening)")

    quic = start_service(
        "quic",
        ns_argv(lab.net_ns, [sys.executable, "-P", "-u", str(HERE / "quic_server.py"), QUIC_ADDR, "443", chain]),
        folder / "quic.log",
    )
    lab.services[quic.name] = quic
    lab.on_close("stop quic", quic.stop)
    quic.wait_ready(lambda: "quic: serving" in quic.logs(), timeout, "(QUIC server not serving)")

    assert lab.dnsmasq is not None
    lab.dnsmasq.extra_lines.append(f"{DUAL_V6} {V6ONLY}")
    lab.add_hosts({DOHSITE: "0.0.0.0", CHAT: CHAT_ADDR, V6ONLY: DUAL_V4})
    lab.on_close("forget the bypass setup", lambda: _ADDED.pop(lab.client_ns, None))
    _ADDED[lab.client_ns] = bypass
    return bypass


def _v6_connects(lab: Lab, address: str) -> bool:
    probe = lab.exec_in_client(
        [sys.executable, "-c", f"import socket; socket.create_connection(('{address}', 443), timeout=0.5).close()"],
        timeout=5,
    )
    return probe.returncode == 0

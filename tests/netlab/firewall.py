"""The lab's firewall: an nftables table of our own inside the net namespace.

TCP to DROP_ADDR is silently dropped (the client sees tcp_timeout); TCP to REJECT_ADDR is answered
with a TCP reset (tcp_refused). The rules sit on the input hook, so they apply to the client's
traffic and to Squid's outgoing connections alike.
"""

from __future__ import annotations

from .namespaces import ns_argv, run

TABLE = "netlab"


def ruleset(drop: list[str], reject: list[str]) -> str:
    """The nft script for our table."""
    lines = [f"table inet {TABLE} {{", "  chain input {", "    type filter hook input priority filter; policy accept;"]
    lines += [f"    ip daddr {addr} meta l4proto tcp drop" for addr in drop]
    lines += [f"    ip daddr {addr} meta l4proto tcp reject with tcp reset" for addr in reject]
    lines += ["  }", "}", ""]
    return "\n".join(lines)


def install(namespace: str, drop: list[str], reject: list[str]) -> None:
    """Load our table into the namespace's nftables."""
    run(ns_argv(namespace, ["nft", "-f", "-"]), input_text=ruleset(drop, reject))


def remove(namespace: str) -> None:
    """Delete our table (only ours) from the namespace."""
    listed = run(ns_argv(namespace, ["nft", "list", "tables"]), check=False)
    if f"inet {TABLE}" in listed.stdout:
        run(ns_argv(namespace, ["nft", "delete", "table", "inet", TABLE]))

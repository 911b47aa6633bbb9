"""The resolver a run asks: ``--resolver IP[:PORT]``, or the system's configuration (described, not used here).

Also `plain_dnspython()`: netaudit asks DNS over UDP and TCP only, so dnspython need not load its
DNS-over-QUIC support (aioquic and service_identity: about 45 ms of every probe's start).
"""

from __future__ import annotations

import ipaddress
import re
import sys

from netaudit.errors import InputError


def plain_dnspython() -> None:
    """Tell dnspython, before it is first imported, not to load its DNS-over-QUIC and DNS-over-HTTPS code.

    `dns.query` imports `dns.quic`, which imports aioquic whenever it is installed (it is, for the
    QUIC handshake of ``--bypass``, which uses aioquic directly). netaudit never calls dnspython's
    `quic`/`https` queries, so turning the two features off changes nothing it does. Call it from
    the command line's edge, before the probe engine is imported; later calls do nothing harmful.
    """
    import dns._features

    force = getattr(dns._features, "force", None)  # dnspython >= 2.5
    if force is not None and "dns.quic" not in sys.modules:
        force("doq", False)
        force("doh", False)


def system_nameservers() -> str:
    """The system's name servers, for the report (never raises)."""
    try:
        import dns.resolver

        nameservers = [str(ns) for ns in dns.resolver.Resolver(configure=True).nameservers]
    except Exception:  # no /etc/resolv.conf, unreadable, ...: describe, do not fail
        return "no nameservers found"
    return ", ".join(nameservers) if nameservers else "no nameservers found"


def parse_resolver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``[v6]:PORT``, ``[v6]`` or ``v6`` → (address, port); port 53 by default."""
    message = f"--resolver: '{text}' is not an IP address[:port]"
    value = text.strip()
    port_text = ""
    if value.startswith("["):
        found = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", value)
        if not found:
            raise InputError(message)
        host, port_text = found.group(1), found.group(2) or ""
    elif value.count(":") == 1:
        host, port_text = value.split(":")
        if not port_text:
            raise InputError(message)
    else:
        host = value
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise InputError(message) from None
    port = 53
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InputError(message)
        port = int(port_text)
    return str(address), port

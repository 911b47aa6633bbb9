"""The resolver a run asks: ``--resolver IP[:PORT]``, or the system's configuration (described, not used here)."""

from __future__ import annotations

import ipaddress
import re

from netaudit.errors import InputError


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

"""Host names as they go on the wire: an internationalised name becomes its IDNA (``xn--``) form.

`ascii_url` is used by every place a URL comes in (the command line, ``--input`` files, catalog
files), so a probe asks DNS, sends SNI and the Host header with the name a browser would use:
``https://bücher.example/`` is probed as ``https://xn--bcher-kva.example/`` (IDNA 2008 with the
UTS #46 mapping, as browsers do, through the `idna` package).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import idna

__all__ = ["ascii_host", "ascii_url"]


def ascii_host(host: str) -> str:
    """The IDNA form of a host name (an ASCII name is returned as it is); ValueError with a reason if none."""
    if host.isascii():
        return host
    try:
        return idna.encode(host.rstrip("."), uts46=True).decode("ascii") + ("." if host.endswith(".") else "")
    except idna.IDNAError as exc:
        raise ValueError(f"'{host}' is not a valid international host name ({exc})") from None


def ascii_url(url: str) -> str:
    """`url` with its host in IDNA form; the rest is left as written. ValueError for an unusable host or URL."""
    parts = urlsplit(url)  # raises ValueError for e.g. an unbalanced '['
    if parts.netloc.isascii():
        return url
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, port = hostport, ""
    if not hostport.startswith("["):
        name, colon, digits = hostport.rpartition(":")
        if colon and (digits.isdigit() or not digits):
            host, port = name, colon + digits
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{ascii_host(host)}{port}"))

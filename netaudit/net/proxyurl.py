"""Proxy URLs: the one reader and validator of ``[http://][user[:password]@]host[:port]``.

Every proxy URL netaudit is given goes through `check_proxy_url`: ``--proxy``, the ``*_PROXY``
variables, a PAC file's answers and a profile's ``proxy``. It says what is wrong in words
(`ProxyUrlProblem`, with a `kind` a caller may word its own way) and never shows a password.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote

from netaudit.errors import NetauditError
from netaudit.model import ProxySpec
from netaudit.secrets import mask_url, split_userinfo

DEFAULT_PROXY_PORT = 3128
"""Port assumed for ``--proxy host`` without a port: Squid's default."""

PROXY_SCHEMES = ("http",)
"""Proxy URL schemes netaudit accepts. An ``https://`` proxy (TLS to the proxy itself, then CONNECT
inside it: TLS in TLS) is refused when the settings are checked, never accepted and left to fail."""

HTTPS_PROXY_REFUSED = (
    "https:// proxies (TLS to the proxy itself) are not supported; give the proxy's plain http:// port "
    "(the tunnel to each site is TLS all the same)"
)

PASSWORD_IN_URL = "--proxy: do not put the password in the URL; give --proxy-user and set NETAUDIT_PROXY_PASSWORD"

_HOSTNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")


class ProxyUrlProblem(ValueError):
    """Why a proxy URL cannot be used, in words that never show its password (and do not say where it came from).

    `kind` is one of ``empty``, ``password``, ``scheme``, ``https``, ``path``, ``host``, ``port``.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def check_proxy_url(value: str, *, allow_password: bool, default_port: int | None) -> ProxySpec:
    """Read ``[scheme://][user[:password]@]host[:port][/]``; `ProxyUrlProblem` says what is wrong.

    `default_port` None means the scheme's own port (80 for http), as requests does.
    """
    shown = mask_url(value.strip())
    raw = value.strip()
    if not raw:
        raise ProxyUrlProblem("empty", "the proxy URL is empty")
    if "://" not in raw:
        raw = "http://" + raw
    user_part, password_part, raw = split_userinfo(raw)
    scheme, rest = raw.split("://", 1)
    scheme = scheme.lower()
    if password_part is not None and not allow_password:
        raise ProxyUrlProblem("password", "the URL carries a password")
    password = unquote(password_part) if password_part is not None else None
    username = unquote(user_part) if user_part else None

    if scheme == "https":
        raise ProxyUrlProblem("https", f"{shown}: {HTTPS_PROXY_REFUSED}")
    if scheme not in PROXY_SCHEMES:
        raise ProxyUrlProblem(
            "scheme", f"unsupported proxy scheme '{scheme}' in {shown} (netaudit speaks to http:// proxies)"
        )

    hostport, tail = rest, ""
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    if cut >= 0:
        hostport, tail = rest[:cut], rest[cut:]
    if tail not in ("", "/"):
        raise ProxyUrlProblem("path", f"a proxy URL is scheme://host:port, without a path: {shown}")

    port_text = ""
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise ProxyUrlProblem("host", f"unbalanced '[' in {shown}")
        host, after = hostport[1:close], hostport[close + 1 :]
        if after and not after.startswith(":"):
            raise ProxyUrlProblem("host", f"unexpected text after ']' in {shown}")
        port_text = after[1:]
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ProxyUrlProblem("host", f"'{host}' is not an IPv6 address (in {shown})") from None
    else:
        if hostport.count(":") > 1:
            raise ProxyUrlProblem("host", "write an IPv6 proxy address in brackets, e.g. http://[::1]:3128")
        host, _, port_text = hostport.partition(":")
        if not host or not _HOSTNAME.fullmatch(host):
            raise ProxyUrlProblem("host", f"'{host}' is not a host name (in {shown})")

    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ProxyUrlProblem("port", f"bad port '{port_text}' in {shown} (1-65535)")
        port = int(port_text)
    elif default_port is not None:
        port = default_port
    else:
        port = 80
    return ProxySpec(scheme, host.lower(), port, username, password)


def parse_proxy_url(
    value: str,
    *,
    source: str,
    allow_password: bool,
    default_port: int | None,
    error: type[NetauditError],
) -> ProxySpec:
    """`check_proxy_url`, its problem raised as `error` with a message that starts with `source`."""
    try:
        return check_proxy_url(value, allow_password=allow_password, default_port=default_port)
    except ProxyUrlProblem as problem:
        if problem.kind == "password" and source == "--proxy":
            raise error(PASSWORD_IN_URL) from None
        raise error(f"{source}: {problem}") from None


def apply_credentials(spec: ProxySpec, user: str | None, password: str | None) -> ProxySpec:
    """`user` given: it replaces the URL's user and `password` goes with it. Else only the password."""
    if user:
        return spec.with_credentials(user, password)
    if password is not None and spec.username:
        return spec.with_credentials(spec.username, password)
    return spec

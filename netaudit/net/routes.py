"""Routes: which proxy (if any) a URL goes through, in each proxy mode but PAC (see `netaudit.net.pac`).

A `Router` answers `proxy_for` for one mode: `Direct` (``--no-proxy``), `Explicit` (``--proxy``)
or `Environment` (the ``*_PROXY`` and ``NO_PROXY`` variables, read as curl and requests read
them, from a mapping the caller passes in: nothing here reads ``os.environ``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from netaudit.errors import EnvironmentProblem, InputError
from netaudit.model import ProxySpec
from netaudit.net.proxyurl import apply_credentials, parse_proxy_url
from netaudit.secrets import mask_url, password_in_url


@dataclass(frozen=True)
class UrlTarget:
    """The parts of a URL that decide its proxy."""

    scheme: str
    host: str
    port: int
    url: str


def url_target(url: str) -> UrlTarget:
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise InputError(f"not a usable URL: {mask_url(url)!r} ({exc})") from None
    if not host:
        raise InputError(f"not a usable URL (no host): {mask_url(url)!r}")
    scheme = parts.scheme.lower()
    if port is None:
        port = {"https": 443, "wss": 443, "http": 80, "ws": 80}.get(scheme, 0)
    return UrlTarget(scheme, host.rstrip(".").lower(), port, url)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


# --- NO_PROXY ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bypass:
    """One NO_PROXY entry."""

    everything: bool = False
    name: str = ""
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    port: int | None = None

    def matches(self, target: UrlTarget) -> bool:
        if self.everything:
            return True
        if self.port is not None and self.port != target.port:
            return False
        if self.network is not None:
            address = _ip(target.host)
            return address is not None and address.version == self.network.version and address in self.network
        return target.host == self.name or target.host.endswith("." + self.name)


def parse_no_proxy(value: str) -> tuple[Bypass, ...]:
    """NO_PROXY as curl reads it: names match themselves and subdomains (a leading ``.`` or ``*.`` is
    optional), ``*`` matches everything, IP addresses and CIDRs match IP hosts, ``:port`` narrows."""
    entries: list[Bypass] = []
    for item in re.split(r"[,\s]+", value.strip()):
        item = item.strip().lower()
        if not item:
            continue
        if item == "*":
            entries.append(Bypass(everything=True))
            continue
        port: int | None = None
        if item.startswith("["):
            close = item.find("]")
            if close > 0:
                rest = item[close + 1 :]
                item = item[1:close]
                if rest.startswith(":") and rest[1:].isdigit():
                    port = int(rest[1:])
        elif item.count(":") == 1:
            head, _, tail = item.partition(":")
            if tail.isdigit():
                item, port = head, int(tail)
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            network = None
        if network is not None:
            entries.append(Bypass(network=network, port=port))
            continue
        if item.startswith("*."):
            item = item[2:]
        name = item.lstrip(".").rstrip(".")
        if name:
            entries.append(Bypass(name=name, port=port))
    return tuple(entries)


# --- routers: how proxy_for answers in each mode ----------------------------------------------


class Router(Protocol):
    def proxy_for(self, target: UrlTarget) -> ProxySpec | None: ...

    def describe(self) -> str: ...

    def secrets(self) -> tuple[str, ...]: ...

    def with_credentials(self, user: str | None, password: str | None) -> Router: ...


@dataclass(frozen=True)
class Direct:
    def proxy_for(self, target: UrlTarget) -> ProxySpec | None:
        return None

    def describe(self) -> str:
        return "none"

    def secrets(self) -> tuple[str, ...]:
        return ()

    def with_credentials(self, user: str | None, password: str | None) -> Router:
        return self


@dataclass(frozen=True)
class Explicit:
    proxy: ProxySpec
    unused_password: str | None = field(default=None, repr=False)  # given without a user: redact only

    def proxy_for(self, target: UrlTarget) -> ProxySpec | None:
        return self.proxy

    def describe(self) -> str:
        return self.proxy.masked()

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.proxy.password, self.unused_password) if s)

    def with_credentials(self, user: str | None, password: str | None) -> Router:
        spec = apply_credentials(self.proxy, user, password)
        unused = password if password and spec.password != password else None
        return Explicit(spec, unused)


def env_lookup(environ: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """The variable `name` in lower case, else upper case (lower wins, as in curl and urllib).

    A variable set to the empty string counts as not set."""
    for key in (name.lower(), name.upper()):
        value = environ.get(key)
        if value is not None and value.strip():
            return key, value.strip()
    return None


@dataclass(frozen=True)
class EnvProxy:
    variable: str
    raw: str
    spec: ProxySpec


@dataclass(frozen=True)
class Environment:
    """``https_proxy`` for https URLs, ``http_proxy`` for http URLs, ``all_proxy`` when those are
    unset, ``no_proxy`` to bypass; each lower case first, then upper case."""

    proxies: Mapping[str, EnvProxy]  # "http" / "https" -> the proxy for that URL scheme
    others: tuple[EnvProxy, ...]  # all_proxy, for any other scheme
    no_proxy: tuple[Bypass, ...]
    no_proxy_text: tuple[str, str] | None
    override_user: str | None = None
    override_password: str | None = field(default=None, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Environment:
        def parse(found: tuple[str, str]) -> EnvProxy:
            variable, value = found
            spec = parse_proxy_url(
                value, source=variable, allow_password=True, default_port=None, error=EnvironmentProblem
            )
            return EnvProxy(variable, value, spec)

        specific = {scheme: env_lookup(environ, f"{scheme}_proxy") for scheme in ("https", "http")}
        everything = env_lookup(environ, "all_proxy")
        # all_proxy is read only where it can be used: for a scheme without its own variable.
        all_proxy = parse(everything) if everything and None in specific.values() else None
        proxies: dict[str, EnvProxy] = {}
        for scheme, found in specific.items():
            chosen = parse(found) if found is not None else all_proxy
            if chosen is not None:
                proxies[scheme] = chosen
        others = (all_proxy,) if all_proxy is not None else ()
        no_proxy_found = env_lookup(environ, "no_proxy")
        no_proxy = parse_no_proxy(no_proxy_found[1]) if no_proxy_found else ()
        return cls(proxies, others, no_proxy, no_proxy_found)

    def _effective(self, proxy: EnvProxy) -> ProxySpec:
        return apply_credentials(proxy.spec, self.override_user, self.override_password)

    def proxy_for(self, target: UrlTarget) -> ProxySpec | None:
        if any(entry.matches(target) for entry in self.no_proxy):
            return None
        proxy = self.proxies.get({"wss": "https", "ws": "http"}.get(target.scheme, target.scheme))
        if proxy is None and target.scheme not in ("http", "https", "ws", "wss") and self.others:
            proxy = self.others[0]
        return self._effective(proxy) if proxy is not None else None

    def describe(self) -> str:
        shown: list[str] = []
        seen: set[str] = set()
        for proxy in [*self.proxies.values(), *self.others]:
            if proxy.variable not in seen:
                seen.add(proxy.variable)
                shown.append(f"{proxy.variable}={self._effective(proxy).masked()}")
        if self.no_proxy_text is not None:
            shown.append(f"{self.no_proxy_text[0]}={self.no_proxy_text[1]}")
        if not shown:
            return "environment (no proxy variables set)"
        return f"environment ({', '.join(shown)})"

    def secrets(self) -> tuple[str, ...]:
        found: list[str] = []
        for proxy in [*self.proxies.values(), *self.others]:
            if proxy.spec.password:
                found.append(proxy.spec.password)
                raw_secret = password_in_url(proxy.raw)
                if raw_secret:
                    found.append(raw_secret)
        if self.override_password:
            found.append(self.override_password)
        return tuple(found)

    def with_credentials(self, user: str | None, password: str | None) -> Router:
        return Environment(self.proxies, self.others, self.no_proxy, self.no_proxy_text, user, password)

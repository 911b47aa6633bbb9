"""The network settings a probe runs with: which proxy (if any) per URL, which resolver, which trust.

`build_netconfig` turns the command-line options (and an environment mapping, for hermetic
tests) into one frozen `NetConfig`:

* proxy: an explicit ``--proxy``, the ``*_PROXY`` environment variables (the default, read the
  way curl and requests read them), a PAC file (``--pac``, a path or an http(s) URL, loaded once
  and evaluated with pypac), or none at all (``--no-proxy``);
* resolver: ``--resolver IP[:PORT]`` or the system configuration;
* trust: ``--ca-bundle`` > ``REQUESTS_CA_BUNDLE`` > ``SSL_CERT_FILE`` > the operating system's
  store, and the public roots (``--public-roots`` or certifi's Mozilla bundle) that tell a
  verified site from an inspected one.

Passwords never appear in a repr, in `describe()`, or in an error message; `NetConfig.secrets()`
lists them for `netaudit.secrets.redact`. Nothing here imports click.
"""

from __future__ import annotations

import enum
import ipaddress
import math
import os
import re
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic
from typing import Any, Protocol
from urllib.parse import quote, unquote, urlsplit

from netaudit.errors import EnvironmentProblem, ExitCode, InputError, NetauditError
from netaudit.pacworker import PAC_MAX_BYTES, PacDied, PacProcess, PacTimeout, decode_pac
from netaudit.secrets import mask_url, password_in_url, redact, split_userinfo

DEFAULT_PROXY_PORT = 3128
"""Port assumed for ``--proxy host`` without a port: Squid's default."""

PAC_FETCH_TIMEOUT = 15.0
"""Upper bound in seconds for fetching a PAC URL (the probe timeout applies if it is smaller)."""

PROXY_SCHEMES = ("http",)
"""Proxy URL schemes netaudit accepts. An ``https://`` proxy (TLS to the proxy itself, then CONNECT
inside it: TLS in TLS) is refused when the settings are checked, never accepted and left to fail."""

HTTPS_PROXY_REFUSED = (
    "https:// proxies (TLS to the proxy itself) are not supported; give the proxy's plain http:// port "
    "(the tunnel to each site is TLS all the same)"
)

PASSWORD_IN_URL = "--proxy: do not put the password in the URL; give --proxy-user and set NETAUDIT_PROXY_PASSWORD"

_HOSTNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")
_USER_SAFE = "!$&'()*+,;=-._~"


class ProxyLookupError(NetauditError):
    """The proxy for one URL could not be determined (e.g. the PAC's FindProxyForURL failed).

    Raised by `NetConfig.proxy_for`; the engine records the probe as ``proxy_error`` with this
    message as its detail instead of stopping the run.
    """

    exit_code = ExitCode.ENVIRONMENT


class ProxyUnsupported(ProxyLookupError):
    """The PAC file sends the URL only to proxies netaudit cannot speak to (SOCKS)."""


class ProxyMode(enum.StrEnum):
    """Where the proxy for a URL comes from."""

    ENVIRONMENT = "environment"
    EXPLICIT = "explicit"
    PAC = "pac"
    NONE = "none"


@dataclass(frozen=True)
class ProxySpec:
    """One proxy server. The password is left out of repr and equality."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)

    def _hostport(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self) -> str:
        """``scheme://host:port``, never credentials."""
        return f"{self.scheme}://{self._hostport()}"

    def masked(self) -> str:
        """The proxy for people: ``scheme://user:***@host:port`` (or ``user@``, or just the URL)."""
        if self.username is None:
            return self.url()
        user = quote(self.username, safe=_USER_SAFE)
        secret = ":***" if self.password is not None else ""
        return f"{self.scheme}://{user}{secret}@{self._hostport()}"

    def url_with_credentials(self) -> str:
        """The URL with percent-encoded credentials, to hand to requests/urllib3 only. Never log it."""
        if self.username is None:
            return self.url()
        user = quote(self.username, safe="")
        secret = ":" + quote(self.password, safe="") if self.password is not None else ""
        return f"{self.scheme}://{user}{secret}@{self._hostport()}"

    def with_credentials(self, username: str | None, password: str | None) -> ProxySpec:
        """A copy with these credentials (a password without a user is dropped)."""
        return ProxySpec(self.scheme, self.host, self.port, username, password if username else None)


# --- parsing proxy URLs -----------------------------------------------------------------------


def _parse_proxy_url(
    value: str,
    *,
    source: str,
    allow_password: bool,
    default_port: int | None,
    error: type[NetauditError],
) -> ProxySpec:
    """Parse ``[scheme://][user[:password]@]host[:port][/]``; messages name `source`, never a password.

    `default_port` None means the scheme's own port (80 for http, 443 for https), as requests does.
    """
    shown = mask_url(value.strip())
    raw = value.strip()
    if not raw:
        raise error(f"{source}: the proxy URL is empty")
    if "://" not in raw:
        raw = "http://" + raw
    user_part, password_part, raw = split_userinfo(raw)
    scheme, rest = raw.split("://", 1)
    scheme = scheme.lower()
    if password_part is not None and not allow_password:
        raise error(PASSWORD_IN_URL)
    password = unquote(password_part) if password_part is not None else None
    username = unquote(user_part) if user_part else None

    if scheme == "https":
        raise error(f"{source}: {shown}: {HTTPS_PROXY_REFUSED}")
    if scheme not in PROXY_SCHEMES:
        raise error(f"{source}: unsupported proxy scheme '{scheme}' in {shown} (netaudit speaks to http:// proxies)")

    hostport, tail = rest, ""
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    if cut >= 0:
        hostport, tail = rest[:cut], rest[cut:]
    if tail not in ("", "/"):
        raise error(f"{source}: a proxy URL is scheme://host:port, without a path: {shown}")

    port_text = ""
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise error(f"{source}: unbalanced '[' in {shown}")
        host, after = hostport[1:close], hostport[close + 1 :]
        if after and not after.startswith(":"):
            raise error(f"{source}: unexpected text after ']' in {shown}")
        port_text = after[1:]
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise error(f"{source}: '{host}' is not an IPv6 address (in {shown})") from None
    else:
        if hostport.count(":") > 1:
            raise error(f"{source}: write an IPv6 proxy address in brackets, e.g. http://[::1]:3128")
        host, _, port_text = hostport.partition(":")
        if not host or not _HOSTNAME.fullmatch(host):
            raise error(f"{source}: '{host}' is not a host name (in {shown})")

    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise error(f"{source}: bad port '{port_text}' in {shown} (1-65535)")
        port = int(port_text)
    elif default_port is not None:
        port = default_port
    else:
        port = 443 if scheme == "https" else 80
    return ProxySpec(scheme, host.lower(), port, username, password)


def _apply_credentials(spec: ProxySpec, user: str | None, password: str | None) -> ProxySpec:
    """`user` given: it replaces the URL's user and `password` goes with it. Else only the password."""
    if user:
        return spec.with_credentials(user, password)
    if password is not None and spec.username:
        return spec.with_credentials(spec.username, password)
    return spec


# --- the target URL ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    url: str


def _target(url: str) -> _Target:
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
    return _Target(scheme, host.rstrip(".").lower(), port, url)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


# --- NO_PROXY ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bypass:
    """One NO_PROXY entry."""

    everything: bool = False
    name: str = ""
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    port: int | None = None

    def matches(self, target: _Target) -> bool:
        if self.everything:
            return True
        if self.port is not None and self.port != target.port:
            return False
        if self.network is not None:
            address = _ip(target.host)
            return address is not None and address.version == self.network.version and address in self.network
        return target.host == self.name or target.host.endswith("." + self.name)


def _parse_no_proxy(value: str) -> tuple[_Bypass, ...]:
    """NO_PROXY as curl reads it: names match themselves and subdomains (a leading ``.`` or ``*.`` is
    optional), ``*`` matches everything, IP addresses and CIDRs match IP hosts, ``:port`` narrows."""
    entries: list[_Bypass] = []
    for item in re.split(r"[,\s]+", value.strip()):
        item = item.strip().lower()
        if not item:
            continue
        if item == "*":
            entries.append(_Bypass(everything=True))
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
            entries.append(_Bypass(network=network, port=port))
            continue
        if item.startswith("*."):
            item = item[2:]
        name = item.lstrip(".").rstrip(".")
        if name:
            entries.append(_Bypass(name=name, port=port))
    return tuple(entries)


# --- routers: how proxy_for answers in each mode ----------------------------------------------


class _Router(Protocol):
    def proxy_for(self, target: _Target) -> ProxySpec | None: ...

    def describe(self) -> str: ...

    def secrets(self) -> tuple[str, ...]: ...

    def with_credentials(self, user: str | None, password: str | None) -> _Router: ...


@dataclass(frozen=True)
class _Direct:
    def proxy_for(self, target: _Target) -> ProxySpec | None:
        return None

    def describe(self) -> str:
        return "none"

    def secrets(self) -> tuple[str, ...]:
        return ()

    def with_credentials(self, user: str | None, password: str | None) -> _Router:
        return self


@dataclass(frozen=True)
class _Explicit:
    proxy: ProxySpec
    unused_password: str | None = field(default=None, repr=False)  # given without a user: redact only

    def proxy_for(self, target: _Target) -> ProxySpec | None:
        return self.proxy

    def describe(self) -> str:
        return self.proxy.masked()

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.proxy.password, self.unused_password) if s)

    def with_credentials(self, user: str | None, password: str | None) -> _Router:
        spec = _apply_credentials(self.proxy, user, password)
        unused = password if password and spec.password != password else None
        return _Explicit(spec, unused)


def _env_lookup(environ: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """The variable `name` in lower case, else upper case (lower wins, as in curl and urllib).

    A variable set to the empty string counts as not set."""
    for key in (name.lower(), name.upper()):
        value = environ.get(key)
        if value is not None and value.strip():
            return key, value.strip()
    return None


@dataclass(frozen=True)
class _EnvProxy:
    variable: str
    raw: str
    spec: ProxySpec


@dataclass(frozen=True)
class _Environment:
    """``https_proxy`` for https URLs, ``http_proxy`` for http URLs, ``all_proxy`` when those are
    unset, ``no_proxy`` to bypass; each lower case first, then upper case."""

    proxies: Mapping[str, _EnvProxy]  # "http" / "https" -> the proxy for that URL scheme
    others: tuple[_EnvProxy, ...]  # all_proxy, for any other scheme
    no_proxy: tuple[_Bypass, ...]
    no_proxy_text: tuple[str, str] | None
    override_user: str | None = None
    override_password: str | None = field(default=None, repr=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> _Environment:
        def parse(found: tuple[str, str]) -> _EnvProxy:
            variable, value = found
            spec = _parse_proxy_url(
                value, source=variable, allow_password=True, default_port=None, error=EnvironmentProblem
            )
            return _EnvProxy(variable, value, spec)

        specific = {scheme: _env_lookup(environ, f"{scheme}_proxy") for scheme in ("https", "http")}
        everything = _env_lookup(environ, "all_proxy")
        # all_proxy is read only where it can be used: for a scheme without its own variable.
        all_proxy = parse(everything) if everything and None in specific.values() else None
        proxies: dict[str, _EnvProxy] = {}
        for scheme, found in specific.items():
            chosen = parse(found) if found is not None else all_proxy
            if chosen is not None:
                proxies[scheme] = chosen
        others = (all_proxy,) if all_proxy is not None else ()
        no_proxy_found = _env_lookup(environ, "no_proxy")
        no_proxy = _parse_no_proxy(no_proxy_found[1]) if no_proxy_found else ()
        return cls(proxies, others, no_proxy, no_proxy_found)

    def _effective(self, proxy: _EnvProxy) -> ProxySpec:
        return _apply_credentials(proxy.spec, self.override_user, self.override_password)

    def proxy_for(self, target: _Target) -> ProxySpec | None:
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

    def with_credentials(self, user: str | None, password: str | None) -> _Router:
        return _Environment(self.proxies, self.others, self.no_proxy, self.no_proxy_text, user, password)


class _Pac:
    """A PAC file loaded once into its own child process; FindProxyForURL asked under a lock and cached.

    Like Chrome, an https URL is handed to the PAC as ``https://host[:port]/`` (no path), so the
    answer is cached per scheme, host and port; an http URL is handed over whole and cached per URL.
    Each question is bounded by `timeout`: a PAC that does not answer in time is a lookup error for
    that URL, and the next question starts a fresh child.
    """

    def __init__(
        self, source: str, shown: str, js: str, process: PacProcess, timeout: float, secrets: tuple[str, ...] = ()
    ) -> None:
        self.source = source
        self.shown = shown
        self._js = js
        self._process: PacProcess | None = process
        self._timeout = timeout
        self._lock = threading.Lock()
        self._cache: dict[str, ProxySpec | ProxyLookupError | None] = {}
        self._secrets = secrets

    def lookup(self, target: _Target) -> ProxySpec | None:
        if target.scheme in ("https", "wss"):
            host = f"[{target.host}]" if ":" in target.host else target.host
            default = 443
            pac_url = f"{target.scheme}://{host}{'' if target.port == default else f':{target.port}'}/"
        else:
            pac_url = target.url.split("#", 1)[0]
        with self._lock:
            if pac_url not in self._cache:
                self._cache[pac_url] = self._evaluate(pac_url, target.host)
            answer = self._cache[pac_url]
        if isinstance(answer, ProxyLookupError):
            raise type(answer)(str(answer))
        return answer

    def _ask(self, pac_url: str, host: str) -> dict[str, Any]:
        deadline = monotonic() + self._timeout
        if self._process is None:
            process = PacProcess()
            answer = process.request({"op": "load", "js": self._js}, deadline)
            if "ok" not in answer:
                process.close()
                raise PacDied(None)
            self._process = process
        try:
            return self._process.request({"op": "find", "url": pac_url, "host": host}, deadline)
        except (PacTimeout, PacDied):
            self._process = None
            raise

    def _evaluate(self, pac_url: str, host: str) -> ProxySpec | ProxyLookupError | None:
        try:
            answer = self._ask(pac_url, host)
        except PacTimeout:
            return ProxyLookupError(f"the PAC file {self.shown} did not answer for {host} within {self._timeout:g} s")
        except PacDied as exc:
            return ProxyLookupError(f"the PAC file {self.shown} failed for {host}: {exc}")
        if "jserror" in answer:
            first = redact(str(answer["jserror"]), self._secrets)
            return ProxyLookupError(f"the PAC file {self.shown} failed for {host}: {first}")
        if "pyerror" in answer:
            return ProxyLookupError(f"the PAC file {self.shown} failed for {host}: {answer['pyerror']}")
        if "type" in answer:
            return ProxyLookupError(f"the PAC file {self.shown} returned {answer['type']} for {host}, not a proxy list")
        value = answer.get("value")
        if value is None:
            return None
        try:
            return parse_pac_answer(str(value), host=host, source=f"the PAC file {self.shown}")
        except ProxyLookupError as exc:
            return exc

    def close(self) -> None:
        """Stop the child process (it also stops when the program ends)."""
        if self._process is not None:
            self._process.close()


def parse_pac_answer(value: str, *, host: str = "", source: str = "the PAC file") -> ProxySpec | None:
    """Turn a FindProxyForURL answer into the proxy to use (None = DIRECT) or an error to record.

    Entries are tried in order, as a browser would: ``DIRECT`` → None; ``PROXY``/``HTTP host:port``
    → an http proxy (port 80 if missing). ``HTTPS`` (TLS to the proxy) and ``SOCKS*`` entries are
    skipped: netaudit does not speak them; an answer with nothing else raises `ProxyUnsupported`,
    and an answer with no recognisable entry raises `ProxyLookupError`. An empty answer means DIRECT.
    """
    socks: list[str] = []
    kinds: set[str] = set()
    unknown: list[str] = []
    for element in value.split(";"):
        parts = element.split()
        if not parts:
            continue
        keyword = parts[0].upper()
        if keyword == "DIRECT" and len(parts) == 1:
            return None
        if len(parts) == 2 and keyword in ("PROXY", "HTTP"):
            try:
                return _parse_proxy_url(
                    f"http://{parts[1]}", source=source, allow_password=False, default_port=80, error=ProxyLookupError
                )
            except ProxyLookupError:
                unknown.append(mask_url(element.strip()))
                continue
        if len(parts) == 2 and keyword in ("SOCKS", "SOCKS4", "SOCKS5", "HTTPS"):
            socks.append(element.strip())
            kinds.add("HTTPS" if keyword == "HTTPS" else "SOCKS")
            continue
        unknown.append(mask_url(element.strip()))
    subject = f" for {host}" if host else ""
    if socks:
        named = " or ".join(sorted(kinds))
        raise ProxyUnsupported(
            f"{source} sends{subject} only to {named} proxies ({'; '.join(socks)}); netaudit speaks to HTTP proxies"
        )
    if unknown:
        raise ProxyLookupError(f"{source} returned{subject} no usable entry: {'; '.join(unknown)[:200]!r}")
    return None


@dataclass(frozen=True)
class _PacRouter:
    pac: _Pac
    override_user: str | None = None
    override_password: str | None = field(default=None, repr=False)

    def proxy_for(self, target: _Target) -> ProxySpec | None:
        spec = self.pac.lookup(target)
        if spec is None:
            return None
        return _apply_credentials(spec, self.override_user, self.override_password)

    def describe(self) -> str:
        return f"pac ({self.pac.shown})"

    def secrets(self) -> tuple[str, ...]:
        found = list(self.pac._secrets)
        if self.override_password:
            found.append(self.override_password)
        return tuple(found)

    def with_credentials(self, user: str | None, password: str | None) -> _Router:
        return _PacRouter(self.pac, user, password)


# --- the settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NetConfig:
    """The network settings of one run. Build it with `build_netconfig`.

    Do not `dataclasses.replace` the proxy fields: the proxy routing lives in a private field
    built with them. Use `with_credentials` for a profile's own proxy identity, and
    `build_netconfig` again for a profile's own proxy.
    """

    mode: ProxyMode
    proxy: ProxySpec | None
    pac_source: str | None
    resolver: tuple[str, int] | None
    ca_bundle: Path | None
    ca_bundle_origin: str
    public_roots: Path
    timeout: float
    _router: _Router | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._router is not None:
            return
        router: _Router
        if self.mode is ProxyMode.NONE:
            router = _Direct()
        elif self.mode is ProxyMode.EXPLICIT:
            if self.proxy is None:
                raise ValueError("NetConfig: EXPLICIT mode needs a proxy")
            router = _Explicit(self.proxy)
        elif self.mode is ProxyMode.ENVIRONMENT:
            router = _Environment.from_environ(dict(os.environ))
        else:
            if self.pac_source is None:
                raise ValueError("NetConfig: PAC mode needs pac_source")
            router = _PacRouter(_load_pac(self.pac_source, self.ca_bundle, self.timeout))
        object.__setattr__(self, "_router", router)

    @property
    def _route(self) -> _Router:
        assert self._router is not None
        return self._router

    def proxy_for(self, url: str) -> ProxySpec | None:
        """The proxy to send `url` through, or None to go direct.

        Raises `ProxyLookupError` (or its subclass `ProxyUnsupported`, for a PAC answer with only
        SOCKS proxies) when the proxy cannot be determined; the engine records ``proxy_error``.
        Raises `InputError` for a URL without a host. Thread-safe.
        """
        return self._route.proxy_for(_target(url))

    def secrets(self) -> tuple[str, ...]:
        """Every password in play (explicit, from proxy variables, from a PAC URL), for `redact`."""
        found: list[str] = []
        if self.proxy is not None and self.proxy.password:
            found.append(self.proxy.password)
        found.extend(self._route.secrets())
        unique = {s for s in found if s}
        return tuple(sorted(unique, key=lambda s: (-len(s), s)))

    def with_credentials(self, username: str | None, password: str | None) -> NetConfig:
        """The same settings, with this proxy identity (a profile's ``proxy_user``) on every proxy."""
        proxy = self.proxy
        if proxy is not None:
            proxy = _apply_credentials(proxy, username, password)
        return NetConfig(
            mode=self.mode,
            proxy=proxy,
            pac_source=self.pac_source,
            resolver=self.resolver,
            ca_bundle=self.ca_bundle,
            ca_bundle_origin=self.ca_bundle_origin,
            public_roots=self.public_roots,
            timeout=self.timeout,
            _router=self._route.with_credentials(username, password),
        )

    def describe(self) -> dict[str, str]:
        """The settings for the report's ``environment`` section; passwords masked."""
        if self.resolver is None:
            resolver = f"system ({_system_nameservers()})"
        else:
            address, port = self.resolver
            resolver = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        trust = f"{self.ca_bundle} ({self.ca_bundle_origin})" if self.ca_bundle is not None else "system"
        return {
            "proxy": self._route.describe(),
            "resolver": resolver,
            "trust": trust,
            "public_roots": str(self.public_roots),
        }


def _system_nameservers() -> str:
    try:
        import dns.resolver

        nameservers = [str(ns) for ns in dns.resolver.Resolver(configure=True).nameservers]
    except Exception:  # no /etc/resolv.conf, unreadable, ...: describe, do not fail
        return "no nameservers found"
    return ", ".join(nameservers) if nameservers else "no nameservers found"


# --- building it ------------------------------------------------------------------------------


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


def _certificate_file(value: str, source: str) -> Path:
    """A readable PEM file with at least one certificate, else InputError naming `source`."""
    path = Path(value).expanduser()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if path.is_dir():
        raise InputError(f"{source} {value}: no certificates found (a folder; give a PEM file)")
    try:
        context.load_verify_locations(cafile=str(path))
    except FileNotFoundError:
        raise InputError(f"{source} {value}: no certificates found (no such file)") from None
    except PermissionError:
        raise InputError(f"{source} {value}: no certificates found (permission denied)") from None
    except (ssl.SSLError, ValueError):
        raise InputError(f"{source} {value}: no certificates found") from None
    except OSError as exc:
        raise InputError(f"{source} {value}: no certificates found ({exc.strerror or exc})") from None
    if context.cert_store_stats().get("x509", 0) == 0:
        raise InputError(f"{source} {value}: no certificates found")
    return path


def _resolve_trust(ca_bundle: str | None, environ: Mapping[str, str]) -> tuple[Path | None, str]:
    if ca_bundle is not None:
        return _certificate_file(ca_bundle, "--ca-bundle"), "--ca-bundle"
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        value = environ.get(variable, "").strip()
        if value:
            return _certificate_file(value, variable), variable
    return None, "system"


def _not_started(label: str, timeout: float) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"{label}: the PAC evaluator (a child process) did not start within {timeout:g} s; the machine may be "
        "overloaded, or give a longer --timeout"
    )


def _load_pac(source: str, ca_bundle: Path | None, timeout: float) -> _Pac:
    """Load and parse the PAC once, in its own child process, within `timeout` seconds.

    A URL that cannot be fetched in time, serves something that is not a PAC file, or a PAC that
    does not finish loading in time (an endless loop) is an EnvironmentProblem (exit 3); a
    missing or invalid file is an InputError (exit 2).
    """
    is_url = bool(re.match(r"(?i)https?://", source.strip()))
    secrets: tuple[str, ...] = ()
    problem: type[NetauditError]
    if is_url:
        url = source.strip()
        password = password_in_url(url)
        if password:
            secrets = tuple(s for s in {password, unquote(password)} if s)
        shown = mask_url(url)
        problem = EnvironmentProblem
        label = f"the PAC file {shown}"
    else:
        path_text = source[7:] if source.lower().startswith("file://") else source
        path = Path(path_text).expanduser()
        shown = str(path)
        if not path.exists():
            raise InputError(f"--pac {source}: no such file")
        if path.is_dir():
            raise InputError(f"--pac {source}: is a folder, not a PAC file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"--pac {source}: cannot read it ({exc.strerror or exc})") from None
        if len(data) > PAC_MAX_BYTES:
            raise InputError(f"--pac {source}: larger than {PAC_MAX_BYTES} bytes; is it a PAC file?")
        js = decode_pac(data)
        problem = InputError
        label = f"--pac {source}"

    deadline = monotonic() + timeout  # the child's start, the fetch and the load: all within --timeout
    process = PacProcess(fetches=is_url)
    try:
        if is_url:
            bound = min(timeout, PAC_FETCH_TIMEOUT)
            request = {"op": "fetch", "url": url, "timeout": bound, "secrets": list(secrets)}
            request["ca_bundle"] = str(ca_bundle) if ca_bundle is not None else None
            try:
                fetched = process.request(request, min(deadline, monotonic() + bound))
            except PacTimeout as exc:
                if exc.starting:
                    raise _not_started(label, timeout) from None
                raise EnvironmentProblem(
                    f"could not fetch the PAC file {shown}: no complete answer within {bound:g} s"
                ) from None
            if "failed" in fetched:
                raise EnvironmentProblem(str(fetched["failed"]))
            js = str(fetched["js"])
        try:
            loaded = process.request({"op": "load", "js": js}, deadline)
        except PacTimeout as exc:
            if exc.starting:
                raise _not_started(label, timeout) from None
            raise EnvironmentProblem(
                f"{label}: not a usable PAC file: it did not finish loading within {timeout:g} s (an endless loop?)"
            ) from None
        if "malformed" in loaded:
            raise problem(f"{label}: not a valid PAC file: {redact(str(loaded['malformed']), secrets)}")
    except PacDied as exc:
        process.close()
        raise EnvironmentProblem(f"{label}: {exc}") from None
    except BaseException:
        process.close()
        raise
    return _Pac(source, shown, js, process, timeout, secrets)


def build_netconfig(
    *,
    proxy: str | None = None,
    proxy_user: str | None = None,
    proxy_password: str | None = None,
    pac: str | None = None,
    no_proxy: bool = False,
    resolver: str | None = None,
    ca_bundle: str | None = None,
    public_roots: str | None = None,
    timeout: float = 10.0,
    environ: Mapping[str, str] | None = None,
) -> NetConfig:
    """Check the network options and build the settings of a run.

    * ``proxy``: ``[http://][user@]host[:port]`` (``https://`` is refused); the port defaults
      to 3128, Squid's default; IPv6 in brackets (``http://[::1]:3128``). A password in the URL
      is refused: give ``proxy_user`` and pass ``proxy_password`` (the CLI reads
      ``NETAUDIT_PROXY_PASSWORD`` or prompts).
    * ``proxy_user``/``proxy_password`` apply to whichever proxies are in play: the explicit one,
      the environment's, or those the PAC names. A password without any user is not sent (but is
      still redacted everywhere).
    * none of ``proxy``, ``pac``, ``no_proxy``: the environment's ``*_PROXY``/``NO_PROXY``,
      read from `environ` (default ``os.environ``). A proxy variable that cannot be parsed, or
      names a SOCKS proxy, is an `EnvironmentProblem`; a proxy without a port in a variable gets
      its scheme's port (80/443), as requests does.
    * ``pac``: a file path or an http(s) URL, fetched once (directly, bounded timeout).

    Raises `InputError` (exit 2) for a wrong option and `EnvironmentProblem` (exit 3) for
    unusable settings of the machine (a PAC URL that cannot be fetched, a broken proxy variable).
    """
    env: Mapping[str, str] = dict(os.environ) if environ is None else environ
    if sum((proxy is not None, pac is not None, bool(no_proxy))) > 1:
        raise InputError("--proxy, --pac and --no-proxy exclude each other")
    if not isinstance(timeout, (int, float)) or math.isnan(timeout) or math.isinf(timeout) or timeout <= 0:
        raise InputError(f"--timeout must be a positive number of seconds, not {timeout!r}")

    parsed_resolver = parse_resolver(resolver) if resolver is not None else None
    ca_path, origin = _resolve_trust(ca_bundle, env)
    if public_roots is not None:
        roots = _certificate_file(public_roots, "--public-roots")
    else:
        import certifi

        roots = Path(certifi.where())

    user = proxy_user or None
    if user is not None and ":" in user:
        # Basic authentication cannot carry a ':' in the user name; most likely "user:password".
        raise InputError("--proxy-user: a user name cannot contain ':'; set the password in NETAUDIT_PROXY_PASSWORD")
    spec: ProxySpec | None = None
    router: _Router
    if no_proxy:
        mode, router = ProxyMode.NONE, _Direct()
    elif proxy is not None:
        parsed = _parse_proxy_url(
            proxy, source="--proxy", allow_password=False, default_port=DEFAULT_PROXY_PORT, error=InputError
        )
        spec = _apply_credentials(parsed, user, proxy_password)
        unused = proxy_password if proxy_password and spec.password != proxy_password else None
        mode, router = ProxyMode.EXPLICIT, _Explicit(spec, unused)
    elif pac is not None:
        if not pac.strip():
            raise InputError("--pac: give a file path or an http(s) URL")
        loaded = _load_pac(pac, ca_path, float(timeout))
        mode, router = ProxyMode.PAC, _PacRouter(loaded, user, proxy_password)
    else:
        mode = ProxyMode.ENVIRONMENT
        router = _Environment.from_environ(env).with_credentials(user, proxy_password)

    config = NetConfig(
        mode=mode,
        proxy=spec,
        pac_source=pac if mode is ProxyMode.PAC else None,
        resolver=parsed_resolver,
        ca_bundle=ca_path,
        ca_bundle_origin=origin,
        public_roots=roots,
        timeout=float(timeout),
        _router=router,
    )
    return config

"""The network settings a probe runs with: which proxy (if any) per URL, which resolver, which trust.

`build_netconfig` turns the command-line options and an environment mapping (the CLI passes the
process's own; tests pass their own) into one frozen `NetConfig`:

* proxy: an explicit ``--proxy``, the ``*_PROXY`` environment variables (the default, read the
  way curl and requests read them), a PAC file (``--pac``, a path or an http(s) URL, loaded once
  and evaluated with pypac in a child process), or none at all (``--no-proxy``);
* resolver: ``--resolver IP[:PORT]`` or the system configuration;
* trust: ``--ca-bundle`` > ``REQUESTS_CA_BUNDLE`` > ``SSL_CERT_FILE`` > the operating system's
  store, and the public roots (``--public-roots`` or certifi's Mozilla bundle) that tell a
  verified site from an inspected one.

Passwords never appear in a repr, in `describe()`, or in an error message; `NetConfig.secrets()`
lists them for `netaudit.secrets.redact`. Nothing here imports click or reads ``os.environ``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from netaudit.errors import InputError
from netaudit.model import ProxyMode, ProxySpec
from netaudit.net.proxyurl import DEFAULT_PROXY_PORT, apply_credentials, parse_proxy_url
from netaudit.net.resolver import parse_resolver, system_nameservers
from netaudit.net.routes import Direct, Environment, Explicit, Router, url_target
from netaudit.net.trust import certificate_file, resolve_trust


@dataclass(frozen=True)
class NetConfig:
    """The network settings of one run. Build it with `build_netconfig` (by hand: modes none and explicit only).

    Do not `dataclasses.replace` the proxy fields: the proxy routing lives in a private field
    built with them. Use `with_credentials` for a profile's own proxy identity, and `with_proxy`
    for a profile's own proxy.
    """

    mode: ProxyMode
    proxy: ProxySpec | None
    pac_source: str | None
    resolver: tuple[str, int] | None
    ca_bundle: Path | None
    ca_bundle_origin: str
    public_roots: Path
    timeout: float
    _router: Router | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._router is not None:
            return
        router: Router
        if self.mode is ProxyMode.NONE:
            router = Direct()
        elif self.mode is ProxyMode.EXPLICIT:
            if self.proxy is None:
                raise ValueError("NetConfig: EXPLICIT mode needs a proxy")
            router = Explicit(self.proxy)
        else:
            # The environment's proxies and a PAC file are read by build_netconfig, from the values
            # it is given: a NetConfig never reads os.environ or fetches anything itself.
            raise ValueError(f"NetConfig: build a {self.mode} configuration with build_netconfig")
        object.__setattr__(self, "_router", router)

    @property
    def _route(self) -> Router:
        assert self._router is not None
        return self._router

    def proxy_for(self, url: str) -> ProxySpec | None:
        """The proxy to send `url` through, or None to go direct.

        Raises `ProxyLookupError` (or its subclass `ProxyUnsupported`, for a PAC answer with only
        SOCKS proxies) when the proxy cannot be determined; the engine records ``proxy_error``.
        Raises `InputError` for a URL without a host. Thread-safe.
        """
        return self._route.proxy_for(url_target(url))

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
            proxy = apply_credentials(proxy, username, password)
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

    def uses_proxy(self) -> bool:
        """False when every request goes direct: no proxy option, proxy variable or PAC file is in play."""
        router = self._route
        if isinstance(router, Environment):
            return bool(router.proxies or router.others)
        return not isinstance(router, Direct)

    def with_proxy(self, proxy_url: str, username: str | None, password: str | None) -> NetConfig:
        """The same resolver, trust and timeout through another proxy (a profile's own `proxy`), as this user."""
        parsed = parse_proxy_url(
            proxy_url, source="proxy", allow_password=False, default_port=DEFAULT_PROXY_PORT, error=InputError
        )
        spec = apply_credentials(parsed, username, password)
        return self._routed(ProxyMode.EXPLICIT, spec, Explicit(spec))

    def direct(self) -> NetConfig:
        """The same resolver, trust and timeout without any proxy: the way an app that ignores the proxy goes."""
        return self._routed(ProxyMode.NONE, None, Direct())

    def _routed(self, mode: ProxyMode, proxy: ProxySpec | None, router: Router) -> NetConfig:
        return NetConfig(
            mode=mode,
            proxy=proxy,
            pac_source=None,
            resolver=self.resolver,
            ca_bundle=self.ca_bundle,
            ca_bundle_origin=self.ca_bundle_origin,
            public_roots=self.public_roots,
            timeout=self.timeout,
            _router=router,
        )

    def describe(self) -> dict[str, str]:
        """The settings for the report's ``environment`` section; passwords masked."""
        if self.resolver is None:
            resolver = f"system ({system_nameservers()})"
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
    environ: Mapping[str, str],
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
      read from `environ` (the CLI passes the process's environment; nothing here reads it). A
      proxy variable that cannot be parsed, or names a SOCKS or https:// proxy, is an
      `EnvironmentProblem`; a proxy without a port in a variable gets port 80, as requests does.
    * ``pac``: a file path or an http(s) URL, fetched once (directly, bounded timeout).

    Raises `InputError` (exit 2) for a wrong option and `EnvironmentProblem` (exit 3) for
    unusable settings of the machine (a PAC URL that cannot be fetched, a broken proxy variable).
    """
    if sum((proxy is not None, pac is not None, bool(no_proxy))) > 1:
        raise InputError("--proxy, --pac and --no-proxy exclude each other")
    if not isinstance(timeout, (int, float)) or math.isnan(timeout) or math.isinf(timeout) or timeout <= 0:
        raise InputError(f"--timeout must be a positive number of seconds, not {timeout!r}")

    parsed_resolver = parse_resolver(resolver) if resolver is not None else None
    ca_path, origin = resolve_trust(ca_bundle, environ)
    if public_roots is not None:
        roots = certificate_file(public_roots, "--public-roots")
    else:
        import certifi

        roots = Path(certifi.where())

    user = proxy_user or None
    if user is not None and ":" in user:
        # Basic authentication cannot carry a ':' in the user name; most likely "user:password".
        raise InputError("--proxy-user: a user name cannot contain ':'; set the password in NETAUDIT_PROXY_PASSWORD")
    spec: ProxySpec | None = None
    router: Router
    if no_proxy:
        mode, router = ProxyMode.NONE, Direct()
    elif proxy is not None:
        parsed = parse_proxy_url(
            proxy, source="--proxy", allow_password=False, default_port=DEFAULT_PROXY_PORT, error=InputError
        )
        spec = apply_credentials(parsed, user, proxy_password)
        unused = proxy_password if proxy_password and spec.password != proxy_password else None
        mode, router = ProxyMode.EXPLICIT, Explicit(spec, unused)
    elif pac is not None:
        if not pac.strip():
            raise InputError("--pac: give a file path or an http(s) URL")
        from netaudit.net.pac import PacRouter, load_pac  # only with a PAC file: its child process, its fetcher

        loaded = load_pac(pac, ca_path, float(timeout))
        mode, router = ProxyMode.PAC, PacRouter(loaded, user, proxy_password)
    else:
        mode = ProxyMode.ENVIRONMENT
        router = Environment.from_environ(environ).with_credentials(user, proxy_password)

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

"""The Lab: build the whole small corporate network, hand out its facts, and always tear it down.

    with build_lab() as lab:
        proc = lab.run_netaudit("probe", lab.url(lab.hosts.www), "--format", "json", ...)

Two namespaces (`na<pid>c`, the workstation; `na<pid>n`, the corporate network and the "internet")
joined by one veth pair. The net namespace has no default route and no link to the host, so lab
traffic can never leave the lab.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from . import firewall
from .certs import CertFiles, make_certs
from .dns import Dnsmasq, start_dnsmasq
from .errors import LabError
from .namespaces import (
    add_address,
    add_default_route,
    create_namespace,
    create_origin_interface,
    create_veth,
    delete_namespace,
    namespace_exists,
    namespace_pids,
    ns_argv,
    remove_etc_netns,
    tcp_connects,
    write_resolv_conf,
)
from .plan import (
    CLIENT_ADDR,
    DEAD_PROXY_PORT,
    DROP_ADDR,
    GATEWAY_ADDR,
    HOSTS,
    NET_ADDRESSES,
    ORIGIN_BEHAVIOURS,
    ORIGIN_UNTRUSTED,
    PREFIX_LEN,
    PROXY_AUTH_PORT,
    PROXY_BUMP_PORT,
    PROXY_GUEST_PORT,
    PROXY_NTLM_PORT,
    RECORDS,
    REJECT_ADDR,
    USERS,
    Hosts,
)
from .procs import Service, kill_leftovers, start_service
from .squid import SquidPort, start_squid

ORIGIN_SCRIPT = Path(__file__).with_name("origin.py")
REQUIRED_TOOLS = ("ip", "nft", "dnsmasq", "squid", "openssl")
READY_TIMEOUT = 30.0


def environment_problem() -> str | None:
    """Why this machine cannot run the lab, or None when it can (root, tools, namespaces)."""
    if sys.platform != "linux":
        return f"Linux only (this is {sys.platform})"
    if os.geteuid() != 0:
        return "not running as root"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing tools: {', '.join(missing)}"
    probe = f"na{os.getpid()}p"
    try:
        create_namespace(probe)
    except LabError as exc:
        return f"cannot create a network namespace: {exc}"
    finally:
        with contextlib.suppress(LabError):
            delete_namespace(probe)
    return None


@dataclass
class Lab:
    """A running lab: where everything is, and how to run things in the client namespace."""

    client_ns: str
    net_ns: str
    workdir: Path
    certs: CertFiles
    client_addr: str = CLIENT_ADDR
    gateway: str = GATEWAY_ADDR
    resolver: str = GATEWAY_ADDR
    hosts: Hosts = HOSTS
    records: dict[str, str] = field(default_factory=lambda: dict(RECORDS))
    origin_behaviours: dict[str, str] = field(default_factory=lambda: dict(ORIGIN_BEHAVIOURS))
    drop_addr: str = DROP_ADDR
    reject_addr: str = REJECT_ADDR
    users: dict[str, str] = field(default_factory=lambda: dict(USERS))
    proxy_ports: list[SquidPort] = field(default_factory=list)
    services: dict[str, Service] = field(default_factory=dict)
    dnsmasq: Dnsmasq | None = None
    _cleanups: list[tuple[str, Callable[[], None]]] = field(default_factory=list, repr=False)

    # --- facts -------------------------------------------------------------------------------

    @property
    def public_roots(self) -> Path:
        """PEM with the test public root only (netaudit --public-roots)."""
        return self.certs.public_roots

    @property
    def workstation_trust(self) -> Path:
        """PEM with the public root and the corp inspection CA (netaudit --ca-bundle)."""
        return self.certs.workstation_trust

    def proxy_url(self, port: int = PROXY_AUTH_PORT, user: str | None = None) -> str:
        """http://[user@]192.0.2.1:port (the password is never put in a URL by the lab)."""
        return f"http://{user + '@' if user else ''}{self.gateway}:{port}"

    @property
    def proxy_auth(self) -> str:
        """The Basic-auth proxy port (3128)."""
        return self.proxy_url(PROXY_AUTH_PORT)

    @property
    def proxy_guest(self) -> str:
        """The unauthenticated guest port (3129), which allows only hosts.guest_ok."""
        return self.proxy_url(PROXY_GUEST_PORT)

    @property
    def proxy_bump(self) -> str:
        """The TLS-inspecting ssl_bump port (3130)."""
        return self.proxy_url(PROXY_BUMP_PORT)

    @property
    def proxy_ntlm(self) -> str:
        """The NTLM port (3131)."""
        return self.proxy_url(PROXY_NTLM_PORT)

    @property
    def proxy_dead(self) -> str:
        """A proxy address where nothing listens (connection refused)."""
        return self.proxy_url(DEAD_PROXY_PORT)

    @staticmethod
    def url(host: str, scheme: str = "https", path: str = "/") -> str:
        """https://host/ (or another scheme/path)."""
        return f"{scheme}://{host}{path}"

    def netaudit_base_args(self, timeout: float = 4) -> list[str]:
        """The resolver and trust options every lab probe uses."""
        return [
            "--resolver",
            self.resolver,
            "--ca-bundle",
            str(self.workstation_trust),
            "--public-roots",
            str(self.public_roots),
            "--timeout",
            f"{timeout:g}",
        ]

    # --- running things in the client namespace -----------------------------------------------

    def client_env(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """A controlled environment: PATH, HOME, LANG and the given variables; no inherited proxies."""
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        base = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        base.update(env or {})
        return base

    def exec_in_client(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the client namespace (text output captured; never raises on exit code)."""
        return subprocess.run(
            ns_argv(self.client_ns, argv),
            capture_output=True,
            text=True,
            env=self.client_env(env),
            timeout=timeout,
            check=False,
            input=input_text,
            cwd=self.workdir,
        )

    def run_netaudit(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """`python -m netaudit ARGS` in the client namespace, with this interpreter."""
        return self.exec_in_client([sys.executable, "-m", "netaudit", *args], env=env, timeout=timeout)

    def curl(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """curl in the client namespace, trusting the workstation bundle by default."""
        return self.exec_in_client(
            ["curl", "--silent", "--show-error", "--noproxy", "", "--cacert", str(self.workstation_trust), *args],
            timeout=timeout,
        )

    def add_hosts(self, records: Mapping[str, str]) -> None:
        """Serve more DNS records (e.g. ~1,000 benchmark names pointing at an origin address)."""
        if self.dnsmasq is None:
            raise LabError("dnsmasq is not running")
        self.dnsmasq.add_hosts(records)
        self.records.update(records)

    def describe(self) -> dict[str, object]:
        """The lab's facts as plain data (for `python -m tests.netlab up` and for debugging)."""
        return {
            "client_ns": self.client_ns,
            "net_ns": self.net_ns,
            "workdir": str(self.workdir),
            "resolver": self.resolver,
            "public_roots": str(self.public_roots),
            "workstation_trust": str(self.workstation_trust),
            "proxies": {p.name: self.proxy_url(p.port) for p in self.proxy_ports} | {"dead": self.proxy_dead},
            "users": self.users,
            "records": self.records,
            "services": {name: svc.pid for name, svc in self.services.items()},
        }

    # --- teardown ------------------------------------------------------------------------------

    def on_close(self, what: str, action: Callable[[], None]) -> None:
        """Register a cleanup step (run in reverse order by close())."""
        self._cleanups.append((what, action))

    def close(self) -> list[str]:
        """Undo everything, in reverse order; never raises. Returns the problems met."""
        problems = []
        while self._cleanups:
            what, action = self._cleanups.pop()
            try:
                action()
            except Exception as exc:
                problems.append(f"{what}: {exc}")
        if problems:
            sys.stderr.write("netlab cleanup problems:\n  " + "\n  ".join(problems) + "\n")
        return problems

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unique_names() -> tuple[str, str]:
    for suffix in ("", "a", "b", "c", "d", "e"):
        base = f"na{os.getpid()}{suffix}"
        if not namespace_exists(base + "c") and not namespace_exists(base + "n"):
            return base + "c", base + "n"
    raise LabError(f"namespaces na{os.getpid()}*c/n already exist (a crashed run?)")


def build_lab(
    workdir: Path | None = None,
    extra_proxy_ports: Sequence[SquidPort] = (),
    ready_timeout: float = READY_TIMEOUT,
    origin_delay_ms: float = 0,
) -> Lab:
    """Build and start the lab. On any failure everything built so far is torn down again.

    workdir: where the lab's files go (default: a new temp dir, removed on close).
    extra_proxy_ports: more Squid ports with their own ACLs (see squid.SquidPort).
    origin_delay_ms: added by the origin before the handshake and before the response (for the
    benchmark, where the kernel has no netem qdisc).
    """
    problem = environment_problem()
    if problem:
        raise LabError(problem)
    client, net = _unique_names()
    owned_workdir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="netlab-")) if workdir is None else workdir
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)  # dnsmasq and Squid run as unprivileged users
    lab = Lab(client_ns=client, net_ns=net, workdir=root, certs=make_certs(root / "certs"))
    if owned_workdir:
        lab.on_close("remove workdir", lambda: shutil.rmtree(root, ignore_errors=True))
    try:
        _build(lab, extra_proxy_ports, ready_timeout, origin_delay_ms)
    except BaseException:
        lab.close()
        raise
    return lab


def _build(lab: Lab, extra_proxy_ports: Sequence[SquidPort], ready_timeout: float, origin_delay_ms: float) -> None:
    started = time.monotonic()
    client, net = lab.client_ns, lab.net_ns
    # Namespaces and links. Deleting a namespace removes its veth end (and so the pair).
    for ns in (net, client):
        create_namespace(ns)
        lab.on_close(f"delete namespace {ns}", partial(delete_namespace, ns))
    create_veth(client, f"{client}0", net, f"{net}0")
    add_address(client, f"{client}0", f"{CLIENT_ADDR}/{PREFIX_LEN}")
    add_address(net, f"{net}0", f"{GATEWAY_ADDR}/{PREFIX_LEN}")
    add_default_route(client, GATEWAY_ADDR)
    origin_if = create_origin_interface(net, "origins")
    for addr in NET_ADDRESSES:
        add_address(net, origin_if, f"{addr}/32")
    lab.on_close("remove /etc/netns entry", lambda: remove_etc_netns(client))
    write_resolv_conf(client, GATEWAY_ADDR)
    # Whatever our services left behind inside our own namespaces (e.g. Squid helpers) goes too.
    lab.on_close("stop leftover processes", lambda: _stop_leftovers(lab))

    firewall.install(net, drop=[DROP_ADDR], reject=[REJECT_ADDR])
    lab.on_close("delete nft table", lambda: firewall.remove(net) if namespace_exists(net) else None)

    dnsmasq = start_dnsmasq(net, GATEWAY_ADDR, lab.records, lab.workdir / "dns", timeout=ready_timeout)
    lab.dnsmasq = dnsmasq
    _own(lab, dnsmasq.service)

    _own(lab, _start_origin(lab, ready_timeout, origin_delay_ms))

    squid, ports = start_squid(
        net,
        lab.workdir / "squid",
        lab.certs,
        lab.users,
        GATEWAY_ADDR,
        probe_namespace=client,
        extra_ports=extra_proxy_ports,
        timeout=ready_timeout,
    )
    _own(lab, squid)
    lab.proxy_ports = ports
    (lab.workdir / "lab.json").write_text(json.dumps(lab.describe(), indent=2), encoding="utf-8")
    sys.stderr.write(f"netlab: up in {time.monotonic() - started:.1f}s ({client}, {net}, {lab.workdir})\n")


def _own(lab: Lab, service: Service) -> None:
    lab.services[service.name] = service
    lab.on_close(f"stop {service.name}", service.stop)


def _start_origin(lab: Lab, timeout: float, delay_ms: float) -> Service:
    folder = lab.workdir / "origin"
    folder.mkdir()
    listeners: list[dict[str, Any]] = []
    for addr, behaviour in ORIGIN_BEHAVIOURS.items():
        chain = {ORIGIN_UNTRUSTED: lab.certs.untrusted_chain}.get(addr, lab.certs.origin_chain)
        if behaviour == "block":
            chain = lab.certs.filter_chain
        listeners.append({"address": addr, "port": 443, "tls": True, "behaviour": behaviour, "chain": str(chain)})
        listeners.append({"address": addr, "port": 80, "tls": False, "behaviour": behaviour})
    config = folder / "origin.json"
    config.write_text(json.dumps({"listeners": listeners, "delay_ms": delay_ms}, indent=2), encoding="utf-8")
    argv = ns_argv(lab.net_ns, [sys.executable, "-u", str(ORIGIN_SCRIPT), str(config)])
    service = start_service("origin", argv, folder / "origin.log")
    for spec in listeners:
        service.wait_ready(
            partial(tcp_connects, lab.client_ns, str(spec["address"]), int(spec["port"]), 0.5),
            timeout,
            f"({spec['address']}:{spec['port']} not listening)",
        )
    return service


def _stop_leftovers(lab: Lab) -> None:
    for ns in (lab.net_ns, lab.client_ns):
        pids = namespace_pids(ns)
        if pids:
            kill_leftovers(pids)

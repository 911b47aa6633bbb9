"""The lab's corporate proxy: Squid (squid-openssl 5.7) in the foreground, everything in a temp dir.

Each listening port is a SquidPort with its own ACLs and http_access rules, so a later feature
(a time-of-day port, say) adds one SquidPort to `default_ports` (or passes `extra_ports`) and touches
nothing else. Ports:

* auth  (3128): Basic auth (alice, bob); denied.social.test denied to all; bob denied upload.social.test
* guest (3129): no auth; allows only help.social.test
* bump  (3130): ssl_bump; peek at step 1, terminate sni-blocked.social.test, bump the rest;
                denied.social.test is denied after bumping (Squid's error page inside the TLS)
* ntlm  (3131): requires NTLM (ntlm_fake_auth accepts anyone who completes the handshake)
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .certs import CertFiles
from .errors import LabError
from .namespaces import ns_argv, run, tcp_connects
from .plan import (
    GATEWAY_ADDR,
    HOSTS,
    PROXY_AUTH_PORT,
    PROXY_BUMP_PORT,
    PROXY_GUEST_PORT,
    PROXY_NTLM_PORT,
)
from .procs import Service, start_service

SQUID = "squid"
HELPERS = Path("/usr/lib/squid")
SQUID_USER = "proxy"


@dataclass(frozen=True)
class SquidPort:
    """One http_port with the ACLs and http_access rules that apply to it.

    `acl port_<name> myportname <name>` is defined automatically; access rules are the text after
    `http_access` and should mention port_<name> so they apply to this port only.
    """

    name: str
    port: int
    options: str = ""
    acls: tuple[str, ...] = ()
    access: tuple[str, ...] = ()

    @property
    def port_acl(self) -> str:
        """The name of the myportname ACL for this port."""
        return f"port_{self.name}"


def default_ports(corp_ca: Path, corp_ca_key: Path) -> list[SquidPort]:
    """The lab's four proxy ports."""
    return [
        SquidPort(
            "auth",
            PROXY_AUTH_PORT,
            acls=(
                "acl user_bob proxy_auth bob",
                f"acl bob_denied dstdomain {HOSTS.upload}",
            ),
            access=(
                "deny port_auth !authenticated",  # last ACL is an auth ACL -> 407
                "deny port_auth denied_for_all",  # -> 403
                "deny port_auth user_bob bob_denied",  # -> 403 for bob only
                "allow port_auth",
            ),
        ),
        SquidPort(
            "guest",
            PROXY_GUEST_PORT,
            acls=(f"acl guest_allowed dstdomain {HOSTS.guest_ok} {HOSTS.control}",),
            access=(
                "allow port_guest guest_allowed",
                "deny port_guest",
            ),
        ),
        SquidPort(
            "bump",
            PROXY_BUMP_PORT,
            options=(
                f"ssl-bump generate-host-certificates=on dynamic_cert_mem_cache_size=4MB "
                f"tls-cert={corp_ca} tls-key={corp_ca_key}"
            ),
            access=(
                "allow port_bump CONNECT",  # let the tunnel in, so it can be bumped
                "deny port_bump denied_for_all",  # the bumped request -> Squid error page in TLS
                "allow port_bump",
            ),
        ),
        SquidPort(
            "ntlm",
            PROXY_NTLM_PORT,
            access=(
                "deny port_ntlm !authenticated",
                "allow port_ntlm",
            ),
        ),
    ]


def render_config(folder: Path, certs: CertFiles, ports: Sequence[SquidPort], resolver: str) -> str:
    """squid.conf text."""
    lines = ["# netaudit lab proxy (generated)", ""]
    lines += [f"http_port {GATEWAY_ADDR}:{p.port} name={p.name} {p.options}".rstrip() for p in ports]
    lines += [
        "",
        f"pid_filename {folder / 'squid.pid'}",
        f"cache_log {folder / 'cache.log'}",
        f"access_log stdio:{folder / 'access.log'}",
        "cache_store_log none",
        f"coredump_dir {folder}",
        "logfile_rotate 0",
        "cache deny all",
        "cache_mem 8 MB",
        f"cache_effective_user {SQUID_USER}",
        "visible_hostname proxy.corp.test",
        f"dns_nameservers {resolver}",
        "hosts_file none",
        "dns_timeout 5 seconds",
        "negative_dns_ttl 1 seconds",
        "pinger_enable off",
        "netdb_filename none",
        "shutdown_lifetime 1 seconds",
        "connect_timeout 5 seconds",
        # Connect from the gateway address: a connection from an origin address to itself would not
        # see the nftables reset (the kernel does not send a RST from an address to itself).
        f"tcp_outgoing_address {GATEWAY_ADDR}",
        "connect_retries 0",
        "forward_max_tries 2",
        "max_filedescriptors 4096",
        "",
        "# --- authentication: Basic everywhere except the NTLM port (auth_schemes below) ---",
        f"auth_param basic program {HELPERS / 'basic_ncsa_auth'} {folder / 'passwd'}",
        "auth_param basic children 5 startup=1 idle=1",
        "auth_param basic realm netaudit lab proxy",
        "auth_param basic credentialsttl 1 minute",
        f"auth_param ntlm program {HELPERS / 'ntlm_fake_auth'}",
        "auth_param ntlm children 5 startup=1 idle=1",
        "",
        "# --- ACLs (common) ---",
        "acl CONNECT method CONNECT",
        "acl SSL_ports port 443",
        "acl Safe_ports port 80 443",
        "acl authenticated proxy_auth REQUIRED",
        f"acl denied_for_all dstdomain {HOSTS.denied}",
        "acl step1 at_step SslBump1",
        f"acl sni_blocked ssl::server_name {HOSTS.sni_blocked}",
        "",
        "# --- ACLs (per port) ---",
    ]
    for p in ports:
        lines.append(f"acl {p.port_acl} myportname {p.name}")
        lines += list(p.acls)
    lines += [
        "",
        "# --- which auth scheme each port offers ---",
        "auth_schemes ntlm port_ntlm",
        "auth_schemes basic all",
        "",
        "# --- TLS inspection (only ssl-bump ports are affected) ---",
        f"sslcrtd_program {HELPERS / 'security_file_certgen'} -s {folder / 'ssl_db'} -M 4MB",
        "sslcrtd_children 5 startup=1 idle=1",
        f"tls_outgoing_options cafile={certs.public_roots}",
        "ssl_bump peek step1",
        "ssl_bump terminate sni_blocked",
        "ssl_bump bump all",
        "",
        "# --- access rules ---",
        "http_access deny !Safe_ports",
        "http_access deny CONNECT !SSL_ports",
    ]
    for p in ports:
        lines += [f"http_access {rule}" for rule in p.access]
    lines += ["http_access deny all", ""]
    return "\n".join(lines)


def write_passwd(path: Path, users: Mapping[str, str]) -> None:
    """An htpasswd file with apr1 hashes (openssl passwd -apr1), for basic_ncsa_auth."""
    entries = []
    for user, password in users.items():
        hashed = run(["openssl", "passwd", "-apr1", "-stdin"], input_text=password + "\n").stdout.strip()
        entries.append(f"{user}:{hashed}\n")
    path.write_text("".join(entries), encoding="utf-8")


def start_squid(
    namespace: str,
    folder: Path,
    certs: CertFiles,
    users: Mapping[str, str],
    resolver: str,
    probe_namespace: str,
    extra_ports: Sequence[SquidPort] = (),
    timeout: float = 30.0,
) -> tuple[Service, list[SquidPort]]:
    """Write the config, initialise the certificate db, start Squid, wait for every port."""
    if shutil.which(SQUID) is None:
        raise LabError("squid is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    # Squid drops to the proxy user, which needs its own copy of the inspection CA key.
    ca_cert, ca_key = folder / "corp_ca.pem", folder / "corp_ca.key"
    shutil.copyfile(certs.corp_ca, ca_cert)
    shutil.copyfile(certs.corp_ca_key, ca_key)
    write_passwd(folder / "passwd", users)
    ports = default_ports(ca_cert, ca_key) + list(extra_ports)
    conf = folder / "squid.conf"
    conf.write_text(render_config(folder, certs, ports, resolver), encoding="utf-8")
    run([str(HELPERS / "security_file_certgen"), "-c", "-s", str(folder / "ssl_db"), "-M", "4MB"])
    _give_to_squid_user(folder)
    run([SQUID, "-k", "parse", "-f", str(conf)])
    service = start_service(
        "squid",
        ns_argv(namespace, [SQUID, "-N", "-f", str(conf)]),
        folder / "squid.out",
        extra_logs=[folder / "cache.log"],
        stop_signal=signal.SIGINT,
    )  # SIGINT: shut down without waiting
    for p in ports:
        service.wait_ready(
            partial(tcp_connects, probe_namespace, GATEWAY_ADDR, p.port, 0.5),
            timeout,
            f"(port {p.name} {GATEWAY_ADDR}:{p.port} not listening)",
        )
    return service, ports


def _give_to_squid_user(folder: Path) -> None:
    """Let Squid's unprivileged user read and write its folder (and keep others out of the key)."""
    try:
        entry = pwd.getpwnam(SQUID_USER)
    except KeyError as exc:
        raise LabError(f"user {SQUID_USER!r} (Squid's cache_effective_user) does not exist") from exc
    os.chmod(folder, 0o750)
    for root, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    os.chmod(folder / "corp_ca.key", 0o600)

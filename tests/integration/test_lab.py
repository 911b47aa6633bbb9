"""The lab itself behaves (checked with curl and raw DNS from the client namespace).

When a status test fails, these tell a lab problem from a netaudit bug.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.netlab import Lab
from tests.netlab.dns import query
from tests.netlab.namespaces import ns_socket, run
from tests.netlab.plan import ORIGIN_OK, ORIGIN_SLOWDRIP

pytestmark = pytest.mark.integration

MARK = "\n@@netlab@@"


@dataclass(frozen=True)
class Curl:
    """What curl saw: its exit code, the final and CONNECT status codes, headers and body."""

    exit: int
    code: int
    connect: int
    body: str
    stderr: str


def curl(lab: Lab, url: str, *args: str, max_time: float = 8) -> Curl:
    proc = lab.curl(
        "--max-time",
        f"{max_time:g}",
        "--include",
        "--write-out",
        MARK + "%{http_code} %{http_connect}",
        *args,
        url,
        timeout=max_time + 10,
    )
    body, _, codes = proc.stdout.rpartition(MARK)
    code, connect = (int(x) for x in codes.split())
    return Curl(proc.returncode, code, connect, body, proc.stderr)


# --- topology and DNS ---------------------------------------------------------------------------


def test_isolation(lab: Lab) -> None:
    client_routes = run(["ip", "-n", lab.client_ns, "route", "show", "default"]).stdout
    assert f"via {lab.gateway}" in client_routes
    assert run(["ip", "-n", lab.net_ns, "route", "show", "default"]).stdout.strip() == ""


def test_system_resolver_is_the_lab(lab: Lab) -> None:
    proc = lab.exec_in_client(["getent", "hosts", lab.hosts.www])
    assert proc.returncode == 0 and ORIGIN_OK in proc.stdout, proc


@pytest.mark.parametrize(
    ("name", "rcode", "addresses"),
    [
        ("www", "NOERROR", [ORIGIN_OK]),
        ("nxdomain", "NXDOMAIN", []),
        ("sinkholed", "NOERROR", ["0.0.0.0"]),
        ("sinkhole_private", "NOERROR", ["10.255.0.1"]),
        ("sinkhole_loopback", "NOERROR", ["127.0.0.1"]),
        ("dns_error", "REFUSED", []),
    ],
)
def test_dns_answers(lab: Lab, name: str, rcode: str, addresses: list[str]) -> None:
    answer = query(lab.client_ns, lab.resolver, getattr(lab.hosts, name))
    assert (answer.rcode, answer.addresses) == (rcode, addresses)
    assert answer.elapsed < 1.0


def test_dns_unanswered(lab: Lab) -> None:
    with pytest.raises(TimeoutError):
        query(lab.client_ns, lab.resolver, lab.hosts.dns_timeout, timeout=1.0)


def test_add_hosts_for_the_benchmark(lab: Lab) -> None:
    names = {f"bench{i:04d}.social.test": ORIGIN_OK for i in range(1000)}
    lab.add_hosts(names)
    for name in ("bench0000.social.test", "bench0999.social.test"):
        assert query(lab.client_ns, lab.resolver, name).addresses == [ORIGIN_OK]


# --- origins, direct ----------------------------------------------------------------------------


def test_ok_origin(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.www))
    assert (seen.exit, seen.code) == (0, 200), seen
    assert "<title>Social Test – Home</title>" in seen.body
    assert curl(lab, lab.url(lab.hosts.www, scheme="http")).code == 200


def test_ok_origin_is_publicly_trusted(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.www), "--cacert", str(lab.public_roots))
    assert (seen.exit, seen.code) == (0, 200), seen


def test_block_page_origin(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.blockpage))
    assert seen.code == 200
    assert "FortiGuard Intrusion Prevention - Access Blocked" in seen.body
    assert "<title>Web Filter Block Override</title>" in seen.body


def test_error_origin(lab: Lab) -> None:
    assert curl(lab, lab.url(lab.hosts.error)).code == 500


def test_api_origin(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.api, path="/v1/me"))
    assert seen.code == 401
    assert '"Authentication required"' in seen.body and "application/json" in seen.body


def test_untrusted_origin(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.untrusted))
    assert seen.exit == 60, seen  # certificate problem
    assert curl(lab, lab.url(lab.hosts.untrusted), "--insecure").code == 200


def test_tls_reset_origin(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.tlsreset))
    assert seen.exit in {35, 56}, seen
    assert "reset" in seen.stderr.lower(), seen


def test_slowdrip_origin(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.slowdrip), max_time=2)
    assert seen.exit == 28, seen  # operation timed out
    # It does answer, one byte a second.
    context = ssl.create_default_context(cafile=str(lab.public_roots))
    sock = ns_socket(lab.client_ns)
    sock.settimeout(5)
    sock.connect((ORIGIN_SLOWDRIP, 443))
    with context.wrap_socket(sock, server_hostname=lab.hosts.slowdrip) as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: slow.social.test\r\n\r\n")
        started = time.monotonic()
        data = b"".join(tls.recv(1) for _ in range(3))
        elapsed = time.monotonic() - started
    assert data == b"HTT"
    assert 1.5 < elapsed < 4.0


def test_dropped_address(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.dropped), "--connect-timeout", "1.5")
    assert seen.exit == 28, seen


def test_refused_address(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.refused))
    assert seen.exit == 7, seen


def test_origin_handles_concurrency(lab: Lab) -> None:
    context = ssl.create_default_context(cafile=str(lab.public_roots))
    lock = threading.Lock()
    statuses: list[str] = []

    def fetch(_: int) -> None:
        sock = ns_socket(lab.client_ns)
        sock.settimeout(10)
        sock.connect((ORIGIN_OK, 443))
        with context.wrap_socket(sock, server_hostname=lab.hosts.www) as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: www.social.test\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
        with lock:
            statuses.append(data.split(b"\r\n", 1)[0].decode())

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(fetch, range(256)))
    assert statuses == ["HTTP/1.1 200 OK"] * 256


# --- proxies ------------------------------------------------------------------------------------


def _user(lab: Lab, name: str, password: str | None = None) -> tuple[str, str]:
    return "--proxy-user", f"{name}:{lab.users[name] if password is None else password}"


def test_proxy_requires_credentials(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_auth)
    assert seen.connect == 407, seen
    assert 'Proxy-Authenticate: Basic realm="netaudit lab proxy"' in seen.body
    wrong = curl(lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_auth, *_user(lab, "alice", "nope"))
    assert wrong.connect == 407, wrong


def test_proxy_allows_alice(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_auth, *_user(lab, "alice"))
    assert (seen.connect, seen.code) == (200, 200), seen
    plain = curl(lab, lab.url(lab.hosts.www, scheme="http"), "--proxy", lab.proxy_auth, *_user(lab, "alice"))
    assert plain.code == 200, plain


def test_proxy_denies_per_host_and_per_user(lab: Lab) -> None:
    for user, host in (("alice", lab.hosts.denied), ("bob", lab.hosts.upload)):
        seen = curl(lab, lab.url(host), "--proxy", lab.proxy_auth, *_user(lab, user))
        assert seen.connect == 403, (user, host, seen)
    allowed = curl(lab, lab.url(lab.hosts.upload), "--proxy", lab.proxy_auth, *_user(lab, "alice"))
    assert allowed.code == 200, allowed


def test_proxy_cannot_reach_refused_address(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.refused), "--proxy", lab.proxy_auth, *_user(lab, "alice"))
    assert seen.connect == 503, seen


def test_guest_port(lab: Lab) -> None:
    assert curl(lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_guest).connect == 403
    assert curl(lab, lab.url(lab.hosts.guest_ok), "--proxy", lab.proxy_guest).code == 200


def test_dead_proxy(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_dead)
    assert seen.exit == 7, seen


def test_ntlm_port(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_ntlm)
    assert seen.connect == 407, seen
    assert "Proxy-Authenticate: NTLM" in seen.body and "Basic" not in seen.body
    ntlm = curl(
        lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_ntlm, "--proxy-ntlm", "--proxy-user", "CORP\\carol:any"
    )
    assert ntlm.code == 200, ntlm


def test_bump_port_inspects(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_bump, "--verbose")
    assert seen.code == 200 and "Social Test" in seen.body, seen
    assert "issuer: O=Corp Inspection CA" in seen.stderr
    public_only = curl(lab, lab.url(lab.hosts.www), "--proxy", lab.proxy_bump, "--cacert", str(lab.public_roots))
    assert public_only.exit == 60, public_only


def test_bump_port_terminates_by_sni(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.sni_blocked), "--proxy", lab.proxy_bump)
    assert seen.connect == 200 and seen.exit == 35, seen  # tunnel accepted, handshake killed


def test_bump_port_error_page_inside_tls(lab: Lab) -> None:
    seen = curl(lab, lab.url(lab.hosts.denied), "--proxy", lab.proxy_bump)
    assert (seen.connect, seen.code) == (200, 403), seen
    assert "X-Squid-Error: ERR_ACCESS_DENIED" in seen.body
    assert "<title>ERROR: The requested URL could not be retrieved</title>" in seen.body


def test_namespace_socket_helper_stays_in_namespace(lab: Lab) -> None:
    sock = ns_socket(lab.net_ns, socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((lab.gateway, 0))  # only the net namespace has this address
    finally:
        sock.close()

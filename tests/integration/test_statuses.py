"""Every netaudit status, against real servers in the lab, directly and through the proxy.

One table: each row is (case id, URL, option set, expected status, expected route). Rows that share
an option set are probed by one `netaudit probe` call (all option sets run concurrently, once per
module); each row is still its own test with its own assertion.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.netlab import HOSTS, Lab
from tests.netlab.plan import PROXY_AUTH_PORT

pytestmark = pytest.mark.integration

SCHEMA = "netaudit/probe/1"
STATUSES = {
    "reachable",
    "inspected",
    "dns_nxdomain",
    "dns_sinkhole",
    "dns_error",
    "tcp_timeout",
    "tcp_refused",
    "proxy_denied",
    "proxy_auth_required",
    "proxy_error",
    "tls_reset",
    "tls_untrusted",
    "block_page",
    "http_error",
    "timeout",
}
WRONG_PASSWORD = "wrong-Secret-4711"
PROBE_TIMEOUT = 4.0
SLOW_TIMEOUT = 3.0
SLOW_SLACK = 5.0  # the slow-drip run must end within SLOW_TIMEOUT + this


@dataclass(frozen=True)
class OptionSet:
    """How netaudit is told to leave the workstation for a group of rows."""

    name: str
    args: Callable[[Lab], list[str]]
    env: Callable[[Lab], dict[str, str]] = field(default=lambda lab: {})
    timeout: float = PROBE_TIMEOUT


def _password(user: str) -> Callable[[Lab], dict[str, str]]:
    return lambda lab: {"NETAUDIT_PROXY_PASSWORD": lab.users[user]}


OPTION_SETS = {
    o.name: o
    for o in [
        OptionSet("direct", lambda lab: ["--no-proxy"]),
        OptionSet("slow", lambda lab: ["--no-proxy"], timeout=SLOW_TIMEOUT),
        OptionSet("alice", lambda lab: ["--proxy", lab.proxy_auth, "--proxy-user", "alice"], _password("alice")),
        OptionSet("bob", lambda lab: ["--proxy", lab.proxy_url(PROXY_AUTH_PORT, user="bob")], _password("bob")),
        OptionSet("no-creds", lambda lab: ["--proxy", lab.proxy_auth]),
        OptionSet(
            "wrong-password",
            lambda lab: ["--proxy", lab.proxy_auth, "--proxy-user", "alice"],
            lambda lab: {"NETAUDIT_PROXY_PASSWORD": WRONG_PASSWORD},
        ),
        OptionSet("guest", lambda lab: ["--proxy", lab.proxy_guest]),
        OptionSet("bump", lambda lab: ["--proxy", lab.proxy_bump]),
        OptionSet("dead-proxy", lambda lab: ["--proxy", lab.proxy_dead]),
    ]
}


@dataclass(frozen=True)
class Row:
    """One expected observation."""

    case: str
    url: str
    options: str
    status: str
    route: str


def _https(host: str, path: str = "/") -> str:
    return f"https://{host}{path}"


ROWS = [
    # direct
    Row("reachable-direct", _https(HOSTS.www), "direct", "reachable", "direct"),
    Row("reachable-direct-http", f"http://{HOSTS.www}/", "direct", "reachable", "direct"),
    Row("nxdomain", _https(HOSTS.nxdomain), "direct", "dns_nxdomain", "direct"),
    Row("sinkhole-zero", _https(HOSTS.sinkholed), "direct", "dns_sinkhole", "direct"),
    Row("sinkhole-rfc1918", _https(HOSTS.sinkhole_private), "direct", "dns_sinkhole", "direct"),
    Row("sinkhole-loopback", _https(HOSTS.sinkhole_loopback), "direct", "dns_sinkhole", "direct"),
    Row("sinkhole-private-block-page", _https(HOSTS.private_block), "direct", "dns_sinkhole", "direct"),
    Row("split-horizon", _https(HOSTS.split_horizon), "direct", "reachable", "direct"),
    Row("fake-ip", _https(HOSTS.fake_ip), "direct", "reachable", "direct"),
    Row("dns-refused", _https(HOSTS.dns_error), "direct", "dns_error", "direct"),
    Row("dns-unanswered", _https(HOSTS.dns_timeout), "direct", "dns_error", "direct"),
    Row("tcp-dropped", _https(HOSTS.dropped), "direct", "tcp_timeout", "direct"),
    Row("tcp-rejected", _https(HOSTS.refused), "direct", "tcp_refused", "direct"),
    Row("tls-reset-origin", _https(HOSTS.tlsreset), "direct", "tls_reset", "direct"),
    Row("tls-rogue-ca", _https(HOSTS.untrusted), "direct", "tls_untrusted", "direct"),
    Row("fortiguard-page", _https(HOSTS.blockpage), "direct", "block_page", "direct"),
    Row("origin-500", _https(HOSTS.error), "direct", "http_error", "direct"),
    Row("slow-drip", _https(HOSTS.slowdrip), "slow", "timeout", "direct"),
    # through the Basic-auth proxy (3128)
    Row("reachable-alice", _https(HOSTS.www), "alice", "reachable", "proxy"),
    Row("reachable-alice-http", f"http://{HOSTS.www}/", "alice", "reachable", "proxy"),
    Row("denied-for-all", _https(HOSTS.denied), "alice", "proxy_denied", "proxy"),
    Row("proxy-503-refused", _https(HOSTS.refused), "alice", "proxy_error", "proxy"),
    Row("fortiguard-page-alice", _https(HOSTS.blockpage), "alice", "block_page", "proxy"),
    Row("origin-500-alice", _https(HOSTS.error), "alice", "http_error", "proxy"),
    Row("tls-rogue-ca-alice", _https(HOSTS.untrusted), "alice", "tls_untrusted", "proxy"),
    Row("tls-reset-origin-alice", _https(HOSTS.tlsreset), "alice", "tls_reset", "proxy"),
    Row("bob-upload-denied", _https(HOSTS.upload), "bob", "proxy_denied", "proxy"),
    Row("bob-www-reachable", _https(HOSTS.www), "bob", "reachable", "proxy"),
    Row("no-credentials", _https(HOSTS.www), "no-creds", "proxy_auth_required", "proxy"),
    Row("wrong-password", _https(HOSTS.www), "wrong-password", "proxy_auth_required", "proxy"),
    # guest port (3129)
    Row("guest-denied", _https(HOSTS.www), "guest", "proxy_denied", "proxy"),
    Row("guest-allowed", _https(HOSTS.guest_ok), "guest", "reachable", "proxy"),
    # TLS-inspecting port (3130)
    Row("inspected", _https(HOSTS.www), "bump", "inspected", "proxy"),
    Row("sni-terminated", _https(HOSTS.sni_blocked), "bump", "tls_reset", "proxy"),
    Row("squid-error-page-in-bump", _https(HOSTS.denied), "bump", "block_page", "proxy"),
    # nothing listens on the proxy port
    Row("proxy-unreachable", _https(HOSTS.www), "dead-proxy", "proxy_error", "proxy"),
]


@dataclass
class Run:
    """One `netaudit probe` call and what it printed."""

    options: OptionSet
    urls: list[str]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float
    document: dict[str, Any] | None = None
    parse_error: str = ""

    def explain(self) -> str:
        return (
            f"option set {self.options.name!r}: exit {self.returncode} after {self.elapsed:.1f}s\n"
            f"--- stderr (tail) ---\n{self.stderr[-3000:]}\n--- stdout (head) ---\n{self.stdout[:3000]}"
        )

    def result_for(self, url: str) -> dict[str, Any] | None:
        for result in (self.document or {}).get("results", []):
            if str(result.get("url", "")).rstrip("/") == url.rstrip("/"):
                return result  # type: ignore[no-any-return]
        return None


def _probe(lab: Lab, options: OptionSet, urls: list[str]) -> Run:
    args = ["probe", *urls, "--format", "json", *lab.netaudit_base_args(timeout=options.timeout), *options.args(lab)]
    started = time.monotonic()
    proc = lab.run_netaudit(*args, env=options.env(lab), timeout=120)
    run = Run(options, urls, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
    try:
        run.document = json.loads(proc.stdout)
    except ValueError as exc:
        run.parse_error = str(exc)
    return run


@pytest.fixture(scope="module")
def runs(lab: Lab) -> dict[str, Run]:
    """Every option set probed once, all at the same time."""
    groups: dict[str, list[str]] = {}
    for row in ROWS:
        groups.setdefault(row.options, []).append(row.url)
    with ThreadPoolExecutor(len(groups)) as pool:
        futures = {name: pool.submit(_probe, lab, OPTION_SETS[name], urls) for name, urls in groups.items()}
        return {name: future.result() for name, future in futures.items()}


def test_the_table_covers_every_status() -> None:
    assert {row.status for row in ROWS} == STATUSES
    assert len({row.case for row in ROWS}) == len(ROWS)
    for name in OPTION_SETS:
        urls = [row.url for row in ROWS if row.options == name]
        assert len(urls) == len(set(urls)), f"{name}: a URL twice in one call"


@pytest.mark.parametrize("row", ROWS, ids=[row.case for row in ROWS])
def test_status(runs: dict[str, Run], row: Row) -> None:
    run = runs[row.options]
    assert run.returncode == 0, run.explain()
    assert run.document is not None, f"stdout is not JSON ({run.parse_error})\n{run.explain()}"
    assert run.document.get("schema") == SCHEMA, run.explain()
    result = run.result_for(row.url)
    assert result is not None, f"no result for {row.url}\n{run.explain()}"
    shown = json.dumps(result, indent=1)
    assert (result.get("status"), result.get("route")) == (row.status, row.route), shown
    if row.status != "reachable":
        assert str(result.get("detail") or "").strip(), f"empty detail\n{shown}"
    if row.status == "inspected":
        assert "Corp Inspection CA" in json.dumps(result.get("tls") or {}), shown
    if row.status == "reachable" and row.url.startswith("https"):
        assert "Social Test" in str((result.get("http") or {}).get("title")), shown
    if row.case in NOTED:
        assert NOTED[row.case] in result["dns"]["note"], shown
    if row.case in EVIDENCE:
        assert EVIDENCE[row.case] in result["detail"], shown


# An address is evidence, not a verdict: what the DNS evidence notes, and what a sinkhole verdict shows.
NOTED = {
    "split-horizon": "is a private address (RFC 1918)",
    "fake-ip": "is benchmarking space",
    "sinkhole-rfc1918": "is a private address (RFC 1918)",
}
EVIDENCE = {
    "sinkhole-rfc1918": "10.255.0.1 is a private address (RFC 1918), and that address does not reach the site (tcp_",
    "sinkhole-private-block-page": "does not reach the site (block_page: ",
    "sinkhole-zero": "answers sinkholed.social.test with a sinkhole: 0.0.0.0 is the unspecified address",
    "fortiguard-page": "block page: Fortinet",
}


@pytest.mark.parametrize("name", sorted({row.options for row in ROWS}))
def test_no_password_in_output(lab: Lab, runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    for secret in (*lab.users.values(), WRONG_PASSWORD):
        assert secret not in run.stdout, f"{secret!r} in stdout of {name}"
        assert secret not in run.stderr, f"{secret!r} in stderr of {name}"


def test_slow_drip_respects_the_deadline(runs: dict[str, Run]) -> None:
    run = runs["slow"]
    assert run.elapsed < SLOW_TIMEOUT + SLOW_SLACK, run.explain()

"""Verdicts that hold on networks the lab was not built for: the hosts file, and DNS bounded by the deadline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.netlab import HOSTS, Lab
from tests.netlab.namespaces import NETNS_ETC_DIR
from tests.netlab.plan import ORIGIN_OK

pytestmark = pytest.mark.integration

HOSTS_BLOCKED = "www.hosts-blocked.test"
HOSTS_MAPPED = "mapped.social.test"  # not served by the lab's DNS: only the hosts file knows it


@pytest.fixture
def hosts_file(lab: Lab) -> Iterator[Path]:
    """An /etc/hosts for the client namespace (`ip netns exec` bind-mounts it over /etc/hosts)."""
    path = NETNS_ETC_DIR / lab.client_ns / "hosts"
    path.write_text(
        f"127.0.0.1 localhost\n0.0.0.0 {HOSTS_BLOCKED}  # the workstation's own block\n{ORIGIN_OK} {HOSTS_MAPPED}\n",
        encoding="utf-8",
    )
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _probe(lab: Lab, *args: str) -> dict[str, dict[str, Any]]:
    proc = lab.run_netaudit("probe", *args, "--format", "json", "--no-proxy")
    assert proc.returncode == 0, proc.stderr
    return {result["url"]: result for result in json.loads(proc.stdout)["results"]}


def _trust(lab: Lab) -> list[str]:
    return ["--ca-bundle", str(lab.workstation_trust), "--public-roots", str(lab.public_roots), "--timeout", "4"]


def test_the_hosts_file_is_asked_first_as_a_browser_would(lab: Lab, hosts_file: Path) -> None:
    urls = [lab.url(HOSTS_BLOCKED), lab.url(HOSTS_MAPPED), lab.url(HOSTS.www)]
    results = _probe(lab, *urls, *_trust(lab))
    blocked, mapped, www = (results[url] for url in urls)
    assert blocked["status"] == "dns_sinkhole", blocked
    assert blocked["dns"]["resolver"] == "hosts file (/etc/hosts)"
    assert "0.0.0.0 is the unspecified address" in blocked["detail"]
    assert mapped["status"] == "reachable", mapped
    assert (mapped["dns"]["resolver"], mapped["dns"]["answers"]) == ("hosts file (/etc/hosts)", [ORIGIN_OK])
    assert www["status"] == "reachable" and www["dns"]["resolver"] == lab.resolver, www


def test_an_explicit_resolver_is_asked_instead_of_the_hosts_file(lab: Lab, hosts_file: Path) -> None:
    results = _probe(lab, lab.url(HOSTS_MAPPED), *lab.netaudit_base_args(4))
    assert results[lab.url(HOSTS_MAPPED)]["status"] == "dns_nxdomain"


def test_a_dns_answer_that_never_comes_ends_within_the_deadline(lab: Lab) -> None:
    timeout = 1.5
    names = [f"n{i}.{HOSTS.dns_timeout}" for i in range(60)]
    results = _probe(lab, *(lab.url(name) for name in names), *lab.netaudit_base_args(timeout), "--concurrency", "60")
    elapsed = sorted(result["elapsed_ms"] for result in results.values())
    assert {result["status"] for result in results.values()} == {"dns_error"}
    assert elapsed[-1] <= timeout * 1000 * 1.05, elapsed[-5:]
    assert elapsed[0] >= timeout * 1000 * 0.95, elapsed[:5]

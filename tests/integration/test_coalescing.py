"""Identical connection attempts share one outcome within a run, in the lab (nftables drops and rejects).

Many endpoints behind one dropped address cost one timeout; each is still reported, with the
shared evidence. A connection that succeeds is never shared.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.netlab import HOSTS, Lab

pytestmark = pytest.mark.integration

TIMEOUT = 1.5
SHARED = "shared by every probe that needed it"


def _probe(lab: Lab, urls: list[str], *extra: str) -> list[dict[str, Any]]:
    args = ["probe", *urls, "--format", "json", "--no-proxy", *lab.netaudit_base_args(timeout=TIMEOUT), *extra]
    proc = lab.run_netaudit(*args, timeout=120)
    assert proc.returncode == 0, proc.stderr
    results: list[dict[str, Any]] = json.loads(proc.stdout)["results"]
    assert [r["url"] for r in results] == urls
    return results


def test_endpoints_behind_one_dropped_address_cost_one_timeout(lab: Lab) -> None:
    urls = [f"https://{HOSTS.dropped}/page-{n}" for n in range(6)]
    # One worker: without sharing, six probes in a row would take six whole deadlines.
    results = _probe(lab, urls, "--concurrency", "1")
    assert {r["status"] for r in results} == {"tcp_timeout"}
    first, *others = results
    assert SHARED not in first["detail"] and "did not answer" in first["detail"]
    assert first["elapsed_ms"] >= TIMEOUT * 1000 * 0.9
    for result in others:
        assert SHARED in result["detail"] and "did not answer" in result["detail"], result["detail"]
        assert result["dns"]["answers"] == first["dns"]["answers"]
        assert result["elapsed_ms"] < TIMEOUT * 1000 / 2  # no second wait on the same address


def test_probes_started_together_wait_for_the_first_attempt(lab: Lab) -> None:
    urls = [f"https://{HOSTS.dropped}/together-{n}" for n in range(5)]
    results = _probe(lab, urls, "--concurrency", "5")
    assert {r["status"] for r in results} == {"tcp_timeout"}
    assert sum(SHARED not in r["detail"] for r in results) == 1
    assert all(r["elapsed_ms"] < TIMEOUT * 1000 * 1.5 for r in results)


def test_a_refusal_is_shared_and_a_success_is_not(lab: Lab) -> None:
    refused = [f"https://{HOSTS.refused}/r-{n}" for n in range(3)]
    healthy = [f"https://{HOSTS.www}/w-{n}" for n in range(3)]
    results = _probe(lab, refused + healthy, "--concurrency", "1")
    assert [r["status"] for r in results[:3]] == ["tcp_refused"] * 3
    assert [SHARED in r["detail"] for r in results[:3]] == [False, True, True]
    assert [r["status"] for r in results[3:]] == ["reachable"] * 3
    assert all(SHARED not in r["detail"] and r["tls"]["verified_trusted"] for r in results[3:])

"""How netaudit picks its route, end to end: a PAC file and the proxy environment variables."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.netlab import HOSTS, Lab
from tests.netlab.plan import PROXY_GUEST_PORT

pytestmark = pytest.mark.integration

PAC = """
function FindProxyForURL(url, host) {
  if (dnsDomainIs(host, "api.social.test")) { return "DIRECT"; }
  if (dnsDomainIs(host, ".social.test")) { return "PROXY %s:%d; DIRECT"; }
  return "DIRECT";
}
"""


def _results(lab: Lab, *args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    urls = [lab.url(HOSTS.guest_ok), lab.url(HOSTS.www), lab.url(HOSTS.api)]
    result = lab.run_netaudit("probe", *urls, *args, *lab.netaudit_base_args(4), "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return {entry["url"]: entry for entry in json.loads(result.stdout)["results"]}


def _routes(results: dict[str, dict[str, Any]], lab: Lab) -> list[tuple[str, str]]:
    return [
        (results[lab.url(host)]["route"], results[lab.url(host)]["status"])
        for host in (HOSTS.guest_ok, HOSTS.www, HOSTS.api)
    ]


def test_pac_file_chooses_the_proxy_per_host(lab: Lab) -> None:
    pac = lab.workdir / "proxy.pac"
    pac.write_text(PAC % (lab.gateway, PROXY_GUEST_PORT))
    results = _results(lab, "--pac", str(pac))
    assert _routes(results, lab) == [("proxy", "reachable"), ("proxy", "proxy_denied"), ("direct", "reachable")]
    assert results[lab.url(HOSTS.www)]["proxy"] == lab.proxy_url(PROXY_GUEST_PORT)
    # The API answers 401 inside a TLS session verified against public roots: the site itself, so the
    # path is open; the unexpected status is only a note.
    assert results[lab.url(HOSTS.api)]["notes"] == []
    assert "401" in results[lab.url(HOSTS.api)]["detail"]


def test_environment_proxy_and_no_proxy(lab: Lab) -> None:
    env = {"https_proxy": lab.proxy_url(PROXY_GUEST_PORT), "NO_PROXY": HOSTS.api}
    results = _results(lab, env=env)
    assert _routes(results, lab) == [("proxy", "reachable"), ("proxy", "proxy_denied"), ("direct", "reachable")]


def test_no_proxy_option_overrides_the_environment(lab: Lab) -> None:
    env = {"HTTPS_PROXY": lab.proxy_url(PROXY_GUEST_PORT)}
    results = _results(lab, "--no-proxy", env=env)
    assert _routes(results, lab) == [("direct", "reachable"), ("direct", "reachable"), ("direct", "reachable")]

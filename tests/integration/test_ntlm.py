"""NTLM proxy authentication (a Windows domain proxy) against Squid's ntlm_fake_auth helper."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.netlab import HOSTS, Lab
from tests.netlab.plan import PROXY_NTLM_PORT

pytestmark = pytest.mark.integration


def _probe(lab: Lab, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = lab.run_netaudit(
        "probe",
        lab.url(HOSTS.www),
        "--proxy",
        lab.proxy_url(PROXY_NTLM_PORT),
        *args,
        *lab.netaudit_base_args(4),
        "--format",
        "json",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)["results"]
    return entry


def test_without_credentials_the_proxy_asks_for_ntlm(lab: Lab) -> None:
    entry = _probe(lab)
    assert entry["status"] == "proxy_auth_required"
    assert "NTLM" in entry["detail"] and "none were given" in entry["detail"]


def test_ntlm_handshake_opens_the_tunnel(lab: Lab) -> None:
    entry = _probe(lab, "--proxy-user", "CORP\\carol", env={"NETAUDIT_PROXY_PASSWORD": "Domain-Secret-1"})
    assert (entry["status"], entry["route"], entry["identity"]) == ("reachable", "proxy", "CORP\\carol")
    assert "Domain-Secret-1" not in json.dumps(entry)

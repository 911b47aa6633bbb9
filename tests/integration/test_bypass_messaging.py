"""Messaging endpoints in the lab: chat servers on 5222 and 443, probed to the connection or TLS handshake.

The lab's Squid, like Squid's default configuration, allows CONNECT only to port 443: a profile
that may message through it gets its 5222 endpoint denied (and is told why), while going direct
reaches both ports. A read-only profile that reaches the chat server has a leak: `message` needs
the `post` level.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.netlab import Lab
from tests.netlab.bypass import CHAT, add_bypass
from tests.netlab.plan import PROXY_AUTH_PORT

pytestmark = pytest.mark.integration

PROFILES = f"""
[organization]
name = "Lab Corp"
owner = "Communications"
timezone = "UTC"

[profiles.direct]
description = "direct, may message"
access = {{ chatter = "post" }}

[profiles.proxied]
description = "through the proxy as alice, may message"
proxy = "http://192.0.2.1:{PROXY_AUTH_PORT}"
proxy_user = "alice"
proxy_password_env = "PW_ALICE"
access = {{ chatter = "post" }}

[profiles.readers]
description = "direct, may only read"
access = {{ chatter = "read" }}
"""

CATALOG = f"""
[platform]
id = "chatter"
name = "Chatter"

[[endpoint]]
id = "chatter.read.1"
capability = "read"
url = "https://{CHAT}/"
expect_status = [200]

[[endpoint]]
id = "chatter.message.1"
capability = "message"
url = "tls://{CHAT}:5222"

[[endpoint]]
id = "chatter.message.2"
capability = "message"
url = "tls://{CHAT}:443"

[[endpoint]]
id = "chatter.message.3"
capability = "message"
url = "tcp://{CHAT}:5222"
"""


@pytest.fixture(scope="module")
def document(lab: Lab) -> dict[str, Any]:
    add_bypass(lab)
    folder = lab.workdir / "chat-catalog"
    folder.mkdir(exist_ok=True)
    (folder / "chatter.toml").write_text(CATALOG, encoding="utf-8")
    profiles = lab.workdir / "chat-profiles.toml"
    profiles.write_text(PROFILES, encoding="utf-8")
    result = lab.run_netaudit(
        "audit",
        "--profiles",
        str(profiles),
        "--catalog",
        str(folder),
        "--platform",
        "chatter",
        "--control",
        "none",
        "--format",
        "json",
        "--fail-on",
        "never",
        *lab.netaudit_base_args(4),
        env={"PW_ALICE": lab.users["alice"]},
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def _observed(document: dict[str, Any], profile: str, endpoint: str) -> dict[str, Any]:
    (found,) = [o for o in document["observations"] if o["id"] == endpoint and profile in o["profiles"]]
    return found


def _finding(document: dict[str, Any], finding_id: str) -> dict[str, Any]:
    (found,) = [f for f in document["findings"] if f["id"] == finding_id]
    return found


def test_direct_reaches_the_chat_server_on_both_ports(document: dict[str, Any]) -> None:
    tls5222 = _observed(document, "direct", "chatter.message.1")
    assert (tls5222["status"], tls5222["layer"]) == ("reachable", "tls"), tls5222["detail"]
    assert tls5222["http"] is None  # the handshake only: no HTTP request was sent
    assert tls5222["tls"]["verified_public"] is True
    assert _observed(document, "direct", "chatter.message.3")["status"] == "reachable"
    assert _finding(document, "direct.chatter.message")["finding"] == "ok"


def test_a_proxy_that_connects_only_to_443_blocks_5222_and_says_so(document: dict[str, Any]) -> None:
    denied = _observed(document, "proxied", "chatter.message.1")
    assert denied["status"] == "proxy_denied", denied["detail"]
    assert "CONNECT only to port 443" in denied["detail"] and "port 5222" in denied["detail"]
    assert _observed(document, "proxied", "chatter.message.2")["status"] == "reachable"
    finding = _finding(document, "proxied.chatter.message")
    assert finding["finding"] == "degraded"  # 443 works, 5222 is denied
    assert f"CONNECT {CHAT}:5222" in finding["remediation"]


def test_messaging_needs_the_post_level(document: dict[str, Any]) -> None:
    assert _finding(document, "readers.chatter.read")["finding"] == "ok"
    leak = _finding(document, "readers.chatter.message")
    assert (leak["finding"], leak["expected"]) == ("leak", "read")

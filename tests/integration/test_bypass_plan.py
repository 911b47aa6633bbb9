"""`--plan` against a real run: the packets a run sends in the lab stay within the plan it printed first.

The audit runs in the client namespace with a direct profile and a proxied one; an AF_PACKET capture
in that namespace records every TCP/UDP destination it sends to. Every one must be a contact of the
plan (a name resolved with the lab's own records), and the plan's printing itself sends nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.netlab import HOSTS, Lab
from tests.netlab.bypass import DOHSITE, DUAL_V6, V6ONLY, add_bypass
from tests.netlab.capture import Capture, Sent
from tests.netlab.plan import GATEWAY_ADDR, ORIGIN_OK, PROXY_AUTH_PORT, PROXY_GUEST_PORT

pytestmark = pytest.mark.integration

CATALOG = Path(__file__).resolve().parent.parent / "data" / "lab-catalog"


def _profiles(lab: Lab) -> str:
    return f"""
[organization]
name = "Lab Corp"
owner = "Communications"
timezone = "UTC"

[profiles.staff]
description = "direct, reads chirp"
access = {{ chirp = "read" }}

[profiles.guests]
description = "the guest proxy, nothing"
proxy = "{lab.proxy_url(PROXY_GUEST_PORT)}"
"""


def _audit_args(lab: Lab, *extra: str) -> list[str]:
    profiles = lab.workdir / "plan-profiles.toml"
    profiles.write_text(_profiles(lab))
    return [
        "audit",
        "--profiles",
        str(profiles),
        "--catalog",
        str(CATALOG),
        "--platform",
        "chirp",
        "--platform",
        "facade",
        "--control",
        lab.url(HOSTS.control),
        "--fail-on",
        "never",
        *lab.netaudit_base_args(4),
        *extra,
    ]


def _allowed(lab: Lab, plan: dict[str, Any]) -> set[Sent]:
    allowed = set()
    for contact in plan["contacts"]:
        address = lab.records.get(contact["host"], contact["host"])
        protocol = "udp" if contact["protocol"].startswith("udp") else "tcp"
        allowed.add(Sent(address, protocol, contact["port"]))
    return allowed


def test_plan_sends_nothing_and_the_run_stays_within_it(lab: Lab) -> None:
    capture = Capture(lab.client_ns).start()
    try:
        shown = lab.run_netaudit(*_audit_args(lab, "--plan", "--format", "json"))
    finally:
        during_plan = capture.stop()
    assert shown.returncode == 0, shown.stderr
    plan = json.loads(shown.stdout)
    assert plan["schema"] == "netaudit/plan/1"
    assert during_plan == set(), f"--plan sent packets: {during_plan}"
    assert plan["dns_servers"] == [lab.resolver]
    assert plan["control"] == lab.url(HOSTS.control)
    # Two identities (direct, guest proxy), each: the control and the five lab endpoints.
    assert plan["probes"] == 12
    routes = {contact["route"] for contact in plan["contacts"]}
    assert routes == {"direct", lab.proxy_url(PROXY_GUEST_PORT)}

    capture = Capture(lab.client_ns).start()
    try:
        run = lab.run_netaudit(*_audit_args(lab, "--format", "json"))
    finally:
        sent = capture.stop()
    assert run.returncode == 0, run.stderr
    assert len(json.loads(run.stdout)["observations"]) == 10
    allowed = _allowed(lab, plan)
    assert sent, "the capture saw nothing: it cannot vouch for the plan"
    assert Sent(lab.gateway, "tcp", PROXY_GUEST_PORT) in sent
    assert Sent(lab.resolver, "udp", 53) in sent
    assert sent <= allowed, f"sent outside the plan: {sorted(map(str, sent - allowed))}"


BYPASS_PROFILES = f"""
[organization]
name = "Lab Corp"
owner = "Communications"
timezone = "UTC"

[profiles.staff]
description = "direct, no social media"
access = {{}}

[profiles.proxied]
description = "through the proxy as alice, no social media"
proxy = "http://{GATEWAY_ADDR}:{PROXY_AUTH_PORT}"
proxy_user = "alice"
proxy_password_env = "PW_ALICE"
access = {{}}
"""


def _bypass_catalog(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    endpoints = {
        "sidewalk": f"https://{V6ONLY}/",
        "hushed": f"https://{DOHSITE}/",
        "facade3": f"https://{HOSTS.denied}/",
    }
    for platform, url in endpoints.items():
        h3 = "h3 = true\n" if platform == "facade3" else ""
        (folder / f"{platform}.toml").write_text(
            f'[platform]\nid = "{platform}"\nname = "{platform}"\n\n[[endpoint]]\ncapability = "read"\n'
            f'url = "{url}"\nexpect_status = [200]\n{h3}',
            encoding="utf-8",
        )
    return folder


def test_a_bypass_run_stays_within_its_plan_too(lab: Lab) -> None:
    bypass = add_bypass(lab)
    bypass.apply()
    profiles = lab.workdir / "plan-bypass-profiles.toml"
    profiles.write_text(BYPASS_PROFILES, encoding="utf-8")
    args = [
        "audit",
        "--bypass",
        "--doh-resolvers",
        str(bypass.doh_list()),
        "--profiles",
        str(profiles),
        "--catalog",
        str(_bypass_catalog(lab.workdir / "plan-bypass-catalog")),
        *[option for platform in ("sidewalk", "hushed", "facade3") for option in ("--platform", platform)],
        "--control",
        lab.url(HOSTS.control),
        "--fail-on",
        "never",
        "--format",
        "json",
        *lab.netaudit_base_args(4),
    ]
    env = {"PW_ALICE": lab.users["alice"]}
    shown = lab.run_netaudit(*args, "--plan", env=env)
    assert shown.returncode == 0, shown.stderr
    plan = json.loads(shown.stdout)
    assert {c["path"] for c in plan["contacts"]} == {"tcp", "ipv6", "doh", "quic"}
    capture = Capture(lab.client_ns).start()
    try:
        run = lab.run_netaudit(*args, env=env)
    finally:
        sent = capture.stop()
    assert run.returncode == 0, run.stderr
    leaks = {f["path"] for f in json.loads(run.stdout)["findings"] if f["finding"] == "leak"}
    assert {"ipv6", "doh", "quic"} <= leaks  # the run did go around the blocks
    # A name's addresses as the lab gives them: its A record, its AAAA record, the DoH resolver's answer.
    also = {V6ONLY: [DUAL_V6], DOHSITE: [ORIGIN_OK]}
    allowed = _allowed(lab, plan) | {
        Sent(address, "udp" if c["protocol"].startswith("udp") else "tcp", c["port"])
        for c in plan["contacts"]
        for address in also.get(c["host"], [])
    }
    assert Sent(DUAL_V6, "tcp", 443) in sent and Sent(ORIGIN_OK, "udp", 443) in sent
    assert sent <= allowed, f"sent outside the plan: {sorted(map(str, sent - allowed))}"

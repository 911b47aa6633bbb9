"""`netaudit audit` against the lab's real Squid: profiles with different identities, rights and hours.

What each profile should see follows from the Squid configuration in tests/netlab/squid.py and the
hours port in tests/conftest.py; the audit's findings must say exactly that, with a gap, leaks,
an unknown (missing password), an NTLM identity and a time ACL.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HOURS_PORT, office_hours
from tests.netlab import HOSTS, Lab
from tests.netlab.plan import DEAD_DNS_ADDR, PROXY_AUTH_PORT, PROXY_GUEST_PORT, PROXY_NTLM_PORT

pytestmark = pytest.mark.integration

CATALOG = Path(__file__).resolve().parent.parent / "data" / "lab-catalog"


def _profiles(lab: Lab) -> str:
    start, end = (moment.astimezone(UTC) for moment in office_hours())
    window = f"daily {start:%H:%M}-{end:%H:%M}"
    auth, hours = lab.proxy_url(PROXY_AUTH_PORT), lab.proxy_url(HOURS_PORT)
    return f"""
[organization]
name = "Lab Corp"
owner = "Communications"
timezone = "UTC"

[profiles.comms]
description = "posts everywhere"
proxy = "{auth}"
proxy_user = "alice"
proxy_password_env = "PW_ALICE"
access = {{ chirp = "post", facade = "post" }}
[profiles.comms.rules]
hours = ["daily 00:00-24:00"]
hours_enforced_by = "policy"
posting = "approved messages"
content = "brand guide"

[profiles.marketing]
description = "posts on chirp; bob may not upload"
proxy = "{auth}"
proxy_user = "bob"
proxy_password_env = "PW_BOB"
access = {{ chirp = "post" }}
[profiles.marketing.rules]
hours = ["daily 00:00-24:00"]
hours_enforced_by = "policy"
posting = "campaigns"
content = "campaign material"

[profiles.staff]
description = "reads chirp during office hours, enforced by the proxy's time ACL"
proxy = "{hours}"
proxy_user = "bob"
proxy_password_env = "PW_BOB"
access = {{ chirp = "read" }}
[profiles.staff.rules]
hours = ["{window}"]
hours_enforced_by = "firewall"
posting = "staff do not post"

[profiles.interns]
description = "same hours rule, but on the proxy port that has no time ACL: a leak"
proxy = "{auth}"
proxy_user = "alice"
proxy_password_env = "PW_ALICE"
access = {{ chirp = "read" }}
[profiles.interns.rules]
hours = ["{window}"]
hours_enforced_by = "firewall"
posting = "interns do not post"

[profiles.guests]
description = "no social media"
proxy = "{lab.proxy_url(PROXY_GUEST_PORT)}"

[profiles.domain]
description = "Windows domain users through the NTLM port"
proxy = "{lab.proxy_url(PROXY_NTLM_PORT)}"
proxy_user = "carol"
proxy_password_env = "PW_CAROL"
access = {{ chirp = "post", facade = "read" }}
[profiles.domain.rules]
hours = ["daily 00:00-24:00"]
hours_enforced_by = "policy"
posting = "domain rules"
content = "domain content"

[profiles.contractors]
description = "no password given: cannot be tested"
proxy = "{auth}"
proxy_user = "dave"
proxy_password_env = "PW_DAVE"
access = {{ chirp = "read" }}
[profiles.contractors.rules]
hours = ["daily 00:00-24:00"]
hours_enforced_by = "policy"
posting = "no posting"
"""


# (profile, platform, capability) -> finding, from the Squid configuration and the profiles above.
EXPECTED = {
    ("comms", "chirp", "read"): "ok",
    ("comms", "chirp", "media"): "ok",
    ("comms", "chirp", "post"): "ok",
    ("comms", "facade", "read"): "gap",  # denied.social.test is denied for everyone
    ("comms", "facade", "post"): "ok",
    ("marketing", "chirp", "read"): "ok",
    ("marketing", "chirp", "media"): "ok",
    ("marketing", "chirp", "post"): "gap",  # upload.social.test is denied for bob
    ("marketing", "facade", "read"): "ok",  # none expected, denied
    ("marketing", "facade", "post"): "leak",  # none expected, api.social.test reachable
    ("staff", "chirp", "read"): "ok",  # outside hours: the time ACL denies, as the rule says
    ("staff", "chirp", "media"): "ok",
    ("staff", "chirp", "post"): "ok",
    ("staff", "facade", "read"): "ok",
    ("staff", "facade", "post"): "ok",
    ("interns", "chirp", "read"): "leak",  # outside hours, but this port has no time ACL
    ("interns", "chirp", "media"): "leak",
    ("interns", "chirp", "post"): "leak",
    ("interns", "facade", "read"): "ok",
    ("interns", "facade", "post"): "leak",
    ("guests", "chirp", "read"): "ok",
    ("guests", "chirp", "media"): "leak",  # the guest port allows help.social.test
    ("guests", "chirp", "post"): "ok",
    ("guests", "facade", "read"): "ok",
    ("guests", "facade", "post"): "ok",
    ("domain", "chirp", "read"): "ok",
    ("domain", "chirp", "media"): "ok",
    ("domain", "chirp", "post"): "ok",
    ("domain", "facade", "read"): "ok",  # the NTLM port denies nothing: denied.social.test works
    ("domain", "facade", "post"): "leak",  # read only, but the API host is reachable
    ("contractors", "chirp", "read"): "unknown",
    ("contractors", "chirp", "media"): "unknown",
    ("contractors", "chirp", "post"): "unknown",
    ("contractors", "facade", "read"): "unknown",
    ("contractors", "facade", "post"): "unknown",
}


@pytest.fixture(scope="module")
def audit(lab: Lab) -> tuple[int, dict[str, Any], str]:
    profiles = lab.workdir / "audit-profiles.toml"
    profiles.write_text(_profiles(lab))
    env = {"PW_ALICE": lab.users["alice"], "PW_BOB": lab.users["bob"], "PW_CAROL": "carol-pw"}
    result = lab.run_netaudit(
        "audit",
        "--profiles",
        str(profiles),
        "--catalog",
        str(CATALOG),
        "--platform",
        "chirp",
        "--platform",
        "facade",
        "--format",
        "json",
        "--control",
        lab.url(HOSTS.control),
        *lab.netaudit_base_args(4),
        env=env,
    )
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout), result.stdout + result.stderr


def _finding(document: dict[str, Any], profile: str, platform: str, capability: str) -> dict[str, Any]:
    (found,) = [
        f
        for f in document["findings"]
        if (f["profile"], f["platform"], f["capability"]) == (profile, platform, capability)
    ]
    return found


def test_exit_code_says_not_ready(audit: tuple[int, dict[str, Any], str]) -> None:
    code, document, _ = audit
    assert code == 1
    assert document["schema"] == "netaudit/audit/1"
    assert document["readiness"]["ready"] is False


@pytest.mark.parametrize(("profile", "platform", "capability"), sorted(EXPECTED))
def test_findings_match_the_squid_configuration(
    audit: tuple[int, dict[str, Any], str], profile: str, platform: str, capability: str
) -> None:
    found = _finding(audit[1], profile, platform, capability)
    assert found["finding"] == EXPECTED[(profile, platform, capability)], found


def test_gap_remediation_names_host_port_layer_and_identity(audit: tuple[int, dict[str, Any], str]) -> None:
    found = _finding(audit[1], "marketing", "chirp", "post")
    assert found["observed"] == "proxy_denied"
    (observation,) = [
        o
        for o in audit[1]["observations"]
        if o["identity"] == "bob" and o["id"] == "chirp.post.1" and o["proxy"].endswith(":3128")
    ]
    assert observation["http"]["status"] == 403 and observation["http"]["fingerprint"] == "Squid"
    assert "denies CONNECT upload.social.test:443 for user bob" in found["remediation"]
    assert "profile marketing should post on Chirp" in found["remediation"]


def test_leak_outside_hours_says_so(audit: tuple[int, dict[str, Any], str]) -> None:
    found = _finding(audit[1], "interns", "chirp", "read")
    assert found["expected"] == "none" and found["observed"] == "reachable"
    assert "outside its hours" in found["remediation"]
    assert "www.social.test:443" in found["remediation"]


def test_missing_password_names_the_variable(audit: tuple[int, dict[str, Any], str]) -> None:
    found = _finding(audit[1], "contractors", "chirp", "read")
    assert "PW_DAVE" in found["detail"]


def test_each_identity_and_endpoint_probed_once(audit: tuple[int, dict[str, Any], str]) -> None:
    observations = audit[1]["observations"]
    pairs = [(o["proxy"], o["identity"], o["id"]) for o in observations]
    assert len(pairs) == len(set(pairs))
    # comms and interns share alice@3128; marketing is bob@3128; staff bob@hours; guests; carol@ntlm.
    assert len(observations) == 5 * 5
    shared = [o["profiles"] for o in observations if o["identity"] == "alice"]
    assert all(names == ["comms", "interns"] for names in shared)


def test_readiness_per_profile(audit: tuple[int, dict[str, Any], str]) -> None:
    verdicts = {v["profile"]: v for v in audit[1]["readiness"]["profiles"]}
    assert verdicts["staff"]["ready"] is True
    assert verdicts["marketing"]["ready"] is False
    assert verdicts["guests"]["ready"] is False  # a leak
    assert verdicts["contractors"]["ready"] is False  # never tested: not ready, and says why
    assert any("PW_DAVE" in reason for reason in verdicts["contractors"]["reasons"])


def test_no_password_anywhere(audit: tuple[int, dict[str, Any], str], lab: Lab) -> None:
    output = audit[2]
    for password in (*lab.users.values(), "carol-pw"):
        assert password not in output


def test_every_route_checked_its_control_first(audit: tuple[int, dict[str, Any], str], lab: Lab) -> None:
    routes = {route["profile"]: route for route in audit[1]["routes"]}
    assert set(routes) == {"comms", "marketing", "staff", "interns", "guests", "domain", "contractors"}
    for name, route in routes.items():
        if name == "contractors":
            assert route["control"] is None and "PW_DAVE" in route["problem"]
            continue
        assert route["control"]["url"] == lab.url(HOSTS.control), route
        assert route["control"]["status"] == "reachable", route
    assert routes["staff"]["identity"] == "bob" and routes["staff"]["via"].endswith(":3132")


def _direct_profiles(lab: Lab) -> str:
    """The profiles above without their own proxy: they take the command's route (here --no-proxy)."""
    return _profiles(lab).replace(f'proxy = "{lab.proxy_url(PROXY_AUTH_PORT)}"\n', "")


def test_a_vantage_point_that_reaches_nothing_blames_nothing_on_the_network(lab: Lab) -> None:
    # Every DNS question goes to an address where nothing answers: the control fails like every
    # endpoint, so the findings are unknown (never "remove the site from the DNS filter") and exit 3.
    profiles = lab.workdir / "cut-off-profiles.toml"
    profiles.write_text(_direct_profiles(lab))
    env = {"PW_ALICE": lab.users["alice"], "PW_BOB": lab.users["bob"], "PW_CAROL": "carol-pw"}
    result = lab.run_netaudit(
        "audit", "--profiles", str(profiles), "--catalog", str(CATALOG), "--platform", "chirp",
        "--profile", "comms", "--no-proxy", "--resolver", DEAD_DNS_ADDR, "--timeout", "1.5",
        "--control", lab.url(HOSTS.control), "--format", "json", "--ca-bundle", str(lab.workstation_trust),
        "--public-roots", str(lab.public_roots), env=env,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "this vantage point cannot reach the internet" in result.stderr
    document = json.loads(result.stdout)
    findings = document["findings"]
    assert findings and {f["finding"] for f in findings} == {"unknown"}
    assert all("this vantage point cannot reach the internet" in f["detail"] for f in findings)
    assert not any(f["remediation"] for f in findings)
    (route,) = document["routes"]
    assert route["control"]["status"] == "dns_error"


def test_without_a_proxy_the_proxy_users_need_no_password(lab: Lab) -> None:
    profiles = lab.workdir / "direct-profiles.toml"
    profiles.write_text(_direct_profiles(lab))
    result = lab.run_netaudit(
        "audit", "--profiles", str(profiles), "--catalog", str(CATALOG), "--platform", "chirp",
        "--profile", "contractors", "--no-proxy", "--control", lab.url(HOSTS.control), "--format", "json",
        *lab.netaudit_base_args(4),
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    (route,) = document["routes"]
    assert route["problem"] == "" and "probed as this workstation" in route["note"], route
    assert {f["finding"] for f in document["findings"]} != {"unknown"}

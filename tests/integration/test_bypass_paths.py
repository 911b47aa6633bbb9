"""`audit --bypass` in the lab: IPv6, DNS-over-HTTPS and QUIC around a block, found as leaks, and closed again.

The lab's firewall drops the site over IPv4 only, and its DNS sinkholes another name that the lab's
DoH resolver answers; a profile that must not reach them gets a leak for each path, with the path
and its remediation, and a profile that may use them gets only a note. Once nftables closes the
paths too, the same audit reports no bypass at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netaudit import render
from netaudit.model import AuditRun, ProbePath
from netaudit.runfile import loads
from tests.netlab import HOSTS, Lab
from tests.netlab.bypass import DOHSITE, V6ONLY, BypassLab, add_bypass
from tests.netlab.plan import PROXY_AUTH_PORT, PROXY_GUEST_PORT

pytestmark = pytest.mark.integration

PROFILES = """
[organization]
name = "Lab Corp"
owner = "Communications"
timezone = "UTC"

[profiles.staff]
description = "direct, no social media"
access = {}

[profiles.comms]
description = "direct, reads sidewalk"
access = { sidewalk = "read" }
"""


@pytest.fixture(scope="module")
def bypass(lab: Lab) -> Iterator[BypassLab]:
    paths = add_bypass(lab)
    yield paths
    paths.apply()


def _catalog(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "sidewalk.toml").write_text(
        f'[platform]\nid = "sidewalk"\nname = "Sidewalk"\n\n[[endpoint]]\ncapability = "read"\n'
        f'url = "https://{V6ONLY}/"\nexpect_status = [200]\n',
        encoding="utf-8",
    )
    (folder / "hushed.toml").write_text(
        f'[platform]\nid = "hushed"\nname = "Hushed"\n\n[[endpoint]]\ncapability = "read"\n'
        f'url = "https://{DOHSITE}/"\nexpect_status = [200]\n',
        encoding="utf-8",
    )
    return folder


def _audit(lab: Lab, bypass: BypassLab) -> dict[str, Any]:
    profiles = lab.workdir / "bypass-profiles.toml"
    profiles.write_text(PROFILES, encoding="utf-8")
    result = lab.run_netaudit(
        "audit",
        "--bypass",
        "--doh-resolvers",
        str(bypass.doh_list()),
        "--profiles",
        str(profiles),
        "--catalog",
        str(_catalog(lab.workdir / "bypass-catalog")),
        "--platform",
        "sidewalk",
        "--platform",
        "hushed",
        "--control",
        lab.url(HOSTS.control),
        "--format",
        "json",
        "--fail-on",
        "never",
        *lab.netaudit_base_args(4),
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {finding["id"]: finding for finding in document["findings"]}


def test_ipv6_and_doh_around_the_block_are_leaks(lab: Lab, bypass: BypassLab) -> None:
    bypass.apply()
    document = _audit(lab, bypass)
    findings = _by_id(document)
    # The ordinary path is blocked as the profile says: IPv4 dropped, the name sinkholed.
    assert findings["staff.sidewalk.read"]["finding"] == "ok"
    assert findings["staff.sidewalk.read"]["observed"] == "tcp_timeout"
    assert findings["staff.hushed.read"]["observed"] == "dns_sinkhole"
    ipv6 = findings["staff.sidewalk.read.ipv6"]
    assert (ipv6["finding"], ipv6["path"], ipv6["observed"]) == ("leak", "ipv6", "reachable")
    assert "has no IPv6 twin" in ipv6["remediation"] and "2001:db8:10::20" in ipv6["remediation"]
    doh = findings["staff.hushed.read.doh"]
    assert (doh["finding"], doh["path"], doh["observed"]) == ("leak", "doh", "reachable")
    assert "use-application-dns.net" in doh["remediation"] and bypass.doh_url in doh["remediation"]
    # comms may read sidewalk: blocked over IPv4 is a gap; IPv6 reaching it is only noted.
    assert findings["comms.sidewalk.read"]["finding"] == "gap"
    assert "reachable over ipv6 as well" in findings["comms.sidewalk.read"]["detail"]
    assert "comms.sidewalk.read.ipv6" not in findings
    paths = {(o["id"], o["path"], o["status"]) for o in document["observations"]}
    assert ("sidewalk.read.1", "ipv6", "reachable") in paths
    assert ("hushed.read.1", "doh", "reachable") in paths
    assert document["readiness"]["ready"] is False
    assert document["environment"]["doh_canary"].startswith("DoH off signalled")
    # The saved run loads back whole, paths included, and renders.
    run = loads(json.dumps(document), "bypass.json")
    assert isinstance(run, AuditRun)
    assert {f.path for f in run.findings} == {ProbePath.TCP, ProbePath.IPV6, ProbePath.DOH}
    for form in ("table",):
        shown = render.AUDIT.render(form, run)
        assert "no IPv6 twin" in shown, form


def test_closed_paths_report_no_bypass(lab: Lab, bypass: BypassLab) -> None:
    bypass.apply(closed=("ipv6", "doh"))
    try:
        document = _audit(lab, bypass)
    finally:
        bypass.apply()
    assert [f["id"] for f in document["findings"] if f["path"] != "tcp"] == []
    staff = [f for f in document["findings"] if f["profile"] == "staff"]
    assert {f["finding"] for f in staff} == {"ok"}
    tried = {(o["id"], o["path"]): o["status"] for o in document["observations"] if o["path"] != "tcp"}
    assert tried[("sidewalk.read.1", "ipv6")] == "tcp_timeout"
    assert tried[("hushed.read.1", "doh")] == "dns_error"


PROXIED_PROFILES = f"""
[organization]
name = "Lab Corp"
owner = "Communications"
timezone = "UTC"

[profiles.guests]
description = "the guest proxy, which allows only the help site: no social media"
proxy = "http://192.0.2.1:{PROXY_GUEST_PORT}"
access = {{}}
"""


def _proxied_audit(lab: Lab) -> dict[str, Any]:
    folder = lab.workdir / "proxied-catalog"
    _catalog(folder)
    (folder / "facade3.toml").write_text(
        '[platform]\nid = "facade3"\nname = "Facade over HTTP/3"\n\n[[endpoint]]\ncapability = "read"\n'
        f'url = "https://{HOSTS.denied}/"\nexpect_status = [200]\nh3 = true\n',
        encoding="utf-8",
    )
    profiles = lab.workdir / "proxied-profiles.toml"
    profiles.write_text(PROXIED_PROFILES, encoding="utf-8")
    result = lab.run_netaudit(
        "audit",
        "--bypass",
        "--doh-resolvers",
        str(BypassLab(lab).doh_list()),
        "--profiles",
        str(profiles),
        "--catalog",
        str(folder),
        "--platform",
        "facade3",
        "--platform",
        "sidewalk",
        "--control",
        lab.url(HOSTS.guest_ok),
        "--format",
        "json",
        "--fail-on",
        "never",
        *lab.netaudit_base_args(4),
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_a_profile_blocked_at_the_proxy_leaks_over_quic_and_direct_ipv6(lab: Lab, bypass: BypassLab) -> None:
    bypass.apply()
    findings = _by_id(_proxied_audit(lab))
    # The proxy denies both sites, as the profile says.
    assert findings["guests.facade3.read"]["observed"] == "proxy_denied"
    assert findings["guests.sidewalk.read"]["observed"] == "proxy_denied"
    quic = findings["guests.facade3.read.quic"]
    assert (quic["finding"], quic["path"], quic["observed"]) == ("leak", "quic", "reachable")
    assert f"drop UDP 443 to {HOSTS.denied}" in quic["remediation"] and "block QUIC" in quic["remediation"]
    ipv6 = findings["guests.sidewalk.read.ipv6"]
    assert (ipv6["finding"], ipv6["path"]) == ("leak", "ipv6")
    assert "without the proxy" in ipv6["remediation"] and "2001:db8:10::20" in ipv6["remediation"]

    bypass.apply(closed=("quic", "ipv6"))
    try:
        document = _proxied_audit(lab)
    finally:
        bypass.apply()
    assert [f["id"] for f in document["findings"] if f["path"] != "tcp"] == []
    tried = {(o["id"], o["path"]): o["status"] for o in document["observations"] if o["path"] != "tcp"}
    assert tried == {
        ("facade3.read.1", "quic"): "tcp_timeout",  # UDP 443 dropped
        ("facade3.read.1", "ipv6"): "dns_error",  # no AAAA record: nothing to go around with
        ("sidewalk.read.1", "ipv6"): "tcp_timeout",  # IPv6 dropped too
        # The guest port refuses CONNECT to the DoH resolver's address as well (it allows one site by name).
        ("facade3.read.1", "doh"): "dns_error",
        ("sidewalk.read.1", "doh"): "dns_error",
    }


def test_probe_bypass_reports_each_path_as_its_own_result(lab: Lab, bypass: BypassLab) -> None:
    bypass.apply()
    result = lab.run_netaudit(
        "probe",
        "--bypass",
        "--doh-resolvers",
        str(bypass.doh_list()),
        f"https://{V6ONLY}/",
        f"https://{DOHSITE}/",
        "--format",
        "json",
        *lab.netaudit_base_args(4),
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    seen = {(r["url"], r["path"]): r["status"] for r in document["results"]}
    assert seen[(f"https://{V6ONLY}/", "tcp")] == "tcp_timeout"
    assert seen[(f"https://{V6ONLY}/", "ipv6")] == "reachable"
    assert seen[(f"https://{DOHSITE}/", "tcp")] == "dns_sinkhole"
    assert seen[(f"https://{DOHSITE}/", "doh")] == "reachable"
    assert (f"https://{DOHSITE}/", "ipv6") in seen  # tried, and found no AAAA record
    assert "doh_canary" in document["environment"]
    table = lab.run_netaudit(
        "probe", "--bypass", "--doh-resolvers", str(bypass.doh_list()), f"https://{V6ONLY}/", *lab.netaudit_base_args(4)
    )
    assert table.returncode == 0, table.stderr


ALICE_PROFILES = f"""
[organization]
name = "Lab Corp"
owner = "Communications"
timezone = "UTC"

[profiles.staff]
description = "through the proxy as alice, which refuses denied.social.test by name: no Facade"
proxy = "http://192.0.2.1:{PROXY_AUTH_PORT}"
proxy_user = "alice"
proxy_password_env = "PW_ALICE"
access = {{}}
"""


def _alice_audit(lab: Lab, bypass: BypassLab) -> dict[str, Any]:
    folder = lab.workdir / "alice-catalog"
    folder.mkdir(exist_ok=True)
    (folder / "facade.toml").write_text(
        '[platform]\nid = "facade"\nname = "Facade"\n\n[[endpoint]]\ncapability = "read"\n'
        f'url = "https://{HOSTS.denied}/"\nexpect_status = [200]\n',
        encoding="utf-8",
    )
    profiles = lab.workdir / "alice-profiles.toml"
    profiles.write_text(ALICE_PROFILES, encoding="utf-8")
    result = lab.run_netaudit(
        "audit",
        "--bypass",
        "--doh-resolvers",
        str(bypass.doh_list()),
        "--profiles",
        str(profiles),
        "--catalog",
        str(folder),
        "--platform",
        "facade",
        "--control",
        lab.url(HOSTS.control),
        "--format",
        "json",
        "--fail-on",
        "never",
        *lab.netaudit_base_args(4),
        env={"PW_ALICE": lab.users["alice"]},
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_doh_through_the_proxy_finds_a_rule_on_the_name_only(lab: Lab, bypass: BypassLab) -> None:
    bypass.apply()
    document = _alice_audit(lab, bypass)
    findings = _by_id(document)
    assert findings["staff.facade.read"]["observed"] == "proxy_denied"
    doh = findings["staff.facade.read.doh"]
    assert (doh["finding"], doh["path"], doh["observed"]) == ("leak", "doh", "reachable")
    assert "refuses denied.social.test by its name" in doh["remediation"]
    assert "CONNECT 198.51.100.10:443" in doh["remediation"]
    (seen,) = [o for o in document["observations"] if o["path"] == "doh"]
    assert seen["route"] == "proxy" and seen["tls"]["verified_public"] is True

    bypass.apply(closed=("doh",))
    try:
        closed = _alice_audit(lab, bypass)
    finally:
        bypass.apply()
    assert [f["id"] for f in closed["findings"] if f["path"] != "tcp"] == []
    (tried,) = [o for o in closed["observations"] if o["path"] == "doh"]
    assert tried["status"] == "dns_error", tried["detail"]

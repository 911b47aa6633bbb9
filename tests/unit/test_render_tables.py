"""The terminal tables: the audit laid out from its view; the probe, catalog and profiles tables from typed objects."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from netaudit.model import PolicySet, Readiness
from netaudit.render import PolicyListing
from netaudit.render.audit_table import render_audit
from netaudit.render.profiles_table import render_profile, render_profiles
from netaudit.render.table import render_catalog, render_platform, render_probe
from tests.unit import render_run

QUESTIONS = (
    "1. Who will have access to the sites?",
    "2. Are there firewalls that would prevent access?",
    "3. What are the rules about time spent and content posted?",
    "Readiness: NOT READY",
)


@pytest.fixture(scope="module")
def table() -> str:
    return render_audit(render_run.audit_run())


def _section(text: str, number: int) -> str:
    """The text of one section: from its heading to the next one."""
    start = text.index(QUESTIONS[number])
    end = text.index(QUESTIONS[number + 1]) if number + 1 < len(QUESTIONS) else len(text)
    return text[start:end]


def _row(text: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is `first` (cells split on two or more spaces)."""
    (line,) = [line for line in text.splitlines() if line.split("  ")[0] == first]
    return re.split(r"\s{2,}", line.strip())


def test_the_three_questions_in_order_then_readiness(table: str) -> None:
    positions = [table.index(question) for question in QUESTIONS]
    assert positions == sorted(positions)
    first, second = table.splitlines()[:2]
    assert first == "netaudit 0.1.0 - social media readiness of Fixture Corp"
    assert second == (
        "audited 2026-07-01T11:30:00+00:00 to 2026-07-01T11:31:00+00:00 on audit-ws1 (site london); "
        "proxy: http://proxy.test:3128; resolver: 10.0.0.53:53; catalog sha256:0123abcd"
    )
    assert table.endswith("\n") and not table.endswith("\n\n")


def test_who_shows_members_route_and_intended_access(table: str) -> None:
    who = _section(table, 0)
    assert _row(who, "profile") == ["profile", "members", "probed via", "chirp", "facade"]
    assert _row(who, "comms") == [
        "comms",
        "AD group SocialMediaTeam",
        "http://comms@proxy.test:3128 as comms",
        "post",
        "post",
    ]
    assert _row(who, "staff")[-2:] == ["read", "none"]
    assert _row(who, "contractors") == ["contractors", "-", "not probed", "read", "none"]
    assert _row(who, "kiosk")[2] == "direct (control failed)"


def test_firewalls_show_counts_the_measured_matrix_and_every_finding_to_act_on(table: str) -> None:
    network = _section(table, 1)
    assert "25 checks: 10 ok, 1 gap, 2 leak, 1 degraded, 10 unknown, 1 inspected" in network
    assert _row(network, "measured") == ["measured", "chirp", "facade"]
    assert _row(network, "comms") == ["comms", "gap", "ok"]
    assert _row(network, "guests") == ["guests", "ok", "leak"]
    assert _row(network, "contractors") == ["contractors", "unknown", "unknown"]
    listed = [re.split(r"\s{2,}", line.strip()) for line in network.splitlines() if line.split(" ")[0] in _KINDS]
    assert listed == [
        ["gap", "comms", "chirp", "post", "may post: posting must work", "proxy_denied"],
        ["leak", "staff", "chirp", "post", "read only: posting must be blocked", "reachable"],
        ["leak", "guests", "facade", "read", "no access: reading must be blocked", "reachable"],
        ["degraded", "comms", "chirp", "media", "may post: loading media must work", "proxy_error"],
        ["inspected", "staff", "chirp", "read", "may read: reading must work", "inspected"],
    ]


def test_colour_only_when_asked_and_nothing_from_the_network_drives_the_terminal() -> None:
    run = render_run.audit_run()
    hostile = "x\x1b]0;owned\x07y\x1b[2Jz"
    findings = tuple(replace(f, remediation=hostile) if f.finding.value == "gap" else f for f in run.findings)
    run = replace(run, findings=findings)
    plain = render_audit(run)
    assert "x]0;ownedy[2Jz" in plain  # shown, without its control characters
    assert "\x1b" not in plain and "\x07" not in plain
    coloured = render_audit(run, colour=True)
    assert "\x1b[1;31mgap\x1b[0m" in coloured and "\x1b[1;31mNOT READY\x1b[0m" in coloured
    assert "\x1b]" not in coloured and "\x1b[2J" not in coloured and "\x07" not in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured).replace("  ", "") == plain.replace("  ", "")


_KINDS = ("gap", "leak", "degraded", "inspected")


def test_each_gap_and_leak_has_its_remediation_then_its_evidence(table: str) -> None:
    lines = _section(table, 1).splitlines()
    gap = lines.index(next(line for line in lines if line.startswith("- [comms.chirp.post] gap: ")))
    assert "denies CONNECT upload.chirp.test:443 for user comms" in lines[gap]
    assert lines[gap + 1] == (
        "    seen: chirp.post.1 proxy_denied at the proxy layer, via http://comms@proxy.test:3128 as comms; "
        "HTTP 403; block page of Squid: the proxy answered 403 to CONNECT upload.chirp.test:443"
    )
    leak = lines.index(next(line for line in lines if line.startswith("- [guests.facade.read] leak: ")))
    assert "should not read Facade <Book>" in lines[leak]
    assert lines[leak + 1].startswith(
        "    seen: facade.read.1 reachable at the http layer, via http://guest-proxy.test:3129:"
    )
    inspected = next(i for i, line in enumerate(lines) if line.startswith("- [staff.chirp.read] inspected: "))
    assert "TLS issuer CN=Corp Inspection CA (ExampleGuard)" in lines[inspected + 1]


def test_what_could_not_be_tested_is_one_line_per_reason(table: str) -> None:
    network = _section(table, 1)
    untested = network[network.index("Could not be tested:") :].strip().splitlines()[1:]
    assert untested == [
        f"- contractors (5 checks): {render_run.CONTRACTORS_PROBLEM}",
        "- kiosk (5 checks): the route's control https://control.example/ failed "
        "(tcp_timeout: no answer to TCP SYN from control.example:443)",
        "- chirp: no endpoint for login",
        "- facade: no endpoint for media, login",
    ]


def test_rules_per_profile_and_what_is_missing(table: str) -> None:
    rules = _section(table, 2)
    assert "Owner of social media: Corporate Communications" in rules
    staff = rules[rules.index("staff: All other staff") :].splitlines()[:5]
    assert staff == [
        "staff: All other staff",
        "  hours:   mon-fri 12:00-13:00 Europe/London, enforced by firewall",
        "           audited Wed 1 Jul 2026 12:30 Europe/London, inside these hours: the open side was verified; "
        "the closed side can be checked from Wed 1 Jul 2026 13:00 Europe/London",
        "  posting: Staff do not post for the company",
        "  content: -",
    ]
    kiosk = rules[rules.index("kiosk: Lobby kiosk") :].splitlines()
    assert "  MISSING: hours, posting" in kiosk


def test_readiness_per_profile(table: str) -> None:
    readiness = _section(table, 3)
    assert _row(readiness, "comms") == ["comms", "NOT READY", "1 gap; 1 degraded"]
    assert _row(readiness, "staff") == ["staff", "NOT READY", "1 leak"]
    assert _row(readiness, "contractors")[2].endswith(render_run.CONTRACTORS_PROBLEM)


def test_a_run_without_host_routes_or_platforms_still_renders() -> None:
    text = render_audit(render_run.audit_run(complete=False))
    assert text.splitlines()[1] == (
        "audited 2026-07-01T11:30:00+00:00 to 2026-07-01T11:31:00+00:00; "
        "proxy: http://proxy.test:3128; resolver: 10.0.0.53:53"
    )
    assert _row(_section(text, 0), "staff")[2] == "http://staff@proxy.test:3128 as staff"
    assert "no endpoint for" not in text


def test_a_run_where_everything_is_ok_says_so() -> None:
    run = render_run.audit_run()
    policy = PolicySet(run.policy.organization, {"comms": run.policy.profiles["comms"]}, run.policy.sources)
    findings = tuple(f for f in run.findings if f.profile == "comms" and f.finding.value == "ok")
    readiness = Readiness(ready=True, profiles=run.readiness.profiles[:1])
    text = render_audit(replace(run, policy=policy, findings=findings, readiness=readiness, platforms=()))
    assert "3 checks: 3 ok\n" in text and "The network does what every profile says." in text


def test_probe_table() -> None:
    text = render_probe(render_run.probe_run())
    lines = text.splitlines()
    assert lines[0] == "proxy: http://proxy.test:3128   resolver: 10.0.0.53:53"
    assert re.split(r"\s{2,}", lines[4].strip()) == [
        "chirp.read.1",
        "dns_sinkhole",
        "dns",
        "proxy",
        "12",
        "dns_sinkhole at https://www.chirp.test/",
    ]
    assert lines[-1] == (
        "6 endpoints: 1 dns_nxdomain, 1 dns_sinkhole, 1 proxy_error, 1 reachable, 1 tcp_refused, 1 tls_reset"
    )


def test_catalog_and_platform_tables() -> None:
    catalog = render_catalog(render_run.platforms())
    assert _row(catalog, "platform") == ["platform", "name", "read", "media", "login", "post", "message", "file"]
    assert _row(catalog, "chirp") == ["chirp", "Chirp", "1", "2", "0", "1", "0", "chirp.toml"]
    assert _row(catalog, "facade") == ["facade", "Facade <Book>", "1", "0", "0", "1", "0", "facade.toml"]
    platform = render_platform(render_run.platforms()[1])
    assert platform.splitlines()[0] == "Facade <Book> [facade] (also: fb) from facade.toml"
    assert _row(platform, "facade.read.1") == [
        "facade.read.1",
        "read",
        "GET",
        "https://www.facade.test/",
        "any",
        "Facade",
    ]
    assert _row(platform, "facade.post.1")[:3] == ["facade.post.1", "post", "POST"]


def test_profiles_tables() -> None:
    policy = render_run.policy()
    listing = render_profiles(PolicyListing(policy, ("chirp", "facade")))
    assert listing.splitlines()[0] == "Fixture Corp (owner: Corporate Communications, Europe/London)"
    assert _row(listing, "comms") == ["comms", "Social media team", "comms", "2 post, 0 read", "daily 00:00-24:00"]
    assert _row(listing, "guests") == ["guests", "Guest Wi-Fi", "http://guest-proxy.test:3129", "0 post, 0 read"]
    assert _row(listing, "kiosk")[2] == "this workstation"
    one = PolicySet(policy.organization, {"staff": policy.profiles["staff"]}, policy.sources)
    shown = render_profile(PolicyListing(one, ("chirp", "facade")))
    # A reader may read, load media and sign in, but not post; none is nothing at all.
    assert _row(shown, "chirp") == ["chirp", "read", "yes", "yes", "yes", "-", "-"]
    assert _row(shown, "facade") == ["facade", "none", "-", "-", "-", "-", "-"]
    assert "hours:    mon-fri 12:00-13:00 Europe/London (enforced by firewall)" in shown
    comms = PolicySet(policy.organization, {"comms": policy.profiles["comms"]}, policy.sources)
    assert _row(render_profile(PolicyListing(comms, ("chirp",))), "chirp") == [
        "chirp",
        "post",
        "yes",
        "yes",
        "yes",
        "yes",
        "yes",
    ]

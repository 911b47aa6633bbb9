"""The audit view: the three questions worked out once from the fixture run (every finding kind)."""

from __future__ import annotations

import dataclasses
from itertools import permutations

import pytest

from netaudit.model import AccessLevel, Capability, Enforcement, FindingKind, Route, Status
from netaudit.render.view import SEVERITY, AuditView, ProfileView, build_view, platform_ids, severity, worst
from tests.unit import render_run


@pytest.fixture(scope="module")
def view() -> AuditView:
    return build_view(render_run.audit_run())


def _profile(view: AuditView, name: str) -> ProfileView:
    (found,) = [p for p in view.profiles if p.name == name]
    return found


def test_severity_orders_every_kind_once_worst_first() -> None:
    assert sorted(SEVERITY) == sorted(FindingKind)
    assert SEVERITY[0] is FindingKind.GAP and SEVERITY[-1] is FindingKind.OK
    for kinds in permutations([FindingKind.OK, FindingKind.INSPECTED, FindingKind.UNKNOWN, FindingKind.LEAK]):
        assert worst(kinds) is FindingKind.LEAK
    assert worst([FindingKind.OK, FindingKind.INSPECTED]) is FindingKind.INSPECTED
    assert worst([FindingKind.INSPECTED, FindingKind.UNKNOWN]) is FindingKind.UNKNOWN
    assert worst([]) is None
    assert severity(FindingKind.GAP) < severity(FindingKind.LEAK) < severity(FindingKind.DEGRADED)


def test_the_fixture_has_every_finding_kind(view: AuditView) -> None:
    assert {kind for kind in FindingKind if view.count(kind)} == set(FindingKind)
    assert view.total == len(render_run.audit_run().findings) == 25


def test_intended_matrix_is_the_written_access(view: AuditView) -> None:
    assert view.intended.rows == ("comms", "staff", "guests", "contractors", "kiosk")
    assert view.intended.columns == ("chirp", "facade")
    assert view.intended.row("comms") == (AccessLevel.POST, AccessLevel.POST)
    assert view.intended.cell("staff", "chirp") is AccessLevel.READ
    assert view.intended.cell("staff", "facade") is AccessLevel.NONE  # the profile's default
    assert view.intended.row("guests") == (AccessLevel.NONE, AccessLevel.NONE)


def test_measured_matrix_holds_the_worst_finding_per_cell(view: AuditView) -> None:
    assert view.measured.row("comms") == (FindingKind.GAP, FindingKind.OK)  # ok, degraded and gap on chirp
    assert view.measured.row("staff") == (FindingKind.LEAK, FindingKind.OK)  # inspected, ok and leak on chirp
    assert view.measured.row("guests") == (FindingKind.OK, FindingKind.LEAK)
    assert view.measured.row("contractors") == (FindingKind.UNKNOWN, FindingKind.UNKNOWN)


def test_findings_by_profile_keep_the_runs_order(view: AuditView) -> None:
    comms = _profile(view, "comms")
    assert [f.finding.id for f in comms.findings] == [
        "comms.chirp.read",
        "comms.chirp.media",
        "comms.chirp.post",
        "comms.facade.read",
        "comms.facade.post",
    ]
    assert comms.count(FindingKind.GAP) == 1 and comms.count(FindingKind.DEGRADED) == 1


def test_attention_lists_what_is_not_ok_worst_first(view: AuditView) -> None:
    assert [(f.kind.value, f.finding.id) for f in view.attention] == [
        ("gap", "comms.chirp.post"),
        ("leak", "staff.chirp.post"),
        ("leak", "guests.facade.read"),
        ("degraded", "comms.chirp.media"),
        ("inspected", "staff.chirp.read"),
    ]
    assert [f.finding.id for f in view.needs_action] == [f.finding.id for f in view.attention[:4]]
    assert all(f.finding.remediation for f in view.needs_action)


def test_a_gap_carries_its_evidence_and_remediation(view: AuditView) -> None:
    gap = view.needs_action[0]
    assert gap.allowed is True  # comms may post on chirp
    (seen,) = gap.evidence
    assert (seen.endpoint, seen.status, seen.layer) == ("chirp.post.1", Status.PROXY_DENIED, "proxy")
    assert seen.route is Route.PROXY and seen.proxy == "http://comms@proxy.test:3128" and seen.identity == "comms"
    assert seen.http_status == 403 and seen.block_page == "Squid"
    assert "denies CONNECT upload.chirp.test:443 for user comms" in gap.finding.remediation


def test_degraded_names_the_blocked_endpoint_first(view: AuditView) -> None:
    degraded = next(f for f in view.attention if f.kind is FindingKind.DEGRADED)
    assert [e.endpoint for e in degraded.evidence] == ["chirp.media.2", "chirp.media.1"]
    assert degraded.evidence[0].status is Status.PROXY_ERROR


def test_a_leak_is_not_allowed_and_shows_what_reached_the_site(view: AuditView) -> None:
    leak = next(f for f in view.attention if f.finding.id == "staff.chirp.post")
    assert leak.allowed is False and leak.finding.expected is AccessLevel.READ
    assert leak.evidence[0].status is Status.REACHABLE and leak.evidence[0].http_status == 401


def test_evidence_keeps_dns_and_tls(view: AuditView) -> None:
    inspected = next(f for f in view.attention if f.kind is FindingKind.INSPECTED)
    assert inspected.evidence[0].tls_issuer == "CN=Corp Inspection CA"
    assert inspected.evidence[0].tls_inspector == "ExampleGuard"
    guests_read = next(f for f in _profile(view, "guests").findings if f.finding.id == "guests.chirp.read")
    assert guests_read.evidence[0].dns_answers == ("0.0.0.0",) and guests_read.evidence[0].resolver == "10.0.0.53"


def test_a_password_in_a_result_is_masked() -> None:
    run = render_run.audit_run()
    secret = "hunter2-secret"
    observations = tuple(
        dataclasses.replace(r, proxy=f"http://comms:{secret}@proxy.test:3128") if r.identity == "comms" else r
        for r in run.observations
    )
    routes = tuple(
        dataclasses.replace(r, via=f"http://comms:{secret}@proxy.test:3128") if r.profile == "comms" else r
        for r in run.routes
    )
    shown = build_view(dataclasses.replace(run, observations=observations, routes=routes))
    assert secret not in repr(shown)
    assert shown.needs_action[0].evidence[0].proxy == "http://comms:***@proxy.test:3128"
    assert _profile(shown, "comms").route.via == "http://comms:***@proxy.test:3128"


def test_rules_per_profile(view: AuditView) -> None:
    staff = _profile(view, "staff").rules
    assert staff.hours == ("mon-fri 12:00-13:00 Europe/London",)
    assert staff.hours_enforced_by is Enforcement.FIREWALL
    assert staff.posting == "Staff do not post for the company" and staff.missing == ()
    kiosk = _profile(view, "kiosk").rules
    assert kiosk.hours == ("any time",) and kiosk.hours_enforced_by is None
    assert kiosk.missing == ("hours", "posting")
    assert _profile(view, "guests").rules.missing == ()  # may use nothing: no rule to write


def test_routes_come_from_the_run(view: AuditView) -> None:
    comms = _profile(view, "comms").route
    assert (comms.via, comms.identity, comms.problem, comms.control_failed) == (
        "http://comms@proxy.test:3128",
        "comms",
        "",
        False,
    )
    assert _profile(view, "contractors").route.problem == render_run.CONTRACTORS_PROBLEM
    kiosk = _profile(view, "kiosk").route
    assert kiosk.control_failed and kiosk.control is not None and kiosk.control.status is Status.TCP_TIMEOUT
    assert view.control_failures == (kiosk,)


def test_a_run_without_routes_gets_them_from_its_results() -> None:
    view = build_view(render_run.audit_run(complete=False))
    assert _profile(view, "staff").route.via == "http://staff@proxy.test:3128"
    assert _profile(view, "staff").route.identity == "staff"
    assert _profile(view, "kiosk").route.via == "direct"
    assert _profile(view, "contractors").route.problem == render_run.CONTRACTORS_PROBLEM
    assert view.control_failures == () and view.missing_capabilities == ()
    assert [p.id for p in view.platforms] == ["chirp", "facade"]
    assert [p.name for p in view.platforms] == ["chirp", "facade"]  # names need run.platforms


def test_platforms_come_from_the_run_or_else_its_findings() -> None:
    assert platform_ids(render_run.audit_run()) == ("chirp", "facade")
    assert platform_ids(render_run.audit_run(complete=False)) == ("chirp", "facade")
    assert [p.name for p in build_view(render_run.audit_run()).platforms] == ["Chirp", "Facade <Book>"]


def test_what_could_not_be_tested(view: AuditView) -> None:
    groups = {group.profile: group for group in view.untested}
    assert set(groups) == {"contractors", "kiosk"}
    assert groups["contractors"].reason == render_run.CONTRACTORS_PROBLEM
    assert len(groups["contractors"].checks) == 5
    assert groups["contractors"].status is None and groups["contractors"].control is None
    kiosk = groups["kiosk"]
    assert kiosk.control is not None and kiosk.control.url == "https://control.example/"
    assert (kiosk.status, kiosk.reason) == (Status.TCP_TIMEOUT, "no answer to TCP SYN from control.example:443")
    assert ("chirp", Capability.POST) in groups["kiosk"].checks
    assert view.missing_capabilities == (
        ("chirp", (Capability.LOGIN,)),
        ("facade", (Capability.MEDIA, Capability.LOGIN)),
    )


def test_unknown_without_a_route_problem_gives_the_results_reason() -> None:
    view = build_view(render_run.audit_run(complete=False))
    reasons = [(group.status, group.reason) for group in view.untested if group.profile == "kiosk"]
    assert reasons == [
        (Status.DNS_ERROR, "no answer from 127.0.0.53"),
        (Status.TIMEOUT, "timeout at https://img.chirp.test/"),
        (Status.TIMEOUT, "timeout at https://upload.chirp.test/"),
        (Status.TIMEOUT, "timeout at https://api.facade.test/"),
    ]
    (dns,) = [group for group in view.untested if group.status is Status.DNS_ERROR]
    assert dns.checks == (("chirp", Capability.READ), ("facade", Capability.READ))  # one reason, one line


def test_the_view_is_frozen(view: AuditView) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.site = "elsewhere"  # type: ignore[misc]
    assert view.host == "audit-ws1" and view.site == "london" and view.catalog_version == "sha256:0123abcd"


def test_which_side_of_firewall_hours_the_audit_saw(view: AuditView) -> None:
    run = render_run.audit_run()
    # 11:30 UTC is 12:30 in London in July: inside the staff's lunch hour, so the open side was verified.
    assert _profile(view, "staff").rules.seen_in_hours is True
    assert _profile(view, "comms").rules.seen_in_hours is None  # hours enforced by policy: nothing to verify
    assert _profile(view, "kiosk").rules.seen_in_hours is None  # no hours at all
    policy = run.policy
    unprobed = dataclasses.replace(policy.profiles["contractors"], rules=policy.profiles["staff"].rules)
    policy = dataclasses.replace(policy, profiles={**policy.profiles, "contractors": unprobed})
    shown = build_view(dataclasses.replace(run, policy=policy))
    assert _profile(shown, "contractors").rules.hours_enforced_by is Enforcement.FIREWALL
    assert _profile(shown, "contractors").rules.seen_in_hours is None  # not probed: neither side was seen
    later = tuple(dataclasses.replace(f, probed_at="2026-07-01T12:30:00+00:00") for f in run.findings)
    assert _profile(build_view(dataclasses.replace(run, findings=later)), "staff").rules.seen_in_hours is False


def test_every_observation_is_in_the_evidence_appendix(view: AuditView) -> None:
    run = render_run.audit_run()
    assert len(view.observations) == len(run.observations) == 24
    first = view.observations[0]
    assert first.profiles == ("comms",) and first.evidence.endpoint == "chirp.read.1"
    assert first.evidence.started_at == render_run.WHEN and first.evidence.elapsed_ms == 12.0

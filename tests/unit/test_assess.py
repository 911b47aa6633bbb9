"""Assessment: expected against observed, with an injected probe time (each result's started_at)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netaudit.assess import assess
from netaudit.catalog import Catalog
from netaudit.model import (
    Capability,
    Endpoint,
    FindingKind,
    HttpEvidence,
    Layer,
    Platform,
    PolicySet,
    ProbeResult,
    Route,
    Status,
)
from netaudit.policy import load_policy

CHIRP = Platform(
    id="chirp",
    name="Chirp",
    endpoints=(
        Endpoint("chirp.read.1", "chirp", Capability.READ, "https://www.chirp.test/"),
        Endpoint("chirp.media.1", "chirp", Capability.MEDIA, "https://img.chirp.test/"),
        Endpoint("chirp.media.2", "chirp", Capability.MEDIA, "https://video.chirp.test/"),
        Endpoint("chirp.post.1", "chirp", Capability.POST, "https://upload.chirp.test/"),
    ),
)
CATALOG = Catalog(platforms={"chirp": CHIRP})
# Summer time in London: 11:30 UTC is 12:30 local (inside lunch), 12:30 UTC is 13:30 local (outside).
LUNCH_SUMMER = "2026-07-01T11:30:00+00:00"
AFTER_LUNCH_SUMMER = "2026-07-01T12:30:00+00:00"
# Winter time: 12:30 UTC is 12:30 local (inside lunch).
LUNCH_WINTER = "2026-11-25T12:30:00+00:00"

PROFILES = """
[organization]
name = "Chirp Corp"
owner = "Comms"
timezone = "Europe/London"

[profiles.poster]
proxy_user = "poster"
proxy_password_env = "PW"
access = { chirp = "post" }
[profiles.poster.rules]
hours = ["mon-sun 00:00-24:00"]
hours_enforced_by = "policy"
posting = "approved"
content = "brand guide"

[profiles.lunch]
proxy_user = "lunch"
proxy_password_env = "PW"
access = { chirp = "read" }
[profiles.lunch.rules]
hours = ["mon-fri 12:00-13:00"]
hours_enforced_by = "firewall"
posting = "no posting"

[profiles.reader]
proxy_user = "reader"
proxy_password_env = "PW"
access = { chirp = "read" }
"""


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    path = tmp_path_factory.mktemp("assess") / "profiles.toml"
    path.write_text(PROFILES)
    return load_policy([Path(path)], {"chirp": "chirp"})


def _results(when: str = LUNCH_SUMMER, **statuses: Status) -> dict[str, ProbeResult]:
    results = {}
    for endpoint in CHIRP.endpoints:
        status = statuses.get(endpoint.id.replace(".", "_"), Status.REACHABLE)
        results[endpoint.id] = ProbeResult(
            id=endpoint.id,
            url=endpoint.url,
            platform="chirp",
            capability=endpoint.capability,
            status=status,
            layer=Layer.HTTP if status.works else Layer.PROXY,
            detail=f"{status.value} detail",
            route=Route.PROXY,
            proxy="http://x:***@proxy.test:3128",
            identity="x",
            http=HttpEvidence(status=200),
            started_at=when,
        )
    return results


def _kinds(policy: PolicySet, profile: str, results: dict[str, ProbeResult]) -> dict[str, FindingKind]:
    findings, _ = assess(policy, CATALOG, {name: results for name in policy.profiles}, {})
    return {f.capability.value: f.finding for f in findings if f.profile == profile}


def test_everything_works_for_a_poster(policy: PolicySet) -> None:
    assert _kinds(policy, "poster", _results()) == {"read": "ok", "media": "ok", "post": "ok"}


def test_blocked_upload_host_is_a_gap_with_remediation(policy: PolicySet) -> None:
    results = _results(chirp_post_1=Status.PROXY_DENIED)
    findings, readiness = assess(policy, CATALOG, {"poster": results}, {})
    (post,) = [f for f in findings if f.profile == "poster" and f.capability is Capability.POST]
    assert post.finding is FindingKind.GAP
    assert "denies CONNECT upload.chirp.test:443 for user x" in post.remediation
    assert "profile poster should post on Chirp" in post.remediation
    assert not {v.profile: v for v in readiness.profiles}["poster"].ready


def test_site_opens_but_cdn_blocked_is_degraded(policy: PolicySet) -> None:
    both = _results(chirp_media_1=Status.TCP_TIMEOUT, chirp_media_2=Status.DNS_SINKHOLE)
    assert _kinds(policy, "poster", both)["media"] is FindingKind.DEGRADED
    one = _results(chirp_media_2=Status.BLOCK_PAGE)
    assert _kinds(policy, "poster", one)["media"] is FindingKind.DEGRADED


def test_site_blocked_everywhere_is_a_gap(policy: PolicySet) -> None:
    blocked = {e.id.replace(".", "_"): Status.PROXY_DENIED for e in CHIRP.endpoints}
    assert set(_kinds(policy, "poster", _results(**blocked)).values()) == {FindingKind.GAP}


def test_tls_inspection_is_reported(policy: PolicySet) -> None:
    assert _kinds(policy, "poster", _results(chirp_read_1=Status.INSPECTED))["read"] is FindingKind.INSPECTED


def test_site_failing_is_unknown_not_a_gap(policy: PolicySet) -> None:
    assert _kinds(policy, "poster", _results(chirp_read_1=Status.HTTP_ERROR))["read"] is FindingKind.UNKNOWN


def test_reader_posting_is_a_leak_and_blocked_posting_is_ok(policy: PolicySet) -> None:
    assert _kinds(policy, "reader", _results())["post"] is FindingKind.LEAK
    assert _kinds(policy, "reader", _results(chirp_post_1=Status.PROXY_DENIED))["post"] is FindingKind.OK


@pytest.mark.parametrize(
    ("when", "blocked", "expected"),
    [
        (LUNCH_SUMMER, False, FindingKind.OK),  # 12:30 BST: lunch, open
        (LUNCH_SUMMER, True, FindingKind.GAP),  # lunch, but blocked
        (AFTER_LUNCH_SUMMER, True, FindingKind.OK),  # 13:30 BST: closed, as the firewall rule says
        (AFTER_LUNCH_SUMMER, False, FindingKind.LEAK),  # 13:30 BST: open although the firewall should close it
        (LUNCH_WINTER, False, FindingKind.OK),  # 12:30 GMT: lunch
    ],
)
def test_firewall_hours_at_the_moment_of_the_probe(
    policy: PolicySet, when: str, blocked: bool, expected: FindingKind
) -> None:
    results = _results(when, chirp_read_1=Status.PROXY_DENIED) if blocked else _results(when)
    assert _kinds(policy, "lunch", results)["read"] is expected


def test_leak_outside_hours_says_so(policy: PolicySet) -> None:
    findings, _ = assess(policy, CATALOG, {"lunch": _results(AFTER_LUNCH_SUMMER)}, {})
    (read,) = [f for f in findings if f.profile == "lunch" and f.capability is Capability.READ]
    assert read.expected == "none"
    assert "outside its hours (mon-fri 12:00-13:00 Europe/London)" in read.remediation


def test_unavailable_profile_is_unknown_and_not_ready(policy: PolicySet) -> None:
    findings, readiness = assess(policy, CATALOG, {}, {"reader": "set PW to the password of reader"})
    mine = [f for f in findings if f.profile == "reader"]
    assert {f.finding for f in mine} == {FindingKind.UNKNOWN}
    verdict = {v.profile: v for v in readiness.profiles}["reader"]
    assert not verdict.ready and any("set PW" in reason for reason in verdict.reasons)


def test_missing_rules_make_a_profile_not_ready(policy: PolicySet) -> None:
    results = _results(chirp_post_1=Status.PROXY_DENIED)
    _, readiness = assess(policy, CATALOG, {name: results for name in policy.profiles}, {})
    reader = {v.profile: v for v in readiness.profiles}["reader"]
    assert not reader.ready
    assert reader.missing_rules == ("hours", "posting")
    assert "no hours rule written down" in reader.reasons
    assert {v.profile: v for v in readiness.profiles}["lunch"].ready


def test_unreachable_proxy_is_inconclusive_but_a_proxy_5xx_blocks(policy: PolicySet) -> None:
    from dataclasses import replace

    results = _results(chirp_post_1=Status.PROXY_ERROR)
    unreachable = {**results, "chirp.post.1": replace(results["chirp.post.1"], http=None)}
    assert _kinds(policy, "reader", unreachable)["post"] is FindingKind.UNKNOWN
    answered = {**results, "chirp.post.1": replace(results["chirp.post.1"], http=HttpEvidence(status=503))}
    assert _kinds(policy, "reader", answered)["post"] is FindingKind.OK

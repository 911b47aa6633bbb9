"""What every form says in words: expectations, who acts, the actions that matter most, the sides of firewall hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from netaudit.hours import parse_window
from netaudit.model import AccessLevel, Capability, Enforcement, Finding, FindingKind, Rules
from netaudit.render.view import build_view
from netaudit.render.wording import (
    AUDITOR,
    DNS_TEAM,
    FIREWALL_TEAM,
    MAX_ACTIONS,
    POLICY_OWNER,
    PROXY_TEAM,
    Action,
    _most_urgent,
    expectation,
    moment,
    other_side,
)
from tests.fixtures.run import fixture_run

LONDON = ZoneInfo("Europe/London")


def _finding(capability: Capability, expected: AccessLevel) -> Finding:
    return Finding("p.x.c", "p", "x", capability, FindingKind.OK, expected, "reachable", ("x.c.1",))


@pytest.mark.parametrize(
    ("capability", "expected", "configured", "said"),
    [
        (Capability.POST, AccessLevel.POST, AccessLevel.POST, "may post: posting must work"),
        (Capability.MEDIA, AccessLevel.POST, AccessLevel.POST, "may post: loading media must work"),
        (Capability.READ, AccessLevel.READ, AccessLevel.READ, "may read: reading must work"),
        (Capability.POST, AccessLevel.READ, AccessLevel.READ, "read only: posting must be blocked"),
        (Capability.LOGIN, AccessLevel.NONE, AccessLevel.NONE, "no access: signing in must be blocked"),
        (
            Capability.READ,
            AccessLevel.NONE,
            AccessLevel.READ,
            "outside its hours (mon-fri 12:00-13:00): reading must be blocked",
        ),
    ],
)
def test_expected_is_what_the_profile_may_do(
    capability: Capability, expected: AccessLevel, configured: AccessLevel, said: str
) -> None:
    assert expectation(_finding(capability, expected), configured, "mon-fri 12:00-13:00") == said


def test_the_fixtures_actions_name_every_team_once_worst_first() -> None:
    view = build_view(fixture_run())
    whos = [action.who for action in view.actions]
    assert whos == [PROXY_TEAM, FIREWALL_TEAM, DNS_TEAM, f"{POLICY_OWNER} (Corporate Communications)", AUDITOR]
    gap, leaks, degraded, rules, auditor = view.actions
    assert gap.refs == ("communications.facebook.post",) and gap.what.startswith("open graph.facebook.com")
    assert len(leaks.refs) == 6 and leaks.what.startswith("block ")
    assert "must be blocked" in leaks.what and "degraded" in degraded.what
    assert rules.what == "write down the hours rule of branch"
    assert "http://proxy.branch.example:3128" in auditor.what
    # Who acts on each finding follows from the layer that decided it.
    who = {f.finding.id: f.who for f in view.attention}
    assert who["communications.facebook.post"] == PROXY_TEAM  # the proxy denied CONNECT
    assert who["communications.linkedin.media"] == DNS_TEAM  # a sinkhole
    assert who["staff.facebook.read"] == FIREWALL_TEAM  # reachable directly
    assert all(not f.who for p in view.profiles for f in p.findings if f.kind in (FindingKind.OK, FindingKind.UNKNOWN))


def test_each_team_gets_its_first_action_before_any_second_one() -> None:
    ranked = [
        Action("a", "1"),
        Action("a", "2"),
        Action("a", "3"),
        Action("b", "4"),
        Action("a", "5"),
        Action("c", "6"),
    ]
    assert [a.what for a in _most_urgent(ranked)] == ["1", "2", "3", "4", "6"]
    many = [Action(str(n), str(n)) for n in range(9)]
    assert len(_most_urgent(many)) == MAX_ACTIONS == 5
    assert _most_urgent([]) == ()


def _rules(*hours: str) -> Rules:
    return Rules(hours=tuple(parse_window(h) for h in hours), hours_text=hours)


@pytest.mark.parametrize(
    ("hours", "when", "inside", "other"),
    [
        # Inside a lunch hour (12:30 London, summer time): the closed side from 13:00 the same day.
        (("mon-fri 12:00-13:00",), "2026-07-01T11:30:00+00:00", True, "2026-07-01T13:00"),
        # Friday afternoon, outside: the open side next Monday at noon.
        (("mon-fri 12:00-13:00",), "2026-07-03T14:00:00+00:00", False, "2026-07-06T12:00"),
        # A window across midnight, seen at 23:00: closed from 02:00 the next day.
        (("fri 22:00-02:00",), "2026-07-03T22:00:00+00:00", True, "2026-07-04T02:00"),
        # Every hour of every day: there is no closed side.
        (("daily 00:00-24:00",), "2026-07-03T22:00:00+00:00", True, None),
    ],
)
def test_the_other_side_of_the_hours(hours: tuple[str, ...], when: str, inside: bool, other: str | None) -> None:
    found = other_side(_rules(*hours), datetime.fromisoformat(when), LONDON, inside)
    assert (found.strftime("%Y-%m-%dT%H:%M") if found else None) == other


def test_moment_is_on_the_organisations_clock() -> None:
    assert moment(datetime.fromisoformat("2026-07-01T11:30:00+00:00"), LONDON) == "Wed 1 Jul 2026 12:30 Europe/London"
    assert moment(datetime.fromisoformat("2026-11-30T10:15:00+00:00"), LONDON) == "Mon 30 Nov 2026 10:15 Europe/London"


def test_the_view_says_which_side_of_firewall_hours_was_seen() -> None:
    view = build_view(fixture_run())
    (staff,) = [p for p in view.profiles if p.name == "staff"]
    assert staff.rules.seen_in_hours is True
    assert staff.rules.seen_at == "Mon 30 Nov 2026 10:15 Europe/London"
    assert staff.rules.other_side_at == "Mon 30 Nov 2026 18:00 Europe/London"
    others = [p for p in view.profiles if p.rules.hours_enforced_by is not Enforcement.FIREWALL]
    assert others and all(p.rules.seen_in_hours is None and p.rules.other_side_at == "" for p in others)

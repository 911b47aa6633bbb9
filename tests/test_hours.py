"""Hours windows and the access expected at an instant, with an injected clock (no real time is read)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netaudit.hours import (
    describe_hours,
    expected_access,
    format_window,
    in_hours,
    parse_window,
)
from netaudit.model import AccessLevel, Enforcement, Profile, Rules, TimeWindow
from netaudit.policy import load_policy
from netaudit.resources import builtin_profiles_dir

LONDON = ZoneInfo("Europe/London")
FORM = "expected 'DAYS HH:MM-HH:MM', e.g. 'mon-fri 12:00-13:00' or 'daily 00:00-24:00'"
DAYS_HINT = "use mon, tue, wed, thu, fri, sat, sun or daily"


def clock(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> Callable[[], datetime]:
    """A fixed clock reading the given UTC time (what the audit passes in at each probe)."""
    instant = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return lambda: instant


def rules(*hours: str, enforced_by: Enforcement | None = Enforcement.FIREWALL) -> Rules:
    return Rules(hours=tuple(parse_window(text) for text in hours), hours_text=hours, hours_enforced_by=enforced_by)


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("mon 09:00-17:00", {0}, 540, 1020),
        ("mon-fri 12:00-13:00", {0, 1, 2, 3, 4}, 720, 780),
        ("sat-sun 10:00-12:00", {5, 6}, 600, 720),
        ("fri-mon 10:00-11:00", {4, 5, 6, 0}, 600, 660),
        ("mon,wed,fri 08:00-09:00", {0, 2, 4}, 480, 540),
        ("mon-tue,thu 08:00-09:00", {0, 1, 3}, 480, 540),
        ("daily 00:00-24:00", set(range(7)), 0, 1440),
        ("mon-sun 00:00-24:00", set(range(7)), 0, 1440),
        ("  Mon - Fri   9:00 - 17:30 ", {0, 1, 2, 3, 4}, 540, 1050),
        ("fri 22:00-02:00", {4}, 1320, 120),
    ],
)
def test_parse_window(text: str, days: set[int], start: int, end: int) -> None:
    assert parse_window(text) == TimeWindow(days=frozenset(days), start=start, end=end)


def test_a_window_ending_before_it_starts_crosses_midnight() -> None:
    assert parse_window("fri 22:00-02:00").crosses_midnight
    assert not parse_window("fri 12:00-24:00").crosses_midnight


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", f"empty; {FORM}"),
        ("mon-fri", f"missing time range; {FORM}"),
        ("12:00-13:00", f"missing days before the times; {FORM}"),
        ("mon 12:00", f"bad time range '12:00'; {FORM}"),
        ("mon 12:00-", f"bad time range '12:00-'; {FORM}"),
        ("mon 12:00-13:00 weekly", f"unexpected 'weekly' after the time range; {FORM}"),
        ("mon-xyz 12:00-13:00", f"unknown day 'xyz'; {DAYS_HINT}"),
        ("mon,,fri 12:00-13:00", f"a day is missing in the days; {DAYS_HINT}"),
        ("mon-tue-wed 12:00-13:00", "bad day range 'mon-tue-wed'; write a range as 'mon-fri'"),
        ("mon 25:00-26:00", "bad time '25:00': hours go from 00 to 23 (24:00 only as the end)"),
        ("mon 12:60-13:00", "bad time '12:60': minutes go from 00 to 59"),
        ("mon noon-13:00", "bad time 'noon'; expected HH:MM, e.g. 09:30"),
        ("mon 24:00-02:00", "24:00 can only end a window; start the day at 00:00"),
        ("mon 12:00-12:00", "empty window: it starts when it ends; for a whole day write 00:00-24:00"),
        ("mon 00:00-00:00", "empty window: it starts when it ends; for a whole day write 00:00-24:00"),
        ("mon ١٢:00-13:00", "bad time '١٢:00'; expected HH:MM, e.g. 09:30"),  # ASCII digits only
    ],
)
def test_parse_window_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_window(text)
    assert str(caught.value) == message


WINDOWS = st.builds(
    TimeWindow,
    days=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    start=st.integers(min_value=0, max_value=1439),
    end=st.integers(min_value=0, max_value=1440),
).filter(lambda window: window.start != window.end)


@settings(max_examples=300, deadline=None)
@given(WINDOWS)
def test_format_window_reads_back(window: TimeWindow) -> None:
    assert parse_window(format_window(window)) == window


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("mon,tue,wed,thu,fri 12:00-13:00", "mon-fri 12:00-13:00"),
        ("sun,fri,sat,mon 10:00-11:00", "fri-mon 10:00-11:00"),
        ("mon-sun 00:00-24:00", "daily 00:00-24:00"),
        ("sun,mon,wed 9:05-9:10", "sun-mon,wed 09:05-09:10"),
    ],
)
def test_format_window(text: str, shown: str) -> None:
    assert format_window(parse_window(text)) == shown


def test_describe_hours() -> None:
    assert describe_hours(rules("mon-fri 12:00-13:00", "fri 22:00-02:00"), LONDON) == [
        "mon-fri 12:00-13:00 Europe/London",
        "fri 22:00-02:00 Europe/London (until 02:00 the next day)",
    ]
    assert describe_hours(Rules(), LONDON) == ["any time"]


# --- in hours ---------------------------------------------------------------------------------

# 2026-01-14 is a Wednesday; London is on GMT (UTC+0) in January and on BST (UTC+1) in July.


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (clock(2026, 1, 14, 12, 0), True),  # Wednesday, the first minute of lunch
        (clock(2026, 1, 14, 12, 59, 59), True),
        (clock(2026, 1, 14, 13, 0), False),  # the end is not included
        (clock(2026, 1, 14, 11, 59), False),
        (clock(2026, 1, 14, 10, 40), True),  # the morning break
        (clock(2026, 1, 14, 10, 45), False),
        (clock(2026, 1, 14, 15, 30), True),  # the afternoon break
        (clock(2026, 1, 17, 12, 30), False),  # Saturday
        (clock(2026, 1, 18, 12, 30), False),  # Sunday
        (clock(2026, 1, 16, 12, 30), True),  # Friday
    ],
)
def test_weekday_lunch_and_breaks(now: Callable[[], datetime], expected: bool) -> None:
    staff = rules("mon-fri 10:30-10:45", "mon-fri 12:00-13:00", "mon-fri 15:30-15:45")
    assert in_hours(staff, now(), LONDON) is expected


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("mon-fri 09:00-17:00", clock(2026, 1, 14, 10, 0), True),
        ("mon-fri 09:00-17:00", clock(2026, 1, 17, 10, 0), False),
        ("fri-mon 10:00-11:00", clock(2026, 1, 18, 10, 30), True),  # Sunday, inside a wrapping range
        ("fri-mon 10:00-11:00", clock(2026, 1, 19, 10, 30), True),  # Monday
        ("fri-mon 10:00-11:00", clock(2026, 1, 20, 10, 30), False),  # Tuesday
        ("mon,wed,fri 10:00-11:00", clock(2026, 1, 14, 10, 30), True),
        ("mon,wed,fri 10:00-11:00", clock(2026, 1, 15, 10, 30), False),
        ("daily 00:00-24:00", clock(2026, 1, 18, 23, 59, 59), True),
    ],
)
def test_day_ranges(text: str, now: Callable[[], datetime], expected: bool) -> None:
    assert in_hours(rules(text), now(), LONDON) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (clock(2026, 1, 16, 21, 59), False),  # Friday, before the window
        (clock(2026, 1, 16, 22, 0), True),  # Friday 22:00
        (clock(2026, 1, 16, 23, 30), True),
        (clock(2026, 1, 17, 0, 0), True),  # Saturday midnight: still Friday's window
        (clock(2026, 1, 17, 1, 0), True),  # Saturday 01:00
        (clock(2026, 1, 17, 2, 0), False),  # the end is not included
        (clock(2026, 1, 17, 3, 0), False),  # Saturday 03:00
        (clock(2026, 1, 17, 22, 30), False),  # Saturday evening: the window starts on Fridays only
        (clock(2026, 1, 16, 1, 0), False),  # Friday 01:00 belongs to Thursday, not listed
    ],
)
def test_a_window_crossing_midnight_belongs_to_the_day_it_starts(now: Callable[[], datetime], expected: bool) -> None:
    assert in_hours(rules("fri 22:00-02:00"), now(), ZoneInfo("UTC")) is expected


def test_a_window_crossing_midnight_on_sunday_wraps_to_monday() -> None:
    assert in_hours(rules("sun 23:00-01:00"), datetime(2026, 1, 19, 0, 30, tzinfo=UTC), LONDON)
    assert not in_hours(rules("sun 23:00-01:00"), datetime(2026, 1, 20, 0, 30, tzinfo=UTC), LONDON)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Saturday 28 March 2026: still GMT, 12:00-13:00 London is 12:00-13:00 UTC.
        (clock(2026, 3, 28, 11, 30), False),
        (clock(2026, 3, 28, 12, 30), True),
        # Sunday 29 March 2026: clocks go forward at 01:00 UTC; 12:00-13:00 BST is 11:00-12:00 UTC.
        (clock(2026, 3, 29, 11, 30), True),
        (clock(2026, 3, 29, 12, 30), False),
        (clock(2026, 7, 15, 11, 30), True),  # summer
        (clock(2026, 7, 15, 12, 30), False),
        # Saturday 24 October 2026: still BST.
        (clock(2026, 10, 24, 11, 30), True),
        (clock(2026, 10, 24, 12, 30), False),
        # Sunday 25 October 2026: clocks go back at 01:00 UTC; 12:00-13:00 GMT is 12:00-13:00 UTC.
        (clock(2026, 10, 25, 11, 30), False),
        (clock(2026, 10, 25, 12, 30), True),
    ],
)
def test_daylight_saving_in_the_organisations_timezone(now: Callable[[], datetime], expected: bool) -> None:
    assert in_hours(rules("daily 12:00-13:00"), now(), LONDON) is expected


def test_the_instant_may_come_in_any_timezone() -> None:
    new_york = datetime(2026, 7, 15, 7, 30, tzinfo=ZoneInfo("America/New_York"))  # 11:30 UTC, 12:30 BST
    assert in_hours(rules("wed 12:00-13:00"), new_york, LONDON)
    assert in_hours(
        rules("wed 12:00-13:00"), datetime(2026, 7, 15, 12, 30, tzinfo=timezone(timedelta(hours=1))), LONDON
    )


def test_the_night_the_clocks_go_back_counts_by_the_wall_clock() -> None:
    # 01:00-02:00 London happens twice on 25 October 2026 (00:00-01:00 UTC in BST, 01:00-02:00 UTC in GMT).
    night = rules("sun 01:00-02:00")
    assert in_hours(night, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), LONDON)
    assert in_hours(night, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), LONDON)
    assert not in_hours(night, datetime(2026, 10, 25, 2, 30, tzinfo=UTC), LONDON)


def test_no_hours_means_always_in_hours() -> None:
    assert in_hours(Rules(), datetime(2026, 1, 17, 3, 0, tzinfo=UTC), LONDON)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        in_hours(rules("daily 12:00-13:00"), datetime(2026, 1, 14, 12, 0), LONDON)
    with pytest.raises(ValueError, match="timezone-aware"):
        in_hours(Rules(), datetime(2026, 1, 14, 12, 0), LONDON)


# --- expected access --------------------------------------------------------------------------

LUNCH = clock(2026, 1, 14, 12, 30)
EVENING = clock(2026, 1, 14, 19, 0)


def profile(level: AccessLevel, enforced_by: Enforcement | None, *hours: str) -> Profile:
    return Profile(
        name="p",
        access={"facebook": level},
        default=AccessLevel.NONE,
        rules=rules(*hours, enforced_by=enforced_by),
    )


@pytest.mark.parametrize(
    ("who", "now", "expected"),
    [
        (profile(AccessLevel.READ, Enforcement.FIREWALL, "mon-fri 12:00-13:00"), LUNCH, AccessLevel.READ),
        (profile(AccessLevel.READ, Enforcement.FIREWALL, "mon-fri 12:00-13:00"), EVENING, AccessLevel.NONE),
        # Hours kept by policy are a written rule: the network is expected to let them through.
        (profile(AccessLevel.POST, Enforcement.POLICY, "mon-fri 12:00-13:00"), LUNCH, AccessLevel.POST),
        (profile(AccessLevel.POST, Enforcement.POLICY, "mon-fri 12:00-13:00"), EVENING, AccessLevel.POST),
        (profile(AccessLevel.POST, None), EVENING, AccessLevel.POST),  # no hours: always
        (profile(AccessLevel.NONE, Enforcement.FIREWALL, "mon-fri 12:00-13:00"), LUNCH, AccessLevel.NONE),
    ],
)
def test_expected_access(who: Profile, now: Callable[[], datetime], expected: AccessLevel) -> None:
    assert expected_access(who, "facebook", now(), LONDON) is expected
    assert expected_access(who, "reddit", now(), LONDON) is AccessLevel.NONE  # not listed: the default


def test_expected_access_of_the_example_profiles_through_the_day() -> None:
    known = {name: name for name in ("facebook", "instagram", "linkedin", "x", "youtube", "tiktok", "pinterest")}
    policy = load_policy([builtin_profiles_dir() / "example-corp.toml"], known | {"reddit": "reddit"})
    tz = ZoneInfo(policy.organization.timezone)
    staff, marketing = policy.profiles["staff"], policy.profiles["marketing"]
    summer_lunch = datetime(2026, 7, 15, 11, 30, tzinfo=UTC)  # Wednesday 12:30 BST
    summer_afternoon = datetime(2026, 7, 15, 12, 30, tzinfo=UTC)  # 13:30 BST: lunch is over
    assert expected_access(staff, "youtube", summer_lunch, tz) is AccessLevel.READ
    assert expected_access(staff, "youtube", summer_afternoon, tz) is AccessLevel.NONE
    saturday = datetime(2026, 7, 18, 11, 30, tzinfo=UTC)
    assert expected_access(marketing, "linkedin", saturday, tz) is AccessLevel.POST  # policy: unchanged
    assert expected_access(marketing, "tiktok", saturday, tz) is AccessLevel.READ

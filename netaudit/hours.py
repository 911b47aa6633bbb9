"""A profile's hours: parsing `"mon-fri 12:00-13:00"`, and the access expected at a given instant.

Pure functions: the instant is always passed in (an aware datetime), never read from a clock here.
Windows are wall-clock times in the organisation's timezone, so daylight saving is followed: a
12:00-13:00 window in Europe/London is 11:00-12:00 UTC in summer and 12:00-13:00 UTC in winter.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from netaudit.model import AccessLevel, Enforcement, Profile, Rules, TimeWindow

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(range(7))
_MINUTES_PER_DAY = 24 * 60
_FORM = "expected 'DAYS HH:MM-HH:MM', e.g. 'mon-fri 12:00-13:00' or 'daily 00:00-24:00'"
_DAY_HINT = "use mon, tue, wed, thu, fri, sat, sun or daily"
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)


def parse_window(text: str) -> TimeWindow:
    """Parse one hours entry: days, a space, then `HH:MM-HH:MM`.

    Days: `mon`, a range `mon-fri` (wrapping ranges such as `fri-mon` allowed), a comma list
    `mon,wed,fri` (of days or ranges), or `daily`. Times: 00:00 to 23:59, and `24:00` as an end.
    An end before the start crosses midnight (`fri 22:00-02:00`); an end equal to the start is an
    empty window and refused. Raises ValueError with a one-line message naming what is wrong.
    """
    # Spaces around ',' and '-' do not matter: "mon - fri 12:00 - 13:00" is "mon-fri 12:00-13:00".
    normal = re.sub(r"\s*([,-])\s*", r"\1", text.strip()).lower()
    parts = normal.split()
    if not parts:
        raise ValueError(f"empty; {_FORM}")
    if len(parts) == 1:
        if _TIME.search(parts[0]):
            raise ValueError(f"missing days before the times; {_FORM}")
        raise ValueError(f"missing time range; {_FORM}")
    if len(parts) > 2:
        raise ValueError(f"unexpected {' '.join(parts[2:])!r} after the time range; {_FORM}")
    start, end = _parse_times(parts[1])
    days = _parse_days(parts[0])
    return TimeWindow(days=days, start=start, end=end)


def _parse_day(name: str) -> int:
    if name not in DAY_NAMES:
        if not name:
            raise ValueError(f"a day is missing in the days; {_DAY_HINT}")
        raise ValueError(f"unknown day {name!r}; {_DAY_HINT}")
    return DAY_NAMES.index(name)


def _parse_days(spec: str) -> frozenset[int]:
    if spec == "daily":
        return ALL_DAYS
    days: set[int] = set()
    for item in spec.split(","):
        ends = item.split("-")
        if len(ends) == 1:
            days.add(_parse_day(ends[0]))
        elif len(ends) == 2:
            first, last = _parse_day(ends[0]), _parse_day(ends[1])
            # A range that goes "backwards" wraps over the weekend: fri-mon is fri, sat, sun, mon.
            span = (last - first) % 7
            days.update((first + offset) % 7 for offset in range(span + 1))
        else:
            raise ValueError(f"bad day range {item!r}; write a range as 'mon-fri'")
    return frozenset(days)


def _parse_time(text: str, *, is_end: bool) -> int:
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"bad time {text!r}; expected HH:MM, e.g. 09:30")
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59:
        raise ValueError(f"bad time {text!r}: minutes go from 00 to 59")
    if hour == 24 and minute == 0:
        if not is_end:
            raise ValueError("24:00 can only end a window; start the day at 00:00")
        return _MINUTES_PER_DAY
    if hour > 23:
        raise ValueError(f"bad time {text!r}: hours go from 00 to 23 (24:00 only as the end)")
    return hour * 60 + minute


def _parse_times(spec: str) -> tuple[int, int]:
    ends = spec.split("-")
    if len(ends) != 2 or not all(ends):
        raise ValueError(f"bad time range {spec!r}; {_FORM}")
    start = _parse_time(ends[0], is_end=False)
    end = _parse_time(ends[1], is_end=True)
    if start == end:
        raise ValueError("empty window: it starts when it ends; for a whole day write 00:00-24:00")
    return start, end


def _window_covers(window: TimeWindow, weekday: int, minute: int) -> bool:
    if not window.crosses_midnight:
        return weekday in window.days and window.start <= minute < window.end
    # Crossing midnight: the evening part on a listed day, the early part on the day after one.
    return (weekday in window.days and minute >= window.start) or (
        (weekday - 1) % 7 in window.days and minute < window.end
    )


def _local(when: datetime, tz: tzinfo) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("the instant must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return when.astimezone(tz)


def in_hours(rules: Rules, when: datetime, tz: tzinfo) -> bool:
    """True when the aware instant `when`, seen on the wall clock in `tz`, falls in one of the windows.

    A profile without hours is always in hours. Raises ValueError for a naive datetime.
    """
    local = _local(when, tz)
    if not rules.hours:
        return True
    weekday, minute = local.weekday(), local.hour * 60 + local.minute
    return any(_window_covers(window, weekday, minute) for window in rules.hours)


def expected_access(profile: Profile, platform_id: str, when: datetime, tz: tzinfo) -> AccessLevel:
    """What the network should allow this profile on this platform at the instant `when`.

    The profile's level (listed, else its default). Outside its hours, hours enforced by the
    firewall expect `none`; hours enforced by policy change nothing on the network (they are a
    written rule, reported as such). A profile without hours is always in hours.
    """
    level = profile.access_to(platform_id)
    if (
        level > AccessLevel.NONE
        and profile.rules.hours_enforced_by == Enforcement.FIREWALL
        and not in_hours(profile.rules, when, tz)
    ):
        return AccessLevel.NONE
    return level


def format_days(days: frozenset[int]) -> str:
    """The days in the hours syntax, shortest form: `daily`, `mon-fri`, `fri-mon`, `mon,wed,fri`."""
    if days >= ALL_DAYS:
        return "daily"
    if not days:
        return ""
    # Runs in week order from Monday; a run through Sunday night into Monday comes first (sun-mon).
    first = min(days)
    while (first - 1) % 7 in days:
        first = (first - 1) % 7
    runs: list[list[int]] = []
    for offset in range(7):
        day = (first + offset) % 7
        if day not in days:
            continue
        if runs and (runs[-1][-1] + 1) % 7 == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}" for run in runs)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_window(window: TimeWindow) -> str:
    """The window in the hours syntax (parse_window reads it back to the same window)."""
    return f"{format_days(window.days)} {_clock(window.start)}-{_clock(window.end)}"


def describe_hours(rules: Rules, tz: tzinfo) -> list[str]:
    """One line per window for display, with the timezone it is read in, e.g.
    `mon-fri 12:00-13:00 Europe/London`; `["any time"]` when no hours are set.
    Who enforces the hours is `rules.hours_enforced_by`, left to the caller to show.
    """
    if not rules.hours:
        return ["any time"]
    zone = getattr(tz, "key", None) or str(tz)
    lines = []
    for window in rules.hours:
        line = f"{format_window(window)} {zone}"
        if window.crosses_midnight:
            line += f" (until {_clock(window.end)} the next day)"
        lines.append(line)
    return lines

"""Both sides of a time window the firewall enforces: runs planned inside and outside, and which side was seen.

A profile whose hours are enforced by the firewall (`hours_enforced_by = "firewall"`) can only be
verified from both sides: open during a window, closed outside it. `plan_sides` proposes, for each
distinct window, one run inside it (its middle) and one outside (shortly after it closes, outside
every window of the profiles that share it), on the wall clock of the organisation's timezone.
`window_coverage` reads a site's saved runs and says, for each enforced window, when its open and
closed sides were last seen, and with what result.

Pure functions: every instant is passed in; the timezone is a `tzinfo`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from netaudit.hours import format_days, format_window, in_hours
from netaudit.model import AuditRun, Enforcement, FindingKind, PolicySet, Profile, TimeWindow

__all__ = [
    "EnforcedWindow",
    "Side",
    "SideRun",
    "SideSeen",
    "WindowCoverage",
    "enforced_windows",
    "next_dst_change",
    "next_instants",
    "plan_sides",
    "window_coverage",
]

_DAY = 24 * 60
_AFTER_CLOSE = 15
"""Minutes after a window closes at which its closed side is checked (a rule that forgets to close shows)."""
_MONDAY = date(2024, 1, 1)
_PROBLEMS = (FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED)


class Side(enum.StrEnum):
    """Which side of a window a run looks at."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class EnforcedWindow:
    """One distinct window the firewall enforces, and the profiles whose hours contain it."""

    window: TimeWindow
    profiles: tuple[str, ...]

    @property
    def text(self) -> str:
        return format_window(self.window)


@dataclass(frozen=True)
class SideRun:
    """A run proposed on one side of a window: at `minute` (wall clock) on `days` (0 = Monday)."""

    window: str
    side: Side
    days: frozenset[int]
    minute: int
    profiles: tuple[str, ...]

    @property
    def clock(self) -> str:
        return f"{self.minute // 60:02d}:{self.minute % 60:02d}"

    def describe(self, zone: str) -> str:
        where = "inside" if self.side is Side.OPEN else "outside"
        who = ", ".join(self.profiles)
        when = f"{format_days(self.days)} {self.clock} {zone}"
        return f"{self.side} side of {self.window} ({who}): {when}, {where} the window"


def _enforced(profile: Profile) -> bool:
    return profile.rules.hours_enforced_by is Enforcement.FIREWALL and bool(profile.rules.hours)


def enforced_windows(policy: PolicySet) -> list[EnforcedWindow]:
    """The distinct windows of the profiles whose hours the firewall enforces, in the order written."""
    found: dict[TimeWindow, list[str]] = {}
    for profile in policy.profiles.values():
        if _enforced(profile):
            for window in profile.rules.hours:
                found.setdefault(window, []).append(profile.name)
    return [EnforcedWindow(window, tuple(names)) for window, names in found.items()]


def _covered(profile: Profile, weekday: int, minute: int) -> bool:
    moment = datetime.combine(_MONDAY + timedelta(days=weekday), time(minute // 60, minute % 60), tzinfo=UTC)
    return in_hours(profile.rules, moment, UTC)


def _shifted(days: Iterable[int], by: int) -> frozenset[int]:
    return frozenset((day + by) % 7 for day in days)


def _length(window: TimeWindow) -> int:
    return (window.end - window.start) % _DAY or _DAY


def plan_sides(policy: PolicySet) -> list[SideRun]:
    """One run inside and one outside each distinct enforced window (none outside a window that never closes)."""
    profiles = policy.profiles
    plan: list[SideRun] = []
    for enforced in enforced_windows(policy):
        window, names = enforced.window, enforced.profiles
        middle = window.start + _length(window) // 2
        plan.append(SideRun(enforced.text, Side.OPEN, _shifted(window.days, middle // _DAY), middle % _DAY, names))
        closed = window.start + _length(window) + _AFTER_CLOSE
        for _ in range(7 * _DAY // _AFTER_CLOSE):
            days = _shifted(window.days, closed // _DAY)
            minute = closed % _DAY
            if not any(_covered(profiles[name], day, minute) for name in names for day in days):
                plan.append(SideRun(enforced.text, Side.CLOSED, days, minute, names))
                break
            closed += _AFTER_CLOSE
    return plan


def next_instants(run: SideRun, tz: tzinfo, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` instants (UTC) at the run's wall-clock time on its days, in `tz`, after `after`.

    A wall-clock time that does not exist that day (skipped by a daylight-saving change) is left out;
    one that happens twice is taken once, the first time.
    """
    found: list[datetime] = []
    day = after.astimezone(tz).date()
    while len(found) < count and day <= after.date() + timedelta(days=400):
        if day.weekday() in run.days:
            local = datetime.combine(day, time(run.minute // 60, run.minute % 60), tzinfo=tz)
            instant = local.astimezone(UTC)
            exists = instant.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None)
            if exists and instant > after:
                found.append(instant)
        day += timedelta(days=1)
    return found


def next_dst_change(tz: tzinfo, after: datetime, within_days: int = 400) -> datetime | None:
    """The first instant after `after` at which `tz`'s offset from UTC changes (to the minute); None if none."""
    start = after.astimezone(UTC)
    offset = start.astimezone(tz).utcoffset()
    low = start
    for hours in range(1, within_days * 24 + 1):
        high = start + timedelta(hours=hours)
        if high.astimezone(tz).utcoffset() != offset:
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            return high.replace(second=0, microsecond=0)
        low = high
    return None


# --- which side was seen -----------------------------------------------------------------------


@dataclass(frozen=True)
class SideSeen:
    """The latest run that looked at one side of a window: when, where, and whether the profile held."""

    at: datetime
    site: str
    held: bool
    """True when the profile had no gap, leak or degraded finding in that run."""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class WindowCoverage:
    """One enforced window of one profile, and the latest runs seen on each side (None: still unverified)."""

    profile: str
    window: str
    timezone: str
    open: SideSeen | None
    closed: SideSeen | None

    def describe(self) -> str:
        sides = f"{_side_words(Side.OPEN, self.open)}; {_side_words(Side.CLOSED, self.closed)}"
        return f"{self.profile} {self.window} {self.timezone}: {sides}"


def _side_words(side: Side, seen: SideSeen | None) -> str:
    if seen is None:
        return f"{side} side not yet verified"
    where = f" at {seen.site}" if seen.site else ""
    moment = seen.at.isoformat(timespec="minutes")
    if seen.held:
        return f"{side} side verified {moment}{where}"
    return f"{side} side checked {moment}{where}: {', '.join(seen.problems)}"


def _probed_at(run: AuditRun, profile: str) -> datetime | None:
    moments = [datetime.fromisoformat(f.probed_at) for f in run.findings if f.profile == profile and f.probed_at]
    aware = [moment for moment in moments if moment.tzinfo is not None]
    return min(aware, default=None)


def _last_close(window: TimeWindow, local: datetime) -> datetime | None:
    """The latest moment at or before `local` (wall clock) at which `window` closed."""
    for back in range(8):
        day = local.date() - timedelta(days=back)
        if day.weekday() not in window.days:
            continue
        end = datetime.combine(day, time()) + timedelta(minutes=window.start + _length(window))
        if end <= local.replace(tzinfo=None):
            return end
    return None


def _seen(run: AuditRun, profile: str, at: datetime) -> SideSeen:
    counts: dict[FindingKind, int] = {}
    for finding in run.findings:
        if finding.profile == profile and finding.finding in _PROBLEMS:
            counts[finding.finding] = counts.get(finding.finding, 0) + 1
    problems = tuple(f"{n} {kind}" for kind, n in counts.items())
    return SideSeen(at=at, site=run.site, held=not problems, problems=problems)


def window_coverage(runs: Sequence[AuditRun]) -> list[WindowCoverage]:
    """For each window the firewall enforces (per profile): the latest run on its open and closed sides.

    A run saw the open side of a window when the profile's probes ran inside it, and the closed side
    of the window that had closed last before them when they ran outside all of the profile's
    windows. Each profile is read as the newest run that audited it wrote it; the timezone is the
    newest run's.
    """
    if not runs:
        return []
    ordered = sorted(runs, key=lambda run: run.started_at)
    zone = ordered[-1].policy.organization.timezone
    tz = ZoneInfo(zone)
    # Each profile as the newest run that audited it has it (a window's run audits some profiles only).
    written = {name: profile for run in ordered for name, profile in run.policy.profiles.items()}
    sides: dict[tuple[str, TimeWindow, Side], SideSeen] = {}
    for run in ordered:
        for name, profile in written.items():
            at = _probed_at(run, name)
            if at is None or not _enforced(profile):
                continue
            local = at.astimezone(tz)
            inside = [w for w in profile.rules.hours if in_hours(replace(profile.rules, hours=(w,)), at, tz)]
            if inside:
                for window in inside:
                    sides[(name, window, Side.OPEN)] = _seen(run, name, at)
                continue
            closes = [(close, w) for w in profile.rules.hours if (close := _last_close(w, local)) is not None]
            if closes:
                sides[(name, max(closes, key=lambda pair: pair[0])[1], Side.CLOSED)] = _seen(run, name, at)
    return [
        WindowCoverage(
            profile=name,
            window=format_window(window),
            timezone=zone,
            open=sides.get((name, window, Side.OPEN)),
            closed=sides.get((name, window, Side.CLOSED)),
        )
        for name, profile in written.items()
        if _enforced(profile)
        for window in profile.rules.hours
    ]


"""`netaudit schedule`: a ready crontab, or a systemd service and timer pair, for unattended audits.

`Job` is what runs (the argv, the working folder, the file that holds the passwords' variables and
their names); `crontab` and `systemd_units` lay it out with the regular schedule (`--every`) and
the runs on both sides of each window the firewall enforces (windows.py).

Times of the window runs are the organisation's wall clock. A systemd timer carries the timezone
itself (``OnCalendar=... Europe/London``), so it follows every daylight-saving change. cron reads
the host's clock: when the host's timezone is the organisation's, the lines follow its changes too;
otherwise the lines are given for now and again for after the next change, with its date.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from netaudit.errors import InputError
from netaudit.identity import PASSWORD_ENV, password_variable
from netaudit.model import PolicySet
from netaudit.windows import SideRun, next_dst_change, next_instants

__all__ = ["EVERY", "Job", "cron_expression", "crontab", "on_calendar", "password_variables", "systemd_units"]

EVERY = {"hourly": "7 * * * *", "daily": "7 6 * * *", "weekly": "7 6 * * 1"}
"""The named schedules: seven minutes past (the hour; 06:00; Monday 06:00), off the busy full hour."""

_FIELD = re.compile(r"[0-9A-Za-z*/,-]+", re.ASCII)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SYSTEMD_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True)
class Job:
    """What a scheduled run executes: `argv` in `workdir`, with the variables in `env_file` exported."""

    argv: tuple[str, ...]
    workdir: Path
    env_file: Path
    variables: tuple[str, ...]
    """The environment variables the passwords need (names only; their values live in `env_file`)."""
    name: str = "netaudit"

    def command(self, extra: Sequence[str] = ()) -> str:
        """The shell command line (quoted for /bin/sh)."""
        return shlex.join([*self.argv, *extra])

    def cron_command(self, extra: Sequence[str] = ()) -> str:
        """The command as a crontab line holds it: cron turns an unescaped '%' into a newline."""
        return self.command(extra).replace("%", "\\%")

    def exec_start(self, extra: Sequence[str] = ()) -> str:
        """The command as ExecStart= holds it: systemd expands '%' specifiers."""
        return self.command(extra).replace("%", "%%")


def password_variables(policy: PolicySet | None, run_has_user: bool) -> tuple[str, ...]:
    """The environment variables a run's proxy passwords come from (names only), in the profiles' order.

    A profile with a proxy user needs its `proxy_password_env` (else NETAUDIT_PROXY_PASSWORD); so does
    a run with `--proxy-user` or a user in `--proxy`.
    """
    names: list[str] = [PASSWORD_ENV] if run_has_user else []
    for profile in policy.profiles.values() if policy else ():
        if profile.proxy_user:
            names.append(password_variable(profile))
    return tuple(dict.fromkeys(names))


def cron_expression(every: str) -> str:
    """The five cron fields for `hourly`, `daily`, `weekly` or a cron expression (checked); InputError if not one."""
    expression = EVERY.get(every.strip().lower(), every.strip())
    fields = expression.split()
    if len(fields) != 5 or not all(_FIELD.fullmatch(field) for field in fields):
        raise InputError(
            f"--every {every!r}: expected hourly, daily, weekly or five cron fields (minute hour day month weekday), "
            "e.g. '30 6 * * 1-5'"
        )
    on_calendar(expression)  # every field must also make sense to systemd
    return expression


def on_calendar(expression: str) -> str:
    """A systemd OnCalendar= value for a cron expression; InputError for what the two cannot both say."""
    minute, hour, day, month, weekday = expression.split()
    if day != "*" and weekday != "*":
        raise InputError(
            f"--every {expression!r}: cron runs when the day OR the weekday matches, systemd when both do; "
            "restrict one of them only"
        )
    days = _weekdays(weekday, expression)
    calendar = f"*-{_numbers(month, expression, 1, _MONTHS)}-{_numbers(day, expression, 1)} "
    calendar += f"{_numbers(hour, expression, 0)}:{_numbers(minute, expression, 0)}:00"
    return f"{days} {calendar}" if days else calendar


def _numbers(field: str, expression: str, first: int, names: Sequence[str] = ()) -> str:
    parts = []
    for part in field.lower().split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            raise InputError(f"--every {expression!r}: bad step in {field!r}")
        if base == "*":
            text = str(first) if step else "*"
        else:
            ends = [str(names.index(end) + first) if end in names else end for end in base.split("-")]
            if not all(end.isdigit() for end in ends) or len(ends) > 2 or (step and len(ends) > 1):
                raise InputError(f"--every {expression!r}: {field!r} is not a cron field netaudit can schedule")
            text = "..".join(ends)
        parts.append(f"{text}/{step}" if step else text)
    return ",".join(parts)


def _weekdays(field: str, expression: str) -> str:
    if field == "*":
        return ""
    names = []
    for part in field.lower().split(","):
        ends = []
        for end in part.split("-"):
            if end in _CRON_DAYS:
                number = _CRON_DAYS.index(end)
            elif end.isdigit() and int(end) <= 7:
                number = int(end) % 7
            else:
                raise InputError(f"--every {expression!r}: weekday {part!r} is not one netaudit can schedule")
            ends.append(_SYSTEMD_DAYS[(number - 1) % 7])
        names.append("..".join(ends))
    return ",".join(names)


def _cron_days(days: frozenset[int]) -> str:
    """Weekdays (0 = Monday) as cron's weekday field (0 = Sunday)."""
    return "*" if len(days) == 7 else ",".join(str((day + 1) % 7) for day in sorted(days))


def _side_lines(side: SideRun, host: tzinfo, org: tzinfo, at: datetime) -> list[str]:
    """Cron fields for a window run: the organisation's wall clock when the host keeps it, else the host's."""
    if _same_zone(host, org):
        return [f"{side.minute % 60} {side.minute // 60} * * {_cron_days(side.days)}"]
    lines = []
    change = next_dst_change(org, at)
    moments = [at] if change is None else [at, change]
    for moment in moments:
        (instant,) = next_instants(side, org, moment)
        local = instant.astimezone(host)
        shift = (local.date() - instant.astimezone(org).date()).days
        days = frozenset((day + shift) % 7 for day in side.days)
        lines.append(f"{local.minute} {local.hour} * * {_cron_days(days)}")
    return lines


def _same_zone(host: tzinfo, org: tzinfo) -> bool:
    return str(getattr(host, "key", host)) == str(getattr(org, "key", org))


def crontab(
    job: Job,
    every: str,
    sides: Sequence[SideRun] = (),
    *,
    org_zone: tzinfo | None = None,
    host_zone: tzinfo | None = None,
    now: datetime | None = None,
) -> str:
    """The crontab lines: the regular run, then each window side's run (commented for whoever installs them)."""
    prefix = f"cd {shlex.quote(str(job.workdir))} && "
    if job.variables:
        prefix += f"set -a && . {shlex.quote(str(job.env_file))} && set +a && "
    prefix = prefix.replace("%", "\\%")
    lines = [f"# netaudit: scheduled audit ({every}); install with `crontab -e` as the user that runs it."]
    lines += _variables_comment(job, "#")
    lines.append(f"{cron_expression(every)} {prefix}{job.cron_command()}")
    if sides:
        if org_zone is None or host_zone is None or now is None:
            raise ValueError("window runs need the organisation's and the host's timezones and the time now")
        zone = str(getattr(org_zone, "key", org_zone))
        same = _same_zone(host_zone, org_zone)
        lines.append(f"# Both sides of the hours the firewall enforces ({zone} wall clock" + (")." if same else ","))
        if not same:
            change = next_dst_change(org_zone, now)
            host = getattr(host_zone, "key", host_zone)
            lines.append(f"# written in this host's timezone, {host}: after {zone}'s next change of offset,")
            lines.append(f"# {change:%Y-%m-%d %H:%M} UTC, swap each line for the commented one below it;")
            lines.append("# or use --systemd).")
        for side in sides:
            extra = [arg for name in side.profiles for arg in ("--profile", name)]
            lines.append(f"# {side.describe(zone)}")
            for index, fields in enumerate(_side_lines(side, host_zone, org_zone, now)):
                # Only the line for the offset in force now runs; the one for after the change waits, commented.
                lines.append(f"{'# ' if index else ''}{fields} {prefix}{job.cron_command(extra)}")
    return "\n".join(lines) + "\n"


def _variables_comment(job: Job, mark: str) -> list[str]:
    if not job.variables:
        return [f"{mark} No proxy password is needed."]
    return [
        f"{mark} The proxy passwords come from {job.env_file} (NAME=value lines, readable only by this user):",
        f"{mark}   {', '.join(job.variables)}",
    ]


def _calendar_of(side: SideRun, zone: str) -> str:
    days = ",".join(_SYSTEMD_DAYS[day] for day in sorted(side.days))
    return f"{days} *-*-* {side.clock}:00 {zone}"


def systemd_units(job: Job, every: str, sides: Sequence[SideRun] = (), *, zone: str = "") -> dict[str, str]:
    """The unit files by name: ``NAME.service`` and ``NAME.timer``, plus a service and timer per window side."""
    units: dict[str, str] = {}
    units[f"{job.name}.service"] = _service(job, (), f"scheduled audit ({every})")
    units[f"{job.name}.timer"] = _timer(
        job.name, [on_calendar(cron_expression(every))], f"netaudit audit, {every}", persistent=True
    )
    for n, side in enumerate(sides, start=1):
        name = f"{job.name}-{side.side}-{n}"
        extra = [arg for profile in side.profiles for arg in ("--profile", profile)]
        units[f"{name}.service"] = _service(job, extra, side.describe(zone))
        units[f"{name}.timer"] = _timer(name, [_calendar_of(side, zone)], side.describe(zone))
    return units


def _service(job: Job, extra: Sequence[str], what: str) -> str:
    lines = [
        "[Unit]",
        f"Description=netaudit: {what}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        f"WorkingDirectory={_specifiers(str(job.workdir))}",
    ]
    if job.variables:
        lines.append(f"# {job.env_file} holds NAME=value lines for: {', '.join(job.variables)}")
        lines.append(f"EnvironmentFile={_specifiers(str(job.env_file))}")
    lines.append(f"ExecStart={job.exec_start(extra)}")
    return "\n".join(lines) + "\n"


def _specifiers(text: str) -> str:
    return text.replace("%", "%%")


def _timer(name: str, calendars: Sequence[str], what: str, *, persistent: bool = False) -> str:
    """A timer; only the regular one catches up a missed run (a window side's run is only worth it on time)."""
    lines = ["[Unit]", f"Description=netaudit timer: {what}", "", "[Timer]"]
    lines += [f"OnCalendar={calendar}" for calendar in calendars]
    lines.append(f"Unit={name}.service")
    if persistent:
        lines.append("Persistent=true")
    lines += ["", "[Install]", "WantedBy=timers.target"]
    return "\n".join(lines) + "\n"

"""`netaudit schedule`'s library: the window plan of the example organisation across the Europe/London
change to summer time, crontab lines croniter accepts and agrees with, systemd units systemd-analyze
verifies, and cron expressions turned into OnCalendar values systemd reads the same way."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from netaudit.errors import InputError
from netaudit.hours import in_hours
from netaudit.policy import load_policy
from netaudit.resources import builtin_profiles_dir
from netaudit.schedule import Job, cron_expression, crontab, on_calendar, systemd_units
from netaudit.windows import Side, next_dst_change, next_instants, plan_sides

LONDON = ZoneInfo("Europe/London")
BEFORE_SPRING = datetime(2027, 3, 24, 0, 0, tzinfo=UTC)  # a Wednesday; London moves to BST on Sunday 28 March
EXAMPLE = builtin_profiles_dir() / "example-corp.toml"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def _example_policy():  # type: ignore[no-untyped-def]
    from netaudit.catalog import load_catalog

    return load_policy([EXAMPLE], load_catalog([]).names())


def _job(tmp_path: Path, variables: tuple[str, ...] = ("NETAUDIT_PROXY_PASSWORD_STAFF",)) -> Job:
    return Job(
        argv=("/usr/bin/netaudit", "audit", "--save", "--site", "leeds", "--quiet", "--keep", "30"),
        workdir=tmp_path,
        env_file=tmp_path / "netaudit.env",
        variables=variables,
    )


# --- the plan ----------------------------------------------------------------------------------


def test_the_example_plan_has_both_sides_of_each_staff_window() -> None:
    plan = plan_sides(_example_policy())
    assert [(run.window, run.side, run.clock, run.profiles) for run in plan] == [
        ("mon-fri 10:30-10:45", Side.OPEN, "10:37", ("staff",)),
        ("mon-fri 10:30-10:45", Side.CLOSED, "11:00", ("staff",)),
        ("mon-fri 12:00-13:00", Side.OPEN, "12:30", ("staff",)),
        ("mon-fri 12:00-13:00", Side.CLOSED, "13:15", ("staff",)),
        ("mon-fri 15:30-15:45", Side.OPEN, "15:37", ("staff",)),
        ("mon-fri 15:30-15:45", Side.CLOSED, "16:00", ("staff",)),
    ]
    assert all(run.days == frozenset(range(5)) for run in plan)


def test_the_plan_stays_on_its_side_across_the_change_to_summer_time() -> None:
    policy = _example_policy()
    rules = policy.profiles["staff"].rules
    change = next_dst_change(LONDON, BEFORE_SPRING)
    assert change == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    for run in plan_sides(policy):
        instants = next_instants(run, LONDON, BEFORE_SPRING, count=6)
        assert any(i < change for i in instants) and any(i > change for i in instants)
        for instant in instants:
            assert in_hours(rules, instant, LONDON) is (run.side is Side.OPEN), (run, instant)
            assert f"{instant.astimezone(LONDON):%H:%M}" == run.clock
    lunch = next(run for run in plan_sides(policy) if run.clock == "12:30")
    # 12:30 in London is 12:30 UTC in winter and 11:30 UTC in summer.
    assert [f"{i:%a %d %H:%M}" for i in next_instants(lunch, LONDON, BEFORE_SPRING, count=4)] == [
        "Wed 24 12:30",
        "Thu 25 12:30",
        "Fri 26 12:30",
        "Mon 29 11:30",
    ]


def test_a_window_across_midnight_and_one_that_never_closes() -> None:
    from netaudit.hours import parse_window
    from netaudit.model import Enforcement, Organization, PolicySet, Profile, Rules

    def profile(name: str, hours: str) -> Profile:
        rules = Rules(hours=(parse_window(hours),), hours_text=(hours,), hours_enforced_by=Enforcement.FIREWALL)
        return Profile(name=name, rules=rules)

    policy = PolicySet(
        Organization("O", "o", "UTC"),
        {"night": profile("night", "fri 22:00-02:00"), "always": profile("always", "daily 00:00-24:00")},
    )
    plan = plan_sides(policy)
    assert [(run.profiles, run.side, sorted(run.days), run.clock) for run in plan] == [
        (("night",), Side.OPEN, [5], "00:00"),  # the middle of Friday 22:00-02:00 is Saturday 00:00
        (("night",), Side.CLOSED, [5], "02:15"),
        (("always",), Side.OPEN, [0, 1, 2, 3, 4, 5, 6], "12:00"),
    ]


# --- cron --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "expected"),
    [("hourly", "7 * * * *"), ("DAILY", "7 6 * * *"), ("weekly", "7 6 * * 1"), ("*/15 8-18 * * mon-fri", None)],
)
def test_every_gives_cron_fields_croniter_accepts(every: str, expected: str | None) -> None:
    fields = cron_expression(every)
    assert fields == (expected or every)
    assert croniter.is_valid(fields)


@pytest.mark.parametrize("bad", ["sometimes", "* * * *", "1 2 3 4 5 6", "0 6 1 * mon", "0 6 * * 1/2", "0 6 * * 9"])
def test_an_unusable_schedule_is_refused(bad: str) -> None:
    with pytest.raises(InputError, match="--every"):
        cron_expression(bad)


def test_the_crontab_lines_run_the_plan_on_the_organisations_clock(tmp_path: Path) -> None:
    policy = _example_policy()
    text = crontab(
        _job(tmp_path), "daily", plan_sides(policy), org_zone=LONDON, host_zone=LONDON, now=BEFORE_SPRING
    )
    jobs = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(jobs) == 7
    assert "NETAUDIT_PROXY_PASSWORD_STAFF" in text and "netaudit.env" in text
    for line in jobs:
        fields = " ".join(line.split()[:5])
        assert croniter.is_valid(fields), line
        assert f"cd {tmp_path} && set -a && . {tmp_path}/netaudit.env && set +a && /usr/bin/netaudit audit" in line
    assert jobs[0].startswith("7 6 * * * ")
    lunch = next(line for line in jobs if line.startswith("30 12 "))
    assert lunch.split()[:5] == ["30", "12", "*", "*", "1,2,3,4,5"] and lunch.endswith("--profile staff")
    # cron on a London host fires at 12:30 London time before and after the change.
    fires = croniter(" ".join(lunch.split()[:5]), BEFORE_SPRING.astimezone(LONDON))
    moments = [fires.get_next(datetime) for _ in range(4)]
    assert [f"{m.astimezone(UTC):%a %d %H:%M}" for m in moments] == [
        "Wed 24 12:30",
        "Thu 25 12:30",
        "Fri 26 12:30",
        "Mon 29 11:30",
    ]


def test_on_a_utc_host_the_crontab_says_what_changes_after_the_switch(tmp_path: Path) -> None:
    policy = _example_policy()
    text = crontab(_job(tmp_path), "daily", plan_sides(policy), org_zone=LONDON, host_zone=UTC, now=BEFORE_SPRING)
    assert "2027-03-28 01:00 UTC" in text
    lines = text.splitlines()
    at = lines.index(next(line for line in lines if "open side of mon-fri 12:00-13:00" in line))
    # The line for the offset in force runs; the one for after the change waits, commented out.
    assert lines[at + 1].startswith("30 12 * * 1,2,3,4,5 ") and lines[at + 2].startswith("# 30 11 * * 1,2,3,4,5 ")


def test_no_password_no_environment_file(tmp_path: Path) -> None:
    text = crontab(_job(tmp_path, variables=()), "hourly")
    assert "set -a" not in text and "No proxy password is needed" in text


# --- systemd -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "calendar"),
    [
        ("7 6 * * *", "*-*-* 6:7:00"),
        ("*/15 8-18 * * mon-fri", "Mon..Fri *-*-* 8..18:0/15:00"),
        ("0 0 1 jan,jul *", "*-1,7-1 0:0:00"),
        ("30 2 * * 0,6", "Sun,Sat *-*-* 2:30:00"),
    ],
)
def test_cron_expressions_become_on_calendar_values(cron: str, calendar: str) -> None:
    assert on_calendar(cron) == calendar
    if SYSTEMD_ANALYZE:
        _next_elapses(calendar, 1)  # systemd reads it


def _next_elapses(calendar: str, count: int, base: str = "2027-03-24 00:00 UTC") -> list[str]:
    assert SYSTEMD_ANALYZE
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "calendar", f"--iterations={count}", f"--base-time={base}", calendar],
        capture_output=True,
        text=True,
        check=False,
        env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return [line.split(":", 1)[1].strip() for line in done.stdout.splitlines() if "elapse" in line or "Iter." in line]


def test_systemd_units_for_the_plan(tmp_path: Path) -> None:
    policy = _example_policy()
    units = systemd_units(_job(tmp_path), "daily", plan_sides(policy), zone="Europe/London")
    assert len(units) == 2 + 2 * 6
    service, timer = units["netaudit.service"], units["netaudit.timer"]
    assert f"EnvironmentFile={tmp_path}/netaudit.env" in service and "NETAUDIT_PROXY_PASSWORD_STAFF" in service
    assert "ExecStart=/usr/bin/netaudit audit --save --site leeds --quiet --keep 30" in service
    assert "OnCalendar=*-*-* 6:7:00" in timer and "Persistent=true" in timer
    lunch = units["netaudit-open-3.timer"]
    assert "OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 12:30:00 Europe/London" in lunch
    assert "--profile staff" in units["netaudit-open-3.service"]
    if SYSTEMD_ANALYZE:
        calendar = lunch.split("OnCalendar=")[1].splitlines()[0]
        assert _next_elapses(calendar, 4) == [
            "Wed 2027-03-24 12:30:00 UTC",
            "Thu 2027-03-25 12:30:00 UTC",
            "Fri 2027-03-26 12:30:00 UTC",
            "Mon 2027-03-29 11:30:00 UTC",
        ]


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    folder = tmp_path / "units"
    folder.mkdir()
    executable = tmp_path / "netaudit"
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    job = Job(argv=(str(executable), "audit", "--save"), workdir=tmp_path, env_file=tmp_path / "env", variables=("V",))
    units = systemd_units(job, "weekly", plan_sides(_example_policy()), zone="Europe/London")
    for name, text in units.items():
        (folder / name).write_text(text)
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *sorted(str(folder / name) for name in units)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    problems = [line for line in done.stderr.splitlines() if str(folder) in line]
    assert done.returncode == 0 and not problems, done.stderr


def test_the_units_parse_as_unit_files(tmp_path: Path) -> None:
    """The parser check that runs everywhere (systemd-analyze is not on every machine)."""
    import configparser

    units = systemd_units(_job(tmp_path), "weekly", plan_sides(_example_policy()), zone="Europe/London")
    for name, text in units.items():
        parser = configparser.ConfigParser(strict=True, interpolation=None, comment_prefixes=("#", ";"))
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(text)
        if name.endswith(".service"):
            assert parser.sections() == ["Unit", "Service"]
            assert parser["Service"]["Type"] == "oneshot"
            assert parser["Service"]["ExecStart"].startswith("/usr/bin/netaudit audit ")
            assert Path(parser["Service"]["WorkingDirectory"]).is_absolute()
        else:
            assert parser.sections() == ["Unit", "Timer", "Install"]
            service = name.replace(".timer", ".service")
            assert parser["Timer"]["Unit"] == service and service in units
            calendar = parser["Timer"]["OnCalendar"]
            assert calendar == "Mon *-*-* 6:7:00" or calendar.endswith(":00 Europe/London")


def test_the_last_sunday_of_october_too() -> None:
    autumn = datetime(2027, 10, 27, tzinfo=UTC)
    change = next_dst_change(LONDON, autumn)
    assert change == datetime(2027, 10, 31, 1, 0, tzinfo=UTC)
    (closed,) = [run for run in plan_sides(_example_policy()) if run.clock == "13:15"]
    instants = next_instants(closed, LONDON, autumn, count=4)
    # Wed, Thu, Fri 13:15 BST (12:15 UTC), then Monday 13:15 GMT (13:15 UTC).
    assert [f"{i:%a %H:%M}" for i in instants] == ["Wed 12:15", "Thu 12:15", "Fri 12:15", "Mon 13:15"]

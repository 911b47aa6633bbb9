"""Shared pytest fixtures: the session-wide network lab for the integration tests.

The lab needs root and network namespaces. Where the machine cannot run it the integration tests
are skipped, except when NETAUDIT_REQUIRE_INTEGRATION=1 (CI sets it): then they fail, so CI can
never skip them silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.netlab import HOSTS, Lab, LabError, build_lab, environment_problem
from tests.netlab.squid import SquidPort

HOURS_PORT = 3132

REQUIRE_ENV = "NETAUDIT_REQUIRE_INTEGRATION"


def integration_required() -> bool:
    """True when the integration tests must run (CI)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes"}


def _cannot_run(reason: str) -> None:
    message = f"needs root and network namespaces: {reason}"
    if integration_required():
        pytest.fail(f"{message} ({REQUIRE_ENV}=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def office_hours(now: datetime | None = None) -> tuple[datetime, datetime]:
    """A window of (almost) an hour, in local time, starting 2 to 3 hours from now, never crossing midnight.

    The audit tests' profiles and the lab's time-ACL port share it: the suite runs well inside
    the gap, so "now" is reliably outside the window.
    """
    now = now or datetime.now().astimezone()
    start = (now + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    return start, start.replace(minute=59)


def hours_port() -> SquidPort:
    """A Basic-auth port that allows the social sites only during office_hours() (Squid's time ACL)."""
    start, end = office_hours()
    return SquidPort(
        "hours",
        HOURS_PORT,
        # As real time rules do, the window applies to the social sites, not to the rest of the web.
        acls=(
            f"acl office_hours time SMTWHFA {start:%H:%M}-{end:%H:%M}",
            f"acl neutral_sites dstdomain {HOSTS.control}",
        ),
        access=(
            "deny port_hours !authenticated",
            "allow port_hours office_hours",
            "allow port_hours neutral_sites",
            "deny port_hours",
        ),
    )


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The running lab (built once per session, always torn down)."""
    problem = environment_problem()
    if problem:
        _cannot_run(problem)
    try:
        running = build_lab(extra_proxy_ports=(hours_port(),))
    except LabError as exc:
        # The machine can run namespaces, so a lab that does not come up is a real failure.
        pytest.fail(f"the network lab did not start: {exc}", pytrace=False)
    request.addfinalizer(running.close)  # close() is idempotent: the finally below may run it first
    try:
        yield running
    finally:
        running.close()

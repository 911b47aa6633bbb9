"""Drift between a site's runs and the alert an unattended run prints: what changed, for whom, since
which run; the other side of a firewall-enforced window is not a change; a catalog reorder is none."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from netaudit.cli import cli
from netaudit.drift import AlertOn, Drift, alert, drift
from netaudit.errors import ExitCode
from netaudit.model import AccessLevel, AuditRun, FindingKind
from tests.fixtures.run import fixture_run


def _with(run: AuditRun, **changes: tuple[FindingKind, AccessLevel | None]) -> AuditRun:
    """The run with findings (id with '.' written '__') set to another kind and, optionally, expected level."""
    wanted = {key.replace("__", "."): change for key, change in changes.items()}
    findings = []
    for finding in run.findings:
        if finding.id in wanted:
            kind, expected = wanted[finding.id]
            finding = dataclasses.replace(finding, finding=kind, expected=expected or finding.expected)
        findings.append(finding)
    return dataclasses.replace(run, findings=tuple(findings))


def test_the_same_run_again_is_no_change() -> None:
    found = drift(fixture_run(), [("earlier", fixture_run())])
    assert found.baseline and not found.changed
    assert alert(AlertOn.CHANGE, fixture_run(), found) is None


def test_a_catalog_reorder_is_no_change() -> None:
    earlier = fixture_run()
    reordered = dataclasses.replace(
        earlier,
        findings=tuple(reversed(earlier.findings)),
        platforms=tuple(reversed(earlier.platforms)),
        observations=tuple(reversed(earlier.observations)),
        observation_profiles=tuple(reversed(earlier.observation_profiles)),
    )
    assert not drift(reordered, [("earlier", earlier)]).changed


def test_a_new_leak_and_a_resolved_gap_are_named_with_the_run_they_moved_since() -> None:
    earlier = fixture_run()
    now = _with(
        earlier,
        marketing__facebook__post=(FindingKind.LEAK, None),
        communications__facebook__post=(FindingKind.OK, None),
    )
    found = drift(now, [("london-hq_2026-11-29T101500Z", earlier)])
    assert [(i.finding.id, i.old, i.finding.finding, i.change.value) for i in found.items] == [
        ("communications.facebook.post", FindingKind.GAP, FindingKind.OK, "resolved"),
        ("marketing.facebook.post", FindingKind.OK, FindingKind.LEAK, "new"),
    ]
    message = alert(AlertOn.CHANGE, now, found, "reports/london-hq_2026-11-30T101500Z.json")
    assert message is not None
    lines = message.splitlines()
    assert lines[0] == "netaudit: london-hq: 2 findings changed since london-hq_2026-11-29T101500Z:"
    assert lines[1] == "  communications facebook post: gap -> ok (gap resolved)"
    assert lines[2].startswith("  marketing facebook post: ok -> leak (new leak)")
    assert lines[-1] == "Report: reports/london-hq_2026-11-30T101500Z.json"


def test_the_other_side_of_a_window_is_compared_with_its_own_side() -> None:
    # staff may read LinkedIn in hours; at 13:15 it expects none. The closed-side run is compared with
    # the last closed-side run, however many open-side runs came between.
    closed_before = _with(fixture_run(), staff__linkedin__read=(FindingKind.OK, AccessLevel.NONE))
    open_between = _with(fixture_run(), staff__linkedin__read=(FindingKind.OK, AccessLevel.READ))
    closed_now = _with(fixture_run(), staff__linkedin__read=(FindingKind.LEAK, AccessLevel.NONE))
    found = drift(closed_now, [("closed", closed_before), ("open", open_between)])
    assert [(i.finding.id, i.since, i.change.value) for i in found.items] == [("staff.linkedin.read", "closed", "new")]
    # With no earlier run on the same side, the check has nothing to be compared with: no change.
    assert not drift(closed_now, [("open", open_between)]).changed


def test_a_profile_an_earlier_run_did_not_audit_is_no_change() -> None:
    earlier = fixture_run()
    marketing = tuple(f for f in earlier.findings if f.profile == "marketing")
    only_marketing = dataclasses.replace(earlier, findings=marketing)
    assert not drift(earlier, [("partial", only_marketing)]).changed
    assert not drift(only_marketing, [("full", earlier)]).changed


def test_alert_on_gap_and_never() -> None:
    run = fixture_run()
    message = alert(AlertOn.GAP, run, Drift((), True))
    assert message is not None
    assert message.splitlines()[0] == "netaudit: london-hq: 9 findings to act on:"  # 1 gap, 6 leaks, 2 degraded
    assert "  staff facebook read: leak (expected none, seen reachable)" in message.splitlines()
    assert alert(AlertOn.NEVER, run, Drift((), True)) is None
    ready = _with(run, **{f.id.replace(".", "__"): (FindingKind.OK, None) for f in run.findings})
    assert alert(AlertOn.GAP, ready, Drift((), True)) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep", "3"], "--keep works on saved runs: add --save"),
        (["--alert-on", "change"], "--alert-on change works on saved runs: add --save"),
        (["--site", "a b"], "--site 'a b': use 1 to 63 letters"),
    ],
)
def test_unattended_options_that_cannot_work_stop_before_probing(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", "--no-proxy", "--control", "none", *args], env={"NETAUDIT_CONFIG": ""})
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.output

"""`netaudit merge`: three sites' runs as one report (a site column per matrix, readiness by site,
conflicts named), both sides of a firewall-enforced window from a site's runs, and the forms."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from netaudit.cli import cli
from netaudit.errors import ExitCode
from netaudit.merge import MERGE_SCHEMA, merge_runs
from netaudit.model import AuditRun, FindingKind, Organization, PolicySet, ProfileReadiness, Readiness
from netaudit.runfile import dump
from netaudit.windows import window_coverage
from tests.fixtures.run import fixture_run


def _run(site: str, at: str, **kinds: FindingKind) -> AuditRun:
    """The fixture run at another site and time, with some findings (by id, '.' written '__') changed."""
    run = fixture_run()
    changed = {key.replace("__", "."): kind for key, kind in kinds.items()}
    findings = tuple(
        dataclasses.replace(f, finding=changed.get(f.id, f.finding), probed_at=at if f.probed_at else "")
        for f in run.findings
    )
    staff_holds = not any(f.profile == "staff" and f.finding in _PROBLEMS for f in findings)
    readiness = Readiness(
        ready=False,
        profiles=tuple(
            ProfileReadiness(p.profile, True) if p.profile == "staff" and staff_holds else p
            for p in run.readiness.profiles
        ),
    )
    return dataclasses.replace(run, site=site, started_at=at, findings=findings, readiness=readiness)


_PROBLEMS = (FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED)
LUNCH = "2026-11-30T12:30:00+00:00"  # Monday, inside staff's mon-fri 08:00-18:00 (Europe/London)
EVENING = "2026-11-30T19:00:00+00:00"  # Monday, outside it
STAFF_HOLDS = {
    "staff__facebook__read": FindingKind.OK,
    "staff__linkedin__post": FindingKind.OK,
    "staff__linkedin__media": FindingKind.OK,
}


def test_three_sites_merge_with_a_site_column_and_readiness_by_site() -> None:
    leeds = _run("leeds", LUNCH)
    york = _run("york", LUNCH, **STAFF_HOLDS)
    paris = _run("paris", LUNCH)
    assert [p.ready for p in york.readiness.profiles if p.profile == "staff"] == [True]
    merged = merge_runs([("leeds.json", leeds), ("york.json", york), ("paris.json", paris)])
    assert merged.site_names == ("leeds", "paris", "york")
    assert merged.organization == "Example Corp" and merged.conflicts == ()
    assert merged.cell("staff", "facebook", "leeds") is FindingKind.LEAK
    assert merged.cell("staff", "facebook", "york") is FindingKind.OK
    assert merged.cell("staff", "linkedin", "york") is FindingKind.OK
    staff = next(p for p in merged.readiness if p.profile == "staff")
    assert staff.ready_at == ("york",)
    assert staff.not_ready_at == (("leeds", ("2 leak", "1 degraded")), ("paris", ("2 leak", "1 degraded")))
    marketing = next(p for p in merged.readiness if p.profile == "marketing")
    assert marketing.ready_at == ("leeds", "paris", "york")


def test_runs_that_do_not_belong_together_are_named() -> None:
    leeds = _run("leeds", LUNCH)
    other = _run("paris", LUNCH)
    other_policy = PolicySet(
        organization=Organization("Other Ltd", "IT", "Europe/Paris"),
        profiles={
            **other.policy.profiles,
            "staff": dataclasses.replace(
                other.policy.profiles["staff"],
                rules=dataclasses.replace(other.policy.profiles["staff"].rules, hours_text=("mon-fri 09:00-17:00",)),
            ),
        },
    )
    paris = dataclasses.replace(other, policy=other_policy, catalog_version="2027.01")
    merged = merge_runs([("a.json", leeds), ("b.json", paris)])
    described = [conflict.describe() for conflict in merged.conflicts]
    assert described[0] == "organisation differs: Example Corp at leeds; Other Ltd at paris"
    assert described[1] == "organisation timezone differs: Europe/London at leeds; Europe/Paris at paris"
    assert described[2].startswith("catalog version differs: ") and "2027.01 at paris" in described[2]
    assert described[3].startswith("profile staff as written (access or rules) differs: version ")
    assert len(described) == 4
    assert merged.organization == "Example Corp / Other Ltd"


def test_both_sides_of_the_window_from_a_sites_runs() -> None:
    inside = _run("leeds", LUNCH, **STAFF_HOLDS)
    outside = _run("leeds", EVENING)
    (staff,) = window_coverage([inside])
    assert staff.profile == "staff" and staff.window == "mon-fri 08:00-18:00"
    assert staff.open is not None and staff.open.held and staff.closed is None
    assert staff.describe() == (
        "staff mon-fri 08:00-18:00 Europe/London: open side verified 2026-11-30T12:30+00:00 at leeds; "
        "closed side not yet verified"
    )
    (staff,) = window_coverage([outside, inside])
    assert staff.open is not None and staff.open.at == datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    assert staff.closed is not None and staff.closed.at == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
    assert not staff.closed.held and staff.closed.problems == ("2 leak", "1 degraded")


def test_merge_command_forms(tmp_path: Path) -> None:
    files = []
    for site, at, kinds in (
        ("leeds", LUNCH, STAFF_HOLDS),
        ("leeds", EVENING, STAFF_HOLDS),
        ("york", LUNCH, {}),
        ("paris", EVENING, {}),
    ):
        path = tmp_path / f"{site}-{at[11:13]}.json"
        path.write_text(dump(_run(site, at, **kinds)))
        files.append(str(path))
    runner = CliRunner()
    result = runner.invoke(cli, ["merge", *files])
    assert result.exit_code == 0, result.output
    assert "Example Corp: 3 sites merged (leeds, paris, york)" in result.output
    not_ready = "not ready at paris (2 leak; 1 degraded); not ready at york (2 leak; 1 degraded)"
    assert f"  staff: ready at leeds; {not_ready}\n" in result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if line.split()[:2] == ["staff", "facebook"])
    assert row.split()[2:] == ["ok", "leak", "leak"]
    window = next(line for line in lines if line.startswith("leeds") and "08:00-18:00" in line)
    assert "verified 2026-11-30T12:30+00:00" in window and "verified 2026-11-30T19:00+00:00" in window
    york = next(line for line in lines if line.startswith("york") and "08:00-18:00" in line)
    assert "checked 2026-11-30T12:30+00:00: 2 leak, 1 degraded" in york and "not yet verified" in york

    result = runner.invoke(cli, ["merge", *files, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Example Corp: social media readiness across 3 sites\n")
    assert "| staff | facebook | ok | leak | leak |" in result.output
    assert "| leeds | staff | mon-fri 08:00-18:00 Europe/London | verified 2026-11-30T12:30+00:00 |" in result.output

    result = runner.invoke(cli, ["merge", *files, "--format", "json", "-o", str(tmp_path / "merged.json")])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "merged.json").read_text())
    assert document["schema"] == MERGE_SCHEMA
    assert [s["site"] for s in document["sites"]] == ["leeds", "paris", "york"]
    assert next(s for s in document["sites"] if s["site"] == "leeds")["runs"] == 2


def test_merge_refuses_what_is_not_an_audit_run(tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    result = CliRunner().invoke(cli, ["merge", str(bad)])
    assert result.exit_code == ExitCode.USAGE
    assert "notes.json: not a netaudit run" in result.output


def test_each_close_is_verified_by_the_run_after_it() -> None:
    """The example's staff has three windows a day: a run after each one closes checks that one."""
    from netaudit.catalog import load_catalog
    from netaudit.policy import load_policy
    from netaudit.resources import builtin_profiles_dir

    policy = load_policy([builtin_profiles_dir() / "example-corp.toml"], load_catalog([]).names())

    def at(moment: str) -> AuditRun:
        run = _run("leeds", moment, **STAFF_HOLDS)
        return dataclasses.replace(run, policy=policy)

    # Tuesday 2027-03-30 (BST): 11:00 and 13:15 London are 10:00 and 12:15 UTC; 12:30 London is inside.
    runs = [at("2027-03-30T10:00:00+00:00"), at("2027-03-30T11:30:00+00:00"), at("2027-03-30T12:15:00+00:00")]
    coverage = {w.window: w for w in window_coverage(runs) if w.profile == "staff"}
    assert list(coverage) == ["mon-fri 10:30-10:45", "mon-fri 12:00-13:00", "mon-fri 15:30-15:45"]
    morning, lunch, afternoon = coverage.values()
    assert morning.open is None and morning.closed is not None and morning.closed.at.hour == 10
    assert lunch.open is not None and lunch.open.at.hour == 11
    assert lunch.closed is not None and lunch.closed.at.hour == 12
    assert afternoon.open is None and afternoon.closed is None
    assert afternoon.describe().endswith("open side not yet verified; closed side not yet verified")


def test_the_html_form_escapes_what_the_runs_say() -> None:
    from netaudit import render

    run = _run("leeds", LUNCH)
    hostile = dataclasses.replace(
        run.policy, organization=dataclasses.replace(run.policy.organization, name="<script>alert(1)</script>")
    )
    merged = merge_runs([("a.json", dataclasses.replace(run, policy=hostile)), ("b.json", _run("york", LUNCH))])
    page = render.MERGE.render("html", merged)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and '<td class="leak">leak</td>' in page
    assert "organisation differs" in page


def test_a_sites_window_run_does_not_hide_its_other_profiles() -> None:
    """The newest run of a site may be one of staff's window runs (--profile staff): the other
    profiles are shown from the newest run that audited them; latest.json is not counted twice."""
    full = _run("leeds", LUNCH)
    policy = dataclasses.replace(full.policy, profiles={"staff": full.policy.profiles["staff"]})
    staff_only = dataclasses.replace(
        _run("leeds", EVENING),
        policy=policy,
        findings=tuple(f for f in _run("leeds", EVENING).findings if f.profile == "staff"),
        readiness=Readiness(False, tuple(p for p in full.readiness.profiles if p.profile == "staff")),
    )
    merged = merge_runs([("full.json", full), ("side.json", staff_only), ("latest.json", staff_only)])
    (leeds,) = merged.sites
    assert leeds.runs == 2 and leeds.run.started_at == EVENING
    marketing = next(p for p in merged.readiness if p.profile == "marketing")
    assert marketing.ready_at == ("leeds",) and marketing.absent_at == ()
    assert merged.cell("volunteers", "facebook", "leeds") is FindingKind.LEAK

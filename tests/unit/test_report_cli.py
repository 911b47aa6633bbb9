"""`netaudit report`, `netaudit diff` and `audit --save` through the CLI, on saved runs of the shared fixture."""

from __future__ import annotations

import io
import json
import os
import socket
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from netaudit.cli import audit_cmd as cli_module
from netaudit.cli import cli
from netaudit.folderlock import LOCK_NAME
from netaudit.render.formats import Format
from netaudit.runfile import dump, load_audit
from netaudit.store import LATEST, RunStore, dated_stem
from tests.fixtures.later import later_run
from tests.fixtures.regenerate import example_path
from tests.fixtures.run import SAVED, fixture_run
from tests.unit import render_run

NO_PROXY_ENV = {"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None, "NO_COLOR": None}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=NO_PROXY_ENV)


@pytest.mark.parametrize("fmt", [Format.HTML, Format.MARKDOWN])
def test_report_renders_a_saved_run_as_the_example_shows(runner: CliRunner, fmt: Format) -> None:
    result = runner.invoke(cli, ["report", str(SAVED), "--format", fmt.value])
    assert result.exit_code == 0, result.output
    assert result.stdout == example_path(fmt).read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", list(Format))
def test_report_writes_every_form_to_a_file(runner: CliRunner, fmt: Format, tmp_path: Path) -> None:
    target = tmp_path / f"out.{fmt.value}"
    result = runner.invoke(cli, ["report", str(SAVED), "--format", fmt.value, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and target.read_text(encoding="utf-8").strip()
    if fmt is Format.JSON:
        assert target.read_text(encoding="utf-8") == SAVED.read_text(encoding="utf-8")


def test_report_of_an_unknown_schema_is_one_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    document = json.loads(SAVED.read_text(encoding="utf-8"))
    document["schema"] = "netaudit/audit/9"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(cli, ["report", str(newer)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"netaudit: error: {newer}: schema 'netaudit/audit/9' is newer than this netaudit understands "
        "(netaudit/audit/1); upgrade netaudit\n"
    )
    probe = tmp_path / "probe.json"
    probe.write_text(dump(render_run.probe_run()), encoding="utf-8")
    result = runner.invoke(cli, ["report", str(probe)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "not a netaudit/audit/1" in result.stderr


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(dump(fixture_run()), encoding="utf-8")
    new.write_text(dump(later_run()), encoding="utf-8")
    return old, new


def test_diff_exits_1_and_names_what_changed(runner: CliRunner, runs: tuple[Path, Path]) -> None:
    old, new = runs
    result = runner.invoke(cli, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "netaudit/diff/1" and document["changed"] is True
    moved = {(c["id"], c["change"], c["old"], c["new"]) for c in document["findings"]}
    assert moved == {
        ("marketing.linkedin.read", "new", "ok", "leak"),
        ("communications.facebook.post", "resolved", "gap", "ok"),
        ("staff.linkedin.media", "changed", "degraded", "ok"),
    }
    statuses = {(s["endpoint"], s["identity"], s["old"], s["new"]) for s in document["statuses"]}
    assert statuses == {
        ("facebook.post.1", "comms-audit", "proxy_denied", "reachable"),
        ("linkedin.post.2", "", "timeout", None),
    }
    table = runner.invoke(cli, ["diff", str(old), str(new)])
    assert table.exit_code == 1 and "New gaps and leaks (1):" in table.stdout
    markdown = runner.invoke(cli, ["diff", str(old), str(new), "--format", "markdown"])
    assert markdown.exit_code == 1 and "## Resolved gaps and leaks (1)" in markdown.stdout


def test_diff_of_a_run_with_itself_exits_0(runner: CliRunner, runs: tuple[Path, Path]) -> None:
    old, _ = runs
    result = runner.invoke(cli, ["diff", str(old), str(SAVED)])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("nothing changed")


def test_diff_of_a_file_that_is_not_a_run_exits_2(runner: CliRunner, runs: tuple[Path, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = runner.invoke(cli, ["diff", str(runs[0]), str(broken)])
    assert result.exit_code == 2 and result.stderr.startswith(f"netaudit: error: {broken}:1: not valid JSON")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_audit_save_keeps_dated_reports_and_latest(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    # Nothing resolves (DNS goes to a closed loopback port): a quick real run with unknown findings.
    args = ["audit", "--no-proxy", "--resolver", f"127.0.0.1:{_closed_port()}", "--timeout", "1"]
    args += ["--platform", "linkedin", "--profile", "volunteers", "--control", "none", "--fail-on", "never"]
    args += ["--save", "--output-dir", str(folder), "--format", "html"]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == ""  # the html went into the folder
    (saved,) = sorted(folder.glob("20*.json"))
    assert saved.with_suffix(".html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (folder / LATEST).read_bytes() == saved.read_bytes()
    assert saved.stem == dated_stem(datetime.fromisoformat(load_audit(saved).started_at))
    earlier = saved.read_bytes()
    second = runner.invoke(cli, [*args[:-2], "--format", "table"])
    assert second.exit_code == 0, second.output
    assert "1. Who will have access" in second.stdout  # the table still goes to the terminal
    names = sorted(path.name for path in folder.iterdir())
    assert len([n for n in names if n.endswith(".json") and n != LATEST]) == 2
    assert saved.read_bytes() == earlier  # never overwritten
    newest = RunStore(folder).runs()[-1]
    assert newest != saved and (folder / LATEST).read_bytes() == newest.read_bytes()
    assert not [n for n in names if n.startswith(".") and n != LOCK_NAME]  # no temporary file left behind


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli_module._wants_colour(None) is True
    assert cli_module._wants_colour(Path("out.txt")) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli_module._wants_colour(None) is False
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.delenv("NO_COLOR")
    assert cli_module._wants_colour(None) is False
    assert os.environ.get("NO_COLOR") is None

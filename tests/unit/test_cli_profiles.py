"""`profiles`, `init` and `audit` through click's CliRunner (no network: DNS goes to a closed loopback port)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from netaudit.cli import cli
from netaudit.errors import ExitCode

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_profiles_list_shows_the_example(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["profiles", "list"])
    assert result.exit_code == 0
    for name in ("communications", "marketing", "staff", "guests", "volunteers"):
        assert name in result.stdout


def test_profiles_show_effective_access_and_hours(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["profiles", "show", "staff"])
    assert result.exit_code == 0
    assert "Europe/London" in result.stdout and "enforced by firewall" in result.stdout
    document = json.loads(runner.invoke(cli, ["profiles", "show", "staff", "--format", "json"]).stdout)
    (staff,) = document["profiles"]
    assert staff["access"]["linkedin"] == "read"
    assert document["schema"] == "netaudit/profiles/1"


def test_profiles_show_unknown(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["profiles", "show", "ceo"])
    assert result.exit_code == ExitCode.USAGE
    assert "unknown profile 'ceo'" in result.stderr


def test_validate_ok_and_one_line_per_problem(runner: CliRunner) -> None:
    ok = runner.invoke(cli, ["profiles", "validate"])
    assert ok.exit_code == 0 and ok.stdout.startswith("ok: 5 profiles")
    bad = runner.invoke(cli, ["profiles", "validate", str(DATA / "profiles-invalid" / "several-problems.toml")])
    assert bad.exit_code == ExitCode.USAGE
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 5 and all(line.startswith("netaudit: error: ") for line in lines)
    assert "Traceback" not in bad.output


def test_init_writes_a_valid_starter_and_never_overwrites(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0
    starter = tmp_path / "profiles.toml"
    text = starter.read_text()
    for platform in ("facebook", "instagram", "linkedin", "x", "youtube", "tiktok", "pinterest", "reddit"):
        assert f"\n{platform} " in text
    assert runner.invoke(cli, ["profiles", "validate", str(starter)]).exit_code == 0
    again = runner.invoke(cli, ["init", str(tmp_path)])
    assert again.exit_code == ExitCode.USAGE and "never overwrites" in again.stderr
    assert starter.read_text() == text


def test_audit_exit_codes_follow_fail_on(runner: CliRunner) -> None:
    # Every name fails at DNS (a closed loopback port), and no password is set: all unknown.
    args = [
        "audit",
        "--no-proxy",
        "--resolver",
        f"127.0.0.1:{_closed_port()}",
        "--timeout",
        "1",
        "--platform",
        "linkedin",
        "--format",
        "json",
        "--control",
        "none",
    ]
    never = runner.invoke(cli, [*args, "--fail-on", "never"])
    assert never.exit_code == ExitCode.OK, never.output
    document = json.loads(never.stdout)
    assert document["schema"] == "netaudit/audit/1"
    assert {f["finding"] for f in document["findings"]} == {"unknown"}
    assert document["readiness"]["ready"] is False
    assert runner.invoke(cli, [*args]).exit_code == ExitCode.FINDINGS
    assert runner.invoke(cli, [*args, "--fail-on", "any"]).exit_code == ExitCode.FINDINGS


def test_audit_from_a_vantage_point_that_reaches_nothing_exits_3_whatever_fail_on_says(runner: CliRunner) -> None:
    args = ["audit", "--no-proxy", "--resolver", f"127.0.0.1:{_closed_port()}", "--timeout", "1"]
    args += ["--platform", "linkedin", "--format", "json", "--control", "https://status.example.net/"]
    for fail_on in ("never", "gap", "any"):
        result = runner.invoke(cli, [*args, "--fail-on", fail_on])
        assert result.exit_code == ExitCode.ENVIRONMENT, result.output
        assert "this vantage point cannot reach the internet directly: the control https://status.example.net/" in (
            result.stderr
        )
        document = json.loads(result.stdout)
        assert {f["finding"] for f in document["findings"]} == {"unknown"}
        assert not any("DNS filter" in f["remediation"] for f in document["findings"])


def test_audit_bad_profiles_file(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audit", "--profiles", str(DATA / "profiles-invalid" / "unknown-platform.toml")])
    assert result.exit_code == ExitCode.USAGE
    assert len(result.stderr.strip().splitlines()) == 1 and "myspace" in result.stderr


SEVERAL = DATA / "profiles-invalid" / "several-problems.toml"


def test_validate_honours_the_profiles_option_and_variable(runner: CliRunner) -> None:
    by_option = runner.invoke(cli, ["profiles", "validate", "--profiles", str(SEVERAL)])
    assert by_option.exit_code == ExitCode.USAGE and str(SEVERAL) in by_option.stderr
    by_variable = runner.invoke(cli, ["profiles", "validate"], env={"NETAUDIT_PROFILES": str(SEVERAL)})
    assert by_variable.exit_code == ExitCode.USAGE and str(SEVERAL) in by_variable.stderr
    # Positional paths still work, and win over the variable.
    example = Path(__file__).resolve().parents[2] / "profiles" / "example-corp.toml"
    positional = runner.invoke(cli, ["profiles", "validate", str(example)], env={"NETAUDIT_PROFILES": str(SEVERAL)})
    assert positional.exit_code == 0 and positional.stdout.startswith("ok: 5 profiles")


def test_an_empty_entry_in_a_path_variable_is_not_the_current_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = Path(__file__).resolve().parents[2] / "profiles" / "example-corp.toml"
    extra = DATA / "catalog-extra"
    monkeypatch.chdir(tmp_path)
    # The current folder holds files that would fail both loaders, were it read.
    Path("broken.toml").write_text("this is [not toml\n")
    profiles = runner.invoke(cli, ["profiles", "validate"], env={"NETAUDIT_PROFILES": f":{example}::"})
    assert profiles.exit_code == 0, profiles.output
    assert profiles.stdout.startswith("ok: 5 profiles")
    listed = runner.invoke(cli, ["profiles", "list"], env={"NETAUDIT_PROFILES": f"{example}:"})
    assert listed.exit_code == 0, listed.output
    catalog = runner.invoke(cli, ["catalog", "list"], env={"NETAUDIT_CATALOG": f"::{extra}:"})
    assert catalog.exit_code == 0, catalog.output
    assert "slack" in catalog.stdout
    # Without the fix the empty entry was "." and broken.toml was read: prove that would fail.
    here = runner.invoke(cli, ["catalog", "list"], env={"NETAUDIT_CATALOG": "."})
    assert here.exit_code == ExitCode.USAGE and "broken.toml" in here.stderr

"""`--plan`, `--bypass` and `--doh-resolvers` through click's CliRunner: what is printed, what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from netaudit.cli import cli
from netaudit.errors import ExitCode


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})


NETWORK = ["--no-proxy", "--resolver", "192.0.2.53"]


def test_probe_plan_as_json(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["probe", "--plan", "--format", "json", *NETWORK, "--platform", "whatsapp"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["schema"] == "netaudit/plan/1" and plan["dns_servers"] == ["192.0.2.53"]
    chat = [c for c in plan["contacts"] if c["port"] == 5222]
    assert {c["host"] for c in chat} == {"e1.whatsapp.net", "e16.whatsapp.net"}
    assert all(c["method"] == "TCP connect, nothing sent" for c in chat)
    assert plan["probes"] == 5


def test_audit_plan_table_says_nothing_was_sent(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audit", "--plan", "--bypass", *NETWORK, "--platform", "linkedin"])
    assert result.exit_code == 0, result.output
    assert "nothing has been sent" in result.output
    assert "use-application-dns.net" in result.output and "dns.google" in result.output


def test_plan_in_another_form_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audit", "--plan", "--format", "csv", *NETWORK])
    assert result.exit_code == ExitCode.USAGE
    assert result.output.strip() == "netaudit: error: --plan prints table or json, not csv"


def test_a_bad_doh_list_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "doh.toml"
    bad.write_text('[[resolver]]\nname = "x"\nurl = "https://x.test/q"\naddresses = ["nope"]\n', encoding="utf-8")
    result = runner.invoke(cli, ["probe", "--plan", "--bypass", "--doh-resolvers", str(bad), *NETWORK, "x.test"])
    assert result.exit_code == ExitCode.USAGE
    assert result.output.strip() == f"netaudit: error: {bad}: resolver 1 (x): 'nope' is not an IP address"

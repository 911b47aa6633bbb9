"""`audit` unattended, through the CLI with quick real runs (DNS to a closed loopback port, so every
finding is unknown): site-labelled saves, retention, --quiet, --alert-on, the Prometheus textfile."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from netaudit.cli import cli
from netaudit.runfile import load_audit


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "NETAUDIT_CONFIG": ""})


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _args(folder: Path, *extra: str) -> list[str]:
    args = ["audit", "--no-proxy", "--resolver", f"127.0.0.1:{_closed_port()}", "--timeout", "1"]
    args += ["--platform", "linkedin", "--profile", "volunteers", "--control", "none"]
    return [*args, "--save", "--output-dir", str(folder), *extra]


def test_quiet_saving_runs_keep_the_newest_of_their_site(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    textfile = tmp_path / "textfile" / "netaudit.prom"
    extra = ("--site", "hq", "--quiet", "--keep", "2", "--alert-on", "change", "--prometheus-textfile", str(textfile))
    for _ in range(3):
        result = runner.invoke(cli, _args(folder, *extra))
        assert (result.exit_code, result.stdout) == (0, ""), result.output  # nothing changed: silent
    other = runner.invoke(cli, _args(folder, "--site", "branch", "--quiet", "--fail-on", "never"))
    assert (other.exit_code, other.stdout) == (0, ""), other.output
    hq = sorted(folder.glob("hq_*.json"))
    assert len(hq) == 2 and len(sorted(folder.glob("branch_*.json"))) == 1
    assert load_audit(folder / "latest-hq.json").site == "hq"
    assert all(load_audit(path).site == "hq" for path in hq)
    assert 'site="hq"' in textfile.read_text()


def test_quiet_says_one_line_when_the_run_fails(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, _args(tmp_path, "--site", "hq", "--quiet"))
    assert result.exit_code == 1
    assert result.stdout == "netaudit: hq: not ready: volunteers\n"
    result = runner.invoke(cli, _args(tmp_path, "--site", "hq", "--quiet", "--alert-on", "never"))
    assert (result.exit_code, result.stdout) == (0, "")

"""Every form of a real audit of the built-in catalog and example organisation, through the CLI.

The shared fixture run is small by design; this one has every platform and capability the
built-in catalog has (messaging included), so a form that forgets one fails here. Nothing leaves
this machine: every DNS question goes to a closed port on loopback.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from netaudit import render
from netaudit.cli import cli
from netaudit.errors import ExitCode


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path_factory.mktemp("real") / "run.json"
    runner = CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})
    args = ["audit", "--no-proxy", "--resolver", f"127.0.0.1:{port}", "--timeout", "1", "--concurrency", "128"]
    args += ["--control", "none", "--fail-on", "never", "--format", "json", "-o", str(path)]
    result = runner.invoke(cli, args)
    assert result.exit_code == ExitCode.OK, result.output
    return path


@pytest.mark.parametrize("fmt", [str(f) for f in render.AUDIT.formats()])
def test_every_form_renders_a_real_audit_of_every_capability(saved_run: Path, fmt: str) -> None:
    result = CliRunner().invoke(cli, ["report", str(saved_run), "--format", fmt])
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout.strip()
    if fmt in ("table", "markdown", "html"):
        assert "messag" in result.stdout  # the messaging capability of WhatsApp and Messenger is there

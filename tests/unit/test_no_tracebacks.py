"""Bad input and broken outputs get one line and a documented exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from netaudit.cli import cli
from netaudit.errors import ExitCode
from netaudit.tomlsource import InvalidToml, TomlSource

ROOT = Path(__file__).resolve().parents[2]
DEEP = 500


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})


def _one_line(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netaudit: error: "), result.stderr
    return lines[0]


# --- deeply nested TOML (tomllib recurses, and raised RecursionError) ------------------------------


@pytest.mark.parametrize("opening", ["[", "{a = "])
def test_deeply_nested_toml_is_an_invalid_toml_error_with_its_place(opening: str) -> None:
    source = TomlSource("deep.toml", "name = 'x'\nvalue = " + opening * DEEP + "\n")
    with pytest.raises(InvalidToml) as caught:
        source.parse()
    assert caught.value.message == "arrays or inline tables nested too deeply"
    assert caught.value.line == 2
    assert caught.value.column is not None and caught.value.column > 8


def test_a_deeply_nested_catalog_file_is_one_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text('[platform]\nid = "deep"\nname = "Deep"\naliases = ' + "[" * DEEP + "\n")
    line = _one_line(runner.invoke(cli, ["catalog", "list", "--catalog", str(tmp_path)]), ExitCode.USAGE)
    assert line.startswith(f"netaudit: error: {tmp_path}/deep.toml:4:")
    assert line.endswith("invalid TOML: arrays or inline tables nested too deeply")


@pytest.mark.parametrize("command", [["profiles", "validate"], ["profiles", "list", "--profiles"]])
def test_a_deeply_nested_profiles_file_is_one_line_and_exit_2(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "deep.toml"
    path.write_text('[organization]\nname = "Deep"\n\n[profiles.staff]\naccess = ' + "[" * DEEP + "\n")
    line = _one_line(runner.invoke(cli, [*command, str(path)]), ExitCode.USAGE)
    assert line.startswith(f"netaudit: error: {path}:5")
    assert "invalid TOML: arrays or inline tables nested too deeply" in line


# --- an unbalanced IPv6 URL (urlsplit raised ValueError) --------------------------------------------


def test_an_unbalanced_ipv6_url_on_the_command_line(runner: CliRunner) -> None:
    line = _one_line(runner.invoke(cli, ["probe", "http://[::1", "--no-proxy"]), ExitCode.USAGE)
    assert line == "netaudit: error: argument 1: 'http://[::1' is not an http(s) URL or a host name"


def test_an_unbalanced_ipv6_url_in_an_input_file(runner: CliRunner, tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("# one bad line\nhttp://[::1\n")
    line = _one_line(runner.invoke(cli, ["probe", "--input", str(listing), "--no-proxy"]), ExitCode.USAGE)
    assert line == f"netaudit: error: {listing}:2: 'http://[::1' is not an http(s) URL or a host name"


def test_an_unbalanced_ipv6_url_in_a_catalog_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "v6.toml").write_text(
        '[platform]\nid = "v6"\nname = "V6"\n\n[[endpoint]]\ncapability = "read"\nurl = "http://[::1"\n'
    )
    line = _one_line(runner.invoke(cli, ["catalog", "list", "--catalog", str(tmp_path)]), ExitCode.USAGE)
    assert line == (
        f"netaudit: error: {tmp_path}/v6.toml:7: endpoint 1.url: 'http://[::1' is not a usable URL: Invalid IPv6 URL"
    )


# --- standard output that cannot be written (a real process: CliRunner has no real stdout) ----------


def _netaudit(*args: str, **options: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "netaudit", *args], cwd=ROOT, stderr=subprocess.PIPE, **options
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "command", [["catalog", "list"], ["catalog", "list", "--format", "json"], ["profiles", "validate"]]
)
def test_a_full_standard_output_is_exit_3_and_one_line(command: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        process = _netaudit(*command, stdout=full)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.ENVIRONMENT
    assert stderr.decode().splitlines() == ["netaudit: error: cannot write to standard output: No space left on device"]


def test_a_closed_pipe_stays_quiet() -> None:
    process = _netaudit("catalog", "list", stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before netaudit writes (as `| head -0` would be)
    _, stderr = process.communicate(timeout=60)
    assert stderr == b""
    assert process.returncode == ExitCode.OK

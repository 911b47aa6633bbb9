"""The command line through click's CliRunner: help, version, errors and exit codes, output files."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner

from netaudit import __version__
from netaudit.cli import cli
from netaudit.errors import ExitCode
from tests.netlab.origin import OriginServer, tls_context

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("cli-origin")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    server = OriginServer("127.0.0.1", 0, "ok", tls_context(str(folder / "server.pem")))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", folder / "ca.pem"
    server.shutdown()
    server.server_close()


def _probe_args(origin: tuple[str, Path], *extra: str) -> list[str]:
    url, ca = origin
    return ["probe", url, "--no-proxy", "--ca-bundle", str(ca), "--public-roots", str(ca), "--timeout", "3", *extra]


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"netaudit {__version__}"


def test_probe_json(runner: CliRunner, origin: tuple[str, Path]) -> None:
    result = runner.invoke(cli, _probe_args(origin, "--format", "json"))
    assert result.exit_code == ExitCode.OK, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "netaudit/probe/1"
    assert document["tool"]["version"] == __version__
    assert set(document["environment"]) >= {"proxy", "resolver", "trust", "public_roots", "host"}
    (entry,) = document["results"]
    assert entry["status"] == "reachable" and entry["route"] == "direct"
    assert set(entry) >= {
        "id",
        "url",
        "platform",
        "capability",
        "status",
        "layer",
        "detail",
        "route",
        "proxy",
        "dns",
        "tls",
        "http",
        "timings_ms",
        "elapsed_ms",
    }


def test_probe_table(runner: CliRunner, origin: tuple[str, Path]) -> None:
    result = runner.invoke(cli, _probe_args(origin))
    assert result.exit_code == 0
    assert "reachable" in result.stdout and "1 endpoints: 1 reachable" in result.stdout


def test_output_file_is_written_only_when_done(runner: CliRunner, origin: tuple[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "reports" / "probe.json"
    result = runner.invoke(cli, _probe_args(origin, "--format", "json", "-o", str(target)))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["results"][0]["status"] == "reachable"
    assert [p.name for p in target.parent.iterdir()] == ["probe.json"]


def test_failed_run_leaves_the_earlier_report_alone(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "probe.json"
    target.write_text("earlier report")
    result = runner.invoke(cli, ["probe", "not a url!", "--no-proxy", "-o", str(target)])
    assert result.exit_code == ExitCode.USAGE
    assert target.read_text() == "earlier report"


def test_input_file(runner: CliRunner, origin: tuple[str, Path], tmp_path: Path) -> None:
    url, ca = origin
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# social sites\n{url}\n\n{url}   # the same again\n")
    args = ["probe", "--input", str(listing), "--no-proxy", "--ca-bundle", str(ca), "--public-roots", str(ca)]
    result = runner.invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["results"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["probe", "ftp://x.test/"], "argument 1: 'ftp://x.test/' is not an http(s) URL or a host name"),
        (["probe", "--platform", "myspace"], "unknown platform 'myspace'"),
        (["probe", "--input", "/nonexistent/list.txt"], "--input /nonexistent/list.txt: cannot read it"),
        (["probe", "x.test", "--resolver", "not-an-ip"], "--resolver"),
        (["probe", "x.test", "--proxy", "http://u:s3cret@proxy.test:3128"], "do not put the password in the URL"),
        (["probe", "x.test", "--proxy", "http://p.test:3128", "--no-proxy"], "exclude each other"),
        (["probe", "x.test", "--proxy", "https://p.test:443"], "https:// proxies (TLS to the proxy itself) are not"),
        (["catalog", "show", "myspace"], "unknown platform 'myspace'"),
        (["catalog", "list", "--catalog", "/nonexistent-folder"], "nonexistent-folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == ExitCode.USAGE, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netaudit: error: ")
    assert message in lines[0]
    assert "s3cret" not in result.output
    assert "Traceback" not in result.output


def test_bad_catalog_file_names_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "slack.toml").write_text(
        '[platform]\nid = "slack"\nname = "Slack"\n\n[[endpoint]]\ncapabilty = "read"\n'
    )
    result = runner.invoke(cli, ["catalog", "list", "--catalog", str(tmp_path)])
    assert result.exit_code == ExitCode.USAGE
    assert f"{tmp_path}/slack.toml:6:" in result.stderr
    assert "capabilty" in result.stderr


def test_wrong_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["probe", "--bogus"])
    assert result.exit_code == ExitCode.USAGE
    assert "No such option '--bogus'" in result.output


def test_catalog_list_and_show(runner: CliRunner) -> None:
    listing = runner.invoke(cli, ["catalog", "list", "--format", "json"])
    assert listing.exit_code == 0
    ids = [platform["id"] for platform in json.loads(listing.stdout)["platforms"]]
    assert {"facebook", "instagram", "linkedin", "x", "youtube", "tiktok", "pinterest", "reddit"} <= set(ids)
    shown = runner.invoke(cli, ["catalog", "show", "twitter"])
    assert shown.exit_code == 0 and "x.post.1" in shown.stdout


def test_user_catalog_adds_a_platform(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["catalog", "list", "--catalog", str(DATA / "catalog-extra")])
    assert result.exit_code == 0 and "slack" in result.stdout


def test_catalog_from_environment(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["catalog", "list"], env={"NETAUDIT_CATALOG": str(DATA / "catalog-extra")})
    assert result.exit_code == 0 and "slack" in result.stdout


def _closed_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_pac_file_is_an_environment_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["probe", "x.test", "--pac", f"http://127.0.0.1:{_closed_tcp_port()}/proxy.pac"])
    assert result.exit_code == ExitCode.ENVIRONMENT
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not fetch the PAC file" in lines[0]


def test_unwritable_output_is_an_environment_error(runner: CliRunner, origin: tuple[str, Path], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    result = runner.invoke(cli, _probe_args(origin, "-o", str(blocker / "probe.json")))
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert result.stderr.startswith("netaudit: error: cannot write")

"""The Prometheus form handed to the real programs from Debian: node_exporter's textfile collector reads
netaudit's file (scraped over loopback), and a Pushgateway receives a push (read back from its API).

Both are started by the tests on loopback ports and stopped after. Where the programs are not installed
the tests skip, except under NETAUDIT_REQUIRE_INTEGRATION=1 (CI installs them: .ci/run).
"""

from __future__ import annotations

import json
import shutil
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from netaudit.errors import EnvironmentProblem, InputError
from netaudit.metrics_push import push, write_textfile
from tests.conftest import integration_required
from tests.netlab.procs import Service, start_service

NODE_EXPORTER = shutil.which("prometheus-node-exporter")
PUSHGATEWAY = shutil.which("prometheus-pushgateway")

TEXT = """\
# HELP netaudit_profile_ready 1 when the profile is ready.
# TYPE netaudit_profile_ready gauge
netaudit_profile_ready{site="leeds",profile="staff"} 0
netaudit_profile_ready{site="leeds",profile="comms"} 1
# HELP netaudit_findings Checks of each profile by finding kind.
# TYPE netaudit_findings gauge
netaudit_findings{site="leeds",profile="staff",finding="leak"} 2
"""


def _program(path: str | None, package: str) -> str:
    if path is None:
        message = f"{package} is not installed (apt-get install {package})"
        if integration_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read().decode("utf-8")


def _answers(url: str) -> bool:
    try:
        _get(url)
    except OSError:
        return False
    return True


def _start(name: str, argv: list[str], log: Path, ready: str) -> Service:
    service = start_service(name, argv, log)
    try:
        service.wait_ready(lambda: _answers(ready), timeout=30)
    except Exception:
        service.stop()
        raise
    return service


@pytest.fixture
def node_exporter(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    program = _program(NODE_EXPORTER, "prometheus-node-exporter")
    folder = tmp_path / "textfile"
    folder.mkdir()
    port = _free_port()
    argv = [
        program,
        f"--web.listen-address=127.0.0.1:{port}",
        "--collector.disable-defaults",
        "--collector.textfile",
        f"--collector.textfile.directory={folder}",
    ]
    base = f"http://127.0.0.1:{port}"
    service = _start("node_exporter", argv, tmp_path / "node_exporter.log", f"{base}/metrics")
    try:
        yield f"{base}/metrics", folder
    finally:
        service.stop()


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[str]:
    program = _program(PUSHGATEWAY, "prometheus-pushgateway")
    port = _free_port()
    argv = [program, f"--web.listen-address=127.0.0.1:{port}", f"--persistence.file={tmp_path / 'push.data'}"]
    base = f"http://127.0.0.1:{port}"
    service = _start("pushgateway", argv, tmp_path / "pushgateway.log", f"{base}/-/ready")
    try:
        yield base
    finally:
        service.stop()


def test_node_exporter_serves_the_textfile(node_exporter: tuple[str, Path]) -> None:
    url, folder = node_exporter
    write_textfile(folder / "netaudit.prom", TEXT)
    scraped = _get(url)
    assert 'netaudit_profile_ready{profile="staff",site="leeds"} 0' in scraped
    assert 'netaudit_findings{finding="leak",profile="staff",site="leeds"} 2' in scraped
    assert "node_textfile_scrape_error 0" in scraped
    # A second run replaces the file whole: the next scrape sees only the new values.
    write_textfile(folder / "netaudit.prom", TEXT.replace("} 2", "} 0"))
    assert 'netaudit_findings{finding="leak",profile="staff",site="leeds"} 0' in _get(url)
    assert [path.name for path in folder.iterdir()] == ["netaudit.prom"]


def test_node_exporter_reads_the_audits_prometheus_form(node_exporter: tuple[str, Path]) -> None:
    from netaudit import render
    from tests.fixtures.run import fixture_run

    url, folder = node_exporter
    write_textfile(folder / "netaudit.prom", render.AUDIT.render("prometheus", fixture_run()))
    scraped = _get(url)
    assert "node_textfile_scrape_error 0" in scraped
    ready = [line for line in scraped.splitlines() if line.startswith("netaudit_profile_ready{")]
    marketing = [line for line in ready if 'profile="marketing"' in line]
    assert len(marketing) == 1 and 'site="london-hq"' in marketing[0] and marketing[0].endswith(" 1")
    assert len(ready) == len(fixture_run().policy.profiles)


def test_the_textfile_must_be_a_prom_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"reads only \*\.prom files"):
        write_textfile(tmp_path / "netaudit.txt", TEXT)


def _groups(base: str) -> list[dict[str, object]]:
    answer = json.loads(_get(f"{base}/api/v1/metrics"))
    assert answer["status"] == "success"
    return list(answer["data"])


def test_a_push_is_grouped_by_site_and_instance(pushgateway: str) -> None:
    push(pushgateway, TEXT, site="leeds", instance="ws-17")
    push(pushgateway, TEXT.replace("leeds", "york"), site="york", instance="ws-02")
    groups = {(g["labels"]["site"], g["labels"]["instance"]): g for g in _groups(pushgateway)}  # type: ignore[index]
    assert set(groups) == {("leeds", "ws-17"), ("york", "ws-02")}
    leeds = groups[("leeds", "ws-17")]
    assert leeds["labels"] == {"job": "netaudit", "site": "leeds", "instance": "ws-17"}  # type: ignore[index]
    ready = leeds["netaudit_profile_ready"]["metrics"]  # type: ignore[index]
    assert {(m["labels"]["profile"], m["value"]) for m in ready} == {("staff", "0"), ("comms", "1")}
    # The next run of the same site replaces its group (PUT): a series it no longer has is gone.
    push(pushgateway, TEXT.split("# HELP netaudit_findings")[0], site="leeds", instance="ws-17")
    leeds = {(g["labels"]["site"], g["labels"]["instance"]): g for g in _groups(pushgateway)}[("leeds", "ws-17")]  # type: ignore[index]
    assert "netaudit_findings" not in leeds and "netaudit_profile_ready" in leeds


def test_the_audits_prometheus_form_is_pushed_whole(pushgateway: str) -> None:
    from netaudit import render
    from tests.fixtures.run import fixture_run

    push(pushgateway, render.AUDIT.render("prometheus", fixture_run()), site="london-hq", instance="ws-17")
    (group,) = _groups(pushgateway)
    ready = group["netaudit_profile_ready"]["metrics"]  # type: ignore[index]
    assert {(m["labels"]["profile"], m["value"]) for m in ready} >= {("marketing", "1"), ("staff", "0")}


def test_a_push_nobody_receives_is_an_environment_problem() -> None:
    with pytest.raises(EnvironmentProblem, match=r"cannot push to the Pushgateway http://127\.0\.0\.1:"):
        push(f"http://127.0.0.1:{_free_port()}", TEXT, site="leeds", instance="ws")


def test_text_that_is_not_exposition_format_is_refused() -> None:
    with pytest.raises(InputError, match="not valid exposition text"):
        push("http://127.0.0.1:9", "this is { not metrics\n", site="", instance="ws")

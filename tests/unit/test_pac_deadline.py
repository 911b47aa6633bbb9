"""A PAC file is bounded by the deadline: an endless script or a dripping PAC URL ends the run with exit 3.

pypac's JavaScript engine holds the GIL and cannot be interrupted, so these tests are what proves
that the PAC really runs out of process: an in-process evaluation would hang them (and pytest's
timeout would fail them).
"""

from __future__ import annotations

import os
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from netaudit.cli import cli
from netaudit.errors import EnvironmentProblem, ExitCode, ProxyLookupError
from netaudit.model import ProxySpec
from netaudit.net.config import build_netconfig

TIMEOUT = 2.0
MARGIN = 1.5
"""Starting the PAC's child process (Python and pypac) takes a few tenths of a second on a busy machine."""

LOOP_JS = "function FindProxyForURL(url, host) { while (true) {} }\n"
LOOP_AT_TOP_JS = "var i = 0; while (true) { i++; }\nfunction FindProxyForURL(url, host) { return 'DIRECT'; }\n"
LOOP_FOR_ONE_HOST_JS = """
function FindProxyForURL(url, host) {
    if (host == "loop.test") { while (true) {} }
    return "PROXY proxy.corp:3128";
}
"""


class _Drip(socketserver.BaseRequestHandler):
    """Answers 200 and then one byte a second, forever (or drips the headers themselves)."""

    headers_too = False

    def handle(self) -> None:
        self.request.recv(4096)
        try:
            if self.headers_too:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" * 100:
                    self.request.sendall(bytes([byte]))
                    time.sleep(1)
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(600):
                self.request.sendall(b"/")
                time.sleep(1)
        except OSError:
            pass


class _DripHeaders(_Drip):
    headers_too = True


def _serve(handler: type[socketserver.BaseRequestHandler]) -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/proxy.pac"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dripping_body() -> Iterator[str]:
    yield from _serve(_Drip)


@pytest.fixture
def dripping_headers() -> Iterator[str]:
    yield from _serve(_DripHeaders)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})


def _one_line(stderr: str, expected: str, label: str) -> bool:
    """The one line expected; or, on a machine too busy to start the PAC's child in time, the line saying so."""
    lines = stderr.strip().splitlines()
    not_started = f"netaudit: error: {label}: the PAC evaluator (a child process) did not start within 2 s"
    return lines == [expected] or (len(lines) == 1 and lines[0].startswith(not_started))


def _run_cli(runner: CliRunner, pac: str) -> tuple[float, str, int]:
    started = time.monotonic()
    result = runner.invoke(cli, ["probe", "x.test", "--pac", pac, "--timeout", str(TIMEOUT)])
    return time.monotonic() - started, result.stderr, result.exit_code


@pytest.mark.parametrize("js", [LOOP_JS, LOOP_AT_TOP_JS], ids=["in-FindProxyForURL", "at-top-level"])
def test_an_endless_pac_script_ends_with_exit_3_within_the_timeout(runner: CliRunner, tmp_path: Path, js: str) -> None:
    pac = tmp_path / "loop.pac"
    pac.write_text(js)
    elapsed, stderr, code = _run_cli(runner, str(pac))
    assert code == ExitCode.ENVIRONMENT
    expected = (
        f"netaudit: error: --pac {pac}: not a usable PAC file: it did not finish loading within 2 s (an endless loop?)"
    )
    assert _one_line(stderr, expected, f"--pac {pac}"), stderr
    assert elapsed < TIMEOUT + MARGIN


@pytest.mark.parametrize("fixture", ["dripping_body", "dripping_headers"])
def test_a_dripping_pac_url_ends_with_exit_3_within_the_timeout(
    runner: CliRunner, fixture: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(fixture)
    elapsed, stderr, code = _run_cli(runner, url)
    assert code == ExitCode.ENVIRONMENT
    expected = f"netaudit: error: could not fetch the PAC file {url}: no complete answer within 2 s"
    assert _one_line(stderr, expected, f"the PAC file {url}"), stderr
    assert elapsed < TIMEOUT + MARGIN


def test_a_pac_that_loops_for_one_host_is_a_lookup_error_for_that_host_only(tmp_path: Path) -> None:
    pac = tmp_path / "some.pac"
    pac.write_text(LOOP_FOR_ONE_HOST_JS)
    config = build_netconfig(pac=str(pac), timeout=TIMEOUT, environ={})
    started = time.monotonic()
    with pytest.raises(ProxyLookupError, match=r"did not answer for loop\.test within 2 s"):
        config.proxy_for("https://loop.test/")
    assert time.monotonic() - started < TIMEOUT + MARGIN
    # The child that looped was killed; the next question gets a fresh one, and the answer.
    assert config.proxy_for("https://fine.test/") == ProxySpec("http", "proxy.corp", 3128)
    with pytest.raises(ProxyLookupError):  # cached, not asked (and waited for) again
        config.proxy_for("https://loop.test/")


def test_a_pac_file_thinking_does_not_stall_the_other_probes_of_the_hub(tmp_path: Path) -> None:
    """A probe in the probe hub asks the PAC file from a thread: while the PAC loops (up to its
    deadline), the hub's other probes go on; their deadlines must not pass while it thinks."""
    import socket

    from netaudit.probe.hub import Hub, wait_ready

    pac = tmp_path / "one-host.pac"
    pac.write_text(LOOP_FOR_ONE_HOST_JS)
    config = build_netconfig(pac=str(pac), timeout=TIMEOUT, environ={})
    seen: list[tuple[str, float]] = []
    started = time.monotonic()

    def ask_the_pac() -> None:
        with pytest.raises(ProxyLookupError):
            config.proxy_for("https://loop.test/")
        seen.append(("pac", time.monotonic() - started))

    def other_probe() -> None:
        quiet, other = socket.socketpair()
        with quiet, other:
            for _ in range(3):  # three short waits, each resumed on time
                assert wait_ready(quiet, 0.1) is False
        seen.append(("other", time.monotonic() - started))

    hub = Hub()
    hub.spawn(ask_the_pac)
    hub.spawn(other_probe)
    hub.run()
    assert [who for who, _ in seen] == ["other", "pac"]
    assert dict(seen)["other"] < 1.0  # not after the PAC's 2 s
    assert dict(seen)["pac"] >= TIMEOUT - 0.1


def test_a_pac_file_that_loops_is_an_environment_problem_of_the_library(tmp_path: Path) -> None:
    pac = tmp_path / "loop.pac"
    pac.write_text(LOOP_JS)
    with pytest.raises(EnvironmentProblem) as caught:
        build_netconfig(pac=str(pac), timeout=1.0, environ={})
    assert caught.value.exit_code == ExitCode.ENVIRONMENT


def _pac_children() -> list[int]:
    """Our child processes running the PAC evaluator (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        state = stat.rpartition(")")[2].split()[0]
        if parent == os.getpid() and state != "Z" and b"netaudit.net.pacworker" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_an_endless_pac_leaves_no_process_spinning(tmp_path: Path) -> None:
    before = set(_pac_children())
    pac = tmp_path / "loop.pac"
    pac.write_text(LOOP_JS)
    with pytest.raises(EnvironmentProblem):
        build_netconfig(pac=str(pac), timeout=0.5, environ={})
    assert set(_pac_children()) - before == set()

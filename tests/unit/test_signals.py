"""SIGTERM and SIGHUP stop netaudit like Ctrl-C: one line, nothing written, exit 143 / 129 (a real process)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netaudit.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="needs POSIX signals")


class _Silent:
    """A loopback server that accepts connections and never answers; `accepted` is set at the first."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def silent() -> Iterator[_Silent]:
    server = _Silent()
    yield server
    server.close()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["TERM", "HUP"])
@pytest.mark.parametrize("earlier", [None, "an earlier report"], ids=["new-file", "existing-file"])
def test_a_signal_stops_a_slow_probe_with_one_line_and_nothing_written(
    silent: _Silent, tmp_path: Path, signum: int, code: int, earlier: str | None
) -> None:
    output = tmp_path / "probe.json"
    if earlier is not None:
        output.write_text(earlier)
    command = [sys.executable, "-m", "netaudit", "probe", f"http://127.0.0.1:{silent.port}/", "--no-proxy"]
    process = subprocess.Popen(
        [*command, "--timeout", "60", "--format", "json", "-o", str(output)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert silent.accepted.wait(30), "the probe never connected"
        time.sleep(0.2)  # the probe is now waiting for an answer that never comes
        assert process.poll() is None
        sent = time.monotonic()
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert time.monotonic() - sent < 5
    assert process.returncode == code
    assert code in (ExitCode.TERMINATED, ExitCode.HANGUP)
    assert stderr.decode().splitlines() == ["netaudit: terminated; nothing was written"]
    assert stdout == b""
    if earlier is None:
        assert not output.exists()
    else:
        assert output.read_text() == earlier
    assert [p.name for p in tmp_path.iterdir()] == ([] if earlier is None else ["probe.json"])

"""Faults of this machine are reported as such: running out of file descriptors is exit 3, never a verdict."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FD_LIMIT = 48


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port on loopback that accepts connections (kernel backlog) and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(512)
        yield int(sock.getsockname()[1])


def _limit_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def test_running_out_of_file_descriptors_is_a_local_error(silent_listener: int, tmp_path: Path) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(f"https://127.0.0.1:{silent_listener}/p{i}\n" for i in range(200)), encoding="utf-8")
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "netaudit",
            "probe",
            "--input",
            str(targets),
            "--no-proxy",
            "--concurrency",
            "100",
            "--timeout",
            "5",
            "--format",
            "json",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_descriptors,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netaudit: error: this machine ran out of resources"), proc.stderr
    assert "ulimit -n" in lines[0]
    assert "Traceback" not in proc.stderr and not out.exists()

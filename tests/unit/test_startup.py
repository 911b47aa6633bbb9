"""What `netaudit probe` loads before its first probe: only what the run needs.

A probe run without PAC, bypass or HTML output loads neither aioquic (dnspython's DNS-over-QUIC
pulled it in) nor jinja2, prometheus_client, requests, pypac or tabulate, and a valid fingerprint
file is read without looking up any entry's line (that scans the whole file).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from netaudit.probe import blockpages, sinkhole
from netaudit.resources import package_data
from netaudit.tomlsource import TomlSource

REPO = Path(__file__).resolve().parents[2]

NOT_FOR_A_PLAIN_PROBE = (
    "aioquic",
    "service_identity",
    "jinja2",
    "prometheus_client",
    "requests",
    "pypac",
    "tabulate",
    "netaudit.net.pac",
    "netaudit.render.html",
    "netaudit.bypass.quic",
)

_SCRIPT = """
import atexit, json, sys
target = sys.argv[1]
atexit.register(lambda: open(target, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["netaudit", *sys.argv[2:]]
from netaudit.cli import main
main()
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_probe_loads_only_what_it_needs(tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{_closed_port()}/"  # refused at once: loopback only
    modules_file, out = tmp_path / "modules.json", tmp_path / "out.json"
    argv = [sys.executable, "-c", _SCRIPT, str(modules_file), "probe", "--no-proxy", "--timeout", "2"]
    argv += ["--format", "json", "-o", str(out), url]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["results"][0]["status"] == "tcp_refused"
    loaded = set(json.loads(modules_file.read_text()))
    assert "dns.query" in loaded and "netaudit.probe.engine" in loaded  # the probe did run
    assert not {name for name in loaded if name.split(".")[0] in NOT_FOR_A_PLAIN_PROBE or name in NOT_FOR_A_PLAIN_PROBE}


def test_a_valid_fingerprint_file_is_read_without_looking_up_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[object] = []
    original = TomlSource.line_of

    def line_of(self: TomlSource, key: tuple[str | int, ...]) -> int | None:
        looked_up.append(key)
        return original(self, key)

    monkeypatch.setattr(TomlSource, "line_of", line_of)
    copy = tmp_path / "ooni.toml"  # a path of its own: the built-in files may be cached already
    shutil.copy(package_data("ooni-fingerprints.toml"), copy)
    assert len(blockpages.load_fingerprints(copy)) > 500
    dns_copy = tmp_path / "ooni-dns.toml"
    shutil.copy(package_data("ooni-dns.toml"), dns_copy)
    assert len(sinkhole.load_dns_fingerprints(dns_copy)) > 10
    assert looked_up == []
    bad = tmp_path / "bad.toml"
    bad.write_text('[[fingerprint]]\nname = "a"\nproduct = "P"\nlocation = "body"\nmatch = "contains"\n')
    with pytest.raises(Exception, match=r"bad\.toml:1: fingerprint #1 \(a\): missing 'pattern'"):
        blockpages.load_fingerprints(bad)
    assert looked_up  # a message still names the line

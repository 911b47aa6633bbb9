"""Real filter answers and look-alikes (tests/data/blockpage-corpus), served by a proxy on loopback.

Each sample of INDEX.toml is served the way its ``serving`` says: a proxy answering a plain GET
with it, a proxy refusing CONNECT with it, or a redirect whose Location the proxy answers with the
landing page. netaudit's real engine probes it through that proxy. A block sample must get one of
its ``expect`` statuses with the product named in ``http.fingerprint``; a look-alike (not_block)
must never be flagged: no block_page or proxy_denied, no fingerprint. No root needed.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from netaudit.model import Status, Target
from netaudit.net.config import build_netconfig
from netaudit.probe.engine import Prober

CORPUS = Path(__file__).resolve().parent.parent / "data" / "blockpage-corpus"
SAMPLES: list[dict[str, Any]] = tomllib.loads((CORPUS / "INDEX.toml").read_text(encoding="utf-8"))["sample"]
FLAGGED = {Status.BLOCK_PAGE, Status.PROXY_DENIED}


def answer_bytes(name: str, eol: str = "crlf") -> bytes:
    """A sample file as sent on the wire: its head with CRLF (or bare LF) line ends, then the body."""
    raw = (CORPUS / name).read_bytes()
    head, _, body = raw.partition(b"\n\n")
    end = b"\r\n" if eol == "crlf" else b"\n"
    return end.join(head.split(b"\n")) + end + end + body


@dataclass
class Scene:
    """What the loopback proxy answers: per request target, or `default` for anything else."""

    default: bytes
    by_target: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


class _Handler(socketserver.BaseRequestHandler):
    server: _Proxy

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                return
            head += chunk
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        target = parts[1] if len(parts) > 1 else ""
        scene = self.server.scene
        scene.requests.append(request_line)
        sock.sendall(scene.by_target.get(target, scene.default))
        sock.shutdown(socket.SHUT_WR)


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.scene = Scene(b"")


@pytest.fixture(scope="module")
def proxy() -> Iterator[_Proxy]:
    server = _Proxy()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _scene(sample: dict[str, Any]) -> tuple[Scene, str]:
    eol = sample.get("eol", "crlf")
    answer = answer_bytes(sample["file"], eol)
    if sample["serving"] == "connect_answer":
        return Scene(answer), "https://www.facebook.com/"
    if sample["serving"] == "plain_http_proxy_answer":
        return Scene(answer), "http://www.facebook.com/"
    assert sample["serving"] == "redirect", sample["serving"]
    location = ""
    for line in answer.split(b"\n"):
        if line.lower().startswith(b"location:"):
            location = line.split(b":", 1)[1].strip().decode("latin-1")
    landing = answer_bytes(sample["landing"], eol)
    return Scene(answer, {location: landing}), "http://www.facebook.com/"


def _probe(proxy: _Proxy, sample: dict[str, Any]) -> Any:
    proxy.scene, url = _scene(sample)
    port = proxy.server_address[1]
    config = build_netconfig(proxy=f"http://127.0.0.1:{port}", timeout=5.0, environ={})
    return Prober(config).probe(Target(id=sample["file"], url=url))


def test_the_corpus_has_both_kinds() -> None:
    kinds = {sample["kind"] for sample in SAMPLES}
    assert kinds == {"block", "not_block"}
    for sample in SAMPLES:
        assert (CORPUS / sample["file"]).is_file(), sample["file"]


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s["kind"] == "block"], ids=lambda s: s["file"])
def test_a_filter_answer_is_recognised_and_names_its_product(proxy: _Proxy, sample: dict[str, Any]) -> None:
    result = _probe(proxy, sample)
    assert proxy.scene.requests, "the probe never reached the loopback proxy"
    assert result.status.value in sample["expect"], f"{result.status.value}: {result.detail}"
    fingerprint = result.http.fingerprint.lower() if result.http else ""
    assert any(name in fingerprint for name in sample["names"]), f"fingerprint {fingerprint!r}: {result.detail}"


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s["kind"] == "not_block"], ids=lambda s: s["file"])
def test_a_look_alike_is_never_flagged(proxy: _Proxy, sample: dict[str, Any]) -> None:
    result = _probe(proxy, sample)
    assert proxy.scene.requests, "the probe never reached the loopback proxy"
    assert result.status not in FLAGGED, f"{result.status.value}: {result.detail}"
    assert not (result.http and result.http.fingerprint), result.http
    assert result.status.value in sample["expect"], f"{result.status.value}: {result.detail}"

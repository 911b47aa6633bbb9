"""International host names are accepted everywhere a URL comes in, and probed in their IDNA form."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import dns.message
import dns.rcode
import pytest
from click.testing import CliRunner

from netaudit.catalog import Catalog, load_catalog
from netaudit.cli import cli
from netaudit.errors import InputError
from netaudit.hostname import ascii_host, ascii_url
from netaudit.targets import parse_target

IDNA = "xn--bcher-kva.example"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})


def test_names_and_urls_in_their_idna_form() -> None:
    assert ascii_host("bücher.example") == IDNA
    assert ascii_host("BÜCHER.example.") == IDNA + "."
    assert ascii_host("www.facebook.com") == "www.facebook.com"
    assert ascii_url("https://bücher.example:8443/straße?q=ä") == f"https://{IDNA}:8443/straße?q=ä"
    assert ascii_url("http://[::1]:80/") == "http://[::1]:80/"
    with pytest.raises(ValueError, match="not a valid international host name"):
        ascii_host("bad\u200d.example")  # a zero-width joiner where IDNA 2008 does not allow it


def test_targets_from_the_command_line_are_in_idna_form() -> None:
    catalog = Catalog({})
    assert parse_target("bücher.example", catalog, "argument 1").url == f"https://{IDNA}/"
    assert parse_target("http://Bücher.example:8080/a", catalog, "argument 1").url == f"http://{IDNA}:8080/a"
    with pytest.raises(InputError, match=r"^argument 1: 'http://bad\u200d\.example/' is not an http"):
        parse_target("http://bad\u200d.example/", catalog, "argument 1")


def test_catalog_urls_are_in_idna_form(tmp_path: Path) -> None:
    (tmp_path / "buecher.toml").write_text(
        '[platform]\nid = "buecher"\nname = "Bücher"\n\n[[endpoint]]\ncapability = "read"\nurl = "https://bücher.example/"\n',
        encoding="utf-8",
    )
    catalog = load_catalog([tmp_path], builtin=False)
    (endpoint,) = catalog.endpoints()
    assert endpoint.url == f"https://{IDNA}/"
    # The Unicode spelling of a catalog URL finds the catalog endpoint.
    assert parse_target("https://bücher.example/", catalog, "argument 1").id == "buecher.read.1"


# --- the probe really asks with the IDNA name ------------------------------------------------------


@pytest.fixture
def dns_stub() -> Iterator[tuple[int, list[str]]]:
    """A resolver on loopback that records each question's name and answers NXDOMAIN."""
    asked: list[str] = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            asked.append(query.question[0].name.to_text())
            answer = dns.message.make_response(query)
            answer.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(answer.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], asked
    stop.set()
    thread.join(timeout=2)
    sock.close()


def test_the_probe_asks_dns_for_the_idna_name(runner: CliRunner, dns_stub: tuple[int, list[str]]) -> None:
    port, asked = dns_stub
    args = ["probe", "http://bücher.example/", "--no-proxy", "--resolver", f"127.0.0.1:{port}"]
    result = runner.invoke(cli, [*args, "--timeout", "3", "--format", "json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["results"]
    assert entry["status"] == "dns_nxdomain"
    assert entry["url"] == f"http://{IDNA}/"
    assert entry["dns"]["name"] == IDNA
    assert set(asked) >= {IDNA + "."}
    assert all(name.isascii() for name in asked)


class _RecordingProxy(socketserver.BaseRequestHandler):
    """A proxy on loopback that records the request head it is sent and refuses it."""

    heads: ClassVar[list[str]] = []

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        type(self).heads.append(data.split(b"\r\n\r\n")[0].decode("latin-1"))
        self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture
def recording_proxy() -> Iterator[tuple[int, list[str]]]:
    _RecordingProxy.heads = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RecordingProxy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    yield server.server_address[1], _RecordingProxy.heads
    server.shutdown()
    server.server_close()


def test_the_proxy_is_sent_the_idna_name(
    runner: CliRunner, recording_proxy: tuple[int, list[str]], tmp_path: Path
) -> None:
    port, heads = recording_proxy
    listing = tmp_path / "targets.txt"
    listing.write_text("https://bücher.example/\nhttp://bücher.example/page\n", encoding="utf-8")
    args = ["probe", "--input", str(listing), "--proxy", f"http://127.0.0.1:{port}", "--timeout", "3"]
    result = runner.invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    statuses = {entry["url"]: entry["status"] for entry in json.loads(result.stdout)["results"]}
    assert set(statuses) == {f"https://{IDNA}/", f"http://{IDNA}/page"}
    assert statuses[f"https://{IDNA}/"] == "proxy_denied"
    lines = sorted(line for head in heads for line in head.splitlines() if not line.startswith("Proxy-"))
    assert f"CONNECT {IDNA}:443 HTTP/1.1" in lines
    assert f"GET http://{IDNA}/page HTTP/1.1" in lines
    assert f"Host: {IDNA}" in lines and f"Host: {IDNA}:443" in lines

"""Chat endpoints (`tcp://` and `tls://host:port`): how the catalog takes them and how the engine probes them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from netaudit.catalog import load_catalog
from netaudit.errors import CatalogError
from netaudit.model import Capability, Layer, Status, Target
from netaudit.net.config import build_netconfig
from netaudit.probe.engine import Prober
from tests.netlab.origin import OriginServer, tls_context


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    folder = tmp_path_factory.mktemp("chat")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    origin = OriginServer("127.0.0.1", 0, "ok", tls_context(str(folder / "server.pem")))
    threading.Thread(target=origin.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    yield int(origin.server_address[1]), folder / "ca.pem"
    origin.shutdown()
    origin.server_close()


def _probe(url: str, roots: Path) -> tuple[Status, Layer, str, bool]:
    config = build_netconfig(no_proxy=True, ca_bundle=str(roots), public_roots=str(roots), timeout=3, environ={})
    result = Prober(config).probe(Target(id="chat.message.1", url=url, platform="chat", capability=Capability.MESSAGE))
    return result.status, result.layer, result.detail, result.http is None


def test_tls_endpoint_goes_as_far_as_the_handshake(server: tuple[int, Path]) -> None:
    port, roots = server
    status, layer, detail, no_http = _probe(f"tls://127.0.0.1:{port}", roots)
    assert (status, layer, no_http) == (Status.REACHABLE, Layer.TLS, True), detail
    assert detail == f"the TLS handshake with 127.0.0.1:{port} completed (no request sent)"


def test_tcp_endpoint_only_opens_the_connection(server: tuple[int, Path]) -> None:
    port, roots = server
    status, layer, detail, _ = _probe(f"tcp://127.0.0.1:{port}", roots)
    assert (status, layer) == (Status.REACHABLE, Layer.TCP)
    assert detail == f"a TCP connection to 127.0.0.1:{port} opened (nothing sent)"


def test_a_closed_chat_port_is_refused(server: tuple[int, Path]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    status, layer, _, _ = _probe(f"tcp://127.0.0.1:{closed}", server[1])
    assert (status, layer) == (Status.TCP_REFUSED, Layer.TCP)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("tls://chat.example", "'tls://chat.example' must be tls://host:port (a port, no path)"),
        ("tcp://chat.example:5222/path", "'tcp://chat.example:5222/path' must be tcp://host:port (a port, no path)"),
        ("ftp://chat.example:21", "'ftp://chat.example:21' must start with http://, https://, tcp:// or tls://"),
    ],
)
def test_the_catalog_wants_a_port_and_no_path(tmp_path: Path, url: str, said: str) -> None:
    (tmp_path / "chat.toml").write_text(
        f'[platform]\nid = "chat"\nname = "Chat"\n\n[[endpoint]]\ncapability = "message"\nurl = "{url}"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as raised:
        load_catalog([tmp_path], builtin=False)
    assert str(raised.value) == f"{tmp_path / 'chat.toml'}:7: endpoint 1.url: {said}"


def test_the_catalog_takes_chat_endpoints(tmp_path: Path) -> None:
    (tmp_path / "chat.toml").write_text(
        '[platform]\nid = "chat"\nname = "Chat"\n\n[[endpoint]]\ncapability = "message"\nurl = "tls://c.example:5222"\n',
        encoding="utf-8",
    )
    (endpoint,) = load_catalog([tmp_path], builtin=False).endpoints()
    assert (endpoint.id, endpoint.capability, endpoint.url) == (
        "chat.message.1",
        Capability.MESSAGE,
        "tls://c.example:5222",
    )

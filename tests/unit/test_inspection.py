"""TLS inspection names its product: the issuer list, and the engine against loopback TLS servers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from netaudit.errors import InputError
from netaudit.model import ProbeResult, Status, Target
from netaudit.net.config import build_netconfig
from netaudit.probe.engine import Prober
from netaudit.probe.inspection import inspection_product, load_inspection_cas
from tests.netlab.origin import OriginServer, tls_context


@pytest.mark.parametrize(
    ("issuer", "product"),
    [
        ("CN=Zscaler Intermediate Root CA (zscalertwo.net) (t),OU=Zscaler Inc.,O=Zscaler Inc.,C=US", "Zscaler"),
        ("CN=Zscaler Root CA,OU=Zscaler Inc.,O=Zscaler Inc.,L=San Jose,ST=California,C=US", "Zscaler"),
        ("CN=Fortinet_CA_SSL,OU=Certificate Authority,O=Fortinet,L=Sunnyvale,ST=California,C=US", "Fortinet FortiGate"),
        ("CN=FGT60E0000000001,OU=Certificate Authority,O=Fortinet,C=US", "Fortinet FortiGate"),
        ("CN=Cisco Umbrella Secondary SubCA ash-SG,O=Cisco", "Cisco Umbrella"),
        ("CN=Cisco Umbrella Root CA,O=Cisco", "Cisco Umbrella"),
        ("CN=ca.example.goskope.com,OU=IT,O=Example Corp,C=US", "Netskope"),
        ("CN=Cloudflare for Teams ECC Certificate Authority,O=Cloudflare\\, Inc,C=US", "Cloudflare Gateway"),
        ("CN=Gateway CA - Cloudflare Managed G1 0123abcd", "Cloudflare Gateway"),
        ("CN=SecurityAppliance_SSL_CA,O=Sophos,C=GB", "Sophos"),
        ("CN=Forward-Trust-CA,O=Palo Alto Networks,C=US", "Palo Alto Networks"),
        ("CN=pfSense-proxy-ca,O=Example", "pfSense"),
        ("CN=mitmproxy,O=mitmproxy", "mitmproxy"),
        # Public CAs and a company's own CA name no product.
        ("CN=R11,O=Let's Encrypt,C=US", ""),
        ("CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", ""),
        ("CN=WR2,O=Google Trust Services,C=US", ""),
        ("CN=Example Corp Issuing CA 2,DC=corp,DC=example", ""),
        ("", ""),
    ],
)
def test_issuers_name_their_product(issuer: str, product: str) -> None:
    assert inspection_product(issuer) == product


def test_every_issuer_cites_its_source_and_the_brief_products_are_there() -> None:
    cas = load_inspection_cas()
    assert all(ca.source for ca in cas)
    products = {ca.product for ca in cas}
    assert {
        "Zscaler",
        "Fortinet FortiGate",
        "Cisco Umbrella",
        "Netskope",
        "Cloudflare Gateway",
        "Sophos",
        "Palo Alto Networks",
        "pfSense",
    } <= products


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[issuer]]\nproduct = 'X'\npattern = 'x'\ncolour = 'red'\n", "{path}:1: issuer #1: unknown key 'colour'"),
        ("[[issuer]]\nproduct = 'X'\npattern = '('\n", "{path}:1: issuer #1: pattern is not a valid regexp"),
        ("[[issuer]]\npattern = 'x'\n", "{path}:1: issuer #1: 'product' must be a non-empty string"),
        ("[[ca]]\nproduct = 'X'\n", "{path}: unknown top-level key 'ca'"),
        ("[[issuer]\n", "{path}: not valid TOML"),
    ],
)
def test_a_bad_issuer_file_is_refused_with_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "inspection.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_inspection_cas(path)
    assert str(caught.value).startswith(message.format(path=path))


# --- the engine: an inspecting CA trusted by the workstation, not by the public roots ----------


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    folder = tmp_path_factory.mktemp("inspection")
    zscaler = trustme.CA(organization_name="Zscaler Inc.")
    company = trustme.CA(organization_name="Example Corp Issuing")
    public = trustme.CA(organization_name="Public Web Root")
    trusted = folder / "trusted.pem"
    trusted.write_bytes(b"".join(ca.cert_pem.bytes() for ca in (zscaler, company, public)))
    public.cert_pem.write_to_path(str(folder / "public.pem"))
    zscaler.cert_pem.write_to_path(str(folder / "zscaler-as-public.pem"))
    started = {}
    for name, ca in (("zscaler", zscaler), ("company", company), ("public", public)):
        chain = folder / f"{name}-chain.pem"
        ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(chain))
        server = OriginServer("127.0.0.1", 0, "ok", tls_context(str(chain)))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        started[name] = server
    yield {"folder": folder, "ports": {name: s.server_address[1] for name, s in started.items()}}
    for server in started.values():
        server.shutdown()
        server.server_close()


def _probe(servers: dict[str, object], name: str, public_roots: str = "public.pem") -> ProbeResult:
    folder = servers["folder"]
    ports = servers["ports"]
    assert isinstance(folder, Path) and isinstance(ports, dict)
    config = build_netconfig(
        no_proxy=True,
        ca_bundle=str(folder / "trusted.pem"),
        public_roots=str(folder / public_roots),
        timeout=3.0,
        environ={},
    )
    return Prober(config).probe(Target(id=name, url=f"https://127.0.0.1:{ports[name]}/"))


def test_inspection_by_a_known_product_is_named(servers: dict[str, object]) -> None:
    result = _probe(servers, "zscaler")
    assert result.status is Status.INSPECTED
    assert result.tls is not None and result.tls.inspector == "Zscaler"
    assert "intercepted by Zscaler" in result.detail


def test_inspection_by_an_unknown_ca_names_no_product(servers: dict[str, object]) -> None:
    result = _probe(servers, "company")
    assert result.status is Status.INSPECTED
    assert result.tls is not None and result.tls.inspector == ""
    assert "Example Corp Issuing" in result.detail


def test_a_publicly_anchored_chain_is_never_called_inspection(servers: dict[str, object]) -> None:
    # The same Zscaler-named CA, but this time among the public roots: the site, not an inspector.
    result = _probe(servers, "zscaler", public_roots="zscaler-as-public.pem")
    assert result.status is Status.REACHABLE
    assert result.tls is not None and result.tls.inspector == ""
    public = _probe(servers, "public")
    assert public.status is Status.REACHABLE and public.tls is not None and public.tls.inspector == ""

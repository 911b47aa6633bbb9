"""scripts/import_ooni_fingerprints.py on a small git repository of OONI-shaped CSVs, and the shipped import."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from netaudit.probe.blockpages import load_fingerprints, match_block_page
from netaudit.probe.sinkhole import load_dns_fingerprints, sinkhole_reason
from netaudit.resources import package_data

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "import_ooni_fingerprints.py"
HEADER = (
    "name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes"
)

HTTP_ROWS = [
    "cl.prod_zscaler_block,prod,,body,contains,Internet Security by Zscaler,10,,,,",
    "cl.prod_squid_error_page,prod,,body,contains,Stylesheet for Squid Error pages,5,,,,",
    'ooni.ae_1,nat,,header.location,prefix,http://www.bluecoat.com/notify-NotifyUser1,5,"AE,SA",ooni,,',
    "cp.c_isp_ru_sibset_body,isp,,body,contains,sibset.ru/blocked,5,,censored planet,,",
    "cp.fp_x_fpru_nginx,fp,,body,contains,<p><em>Thank you for using nginx.</em></p>,5,,,,",
    "cl.vbw_web_page_blocked,vbw,,body,contains,Web Page Blocked,8,,,,",
    "cp.a_prod_sucurifw_1,prod,,body,contains,Sucuri WebSite Firewall - Access Denied,5,,,,",
    "ooni.xx_low,isp,,body,contains,somewhat vague,4,XX,,,",
    "cp.a_prod_drweb_3,prod,,body,regexp,URL .* Sp.*er Gate,5,,,,",
    "cp.bad_regexp,isp,,body,regexp,(unclosed,5,,,,",
]
DNS_ROWS = [
    "cl.dns_prod_fortidns,prod,,dns,full,208.91.112.55,10,,,,Fortinet FortiDNS product",
    "ooni.zz_4,prod,,dns,full,185.228.168.254,5,ZZ,ooni,,Cleanbrowsing DNS content filter",
    "ooni.kh_dns_2,prod,,dns,full,10.10.10.1,5,KH,,,pfBlockerNG",
    "ooni.id_41,isp,,dns,full,restricted.tri.co.id,5,ID,,,",
    "cl.dns_br_1234,vbw,,dns,full,1.2.3.4,10,,,,",
    "ooni.co_nat_1,nat,,dns,full,190.85.224.131,0,CO,,,",
]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_ooni_fingerprints", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    repo = tmp_path_factory.mktemp("blocking-fingerprints")
    _git(repo, "init", "-q")
    (repo / "fingerprints_http.csv").write_text("\n".join([HEADER, *HTTP_ROWS]) + "\n", encoding="utf-8")
    (repo / "fingerprints_dns.csv").write_text("\n".join([HEADER, *DNS_ROWS]) + "\n", encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.net", "commit", "-qm", "rows")
    commit = _git(repo, "rev-parse", "HEAD").strip()
    output = repo / "out.toml"
    assert _script().main([str(repo), "--output", str(output)]) == 0
    return output, commit


def test_the_import_keeps_the_good_rows_and_names_the_commit(imported: tuple[Path, str]) -> None:
    output, commit = imported
    text = output.read_text(encoding="utf-8")
    assert f"commit {commit}" in text
    names = {fp.name: fp for fp in load_fingerprints(output)}
    assert set(names) == {
        "cl.prod_zscaler_block",
        "cl.prod_squid_error_page",
        "ooni.ae_1",
        "cp.c_isp_ru_sibset_body",
        "cp.a_prod_drweb_3",
    }
    assert names["cl.prod_zscaler_block"].product == "Zscaler"
    assert names["ooni.ae_1"].product == "Symantec/Blue Coat"
    assert names["cp.c_isp_ru_sibset_body"].product == "ISP filter (RU)"
    assert names["cl.prod_squid_error_page"].statuses == (403,)  # Squid's 503 pages are its failures
    assert all(fp.source.startswith("OONI ") for fp in names.values())


def test_the_import_says_what_it_left_out(imported: tuple[Path, str]) -> None:
    output = imported[0]
    text = output.read_text(encoding="utf-8") + (output.parent / "ooni-dns.toml").read_text(encoding="utf-8")
    for reason in (
        "scope fp: OONI's false-positive marks",
        "scope vbw: vague blocking words",
        "confidence_no_fp 4 < 5",
        "Sucuri website firewall",
        "regexp that Python cannot compile",
        "DNS pattern that is a name, not an address",
        "not globally routable",
    ):
        assert reason in text, reason


def test_the_imported_dns_rows_are_block_addresses(imported: tuple[Path, str]) -> None:
    dns_file = imported[0].parent / "ooni-dns.toml"  # its own file, next to the HTTP one
    assert f"commit {imported[1]}" in dns_file.read_text(encoding="utf-8")
    assert load_dns_fingerprints(imported[0]) == ()  # the HTTP file has no [[dns]] tables
    entries = {entry.product: entry for entry in load_dns_fingerprints(dns_file)}
    assert set(entries) == {"FortiGuard DNS filter", "CleanBrowsing"}
    assert [str(n) for n in entries["CleanBrowsing"].networks] == ["185.228.168.254/32"]


def test_a_missing_clone_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main([str(tmp_path / "nowhere"), "--output", str(tmp_path / "out.toml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("import_ooni_fingerprints: cannot read") and "\n" not in err
    assert not (tmp_path / "out.toml").exists() and not (tmp_path / "ooni-dns.toml").exists()


# --- the shipped import ------------------------------------------------------------------------


def test_the_shipped_import_cites_its_commit_and_keeps_the_false_positive_marks_out() -> None:
    path = package_data("ooni-fingerprints.toml")
    head = path.read_text(encoding="utf-8")[:3000]
    assert re.search(r"commit [0-9a-f]{40}", head)
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    names = [entry["name"] for entry in document["fingerprint"]]
    assert len(names) > 900
    assert not [name for name in names if ".fp_" in name or ".vbw_" in name]
    dns_path = package_data("ooni-dns.toml")
    assert re.search(r"commit [0-9a-f]{40}", dns_path.read_text(encoding="utf-8")[:3000])
    assert len(tomllib.loads(dns_path.read_text(encoding="utf-8"))["dns"]) > 10


def test_the_shipped_import_is_read_by_the_matcher_and_the_sinkhole_rule() -> None:
    assert match_block_page(200, {}, "<p>Blocked by ContentKeeper</p>") is not None  # OONI ooni.au_2
    assert sinkhole_reason("185.228.168.254") == "185.228.168.254 is a CleanBrowsing block address"
    assert sinkhole_reason("146.112.61.109") == "146.112.61.109 is a Cisco Umbrella/OpenDNS block address"

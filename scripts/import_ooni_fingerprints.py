#!/usr/bin/env python3
"""Regenerate netaudit/data/ooni-fingerprints.toml (HTTP) and ooni-dns.toml from OONI's blocking fingerprints.

The DNS tables have a file of their own: the first DNS answer of every run reads them, and they
are 42 tables against the HTTP file's thousand.

    git clone https://github.com/ooni/blocking-fingerprints /tmp/blocking-fingerprints
    python3 scripts/import_ooni_fingerprints.py ../blocking-fingerprints

The script reads ``fingerprints_http.csv`` and ``fingerprints_dns.csv`` at the clone's HEAD (or
``--commit``) with ``git show``, so the commit it cites is the commit it read. Standard library only.

What is kept out, and why (OONI's Readme, "Schema", defines the columns used here):

- rows whose ``scope`` is ``fp``: OONI's own false-positive marks (pages that look like blocks and
  are not); ``vbw``: "vague blocking words"; ``injb``: a benign router injection; ``prov``: a
  site's own geoblock, not the network's;
- rows whose ``confidence_no_fp`` is below `MIN_CONFIDENCE` (OONI's self-assessed risk of a false
  positive; lower is riskier);
- rows in `EXCLUDED_HTTP` below, each with its reason: answers of services in front of a site (a CDN
  or website firewall refusing the client: the site's answer, not the network's), a proxy's own
  error pages that are not blocks, and bare product names that ordinary pages about the product
  contain too;
- DNS rows that are not IP addresses (netaudit judges addresses), that are not globally routable
  (a private answer may be the office's own split-horizon DNS; netaudit's private-address rule
  judges it after connecting), or that are listed in `EXCLUDED_DNS`.

Rows in `STATUSES` apply only to the HTTP statuses given (the same page or header also appears on
answers that are not blocks). A row's product comes from `PRODUCTS` (first match on the row's
name, other names and pattern); a row without a product is labelled by its scope and countries.
"""

from __future__ import annotations

import argparse
import csv
import io
import ipaddress
import json
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

REPOSITORY = "https://github.com/ooni/blocking-fingerprints"
OUTPUT = Path(__file__).resolve().parent.parent / "netaudit" / "data" / "ooni-fingerprints.toml"
DNS_OUTPUT_NAME = "ooni-dns.toml"
"""The DNS file's name, next to the HTTP one unless --dns-output says otherwise."""
MIN_CONFIDENCE = 5
EXCLUDED_SCOPES = {
    "fp": "OONI's false-positive marks",
    "vbw": "vague blocking words",
    "injb": "a benign injection (router firmware notice)",
    "prov": "a site's own geoblock",
}

_SITE_SIDE = "a service in front of the site refusing the client: the site's answer, not the network's"
_BARE_NAME = "a bare product name or phrase that ordinary pages about the product contain too"
_GENERIC = "a sentence any site's own error page may say"
EXCLUDED_HTTP: dict[str, str] = {
    "cp.a_prod_sucurifw_1": _SITE_SIDE + " (Sucuri website firewall)",
    "cp.a_prod_sucurifw_2": _SITE_SIDE + " (Sucuri website firewall)",
    "ooni.in_6": _SITE_SIDE + " (Cloudflare 'Please Wait' challenge)",
    "ooni.id_39": _SITE_SIDE + " (Cloudflare 'Please Wait' challenge)",
    "ooni.mm_http_2": _SITE_SIDE + " (Cloudflare 'Please Wait' challenge)",
    "cp.a_prod_ddos_guard": _SITE_SIDE + " (DDoS-Guard)",
    "cp.a_prod_pantheon": _SITE_SIDE + " (Pantheon hosting)",
    "cp.a_prod_webknight_firewall": _SITE_SIDE + " (WebKnight, a web-server firewall)",
    "cp.a_prod_squid_1": "Squid's read-error page: the proxy failing, not blocking (netaudit: proxy_error)",
    "cp.a_prod_cacheflow": "a CacheFlow/Blue Coat DNS-error page: the proxy failing, not blocking",
    "cl.prod_lightspeed_filter_forward": "Location containing '/access?': a path any site may redirect to",
    "cp.a_prod_paloalto_6": _GENERIC + " ('Please contact your system administrator if you believe ...')",
    "cp.d_corp_dk_adgan": _GENERIC + " ('Ingen adgang til denne side', no access to this page)",
    "cp.a_prod_kaspersky_1": _BARE_NAME,
    "cp.a_prod_kaspersky_2": _BARE_NAME,
    "cp.a_prod_watchguard_2": _BARE_NAME,
    "cp.a_prod_fortinet_2": _BARE_NAME,
    "cp.a_prod_fortinet_7": _BARE_NAME,
    "cp.a_prod_guardiandns_satellite": _BARE_NAME,
    "cp.a_prod_trend_micro_interscan": _BARE_NAME,
}
EXCLUDED_DNS: dict[str, str] = {
    "ooni.zz_8": "SmartDNS proxy: an unblocking service, not a filter",
}

# The same page or header also comes with answers that are not blocks.
STATUSES: dict[str, tuple[tuple[int, ...], str]] = {
    "cl.prod_squid_error_page": ((403,), "Squid serves the same page for its own failures (503)"),
    "ooni.br_0": ((403,), "the WSA adds its Via to every answer it relays"),
    "ooni.in_1": ((403,), "the WSA adds its Via to every answer it relays"),
    "ooni.in_2": ((403,), "the WSA adds its Via to every answer it relays"),
}

# (regular expression searched in "name other_names pattern", lower-cased; product)
PRODUCTS: tuple[tuple[str, str], ...] = (
    (r"squidguard|sgerror\.php", "squidGuard"),
    (r"squid", "Squid"),
    (r"fortidns", "FortiGuard DNS filter"),
    (r"forti(guard|net|gate)|webfilter violation|web filter violation", "Fortinet FortiGate"),
    (r"paloalto|palo alto|urlblock\.php", "Palo Alto Networks"),
    (r"zscaler", "Zscaler"),
    (r"cisco-wsa|ironport|notification: policy: url filtering", "Cisco WSA"),
    (r"opendns|umbrella", "Cisco Umbrella/OpenDNS"),
    (r"meraki", "Cisco Meraki"),
    (r"\bcisco\b|prod_cisco\b", "Cisco"),
    (r"bluecoat|blue coat", "Symantec/Blue Coat"),
    (r"websense|forcepoint|:15871/", "Forcepoint/Websense"),
    (r"checkpoint|check point|usercheck", "Check Point"),
    (r"mcafee", "McAfee Web Gateway"),
    (r"watchguard|dnswatch", "WatchGuard"),
    (r"sonicwall", "SonicWall"),
    (r"untangle", "Untangle"),
    (r"kerio", "Kerio Control"),
    (r"iboss|iphantom", "iboss"),
    (r"netsweeper|dpid=|dpruleid", "Netsweeper"),
    (r"barracuda|http_scan_byf", "Barracuda"),
    (r"lightspeed", "Lightspeed Systems"),
    (r"cyberoam|sophos", "Sophos"),
    (r"contentkeeper", "ContentKeeper"),
    (r"juniper", "Juniper"),
    (r"cleanbrowsing", "CleanBrowsing"),
    (r"securly|securely", "Securly"),
    (r"adguard", "AdGuard DNS"),
    (r"safedns", "SafeDNS"),
    (r"pihole|pi-hole", "Pi-hole"),
    (r"nextdns", "NextDNS"),
    (r"comodo", "Comodo Secure DNS"),
    (r"\beset\b", "ESET"),
    (r"drweb|dr\.web|sp.{0,3}er gate", "Dr.Web"),
    (r"akamai_etp|etp\.akamai", "Akamai Enterprise Threat Protector"),
    (r"kaspersky", "Kaspersky"),
    (r"wirefilter", "WireFilter"),
    (r"rmedufilter|ifl\.net", "RM Education filter"),
    (r"vasexperts", "VAS Experts"),
    (r"totalav|total av", "Total AV"),
    (r"allot", "Allot"),
    (r"iserv", "IServ"),
    (r"huawei|v2r2c00-iae", "Huawei"),
    (r"olfeo", "Olfeo"),
    (r"netentsec", "NetentSec"),
    (r"flashstart", "FlashStart"),
    (r"cloudveil", "CloudVeil"),
    (r"netpolice", "NetPolice"),
    (r"nawala", "Nawala"),
)

SCOPE_LABELS = {
    "nat": "national filter",
    "isp": "ISP filter",
    "inst": "institution filter",
    "prod": "filter product",
}

_NAME = re.compile(r"[^a-z0-9_.-]+")
# Censored Planet's row names carry the country: cp.c_isp_ru_sibset_body, cp.b_nat_sa_national_2.
_PRODUCT_IN_NAME = re.compile(r"prod_([a-z0-9]+)")
_COUNTRY_IN_NAME = re.compile(r"cp\.[a-z]_(?:isp|nat|inst|corp|gov)_([a-z]{2})_")


def git_show(repo: Path, commit: str, path: str) -> str:
    """The text of `path` at `commit` in the git repository `repo`."""
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def resolve_commit(repo: Path, commit: str) -> str:
    """The full hash of `commit` (a branch, tag or hash) in `repo`."""
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", f"{commit}^{{commit}}"], check=True, capture_output=True, text=True
    ).stdout.strip()


def rows_of(text: str) -> list[dict[str, str]]:
    """The CSV rows of `text`, each a dict of stripped strings."""
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(io.StringIO(text))]


def product_of(row: dict[str, str]) -> str:
    """The product a row names, or a label from its scope and countries.

    The row's name, other names and pattern are searched first, then its notes (without the bare
    word "squid": notes say an ISP's page passes "through squid", which does not make it Squid's).
    """
    haystack = " ".join((row["name"], row.get("other_names", ""), row["pattern"])).lower()
    for expression, product in PRODUCTS:
        if re.search(expression, haystack):
            return product
    notes = row.get("notes", "").lower()
    for expression, product in PRODUCTS:
        if product != "Squid" and re.search(expression, notes):
            return product
    product_row = _PRODUCT_IN_NAME.search(row["name"]) if row["scope"] == "prod" else None
    if product_row:
        return f"filter product '{product_row.group(1)}'"
    label = SCOPE_LABELS.get(row["scope"], "filter")
    countries = [c.strip() for c in row.get("expected_countries", "").split(",") if c.strip() and c.strip() != "ZZ"]
    if not countries:
        named = _COUNTRY_IN_NAME.match(row["name"])
        countries = [named.group(1).upper()] if named else []
    return f"{label} ({', '.join(countries)})" if countries else label


def skip_reason(row: dict[str, str], excluded: dict[str, str]) -> str | None:
    """Why a row is kept out, or None to keep it."""
    if row["scope"] in EXCLUDED_SCOPES:
        return f"scope {row['scope']}: {EXCLUDED_SCOPES[row['scope']]}"
    try:
        confidence = int(row.get("confidence_no_fp") or MIN_CONFIDENCE)
    except ValueError:
        confidence = MIN_CONFIDENCE
    if confidence < MIN_CONFIDENCE:
        return f"confidence_no_fp {confidence} < {MIN_CONFIDENCE}"
    if ".susp_" in row["name"]:
        return "an empty page: OONI's 'susp' (suspicion) rows, not a block page"
    return excluded.get(row["name"])


def toml_string(value: str) -> str:
    """A TOML basic string (JSON escaping is valid TOML for these characters)."""
    return json.dumps(value, ensure_ascii=False)


def clean_name(name: str) -> str:
    """OONI's row name as a netaudit fingerprint name ([a-z0-9_.-])."""
    return _NAME.sub("_", name.lower()).strip("_") or "row"


def source_of(row: dict[str, str]) -> str:
    """Where a row comes from, for the evidence."""
    extra = f", {row['source']}" if row.get("source") and not row["source"].startswith("http") else ""
    return f"OONI {row['name']} (scope {row['scope']}{extra})"


def http_entries(rows: Iterable[dict[str, str]], skipped: dict[str, int]) -> list[str]:
    """The [[fingerprint]] tables for the kept HTTP rows."""
    out: list[str] = []
    seen: set[str] = set()
    for row in rows:
        reason = skip_reason(row, EXCLUDED_HTTP)
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        location = row["location_found"].lower()
        if location != "body" and not location.startswith("header."):
            skipped[f"location {location}"] = skipped.get(f"location {location}", 0) + 1
            continue
        if row["pattern_type"] == "regexp":
            try:
                re.compile(row["pattern"])
            except re.error:
                skipped["regexp that Python cannot compile"] = skipped.get("regexp that Python cannot compile", 0) + 1
                continue
        name = clean_name(row["name"])
        while name in seen:
            name += "_"
        seen.add(name)
        lines = [
            "[[fingerprint]]",
            f"name = {toml_string(name)}",
            f"product = {toml_string(product_of(row))}",
            f"location = {toml_string(location)}",
            f"match = {toml_string(row['pattern_type'])}",
            f"pattern = {toml_string(row['pattern'])}",
        ]
        if row["name"] in STATUSES:
            statuses, why = STATUSES[row["name"]]
            lines.append(f"statuses = [{', '.join(str(s) for s in statuses)}]  # {why}")
        lines.append(f"source = {toml_string(source_of(row))}")
        out.append("\n".join(lines))
    return out


def dns_entries(rows: Iterable[dict[str, str]], skipped: dict[str, int]) -> list[str]:
    """The [[dns]] tables for the kept DNS rows: one per product, addresses in CSV order."""
    by_product: dict[str, tuple[list[str], list[str]]] = {}
    for row in rows:
        reason = skip_reason(row, EXCLUDED_DNS)
        if reason is None:
            try:
                address = ipaddress.ip_address(row["pattern"])
            except ValueError:
                reason = "DNS pattern that is a name, not an address"
            else:
                if not address.is_global:
                    reason = "DNS address that is not globally routable (judged by the private-address rule)"
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        addresses, names = by_product.setdefault(product_of(row), ([], []))
        if row["pattern"] not in addresses:
            addresses.append(row["pattern"])
        names.append(row["name"])
    out = []
    for product, (addresses, names) in by_product.items():
        out.append(
            "\n".join(
                [
                    "[[dns]]",
                    f"product = {toml_string(product)}",
                    f"addresses = [{', '.join(toml_string(a) for a in addresses)}]",
                    f"source = {toml_string('OONI ' + ', '.join(names))}",
                ]
            )
        )
    return out


def render(commit: str, http_rows: list[dict[str, str]], dns_rows: list[dict[str, str]]) -> tuple[str, str, str]:
    """The generated HTTP file, the generated DNS file, and a one-line summary for the terminal."""
    skipped_http: dict[str, int] = {}
    skipped_dns: dict[str, int] = {}
    http = http_entries(http_rows, skipped_http)
    dns = dns_entries(dns_rows, skipped_dns)

    def summary(skipped: dict[str, int]) -> list[str]:
        return [
            f"#   {count:4d}  {reason}" for reason, count in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    def head(csv_name: str, table: str) -> list[str]:
        return [
            "# GENERATED by scripts/import_ooni_fingerprints.py: do not edit by hand; run the script again.",
            "#",
            f"# Source: {REPOSITORY}",
            f"#         commit {commit}, {csv_name}",
            "#         (which gathers ooni/pipeline, censoredplanet/censoredplanet-analysis and",
            "#         citizenlab/filtering-annotations; row names are OONI's).",
            f"# Format: as netaudit/data/blockpages.toml ({table}). netaudit reads that",
            "# file first, then this one; the first entry that matches names the product.",
            "#",
        ]

    http_head = [
        *head("fingerprints_http.csv", "[[fingerprint]]"),
        f"# HTTP rows: {len(http_rows)} read, {len(http)} kept; left out:",
        *summary(skipped_http),
        "",
    ]
    dns_head = [
        *head("fingerprints_dns.csv", "[[dns]]"),
        f"# DNS rows: {len(dns_rows)} read, {len(dns_rows) - sum(skipped_dns.values())} kept "
        f"(in {len(dns)} [[dns]] tables, one per product); left out:",
        *summary(skipped_dns),
        "",
    ]
    http_text = "\n".join(http_head) + "\n" + "\n\n".join(http) + "\n"
    dns_text = "\n".join(dns_head) + "\n" + "\n\n".join(dns) + "\n"
    return http_text, dns_text, f"{len(http)} HTTP fingerprints, {len(dns)} DNS products from {commit[:12]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clone", type=Path, help="a git clone of ooni/blocking-fingerprints")
    parser.add_argument("--commit", default="HEAD", help="the commit to read (default: HEAD)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"the HTTP file (default: {OUTPUT})")
    parser.add_argument("--dns-output", type=Path, help=f"the DNS file (default: {DNS_OUTPUT_NAME} next to --output)")
    args = parser.parse_args(argv)
    dns_output = args.dns_output or args.output.with_name(DNS_OUTPUT_NAME)
    try:
        commit = resolve_commit(args.clone, args.commit)
        http_rows = rows_of(git_show(args.clone, commit, "fingerprints_http.csv"))
        dns_rows = rows_of(git_show(args.clone, commit, "fingerprints_dns.csv"))
    except (OSError, subprocess.CalledProcessError) as exc:
        stderr = getattr(exc, "stderr", "") or str(exc)
        print(f"import_ooni_fingerprints: cannot read {args.clone}: {stderr.strip()}", file=sys.stderr)
        return 2
    http_text, dns_text, summary = render(commit, http_rows, dns_rows)
    args.output.write_text(http_text, encoding="utf-8")
    dns_output.write_text(dns_text, encoding="utf-8")
    print(f"{args.output}, {dns_output}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

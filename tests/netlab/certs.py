"""The lab's certificate authorities and server certificates (trustme), written as PEM files.

* "Netaudit Test Public Root": signs the origins; the client passes it as --public-roots and as
  part of --ca-bundle, so an origin reached directly is `reachable`.
* "Corp Inspection CA": Squid's ssl_bump CA, and the CA of the web filter that serves its block page
  inside HTTPS; only in the workstation's --ca-bundle, so a bumped connection is `inspected` (a block
  page can only reach a browser inside HTTPS through such a CA: a session verified against public
  roots is the site's own).
* "Netaudit Rogue CA": signs the `untrusted` origin; trusted by nobody.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

from .plan import DOMAIN

SERVER_IDENTITIES = (f"*.{DOMAIN}", DOMAIN)


@dataclass(frozen=True)
class CertFiles:
    """Paths of the PEM files the lab writes."""

    public_roots: Path  # the test public root only
    workstation_trust: Path  # public root + corp inspection CA
    public_root: Path
    corp_ca: Path
    corp_ca_key: Path
    rogue_ca: Path
    origin_chain: Path  # key + cert chain signed by the public root
    untrusted_chain: Path  # key + cert chain signed by the rogue CA
    filter_chain: Path  # key + cert chain signed by the corp inspection CA (the web filter's block page)


def _ca(name: str, key_type: trustme.KeyType = trustme.KeyType.ECDSA) -> trustme.CA:
    return trustme.CA(organization_name=name, organization_unit_name="Netaudit integration lab", key_type=key_type)


def make_certs(folder: Path) -> CertFiles:
    """Create the three CAs and the origin certificates, and write them under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    public = _ca("Netaudit Test Public Root")
    corp = _ca("Corp Inspection CA")
    rogue = _ca("Netaudit Rogue CA")

    files = CertFiles(
        public_roots=folder / "public_roots.pem",
        workstation_trust=folder / "workstation_trust.pem",
        public_root=folder / "public_root.pem",
        corp_ca=folder / "corp_ca.pem",
        corp_ca_key=folder / "corp_ca.key",
        rogue_ca=folder / "rogue_ca.pem",
        origin_chain=folder / "origin.pem",
        untrusted_chain=folder / "untrusted.pem",
        filter_chain=folder / "filter.pem",
    )
    public.cert_pem.write_to_path(str(files.public_roots))
    public.cert_pem.write_to_path(str(files.public_root))
    files.workstation_trust.write_bytes(public.cert_pem.bytes() + corp.cert_pem.bytes())
    corp.cert_pem.write_to_path(str(files.corp_ca))
    corp.private_key_pem.write_to_path(str(files.corp_ca_key))
    os.chmod(files.corp_ca_key, 0o600)
    rogue.cert_pem.write_to_path(str(files.rogue_ca))

    origin = public.issue_cert(*SERVER_IDENTITIES, common_name=f"*.{DOMAIN}", organization_name="Social Test Inc.")
    origin.private_key_and_cert_chain_pem.write_to_path(str(files.origin_chain))
    untrusted = rogue.issue_cert(*SERVER_IDENTITIES, common_name=f"*.{DOMAIN}", organization_name="Not Social Test")
    untrusted.private_key_and_cert_chain_pem.write_to_path(str(files.untrusted_chain))
    filtered = corp.issue_cert(*SERVER_IDENTITIES, common_name=f"*.{DOMAIN}", organization_name="Corp Web Filter")
    filtered.private_key_and_cert_chain_pem.write_to_path(str(files.filter_chain))
    return files

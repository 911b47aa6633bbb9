"""TLS inspection products, named by the certificate authority that signs their substitute certificates.

The issuers live in ``netaudit/data/inspection.toml`` (each with its source): a product and a
regexp searched, case-insensitively, in an issuer's distinguished name. `inspection_product`
answers "whose box is this?" for a chain that the workstation trusts and the public roots do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netaudit.errors import InputError
from netaudit.model import TlsEvidence
from netaudit.probe.fingerprintfile import EntryLabel, read_entries
from netaudit.resources import load_once, package_data
from netaudit.tomlschema import each_entry
from netaudit.tomlsource import TomlSource

_KEYS = {"product", "pattern", "source"}


@dataclass(frozen=True)
class InspectionCa:
    """An inspection product and the issuer names its CA goes by."""

    product: str
    pattern: re.Pattern[str]
    source: str = ""


def _read(path: Path) -> tuple[TomlSource, list[Any]]:
    return read_entries(path, "issuer", ("issuer",), "inspection CA file")


@load_once
def _load(path: Path) -> tuple[InspectionCa, ...]:
    toml, entries = _read(path)

    def read(index: int, entry: Any) -> InspectionCa:
        label = EntryLabel(toml, index, "issuer")  # its line is looked for only if a message needs it
        if not isinstance(entry, dict):
            raise InputError(f"{label}: must be a table")
        for key in entry:
            if key not in _KEYS:
                raise InputError(f"{label}: unknown key '{key}' (allowed: {', '.join(sorted(_KEYS))})")
        product, pattern, source = entry.get("product"), entry.get("pattern"), entry.get("source", "")
        if not isinstance(product, str) or not product.strip():
            raise InputError(f"{label}: 'product' must be a non-empty string")
        if not isinstance(pattern, str) or not pattern:
            raise InputError(f"{label}: 'pattern' must be a non-empty string")
        if not isinstance(source, str):
            raise InputError(f"{label}: 'source' must be a string")
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise InputError(f"{label}: pattern is not a valid regexp: {exc}") from None
        return InspectionCa(product.strip(), compiled, source)

    return tuple(each_entry(entries, read))


def load_inspection_cas(path: Path | None = None) -> tuple[InspectionCa, ...]:
    """The issuers of `path` (default: the built-in ``inspection.toml``), loaded once; strict."""
    return _load(Path(path) if path is not None else package_data("inspection.toml"))


def inspection_product(issuer: str, *, cas: tuple[InspectionCa, ...] | None = None) -> str:
    """The inspection product whose CA `issuer` (a distinguished name) is, or "" when none matches."""
    if not issuer:
        return ""
    for ca in cas if cas is not None else load_inspection_cas():
        if ca.pattern.search(issuer):
            return ca.product
    return ""


def inspected_by(tls: TlsEvidence) -> str:
    """`` by <product>`` for a detail sentence when the inspecting product is known, else ""."""
    return f" by {tls.inspector}" if tls.inspector else ""

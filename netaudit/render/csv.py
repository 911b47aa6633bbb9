"""The audit as CSV: one row per finding with its evidence and remediation, a header row, spreadsheet-safe.

A cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) gets a leading apostrophe, so opening the file never runs what a page title or a
profile description smuggled in (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import io

from netaudit.model import AuditRun
from netaudit.render.view import build_view
from netaudit.render.wording import seen

HEADER = (
    "site",
    "host",
    "started_at",
    "profile",
    "platform",
    "capability",
    "finding",
    "expected",
    "expected_level",
    "observed",
    "who_acts",
    "remediation",
    "detail",
    "endpoints",
    "via",
    "identity",
    "layer",
    "dns_answers",
    "tls_issuer",
    "http_status",
    "block_page",
    "evidence",
    "probed_at",
    "finding_id",
)
"""The columns, in order; `finding_id` is stable (`profile.platform.capability`) for joins and diffs."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text: a leading apostrophe when it would start a formula."""
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def render_audit(run: AuditRun) -> str:
    """One row per finding, in the report's order (profile, platform, capability)."""
    view = build_view(run)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for profile in view.profiles:
        for finding_view in profile.findings:
            finding = finding_view.finding
            first = finding_view.evidence[0] if finding_view.evidence else None
            row = (
                view.site,
                view.host,
                view.started_at,
                finding.profile,
                finding.platform,
                finding.capability.value,
                finding.finding.value,
                finding_view.expectation,
                finding.expected.value,
                finding.observed,
                finding_view.who,
                finding.remediation,
                finding.detail,
                " ".join(finding.endpoints),
                (first.proxy or "direct") if first else profile.route.via,
                (first.identity or "") if first else (profile.route.identity or ""),
                first.layer.value if first else "",
                " ".join(first.dns_answers) if first else "",
                first.tls_issuer if first else "",
                "" if first is None or first.http_status is None else str(first.http_status),
                first.block_page if first else "",
                " | ".join(seen(evidence) for evidence in finding_view.evidence),
                finding.probed_at,
                finding.id,
            )
            writer.writerow([neutralise(" ".join(cell.split())) for cell in row])
    return buffer.getvalue()

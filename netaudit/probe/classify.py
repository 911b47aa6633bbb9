"""Decide what an HTTP answer is: the real site, a block page, or the site failing."""

from __future__ import annotations

from dataclasses import dataclass

from netaudit.model import Status, Target
from netaudit.probe.blockpages import match_block_page


@dataclass(frozen=True)
class Verdict:
    """A status for an HTTP answer, its explanation, and the block-page product if one matched."""

    status: Status
    detail: str
    fingerprint: str = ""


def classify_answer(target: Target, status: int, headers: dict[str, str], text: str, title: str) -> Verdict:
    """Compare an answer with what the real site looks like (the catalog's expectations)."""
    fingerprint = match_block_page(status, headers, text, title)
    if fingerprint:
        return Verdict(
            Status.BLOCK_PAGE,
            f"answered {status} with a block page: {fingerprint.describe()}",
            fingerprint.product,
        )
    if status == 451:
        return Verdict(Status.BLOCK_PAGE, "answered 451 Unavailable For Legal Reasons")
    # No guessing from words such as "Access Denied" in a title: a CDN or website firewall in front
    # of the site says the same when it refuses the client (OONI keeps such words as "vague").
    if target.expect_status and status not in target.expect_status:
        expected = ", ".join(str(code) for code in target.expect_status)
        if status in (200, 403) and _title_mismatch(target, title):
            return Verdict(
                Status.BLOCK_PAGE,
                f"answered {status} with '{title}', not the real site (expected {expected})",
            )
        return Verdict(Status.HTTP_ERROR, f"answered {status}; the real site answers {expected}")
    if not target.expect_status and status >= 400:
        return Verdict(Status.HTTP_ERROR, f"answered {status}")
    if 200 <= status < 300 and _title_mismatch(target, title):
        words = " or ".join(f"'{word}'" for word in target.expect_title)
        shown = f"titled '{title}'" if title else "without a title"
        return Verdict(Status.BLOCK_PAGE, f"answered {status} with a page {shown}, not {words}: not the real site")
    return Verdict(Status.REACHABLE, f"answered {status}" + (f" '{title}'" if title else ""))


def _title_mismatch(target: Target, title: str) -> bool:
    if not target.expect_title:
        return False
    lowered = title.lower()
    return not any(word.lower() in lowered for word in target.expect_title)

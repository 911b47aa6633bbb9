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
    note: str = ""


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
        return _unexpected(status, title, f"the real site answers {expected}")
    if not target.expect_status and status >= 400:
        return _unexpected(status, title, "")
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


def _unexpected(status: int, title: str, usual: str) -> Verdict:
    """An answer that nothing proves to be the site's (no TLS session verified against public roots),
    with no sign of a filter and a status the site does not give: `http_error`, with what was expected."""
    shown = f" '{title}'" if title else ""
    return Verdict(Status.HTTP_ERROR, f"answered {status}{shown}" + (f"; {usual}" if usual else ""))


def site_answer(target: Target, status: int, title: str) -> Verdict:
    """An answer inside a TLS session verified for the name against public roots: it comes from the site.

    The path is open (`reachable`) whatever the status; a status the catalog does not expect, or a title
    without the expected words, is a note. Only the site failing (5xx) is `http_error`.
    """
    shown = f" '{title}'" if title else ""
    if status >= 500:
        return Verdict(Status.HTTP_ERROR, f"the site itself answered {status}{shown}")
    notes = []
    if target.expect_status and status not in target.expect_status:
        expected = ", ".join(str(code) for code in target.expect_status)
        notes.append(f"answered {status} where the catalog expects {expected}")
    if 200 <= status < 300 and _title_mismatch(target, title):
        words = " or ".join(f"'{word}'" for word in target.expect_title)
        notes.append(f"the title{shown or ' (none)'} has none of {words}")
    note = "; ".join(notes)
    if note:
        note += " (the TLS session was verified for the name against public roots, so the answer is the site's)"
    return Verdict(Status.REACHABLE, f"answered {status}{shown}", note=note)

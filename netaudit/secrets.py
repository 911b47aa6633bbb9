"""Keeping passwords out of everything netaudit shows: masked proxy URLs and scrubbed error text.

`mask_url` hides the password of a URL written as ``scheme://user:password@host``; `redact`
replaces known secrets (and their percent-encoded forms) inside free text such as an exception
message. Both are pure string functions that never raise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"


def mask_url(url: str) -> str:
    """Return `url` with the password part of its credentials replaced by ``***``.

    ``http://user:pass@proxy:3128`` becomes ``http://user:***@proxy:3128``; a URL with only a
    user (``http://user@proxy:3128``) or without credentials is returned unchanged. A scheme is
    optional (``user:pass@proxy:3128`` is masked too, the way proxy variables are often written).

    The credentials are taken to end at the *last* ``@`` of the text, so a password that itself
    contains ``/``, ``?``, ``#`` or ``@`` is still hidden in full; on unusual input this errs on
    the side of hiding too much. Never raises.
    """
    span = _password_span(url)
    if span is None:
        return url
    return url[: span[0]] + MASK + url[span[1] :]


def password_in_url(url: str) -> str | None:
    """The password exactly as written in `url` (possibly percent-encoded), for redaction; None if none."""
    span = _password_span(url)
    return url[span[0] : span[1]] if span else None


def _password_span(url: str) -> tuple[int, int] | None:
    # The credentials end at the *last* "@" after the scheme; the password starts after the first ":".
    start = url.find("://")
    start = start + 3 if start >= 0 else 0
    at = url.rfind("@", start)
    if at < 0:
        return None
    colon = url.find(":", start, at)
    return (colon + 1, at) if colon >= 0 else None


def _encoded_forms(secret: str) -> set[str]:
    """The ways `secret` may be spelled in a URL or a log line."""
    forms = {secret}
    for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        forms.add(encoded)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), encoded))
    return forms


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every non-empty secret in `text`, and its percent-encoded forms, with ``***``.

    Longer forms are replaced first, in one pass, so a secret that contains another is hidden
    whole. A very short secret hides every occurrence of those characters: safe, if not pretty.
    """
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms |= _encoded_forms(secret)
    if not forms or not text:
        return text
    pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
    return pattern.sub(MASK, text)

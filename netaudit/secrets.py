"""Keeping passwords out of everything netaudit shows: masked proxy URLs and scrubbed error text.

`mask_url` hides the password of a URL written as ``scheme://user:password@host``; `redact`
masks credentials inside free text such as an exception message or a probe's detail, where they
are (URLs, echoed authorization headers, Basic tokens) and nowhere else, so that evidence (a
host name, a page title) is never rewritten. Both are pure string functions that never raise.
"""

from __future__ import annotations

import base64
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


def split_userinfo(url: str) -> tuple[str | None, str | None, str]:
    """``(user, password, url without them)``, user and password as written (percent-encoded).

    The one reading of credentials in a URL, shared by `mask_url` and the proxy URL parser: they
    end at the *last* ``@`` after the scheme (or the start, without one), and the password starts
    after the first ``:`` before it. ``(None, None, url)`` without an ``@``; the password is None
    without a ``:``.
    """
    start = url.find("://")
    start = start + 3 if start >= 0 else 0
    at = url.rfind("@", start)
    if at < 0:
        return None, None, url
    user, colon, password = url[start:at].partition(":")
    return user, (password if colon else None), url[:start] + url[at + 1 :]


def _password_span(url: str) -> tuple[int, int] | None:
    user, password, _ = split_userinfo(url)
    if password is None or user is None:
        return None
    at = url.rfind("@")
    return at - len(password), at


def _encoded_forms(secret: str) -> set[str]:
    """The ways `secret` may be spelled in a URL or a log line."""
    forms = {secret}
    for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret)):
        forms.add(encoded)
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), encoded))
    return forms


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_AUTHORIZATION = re.compile(
    r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?[A-Za-z][A-Za-z0-9_-]*[ \t]+)([A-Za-z0-9+/._~-]+=*)"
)
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{4,}={0,2}(?![A-Za-z0-9+/=])")


def _basic_password(token: str) -> str | None:
    """The password inside a Basic token (base64 of ``user:password``), or None if it is not one."""
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    _user, colon, password = decoded.partition(":")
    return password if colon else None


def _mask_in_text(url: str, known: set[str]) -> str:
    # In free text a URL ends where the text says; a "password" with "/", "?" or "#" in it is more
    # likely a path (``https://host:8443/@user``) and is masked only when it is a known secret.
    span = _password_span(url)
    if span is None:
        return url
    password = url[span[0] : span[1]]
    if any(char in password for char in "/?#") and password not in known:
        return url
    return url[: span[0]] + MASK + url[span[1] :]


def redact(text: str, secrets: Iterable[str]) -> str:
    """Mask credentials where they are in free text, and change nothing else.

    A credential is: the password of a URL (``scheme://user:password@host``, found by the same
    parser as `mask_url`); the value of an ``Authorization`` or ``Proxy-Authorization`` header a
    server echoed; a Basic token (base64 of ``user:password``) whose password is one of `secrets`;
    and one of `secrets` (or a percent-encoded form of it) written as the password of
    ``user:password@host`` without a scheme. A secret that merely occurs in other text (a
    password ``com`` in ``www.facebook.com``) is evidence, and is left alone. Never raises.
    """
    known: set[str] = set()
    for secret in secrets:
        if secret:
            known |= _encoded_forms(secret)
    if not text:
        return text
    text = _URL.sub(lambda found: _mask_in_text(found.group(), known), text)
    text = _AUTHORIZATION.sub(lambda found: found.group(1) + MASK, text)
    if not known:
        return text
    text = _BASE64.sub(lambda found: MASK if _basic_password(found.group()) in known else found.group(), text)
    ordered = sorted(known, key=len, reverse=True)
    in_userinfo = re.compile("(?<=:)(?:" + "|".join(re.escape(form) for form in ordered) + ")(?=@)")
    return in_userinfo.sub(MASK, text)

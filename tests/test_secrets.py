"""Unit tests for netaudit.secrets: masked proxy URLs and redacted error text never show a password."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netaudit.secrets import mask_url, redact

USERS = st.text(alphabet=st.characters(blacklist_characters=":@/\x00"), min_size=1, max_size=20)
PASSWORDS = st.text(min_size=1, max_size=40)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("http://user:pass@proxy:3128", "http://user:***@proxy:3128"),
        ("http://user:pass@proxy:3128/", "http://user:***@proxy:3128/"),
        ("https://user:p%40ss@[::1]:8443", "https://user:***@[::1]:8443"),
        ("http://user:@proxy:3128", "http://user:***@proxy:3128"),
        ("user:pass@proxy:3128", "user:***@proxy:3128"),
        ("http://user:pa:ss@proxy:3128", "http://user:***@proxy:3128"),
        ("http://user:pa@ss@proxy:3128", "http://user:***@proxy:3128"),
        ("http://user:pa/ss@proxy:3128", "http://user:***@proxy:3128"),
        ("http://user:pa#ss@proxy:3128", "http://user:***@proxy:3128"),
    ],
)
def test_mask_url_hides_the_password(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    "url",
    [
        "http://user@proxy:3128",
        "http://proxy:3128",
        "proxy.corp:3128",
        "",
        "not a url at all",
        "http://[::1",
        "https://medium.com/@someone",
        "://",
        "@",
    ],
)
def test_mask_url_leaves_urls_without_a_password_alone(url: str) -> None:
    assert mask_url(url) == url


@given(user=USERS, password=PASSWORDS)
def test_mask_url_never_shows_a_raw_password(user: str, password: str) -> None:
    assert mask_url(f"http://{user}:{password}@proxy.corp:3128") == f"http://{user}:***@proxy.corp:3128"


@given(user=USERS, password=PASSWORDS)
def test_mask_url_never_shows_an_encoded_password(user: str, password: str) -> None:
    url = f"http://{user}:{quote(password, safe='')}@proxy.corp:3128/"
    assert mask_url(url) == f"http://{user}:***@proxy.corp:3128/"


@given(st.text())
def test_mask_url_never_raises(text: str) -> None:
    assert isinstance(mask_url(text), str)


def test_redact_replaces_secrets_and_their_encoded_forms() -> None:
    secret = "p@ss word/1"
    text = (
        f"plain {secret}; quoted {quote(secret, safe='')}; path-quoted {quote(secret)}; "
        f"lower {quote(secret, safe='').lower()}; plus p%40ss+word%2F1"
    )
    result = redact(text, [secret])
    assert "p@ss" not in result
    assert "p%40ss" not in result.lower()
    assert result.count("***") == 5


def test_redact_ignores_empty_secrets_and_keeps_other_text() -> None:
    assert redact("nothing to hide", ["", ""]) == "nothing to hide"
    assert redact("", ["secret"]) == ""
    assert redact("token=abc and abcdef", ["abc", "abcdef"]) == "token=*** and ***"


@given(secret=st.text(min_size=1, max_size=30), before=st.text(max_size=30), after=st.text(max_size=30))
def test_redact_never_leaves_the_secret(secret: str, before: str, after: str) -> None:
    result = redact(f"{before}{secret}{after}", [secret])
    # Replacing can only ever remove the secret: every occurrence left would have to be made of
    # text around a "***", and "***" is not part of the secret's occurrences we put there.
    if "*" not in secret:
        assert secret not in result

"""Unit tests for netaudit.secrets: masked proxy URLs and redacted error text never show a password."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netaudit.secrets import mask_url, redact

USERS = st.text(
    alphabet=st.characters(blacklist_characters=":@/\x00", blacklist_categories=("Cs",)), min_size=1, max_size=20
)
PASSWORDS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


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


def test_redact_masks_a_known_password_where_it_is_a_credential() -> None:
    secret = "p@ss word/1"
    text = (
        f"quoted http://bob:{quote(secret, safe='')}@proxy:3128; path-quoted http://bob:{quote(secret)}@proxy:3128; "
        f"lower http://bob:{quote(secret, safe='').lower()}@proxy:3128; no scheme bob:{secret}@proxy:3128"
    )
    result = redact(text, [secret])
    assert "p@ss" not in result and "p%40ss" not in result.lower()
    assert result.count("bob:***@proxy:3128") == 4


def test_redact_never_rewrites_evidence() -> None:
    # A password that happens to be part of a host name, a title or a status is left alone there.
    detail = "the proxy http://bob:com@proxy.corp:3128 refused CONNECT www.facebook.com:443 with 403 Forbidden"
    assert redact(detail, ["com"]) == (
        "the proxy http://bob:***@proxy.corp:3128 refused CONNECT www.facebook.com:443 with 403 Forbidden"
    )
    assert redact("title: Welcome to 403 Forbidden", ["403", "Welcome"]) == "title: Welcome to 403 Forbidden"
    assert redact("https://medium.com:443/@someone/post", []) == "https://medium.com:443/@someone/post"


def test_redact_masks_echoed_authorization_headers_and_basic_tokens() -> None:
    token = base64.b64encode(b"bob:hunter2").decode()
    echoed = f"request was: Proxy-Authorization: Basic {token}; {{'Authorization': 'Bearer abc.def'}}"
    assert redact(echoed, []) == "request was: Proxy-Authorization: Basic ***; {'Authorization': 'Bearer ***'}"
    # A bare Basic token is masked when it carries a known password, and only then.
    assert redact(f"echo {token} end", ["hunter2"]) == "echo *** end"
    assert redact(f"echo {token} end", ["other"]) == f"echo {token} end"
    assert redact("aGVsbG8gd29ybGQ= is not a credential", ["hunter2"]) == "aGVsbG8gd29ybGQ= is not a credential"


def test_redact_ignores_empty_secrets_and_keeps_other_text() -> None:
    assert redact("nothing to hide", ["", ""]) == "nothing to hide"
    assert redact("", ["secret"]) == ""
    assert redact("token=abc and abcdef", ["abc", "abcdef"]) == "token=abc and abcdef"


@given(user=USERS, secret=PASSWORDS, before=st.text(max_size=30))
def test_redact_never_leaves_a_password_in_a_url(user: str, secret: str, before: str) -> None:
    url = f"http://{quote(user, safe='')}:{quote(secret, safe='')}@proxy.corp:3128/"
    result = redact(f"{before} {url} end", [secret])
    assert f" http://{quote(user, safe='')}:***@proxy.corp:3128/ end" in result


@given(
    secret=st.text(min_size=1, max_size=30), text=st.text(alphabet=st.characters(blacklist_characters="@"), max_size=60)
)
def test_redact_leaves_text_without_credentials_unchanged(secret: str, text: str) -> None:
    assert redact(text, [secret]) == text

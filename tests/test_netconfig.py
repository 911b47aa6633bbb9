"""Unit tests for netaudit.net: proxy modes, NO_PROXY, PAC files and URLs, resolver, trust."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import certifi
import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netaudit.errors import EnvironmentProblem, InputError, ProxyLookupError, ProxyUnsupported
from netaudit.model import ProxyMode, ProxySpec
from netaudit.net.config import NetConfig, build_netconfig
from netaudit.net.pac import parse_pac_answer
from netaudit.net.proxyurl import PASSWORD_IN_URL
from netaudit.net.resolver import parse_resolver

PASSWORDS = st.text(min_size=1, max_size=30)


def env_config(environ: dict[str, str], **options: object) -> NetConfig:
    return build_netconfig(environ=environ, **options)  # type: ignore[arg-type]


# --- ProxySpec --------------------------------------------------------------------------------


def test_proxy_spec_forms_never_show_the_password() -> None:
    spec = ProxySpec("http", "proxy.corp", 3128, "alice", "s3cret:/@")
    assert spec.url() == "http://proxy.corp:3128"
    assert spec.masked() == "http://alice:***@proxy.corp:3128"
    assert "s3cret" not in repr(spec)
    assert spec.url_with_credentials() == "http://alice:s3cret%3A%2F%40@proxy.corp:3128"
    assert ProxySpec("http", "proxy.corp", 3128, "alice").masked() == "http://alice@proxy.corp:3128"
    assert ProxySpec("http", "::1", 3128).url() == "http://[::1]:3128"
    # The password takes no part in equality.
    assert spec == ProxySpec("http", "proxy.corp", 3128, "alice", "other")


# --- choosing a mode --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"proxy": "http://p:3128", "pac": "x.pac"},
        {"proxy": "http://p:3128", "no_proxy": True},
        {"pac": "x.pac", "no_proxy": True},
    ],
)
def test_proxy_pac_and_no_proxy_exclude_each_other(options: dict[str, object]) -> None:
    with pytest.raises(InputError, match=r"^--proxy, --pac and --no-proxy exclude each other$"):
        env_config({}, **options)


def test_no_proxy_goes_direct_whatever_the_environment_says() -> None:
    config = env_config({"HTTPS_PROXY": "http://env:3128"}, no_proxy=True)
    assert config.mode is ProxyMode.NONE
    assert config.proxy_for("https://www.facebook.com/") is None
    assert config.describe()["proxy"] == "none"


# --- explicit --proxy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://proxy.corp:8080", ProxySpec("http", "proxy.corp", 8080)),
        ("http://proxy.corp", ProxySpec("http", "proxy.corp", 3128)),
        ("proxy.corp", ProxySpec("http", "proxy.corp", 3128)),
        ("proxy.corp:3129", ProxySpec("http", "proxy.corp", 3129)),
        ("HTTP://Proxy.Corp:3128/", ProxySpec("http", "proxy.corp", 3128)),
        ("http://alice@proxy.corp:3128", ProxySpec("http", "proxy.corp", 3128, "alice")),
        ("http://dom%5Calice@proxy.corp:3128", ProxySpec("http", "proxy.corp", 3128, "dom\\alice")),
        ("http://[::1]:3128", ProxySpec("http", "::1", 3128)),
        ("http://[2001:db8::5]", ProxySpec("http", "2001:db8::5", 3128)),
        ("http://192.0.2.10:8080", ProxySpec("http", "192.0.2.10", 8080)),
    ],
)
def test_explicit_proxy_urls(value: str, expected: ProxySpec) -> None:
    config = env_config({"HTTPS_PROXY": "http://ignored:1"}, proxy=value)
    assert config.mode is ProxyMode.EXPLICIT
    assert config.proxy == expected
    assert config.proxy_for("https://www.linkedin.com/") == expected
    assert config.proxy_for("http://example.com/") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "socks5://proxy.corp:1080",
            "--proxy: unsupported proxy scheme 'socks5' in socks5://proxy.corp:1080",
        ),
        ("socks4a://proxy.corp:1080", "--proxy: unsupported proxy scheme 'socks4a'"),
        ("https://proxy.corp:8443", "--proxy: https://proxy.corp:8443: https:// proxies (TLS to the proxy itself)"),
        ("http://proxy.corp:0", "--proxy: bad port '0' in http://proxy.corp:0 (1-65535)"),
        ("http://proxy.corp:65536", "--proxy: bad port '65536'"),
        ("http://proxy.corp:80a", "--proxy: bad port '80a'"),
        ("http://proxy.corp:3128/path", "--proxy: a proxy URL is scheme://host:port, without a path"),
        ("http://:3128", "--proxy: '' is not a host name"),
        ("http://pro xy:3128", "--proxy: 'pro xy' is not a host name"),
        ("http://[::1:3128", "--proxy: unbalanced '['"),
        ("http://[zz::1]:3128", "--proxy: 'zz::1' is not an IPv6 address"),
        ("http://::1:3128", "--proxy: write an IPv6 proxy address in brackets"),
        ("", "--proxy: the proxy URL is empty"),
    ],
)
def test_bad_explicit_proxies(value: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        env_config({}, proxy=value)
    assert str(caught.value).startswith(message)


def test_a_password_in_the_proxy_url_is_refused_without_repeating_it() -> None:
    with pytest.raises(InputError) as caught:
        env_config({}, proxy="http://alice:hunter2@proxy.corp:3128")
    assert str(caught.value) == PASSWORD_IN_URL
    assert "hunter2" not in str(caught.value)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(password=PASSWORDS)
def test_no_error_message_depends_on_the_password(password: str) -> None:
    """Whatever the password, --proxy errors read the same: they cannot contain it."""
    for template in (
        "http://alice:{}@proxy.corp:3128",
        "socks5://alice:{}@proxy.corp:1080",
        "http://alice:{}@proxy.corp:99999",
    ):
        with pytest.raises(InputError) as caught:
            env_config({}, proxy=template.format(quote(password, safe="")))
        assert str(caught.value) == PASSWORD_IN_URL


def test_proxy_user_and_password_apply_to_the_explicit_proxy() -> None:
    config = env_config({}, proxy="http://bob@proxy.corp:3128", proxy_user="alice", proxy_password="pw-1")
    assert config.proxy is not None
    assert (config.proxy.username, config.proxy.password) == ("alice", "pw-1")
    assert config.describe()["proxy"] == "http://alice:***@proxy.corp:3128"
    assert config.secrets() == ("pw-1",)

    only_password = env_config({}, proxy="http://bob@proxy.corp:3128", proxy_password="pw-2")
    assert only_password.proxy is not None
    assert (only_password.proxy.username, only_password.proxy.password) == ("bob", "pw-2")


def test_a_password_without_any_user_is_not_sent_but_still_secret() -> None:
    config = env_config({}, proxy="http://proxy.corp:3128", proxy_password="lonely-pw")
    assert config.proxy is not None
    assert config.proxy.password is None
    assert config.secrets() == ("lonely-pw",)


def test_a_colon_in_the_proxy_user_is_refused_without_repeating_it() -> None:
    with pytest.raises(InputError) as caught:
        env_config({}, proxy="http://proxy.corp:3128", proxy_user="alice:hunter2")
    assert "hunter2" not in str(caught.value)
    assert str(caught.value).startswith("--proxy-user: a user name cannot contain ':'")


def test_with_credentials_applies_to_environment_and_pac_proxies(pac_file: Path) -> None:
    env = env_config({"HTTPS_PROXY": "http://bob:bob-pw@proxy.corp:3128"}).with_credentials("comms", "c-pw")
    spec = env.proxy_for("https://x.com/")
    assert spec is not None and (spec.username, spec.password) == ("comms", "c-pw")
    assert set(env.secrets()) == {"bob-pw", "c-pw"}
    pac = env_config({}, pac=str(pac_file)).with_credentials("guests", "g-pw")
    spec = pac.proxy_for("https://www.facebook.com/")
    assert spec is not None and (spec.username, spec.password) == ("guests", "g-pw")
    assert pac.proxy_for("https://www.reddit.com/") is None


def test_with_credentials_gives_a_profile_its_identity() -> None:
    base = env_config({}, proxy="http://proxy.corp:3128")
    comms = base.with_credentials("comms-audit", "comms-pw")
    assert comms.proxy_for("https://x.com/") == ProxySpec("http", "proxy.corp", 3128, "comms-audit")
    spec = comms.proxy_for("https://x.com/")
    assert spec is not None and spec.password == "comms-pw"
    assert comms.secrets() == ("comms-pw",)
    assert base.proxy_for("https://x.com/") == ProxySpec("http", "proxy.corp", 3128)


# --- the environment --------------------------------------------------------------------------


def test_environment_is_the_default_mode() -> None:
    config = env_config({})
    assert config.mode is ProxyMode.ENVIRONMENT
    assert config.proxy is None
    assert config.proxy_for("https://www.facebook.com/") is None
    assert config.describe()["proxy"] == "environment (no proxy variables set)"


def test_https_urls_use_https_proxy_and_http_urls_http_proxy() -> None:
    config = env_config({"HTTPS_PROXY": "http://tls-proxy:3128", "HTTP_PROXY": "http://plain-proxy:8080"})
    assert config.proxy_for("https://www.facebook.com/") == ProxySpec("http", "tls-proxy", 3128)
    assert config.proxy_for("http://www.facebook.com/") == ProxySpec("http", "plain-proxy", 8080)


def test_lower_case_variables_win_over_upper_case() -> None:
    config = env_config(
        {
            "HTTPS_PROXY": "http://upper:3128",
            "https_proxy": "http://lower:3128",
            "HTTP_PROXY": "http://upper:8080",
            "http_proxy": "http://lower:8080",
        }
    )
    assert config.proxy_for("https://x.com/") == ProxySpec("http", "lower", 3128)
    assert config.proxy_for("http://x.com/") == ProxySpec("http", "lower", 8080)


def test_upper_case_alone_is_honoured_and_empty_values_count_as_unset() -> None:
    config = env_config({"https_proxy": "", "HTTPS_PROXY": "http://upper:3128"})
    assert config.proxy_for("https://x.com/") == ProxySpec("http", "upper", 3128)


def test_all_proxy_is_the_fallback() -> None:
    config = env_config({"ALL_PROXY": "http://everything:3128", "http_proxy": "http://plain:8080"})
    assert config.proxy_for("https://x.com/") == ProxySpec("http", "everything", 3128)
    assert config.proxy_for("http://x.com/") == ProxySpec("http", "plain", 8080)


def test_an_https_proxy_for_http_urls_only_leaves_https_direct() -> None:
    config = env_config({"http_proxy": "http://plain:8080"})
    assert config.proxy_for("https://x.com/") is None


def test_environment_proxies_without_scheme_or_port() -> None:
    config = env_config({"https_proxy": "proxy.corp:3128", "http_proxy": "http://proxy.corp"})
    assert config.proxy_for("https://x.com/") == ProxySpec("http", "proxy.corp", 3128)
    assert config.proxy_for("http://x.com/") == ProxySpec("http", "proxy.corp", 80)


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypassed"),
    [
        ("facebook.com", "https://facebook.com/", True),
        ("facebook.com", "https://www.facebook.com/", True),
        (".facebook.com", "https://www.facebook.com/", True),
        (".facebook.com", "https://facebook.com/", True),
        ("*.facebook.com", "https://m.facebook.com/", True),
        ("facebook.com", "https://notfacebook.com/", False),
        ("book.com", "https://www.facebook.com/", False),
        ("FaceBook.COM", "https://WWW.facebook.com./", True),
        ("*", "https://anything.example/", True),
        ("localhost, 127.0.0.1 ,.corp", "https://intranet.corp/", True),
        ("localhost 127.0.0.1 .corp", "https://intranet.corp/", True),
        ("10.0.0.0/8", "http://10.1.2.3/", True),
        ("10.0.0.0/8", "http://11.1.2.3/", False),
        ("10.0.0.0/8", "http://ten.example/", False),
        ("192.0.2.7", "http://192.0.2.7:8080/", True),
        ("fd00::/8", "http://[fd00::1]/", True),
        ("::1", "http://[::1]:8080/", True),
        ("[::1]:8080", "http://[::1]:8080/", True),
        ("[::1]:8080", "http://[::1]:9090/", False),
        ("x.com:8443", "https://x.com:8443/", True),
        ("x.com:8443", "https://x.com/", False),
        ("", "https://x.com/", False),
    ],
)
def test_no_proxy(no_proxy: str, url: str, bypassed: bool) -> None:
    config = env_config({"HTTPS_PROXY": "http://proxy:3128", "HTTP_PROXY": "http://proxy:3128", "NO_PROXY": no_proxy})
    assert (config.proxy_for(url) is None) is bypassed


def test_lower_case_no_proxy_wins() -> None:
    config = env_config({"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "x.com", "NO_PROXY": "y.com"})
    assert config.proxy_for("https://x.com/") is None
    assert config.proxy_for("https://y.com/") is not None


def test_credentials_in_environment_proxies_are_used_and_masked() -> None:
    environ = {"HTTPS_PROXY": "http://alice:p%40ss%3Aword@proxy.corp:3128", "NO_PROXY": ".corp"}
    config = env_config(environ)
    spec = config.proxy_for("https://x.com/")
    assert spec is not None
    assert (spec.username, spec.password) == ("alice", "p@ss:word")
    described = config.describe()["proxy"]
    assert described == "environment (HTTPS_PROXY=http://alice:***@proxy.corp:3128, NO_PROXY=.corp)"
    assert set(config.secrets()) == {"p@ss:word", "p%40ss%3Aword"}


def test_proxy_user_and_password_apply_to_environment_proxies() -> None:
    config = env_config({"HTTPS_PROXY": "http://proxy.corp:3128"}, proxy_user="comms", proxy_password="pw")
    spec = config.proxy_for("https://x.com/")
    assert spec is not None and (spec.username, spec.password) == ("comms", "pw")
    assert config.describe()["proxy"] == "environment (HTTPS_PROXY=http://comms:***@proxy.corp:3128)"
    assert config.secrets() == ("pw",)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"HTTPS_PROXY": "socks5://u:secret@s:1080"},
            "HTTPS_PROXY: unsupported proxy scheme 'socks5' in socks5://u:***@s:1080",
        ),
        ({"http_proxy": "http://proxy:notaport"}, "http_proxy: bad port 'notaport'"),
        ({"ALL_PROXY": "socks5h://s:1080"}, "ALL_PROXY: unsupported proxy scheme 'socks5h'"),
        ({"HTTPS_PROXY": "https://u:secret@tls-proxy:443"}, "HTTPS_PROXY: https://u:***@tls-proxy:443: https://"),
    ],
)
def test_unusable_proxy_variables_are_an_environment_problem(environ: dict[str, str], message: str) -> None:
    with pytest.raises(EnvironmentProblem) as caught:
        env_config(environ)
    assert str(caught.value).startswith(message)
    assert "secret" not in str(caught.value)


def test_a_shadowed_all_proxy_is_not_read() -> None:
    environ = {"ALL_PROXY": "socks5://s:1080", "HTTPS_PROXY": "http://p:3128", "HTTP_PROXY": "http://p:3128"}
    assert env_config(environ).proxy_for("https://x.com/") == ProxySpec("http", "p", 3128)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(password=PASSWORDS)
def test_describe_and_masked_do_not_depend_on_the_password(password: str) -> None:
    encoded = quote(password, safe="")
    config = env_config({"HTTPS_PROXY": f"http://alice:{encoded}@proxy.corp:3128"})
    baseline = env_config({"HTTPS_PROXY": "http://alice:x@proxy.corp:3128"})
    assert config.describe() == baseline.describe()
    spec = config.proxy_for("https://x.com/")
    assert spec is not None
    assert spec.password == password
    assert spec.masked() == "http://alice:***@proxy.corp:3128"
    assert repr(spec) == repr(baseline.proxy_for("https://x.com/"))
    assert password in config.secrets()

    explicit = env_config({}, proxy="http://proxy.corp:3128", proxy_user="alice", proxy_password=password)
    assert explicit.describe() == env_config({}, proxy="http://alice@proxy.corp:3128", proxy_password="x").describe()
    assert repr(explicit) == repr(
        env_config({}, proxy="http://proxy.corp:3128", proxy_user="alice", proxy_password="y")
    )


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40)
@given(tail=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~!", min_size=4, max_size=20))
def test_a_distinctive_password_appears_nowhere(tail: str) -> None:
    password = f"Pw#{tail}"
    config = env_config({"HTTPS_PROXY": f"http://alice:{quote(password, safe='')}@proxy.corp:3128"})
    shown = [repr(config), str(config.describe()), repr(config.proxy_for("https://x.com/"))]
    for text in shown:
        assert password not in text
        assert quote(password, safe="") not in text


# --- PAC --------------------------------------------------------------------------------------

PAC_JS = """
function FindProxyForURL(url, host) {
    if (dnsDomainIs(host, ".facebook.com") || host == "facebook.com")
        return "PROXY proxy.corp:3128; DIRECT";
    if (shExpMatch(host, "*.socks.test"))
        return "SOCKS5 socks.corp:1080";
    if (host == "mixed.test")
        return "SOCKS5 socks.corp:1080; PROXY fallback.corp:8080";
    if (host == "tls.test")
        return "HTTPS secure.corp:8443";
    if (host == "noport.test")
        return "PROXY bare.corp";
    if (host == "boom.test")
        throw new Error("kaboom");
    if (host == "garbage.test")
        return "NONSENSE here";
    if (host == "empty.test")
        return "";
    if (shExpMatch(url, "*upload*"))
        return "PROXY upload-proxy.corp:3128";
    return "DIRECT";
}
"""


@pytest.fixture
def pac_file(tmp_path: Path) -> Path:
    path = tmp_path / "proxy.pac"
    path.write_text(PAC_JS, encoding="utf-8")
    return path


def test_a_pac_file_routes_per_host(pac_file: Path) -> None:
    config = env_config({"HTTPS_PROXY": "http://ignored:1"}, pac=str(pac_file))
    assert config.mode is ProxyMode.PAC
    assert config.pac_source == str(pac_file)
    assert config.proxy_for("https://www.facebook.com/") == ProxySpec("http", "proxy.corp", 3128)
    assert config.proxy_for("https://facebook.com/login") == ProxySpec("http", "proxy.corp", 3128)
    assert config.proxy_for("https://www.linkedin.com/") is None
    assert config.proxy_for("https://mixed.test/") == ProxySpec("http", "fallback.corp", 8080)
    assert config.proxy_for("http://noport.test/") == ProxySpec("http", "bare.corp", 80)
    assert config.proxy_for("https://empty.test/") is None
    assert config.describe()["proxy"] == f"pac ({pac_file})"


def test_https_urls_reach_the_pac_without_their_path(pac_file: Path) -> None:
    config = env_config({}, pac=str(pac_file))
    assert config.proxy_for("http://api.example/upload") == ProxySpec("http", "upload-proxy.corp", 3128)
    assert config.proxy_for("https://api.example/upload") is None  # as Chrome: https://api.example/


def test_socks_only_pac_answers_are_unsupported(pac_file: Path) -> None:
    config = env_config({}, pac=str(pac_file))
    with pytest.raises(ProxyUnsupported, match=r"sends for a\.socks\.test only to SOCKS proxies"):
        config.proxy_for("https://a.socks.test/")
    with pytest.raises(ProxyUnsupported, match=r"sends for tls\.test only to HTTPS proxies"):
        config.proxy_for("https://tls.test/")
    # Cached answers raise again, every time.
    with pytest.raises(ProxyUnsupported):
        config.proxy_for("https://a.socks.test/")


def test_failing_or_nonsense_pac_answers_are_lookup_errors(pac_file: Path) -> None:
    config = env_config({}, pac=str(pac_file))
    with pytest.raises(ProxyLookupError, match=r"failed for boom\.test: .*kaboom"):
        config.proxy_for("https://boom.test/")
    with pytest.raises(ProxyLookupError, match=r"returned for garbage\.test no usable entry: 'NONSENSE here'"):
        config.proxy_for("https://garbage.test/")


def test_proxy_user_applies_to_pac_proxies(pac_file: Path) -> None:
    config = env_config({}, pac=str(pac_file), proxy_user="alice", proxy_password="pac-pw")
    spec = config.proxy_for("https://www.facebook.com/")
    assert spec is not None and (spec.username, spec.password) == ("alice", "pac-pw")
    assert config.secrets() == ("pac-pw",)
    assert "pac-pw" not in str(config.describe())


def test_pac_answers_are_cached_per_scheme_and_host(tmp_path: Path) -> None:
    counting = tmp_path / "count.pac"
    counting.write_text(
        'var calls = 0;\nfunction FindProxyForURL(url, host) { calls++; return "PROXY p" + calls + ":3128"; }\n',
        encoding="utf-8",
    )
    config = env_config({}, pac=str(counting))
    first = config.proxy_for("https://a.example/one")
    assert config.proxy_for("https://a.example/two") == first
    assert config.proxy_for("https://A.example/") == first
    assert config.proxy_for("https://b.example/") != first
    assert config.proxy_for("http://a.example/one") != first


def test_pac_lookups_are_thread_safe(pac_file: Path) -> None:
    config = env_config({}, pac=str(pac_file))
    urls = [f"https://h{i % 16}.facebook.com/" for i in range(256)] + [f"https://s{i}.example/" for i in range(64)]
    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(config.proxy_for, urls))
    assert answers[:256] == [ProxySpec("http", "proxy.corp", 3128)] * 256
    assert answers[256:] == [None] * 64


def test_a_missing_pac_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^--pac .*nope\.pac: no such file$"):
        env_config({}, pac=str(tmp_path / "nope.pac"))


@pytest.mark.parametrize("js", ["function FindProxyForURL(url, host) {", "var x = 1;", "this is not javascript"])
def test_javascript_pypac_cannot_use_is_an_input_error_naming_the_file(tmp_path: Path, js: str) -> None:
    path = tmp_path / "broken.pac"
    path.write_text(js, encoding="utf-8")
    with pytest.raises(InputError, match=rf"^--pac {path}: not a valid PAC file"):
        env_config({}, pac=str(path))


class _PacHandler(http.server.BaseHTTPRequestHandler):
    body = PAC_JS.encode()

    def do_GET(self) -> None:
        if self.path == "/proxy.pac":
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
        elif self.path == "/broken.pac":
            data = b"function FindProxyForURL( {"
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def pac_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PacHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_pac_url_is_fetched_once_and_used(pac_server: str) -> None:
    config = env_config({"HTTP_PROXY": "http://must-not-be-used:1"}, pac=f"{pac_server}/proxy.pac")
    assert config.proxy_for("https://www.facebook.com/") == ProxySpec("http", "proxy.corp", 3128)
    assert config.proxy_for("https://www.reddit.com/") is None
    assert config.describe()["proxy"] == f"pac ({pac_server}/proxy.pac)"


def test_pac_url_credentials_are_masked_and_secret(pac_server: str) -> None:
    url = pac_server.replace("http://", "http://wpad:pac%2Fpw@") + "/proxy.pac"
    config = env_config({}, pac=url)
    assert config.describe()["proxy"] == f"pac ({pac_server.replace('http://', 'http://wpad:***@')}/proxy.pac)"
    assert set(config.secrets()) == {"pac%2Fpw", "pac/pw"}


def test_a_pac_url_that_is_not_found_is_an_environment_problem(pac_server: str) -> None:
    with pytest.raises(EnvironmentProblem, match=r"^could not fetch the PAC file .*/missing\.pac: HTTP 404"):
        env_config({}, pac=f"{pac_server}/missing.pac")


def test_a_pac_url_serving_bad_javascript_is_an_environment_problem(pac_server: str) -> None:
    with pytest.raises(EnvironmentProblem, match=r"/broken\.pac: not a valid PAC file"):
        env_config({}, pac=f"{pac_server}/broken.pac")


def test_an_unreachable_pac_url_is_an_environment_problem() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed now: nothing listens there.
    with pytest.raises(EnvironmentProblem) as caught:
        env_config({}, pac=f"http://127.0.0.1:{port}/proxy.pac", timeout=3)
    assert str(caught.value) == f"could not fetch the PAC file http://127.0.0.1:{port}/proxy.pac: connection refused"
    assert caught.value.exit_code == 3


def test_pac_answer_parsing() -> None:
    assert parse_pac_answer("DIRECT") is None
    assert parse_pac_answer("  ") is None
    assert parse_pac_answer("PROXY a:1; PROXY b:2") == ProxySpec("http", "a", 1)
    assert parse_pac_answer("proxy a:1") == ProxySpec("http", "a", 1)
    assert parse_pac_answer("DIRECT; PROXY a:1") is None
    assert parse_pac_answer("HTTP [::1]:3128") == ProxySpec("http", "::1", 3128)
    assert parse_pac_answer("HTTPS a:443; PROXY b:1") == ProxySpec("http", "b", 1)
    with pytest.raises(ProxyUnsupported, match=r"only to HTTPS proxies \(HTTPS a\)"):
        parse_pac_answer("HTTPS a")
    with pytest.raises(ProxyUnsupported, match=r"only to HTTPS or SOCKS proxies"):
        parse_pac_answer("HTTPS a:443; SOCKS s:1080")
    assert parse_pac_answer("SOCKS s:1; DIRECT") is None
    with pytest.raises(ProxyUnsupported):
        parse_pac_answer("SOCKS s:1080; SOCKS4 t:1080")
    with pytest.raises(ProxyLookupError):
        parse_pac_answer("PROXY")


# --- resolver ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        (" 10.0.0.1 ", ("10.0.0.1", 53)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
        ("::1", ("::1", 53)),
    ],
)
def test_resolver_parsing(text: str, expected: tuple[str, int]) -> None:
    assert parse_resolver(text) == expected
    assert env_config({}, resolver=text).resolver == expected


@pytest.mark.parametrize(
    "text",
    [
        "dns.google",
        "192.0.2.53:",
        "192.0.2.53:0",
        "192.0.2.53:70000",
        "[2001:db8::53",
        "[nope]:53",
        "",
        "1.2.3",
    ],
)
def test_bad_resolvers(text: str) -> None:
    with pytest.raises(InputError) as caught:
        env_config({}, resolver=text)
    assert str(caught.value) == f"--resolver: '{text}' is not an IP address[:port]"


def test_describe_resolver() -> None:
    assert env_config({}, resolver="192.0.2.53").describe()["resolver"] == "192.0.2.53:53"
    assert env_config({}, resolver="[2001:db8::1]:5353").describe()["resolver"] == "[2001:db8::1]:5353"
    assert env_config({}).describe()["resolver"].startswith("system (")


# --- trust ------------------------------------------------------------------------------------


@pytest.fixture
def bundles(tmp_path: Path) -> dict[str, Path]:
    made = {}
    for name in ("option", "requests", "sslcert", "roots"):
        path = tmp_path / f"{name}.pem"
        trustme.CA().cert_pem.write_to_path(str(path))
        made[name] = path
    (tmp_path / "empty.pem").write_text("no certificates in here\n", encoding="utf-8")
    made["empty"] = tmp_path / "empty.pem"
    return made


def test_trust_precedence(bundles: dict[str, Path]) -> None:
    environ = {"REQUESTS_CA_BUNDLE": str(bundles["requests"]), "SSL_CERT_FILE": str(bundles["sslcert"])}
    config = env_config(environ, ca_bundle=str(bundles["option"]))
    assert (config.ca_bundle, config.ca_bundle_origin) == (bundles["option"], "--ca-bundle")
    assert config.describe()["trust"] == f"{bundles['option']} (--ca-bundle)"

    config = env_config(environ)
    assert (config.ca_bundle, config.ca_bundle_origin) == (bundles["requests"], "REQUESTS_CA_BUNDLE")

    config = env_config({"SSL_CERT_FILE": str(bundles["sslcert"]), "REQUESTS_CA_BUNDLE": ""})
    assert (config.ca_bundle, config.ca_bundle_origin) == (bundles["sslcert"], "SSL_CERT_FILE")

    config = env_config({})
    assert (config.ca_bundle, config.ca_bundle_origin) == (None, "system")
    assert config.describe()["trust"] == "system"


def test_public_roots(bundles: dict[str, Path]) -> None:
    assert env_config({}).public_roots == Path(certifi.where())
    config = env_config({}, public_roots=str(bundles["roots"]))
    assert config.public_roots == bundles["roots"]
    assert config.describe()["public_roots"] == str(bundles["roots"])


@pytest.mark.parametrize(
    ("options", "environ", "message"),
    [
        ({"ca_bundle": "{missing}"}, {}, "--ca-bundle {missing}: no certificates found (no such file)"),
        ({"ca_bundle": "{empty}"}, {}, "--ca-bundle {empty}: no certificates found"),
        ({"ca_bundle": "{dir}"}, {}, "--ca-bundle {dir}: no certificates found (a folder; give a PEM file)"),
        ({}, {"REQUESTS_CA_BUNDLE": "{empty}"}, "REQUESTS_CA_BUNDLE {empty}: no certificates found"),
        ({}, {"SSL_CERT_FILE": "{missing}"}, "SSL_CERT_FILE {missing}: no certificates found (no such file)"),
        ({"public_roots": "{empty}"}, {}, "--public-roots {empty}: no certificates found"),
    ],
)
def test_unusable_bundles_are_input_errors(
    bundles: dict[str, Path], tmp_path: Path, options: dict[str, str], environ: dict[str, str], message: str
) -> None:
    names = {"missing": str(tmp_path / "missing.pem"), "empty": str(bundles["empty"]), "dir": str(tmp_path)}
    options = {key: value.format(**names) for key, value in options.items()}
    environ = {key: value.format(**names) for key, value in environ.items()}
    with pytest.raises(InputError) as caught:
        env_config(environ, **options)
    assert str(caught.value) == message.format(**names)


# --- timeout and describe ---------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
def test_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(InputError, match="--timeout must be a positive number of seconds"):
        env_config({}, timeout=timeout)


def test_describe_has_the_four_keys() -> None:
    described = env_config({}, proxy="http://proxy.corp:3128", resolver="192.0.2.53", timeout=2.5).describe()
    assert set(described) == {"proxy", "resolver", "trust", "public_roots"}
    assert described["proxy"] == "http://proxy.corp:3128"


def test_a_hand_built_netconfig_routes_by_its_mode() -> None:
    common = dict(
        pac_source=None,
        resolver=None,
        ca_bundle=None,
        ca_bundle_origin="system",
        public_roots=Path(certifi.where()),
        timeout=5.0,
    )
    direct = NetConfig(mode=ProxyMode.NONE, proxy=None, **common)  # type: ignore[arg-type]
    assert direct.proxy_for("https://x.com/") is None
    spec = ProxySpec("http", "127.0.0.1", 3128)
    explicit = NetConfig(mode=ProxyMode.EXPLICIT, proxy=spec, **common)  # type: ignore[arg-type]
    assert explicit.proxy_for("https://x.com/") == spec


def test_a_url_without_a_host_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no host"):
        env_config({}).proxy_for("not a url")


# --- the environment is passed in, never read; one proxy-URL validator --------------------------------


def test_the_settings_never_read_the_process_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://leaked.corp:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    config = env_config({})
    assert config.mode is ProxyMode.ENVIRONMENT
    assert config.proxy_for("https://x.com/") is None
    assert config.ca_bundle is None and config.ca_bundle_origin == "system"


@pytest.mark.parametrize("mode", [ProxyMode.ENVIRONMENT, ProxyMode.PAC])
def test_a_hand_built_netconfig_cannot_read_the_environment_or_a_pac_itself(mode: ProxyMode) -> None:
    with pytest.raises(ValueError, match="build_netconfig"):
        NetConfig(
            mode=mode,
            proxy=None,
            pac_source="x.pac",
            resolver=None,
            ca_bundle=None,
            ca_bundle_origin="system",
            public_roots=Path(certifi.where()),
            timeout=5.0,
        )


@pytest.mark.parametrize(
    "url",
    [
        "http://proxy.corp:3128",
        "proxy.corp",
        "http://[::1]:3128",
        "https://proxy.corp:443",
        "socks5://proxy.corp:1080",
        "http://proxy.corp:0",
        "http://proxy.corp:3128/path",
        "http://pro xy:3128",
        "http://[::1",
        "http://::1:3128",
    ],
)
def test_a_profile_proxy_and_proxy_follow_the_same_rules(url: str, tmp_path: Path) -> None:
    from netaudit.policy import validate_policy

    profiles = tmp_path / "p.toml"
    organization = '[organization]\nname = "X"\ntimezone = "UTC"\n'
    profiles.write_text(f'{organization}\n[profiles.guests]\nproxy = "{url}"\n', encoding="utf-8")
    problems = validate_policy([profiles], {})
    assert all("profiles.guests.proxy" in problem for problem in problems)
    profile_ok = problems == []
    try:
        env_config({}, proxy=url)
    except InputError:
        option_ok = False
    else:
        option_ok = True
    assert profile_ok == option_ok

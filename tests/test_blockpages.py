"""Unit tests for netaudit.probe.blockpages: the fingerprint data, matching, titles, and speed."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netaudit.errors import InputError
from netaudit.probe import blockpages
from netaudit.probe.blockpages import (
    BODY_WINDOW,
    Fingerprint,
    literal_prefix,
    load_fingerprints,
    match_block_page,
    page_title,
)
from netaudit.tomlschema import InvalidFile

BUILTIN = load_fingerprints()

# Realistic answers, one per product the brief names: (status, headers, body, expected product).
SQUID_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html><head>
<meta type="copyright" content="Copyright (C) 1996-2023 The Squid Software Foundation and contributors">
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>ERROR: The requested URL could not be retrieved</title>
<style type="text/css"><!--
 /*
 Stylesheet for Squid Error pages
 Adapted from design by Free CSS Templates
 */
--></style></head><body id="ERR_ACCESS_DENIED"><div id="titles"><h1>ERROR</h1>
<h2>The requested URL could not be retrieved</h2></div><hr>
<div id="content"><p>Access control configuration prevents your request from being allowed at this time.</p>
</div></body></html>"""

SAMPLES: list[tuple[str, int, dict[str, str], str, str]] = [
    ("squid page", 403, {"server": "squid/6.6"}, SQUID_PAGE, "Squid"),
    (
        "squid header",
        403,
        {"x-squid-error": "ERR_ACCESS_DENIED 0", "server": "squid"},
        "<html></html>",
        "Squid",
    ),
    (
        "squidGuard redirect",
        302,
        {"location": "http://proxy.corp/cgi-bin/squidGuard.cgi?clientaddr=10.0.0.5&clientname=&url=https://x.com/"},
        "",
        "squidGuard",
    ),
    (
        "squidGuard sgerror",
        302,
        {"location": "https://192.168.88.1/sgerror.php?url=403%20&a=x.com"},
        "",
        "squidGuard",
    ),
    (
        "FortiGuard IPS",
        200,
        {},
        "<html><head><title>FortiGuard Intrusion Prevention - Access Blocked</title></head>"
        "<body>Web Page Blocked</body>",
        "Fortinet FortiGate",
    ),
    (
        "FortiGuard web filter",
        403,
        {},
        "<html><body><h1>FortiGuard Web Filtering</h1><p>You have tried to access a web page which is in "
        "violation of your internet usage policy.</p><p>Category: Social Networking</p></body></html>",
        "Fortinet FortiGate",
    ),
    (
        "FortiGuard override",
        200,
        {},
        "<title>Web Filter Block Override</title><form>...</form>",
        "Fortinet FortiGate",
    ),
    (
        "Palo Alto redirect",
        302,
        {"location": "http://10.0.0.1:6080/php/urlblock.php?args=AAAAdwAAABD1&url=https://x.com%2f"},
        "",
        "Palo Alto Networks",
    ),
    (
        "Palo Alto page",
        503,
        {},
        "<html><body><h1>Web Page Blocked</h1><p>Access to the web page you were trying to visit has been "
        "blocked in accordance with company policy. Please contact your system administrator if you believe "
        "this is in error.</p><p><b>User:</b> corp\\alice</p>"
        "<p><b>Category:</b> social-networking</p></body></html>",
        "Palo Alto Networks",
    ),
    (
        "Zscaler page",
        403,
        {},
        "<html><head><title>Internet Security by Zscaler</title></head><body>Sorry, you don't have permission</body>",
        "Zscaler",
    ),
    (
        "Zscaler redirect",
        307,
        {"location": "https://gateway.zscaler.net:443/auT?origurl=https%3A%2F%2Fwww.facebook.com%2F"},
        "",
        "Zscaler",
    ),
    (
        "Cisco WSA",
        403,
        {"via": "1.1 wsa07.corp.example:80 (Cisco-WSA/12.5.1-011)", "content-type": "text/html"},
        "<html><body>This Page Cannot Be Displayed</body></html>",
        "Cisco WSA",
    ),
    (
        "Umbrella page",
        200,
        {},
        '<html><script>window.location.replace("https://block.opendns.com/?url=72756c657322&ablock&server=nyc");'
        "</script></html>",
        "Cisco Umbrella/OpenDNS",
    ),
    (
        "Umbrella redirect",
        302,
        {"location": "https://block.opendns.com/?url=x.com"},
        "",
        "Cisco Umbrella/OpenDNS",
    ),
    (
        "Blue Coat redirect",
        302,
        {"location": "http://notify.bluecoat.com/notify-NotifyUser1?http%3A%2F%2Fx.com%2F"},
        "",
        "Symantec/Blue Coat",
    ),
    (
        "Forcepoint page",
        200,
        {},
        '<frameset><frame src="http://10.0.0.9:15871/cgi-bin/blockpage.cgi?ws-session=3183"></frameset>',
        "Forcepoint/Websense",
    ),
    (
        "Check Point page",
        200,
        {},
        "<html><head><title>Check Point UserCheck</title></head><body>Access to this site is blocked</body>",
        "Check Point",
    ),
    (
        "McAfee page",
        403,
        {},
        "<html><head><title>McAfee Web Gateway - Notification - Blocked by URL filtering</title></head></html>",
        "McAfee Web Gateway",
    ),
    (
        "WatchGuard request",
        200,
        {},
        "<html><body><h1>Request denied by WatchGuard HTTP Proxy</h1><p>Reason: category 'Social Web'</p></body>",
        "WatchGuard",
    ),
    (
        "WatchGuard response title",
        200,
        {},
        "<html><head><title> Response denied by\n WatchGuard HTTP Proxy </title></head></html>",
        "WatchGuard",
    ),
    (
        "SonicWall page",
        200,
        {},
        '<p>If you believe the above web site is rated incorrectly click <a href="http://cfssupport.sonicwall.com/'
        'Support/web-rating.jsp">here</a></p>',
        "SonicWall",
    ),
]


@pytest.mark.parametrize(
    ("status", "headers", "body", "product"), [s[1:] for s in SAMPLES], ids=[s[0] for s in SAMPLES]
)
def test_sample_block_pages_are_recognised(status: int, headers: dict[str, str], body: str, product: str) -> None:
    found = match_block_page(status, headers, body, page_title(body))
    assert found is not None
    assert found.product == product
    # Without the title from the caller, a title fingerprint finds it in the body itself.
    again = match_block_page(status, headers, body)
    assert again is not None and again.product == product


REGEXP_SAMPLES = {
    "squid.denied": "ERR_ACL_TIME_QUOTA_EXCEEDED 0",
    "squidguard.redirect_cgi": "http://proxy/cgi-bin/squidGuard-simple.cgi?clientaddr=10.0.0.5&url=http://x.com/",
    "privoxy.title": "Request blocked (Privoxy@proxy)",
    "paloalto.response_page_style": "<style>\r\n  #content {\r\n    border:3px solid#aaa;\r\n  background-color:#fff;",
    "fortinet.block_redirect": "http://10.0.0.1:8008/fortigate/block?x=1",
    "iboss.restricted": "Access to the requested site has been restricted  due to its contents.",
    "watchguard.denied_title": "Response denied by WatchGuard HTTP Proxy",
    "cradlepoint.content_filter": "Content Filter Activated <p>...</p> Copyright CradlePoint Technology, Inc.",
    "cp.a_prod_drweb_3": "URL http://x.com/ is blocked by SpIDer Gate",
    "cp.b_nat_sa_national_2": "If you believe the requested page should not be blocked please visit http://www.internet.gov.sa",
    "cp.e_unk_style_red": '<span style="font-size:14pt;color:red;">(æ¡æ',
}


def _sample_value(fingerprint: Fingerprint) -> str:
    if fingerprint.match == "regexp":
        return REGEXP_SAMPLES[fingerprint.name]
    if fingerprint.match == "contains":
        return f"before {fingerprint.pattern} after"
    if fingerprint.match == "prefix":
        return f"{fingerprint.pattern}/after"
    return f"  {fingerprint.pattern} "


@pytest.mark.parametrize("fingerprint", BUILTIN, ids=[fp.name for fp in BUILTIN])
def test_every_builtin_fingerprint_matches_its_own_sample(fingerprint: Fingerprint) -> None:
    value = _sample_value(fingerprint)
    status = fingerprint.statuses[0] if fingerprint.statuses else 200
    headers: dict[str, str] = {}
    body = ""
    if fingerprint.location.startswith("header."):
        headers[fingerprint.location[7:]] = value
    elif fingerprint.location == "title":
        body = f"<html><head><title>{value}</title></head></html>"
    else:
        body = value
    # Alone, the fingerprint matches its sample; in the whole set, it or an earlier one does.
    assert match_block_page(status, headers, body, fingerprints=(fingerprint,)) == fingerprint
    found = match_block_page(status, headers, body)
    assert found is not None
    assert BUILTIN.index(found) <= BUILTIN.index(fingerprint)


def test_the_builtin_set_covers_the_products_the_audit_needs() -> None:
    products = {fp.product for fp in BUILTIN}
    assert {
        "Squid",
        "squidGuard",
        "Fortinet FortiGate",
        "Palo Alto Networks",
        "Zscaler",
        "Cisco WSA",
        "Cisco Umbrella/OpenDNS",
        "Symantec/Blue Coat",
        "Forcepoint/Websense",
        "Check Point",
        "McAfee Web Gateway",
        "WatchGuard",
        "SonicWall",
        "e2guardian",
        "DansGuardian",
        "Privoxy",
        "tinyproxy",
        "Barracuda",
        "Lightspeed Systems",
        "iboss",
        "Sophos",
        "Cisco Meraki",
        "Netsweeper",
        "Untangle",
    } <= products
    assert len({fp.name for fp in BUILTIN}) == len(BUILTIN)
    assert all(fp.source for fp in BUILTIN)


PAGE_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "share",
    "post",
    "like",
    "comment",
    "video",
    "photo",
    "friends",
    "story",
    "reel",
    "follow",
    "people",
    "you",
    "may",
    "know",
    "profile",
    "settings",
    "privacy",
    "help",
    "create",
    "page",
    "group",
    "event",
    "marketplace",
    "watch",
    "notifications",
]


def _normal_page(size: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words = PAGE_WORDS
    head = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Facebook – log in or sign up</title>"
        '<link rel="stylesheet" href="https://static.xx.fbcdn.net/rsrc.php/v3/y4/r/abc.css"></head><body>'
    )
    parts = [head]
    size_now = len(head)
    while size_now < size:
        chunk = (
            f'<div class="x{rng.randint(0, 9999):04d}" data-id="{rng.getrandbits(48):x}"><span>'
            f"{' '.join(rng.choices(words, k=12))}</span>"
            f'<a href="https://www.facebook.com/{rng.choice(words)}?ref={rng.randint(0, 99)}">'
            f"{rng.choice(words).title()}</a></div>\n"
        )
        parts.append(chunk)
        size_now += len(chunk)
    return "".join(parts)[:size]


def test_a_normal_page_is_not_a_block_page() -> None:
    body = _normal_page(256 * 1024)
    headers = {
        "content-type": "text/html; charset=utf-8",
        "server": "proxygen-bolt",
        "via": "1.1 varnish, 1.1 proxy.corp (squid/6.6)",
        "location": "https://www.facebook.com/login/",
    }
    for status in (200, 302, 403, 503):
        assert match_block_page(status, headers, body, page_title(body)) is None


def test_statuses_limit_a_fingerprint() -> None:
    # Squid's own failures use the same page with 503: a proxy error, not a block.
    assert match_block_page(503, {}, SQUID_PAGE) is None
    assert match_block_page(403, {}, SQUID_PAGE) is not None
    # The WSA's Via is on every answer it relays; only its denials are block pages.
    via = {"via": "1.1 wsa07.corp.example:80 (Cisco-WSA/12.5.1-011)"}
    assert match_block_page(200, via, "<html>the real site</html>") is None
    assert match_block_page(403, via, "<html>denied</html>") is not None


def test_header_names_are_matched_whatever_their_case() -> None:
    found = match_block_page(403, {"X-Squid-Error": "ERR_ACCESS_DENIED 0"}, "")
    assert found is not None and found.name == "squid.denied"


def test_body_fingerprints_look_at_the_first_window_only() -> None:
    marker = "Internet Security by Zscaler"
    early = "x" * (BODY_WINDOW - len(marker)) + marker
    late = "x" * BODY_WINDOW + marker
    assert match_block_page(200, {}, early) is not None
    assert match_block_page(200, {}, late) is None


def test_the_first_match_in_file_order_wins() -> None:
    body = "Stylesheet for Squid Error pages ... Internet Security by Zscaler"
    found = match_block_page(403, {}, body)
    assert found is not None and found.product == "Squid"


def test_matching_is_case_sensitive_like_ooni() -> None:
    assert match_block_page(200, {}, "internet security by zscaler") is None


def test_custom_fingerprints() -> None:
    ours = (
        Fingerprint("Our proxy", "header.x-our-block", "full", "yes"),
        Fingerprint("Our proxy", "body", "regexp", r"(?i)blocked by\s+our\s+policy", statuses=(451,)),
        Fingerprint("Our proxy", "title", "prefix", "Blocked:"),
    )
    assert match_block_page(200, {"x-our-block": " yes "}, "", fingerprints=ours) == ours[0]
    assert match_block_page(200, {"x-our-block": "no"}, "", fingerprints=ours) is None
    assert match_block_page(451, {}, "BLOCKED BY   our policy", fingerprints=ours) == ours[1]
    assert match_block_page(403, {}, "BLOCKED BY   our policy", fingerprints=ours) is None
    assert match_block_page(200, {}, "", "Blocked: social", fingerprints=ours) == ours[2]
    assert match_block_page(200, {}, "<title>Blocked: social</title>", fingerprints=ours) == ours[2]


def test_describe_a_fingerprint() -> None:
    found = match_block_page(403, {"x-squid-error": "ERR_ACCESS_DENIED 0"}, "")
    assert found is not None
    assert found.describe() == "Squid (header x-squid-error matches '^ERR_[A-Z_]+')"


def test_big_ordinary_pages_match_no_fingerprint() -> None:
    # Speed is measured by scripts, not by timed tests; this checks that large real-looking pages
    # (256 KiB, the most the engine reads) are never flagged.
    pages = [_normal_page(256 * 1024, seed) for seed in range(4)]
    headers = {"content-type": "text/html", "server": "proxygen-bolt", "via": "1.1 varnish"}
    for page in pages:
        assert match_block_page(200, headers, page, page_title(page)) is None


# --- page titles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("<html><head><title>Log in</title></head></html>", "Log in"),
        ("<TITLE lang='en'>\n   Instagram\t &amp;\n  Threads  </TITLE>", "Instagram & Threads"),
        ("<title>Caf&eacute; &#x2013; &#8220;News&#8221;</title>", "Café – “News”"),
        ("<title></title>", ""),
        ("<html><body>no title here</body></html>", ""),
        ("<title>never closed", ""),
        ("<titles>not a title</titles><title>real</title>", "real"),
        ("<title\n>split tag</title >", "split tag"),
        ("<svg><title>first wins</title></svg><title>second</title>", "first wins"),
        ("", ""),
    ],
)
def test_page_title(body: str, title: str) -> None:
    assert page_title(body) == title


def test_page_title_is_bounded() -> None:
    assert len(page_title("<title>" + "word " * 10_000 + "</title>")) == 0  # too long to be a title
    assert len(page_title("<title>" + "word " * 200 + "</title>")) <= 512


@pytest.mark.parametrize(
    "garbage",
    [
        "<title " * 50_000,
        "<title>" * 50_000,
        "<title" + " " * 300_000,
        "<" * 300_000,
        "<title>" + "&amp;" * 60_000,
        "</title>" * 40_000 + "<title>x",
    ],
)
def test_page_title_survives_huge_garbage_quickly(garbage: str) -> None:
    started = time.perf_counter()
    result = page_title(garbage)
    assert time.perf_counter() - started < 0.2
    assert isinstance(result, str)


@given(st.text(max_size=2000))
def test_page_title_never_raises(text: str) -> None:
    title = page_title(text)
    assert title == " ".join(title.split())


# --- loading, strictly ------------------------------------------------------------------------

GOOD = '[[fingerprint]]\nname = "a"\nproduct = "P"\nlocation = "body"\nmatch = "contains"\npattern = "x"\n'

BAD_FILES = [
    (GOOD + 'colour = "red"\n', "{path}:1: fingerprint #1 (a): unknown key 'colour'"),
    (
        GOOD.replace('"body"', '"footer"'),
        "{path}:1: fingerprint #1 (a): location 'footer' is not body, title",
    ),
    (
        GOOD.replace('"body"', '"header."'),
        "{path}:1: fingerprint #1 (a): location 'header.' does not name a header",
    ),
    (GOOD.replace('"contains"', '"like"'), "{path}:1: fingerprint #1 (a): match 'like' is not one of"),
    (
        GOOD.replace('"contains"', '"regexp"').replace('"x"', '"(unclosed"'),
        "{path}:1: fingerprint #1 (a): pattern is not a valid regexp",
    ),
    (GOOD.replace('pattern = "x"\n', ""), "{path}:1: fingerprint #1 (a): missing 'pattern'"),
    (
        GOOD.replace('pattern = "x"', 'pattern = ""'),
        "{path}:1: fingerprint #1 (a): 'pattern' must be a non-empty",
    ),
    (
        GOOD + "statuses = [99]\n",
        "{path}:1: fingerprint #1 (a): 'statuses' must be a list of HTTP status codes",
    ),
    (GOOD + 'statuses = "403"\n', "{path}:1: fingerprint #1 (a): 'statuses' must be a list"),
    (
        GOOD.replace('name = "a"', 'name = "Bad Name"'),
        "{path}:1: fingerprint #1 (Bad Name): name 'Bad Name' may use",
    ),
    (GOOD + "\n# comment\n" + GOOD, "{path}:9: fingerprint #2 (a): name 'a' is used twice"),
    (
        GOOD + "\n" + GOOD.replace('"a"', '"b"') + "source = 3\n",
        "{path}:8: fingerprint #2 (b): 'source' must be",
    ),
    ('[[fingerprints]]\nname = "a"\n', "{path}: unknown top-level key 'fingerprints'"),
    ('fingerprint = "x"\n', "{path}: 'fingerprint' must be an array of tables"),
    ("[[fingerprint]\n", "{path}: not valid TOML"),
]


@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_bad_fingerprint_files_are_refused_with_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_fingerprints(path)
    assert str(caught.value).startswith(message.format(path=path))


def test_a_missing_fingerprint_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'none.toml'}: no such fingerprint file")):
        load_fingerprints(tmp_path / "none.toml")


def test_a_good_custom_file_loads_and_is_cached(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(GOOD + 'statuses = [403, 451]\nsource = "us"\n', encoding="utf-8")
    loaded = load_fingerprints(path)
    assert loaded == (Fingerprint("P", "body", "contains", "x", (403, 451), "a", "us"),)
    assert load_fingerprints(path) is loaded
    assert load_fingerprints() is BUILTIN


# --- the fast matcher answers as trying every fingerprint in file order would --------------------


def _naive(
    status: int, headers: dict[str, str], body: str, fingerprints: tuple[Fingerprint, ...]
) -> Fingerprint | None:
    window, title = body[:BODY_WINDOW], page_title(body[:BODY_WINDOW])
    for fp in fingerprints:
        if fp.statuses and status not in fp.statuses:
            continue
        if fp.location.startswith("header."):
            if fp.location[7:] not in headers:
                continue
            value = headers[fp.location[7:]]
        elif fp.location == "title":
            value = title
        else:
            value = body if fp.match == "full" else window
        if (
            (fp.match == "contains" and fp.pattern in value)
            or (fp.match == "prefix" and value.startswith(fp.pattern))
            or (fp.match == "full" and value.strip() == fp.pattern)
            or (fp.match == "regexp" and re.search(fp.pattern, value))
        ):
            return fp
    return None


def _answer_with(fingerprints: list[Fingerprint]) -> tuple[int, dict[str, str], str]:
    headers: dict[str, str] = {}
    parts: list[str] = []
    status = 200
    for fp in fingerprints:
        value = _sample_value(fp)
        status = fp.statuses[0] if fp.statuses else status
        if fp.location.startswith("header."):
            headers[fp.location[7:]] = value
        elif fp.location == "title":
            parts.insert(0, f"<title>{value}</title>")
        else:
            parts.append(value)
    return status, headers, "\n".join(parts)


def test_the_fast_matcher_agrees_with_trying_every_fingerprint_in_order() -> None:
    rng = random.Random(11)
    corpus = Path(__file__).resolve().parent / "data" / "blockpage-corpus"
    answers = [_answer_with(rng.sample(BUILTIN, rng.randint(1, 4))) for _ in range(400)]
    for sample in sorted(corpus.glob("*/*.http")):
        head, _, body = sample.read_text(encoding="utf-8", errors="replace").partition("\n\n")
        lines = head.split("\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        answers.append((status, headers, body))
    for status, headers, body in answers:
        assert match_block_page(status, headers, body) == _naive(status, headers, body, BUILTIN)


def test_the_matcher_agrees_before_and_after_it_swaps_its_automaton(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small runs search with the quick-to-build NFA; past DFA_AFTER characters the DFA takes over.
    monkeypatch.setattr(blockpages, "DFA_AFTER", 20_000)
    rng = random.Random(12)
    answers = [_answer_with(rng.sample(BUILTIN, rng.randint(1, 4))) for _ in range(300)]
    answers += [(200, {}, "<html>" + "an ordinary page " * 400 + "</html>")] * 3
    rng.shuffle(answers)
    matcher = blockpages._Matcher(BUILTIN)
    swapped_at = None
    for number, (status, headers, body) in enumerate(answers):
        assert matcher.match(status, headers, body, "") == _naive(status, headers, body, BUILTIN)
        if swapped_at is None and matcher._scanned >= blockpages.DFA_AFTER:
            swapped_at = number
    assert swapped_at is not None and swapped_at < len(answers) - 50  # many answers were matched after the swap


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        (r"#content \{\s*border", "#content {"),
        (r"^ERR_[A-Z_]+", "ERR_"),
        (r"URL .* Sp.*er Gate", "URL "),
        ("ab*c", "a"),
        ("abc+d", "abc"),
        ("ab?c", "a"),
        ("ab{2}c", "a"),
        (r"(?i)blocked", ""),
        ("(a|b)c", ""),
        (r"\d+ blocked", ""),
        (r"\?dpid=\d", "?dpid="),
    ],
)
def test_literal_prefix_of_a_regexp(pattern: str, prefix: str) -> None:
    assert literal_prefix(pattern) == prefix
    # Whatever the regexp matches starts with the prefix.
    for text in ("#content {  border", "ERR_ACCESS_DENIED", "URL x Spider Gate", "ac", "abccd", "abbc", "?dpid=3"):
        found = re.search(pattern, text)
        if found:
            assert found.group(0).startswith(prefix)


def test_every_bad_entry_of_a_fingerprint_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "two-bad.toml"
    path.write_text(
        "[[fingerprint]]\nname = 'a'\nproduct = 'X'\nlocation = 'body'\nmatch = 'contains'\npattern = 'x'\n"
        "colour = 'red'\n\n"
        "[[fingerprint]]\nname = 'b'\nproduct = 'Y'\nlocation = 'nowhere'\nmatch = 'contains'\npattern = 'y'\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidFile) as caught:
        load_fingerprints(path)
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(f"{path}:1: fingerprint #1 (a): unknown key 'colour'")
    assert problems[1].startswith(f"{path}:9: fingerprint #2 (b): location 'nowhere' is not body")
    assert str(caught.value).endswith("(and 1 more problem)")

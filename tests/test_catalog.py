"""Tests for the site catalog: the built-in files, user folders, lookups, and a folder of bad files
each checked against its exact one-line error message."""

from __future__ import annotations

import re
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from netaudit.catalog import PLATFORM_ID_RE, Catalog, load_catalog, load_platform_file
from netaudit.errors import CatalogError, ExitCode
from netaudit.model import Capability
from netaudit.resources import builtin_checks_dir

DATA = Path(__file__).parent / "data"
INVALID = DATA / "catalog-invalid"
EXTRA = DATA / "catalog-extra"
BUILTIN_X = builtin_checks_dir() / "x.toml"
REQUIRED_PLATFORMS = {"facebook", "instagram", "linkedin", "x", "youtube", "tiktok", "pinterest", "reddit"}
ENDPOINT_ID_RULE = "the platform id, then '.'-separated parts of lowercase letters, digits, '-' and '_'"
ENDPOINT_KEYS = "capability, expect_status, expect_title, h3, id, method, note, url"

# File name -> the message after "<path>" (so it starts with ":<line>: ..." or ": ...").
# "{x}" stands for the path of the built-in x.toml.
INVALID_MESSAGES = {
    "BadId.toml": ":2: platform.id: 'BadId' is not a valid id (lowercase letters, digits, '-' and '_')",
    "alias-collision.toml": ":4: platform.aliases: 'twitter' is already an alias of platform 'x' ({x})",
    "alias-own-id.toml": ":4: platform.aliases: 'alias-own-id' is the platform's own id",
    "bad-capability.toml": (
        ":6: endpoint 1.capability: unknown capability 'write' (allowed: read, media, login, post, message)"
    ),
    "bad-method.toml": (
        ":8: endpoint 1.method: unknown method 'POST' (allowed: GET, HEAD, OPTIONS; post endpoints"
        " are probed with a harmless request, never a real upload)"
    ),
    "bad-url-scheme.toml": ":7: endpoint 1.url: 'ftp://example.com/' must start with http://, https://, tcp:// or tls://",
    "dotted-keys.toml": ":2: platform.name: must not be empty",
    "duplicate-endpoint.toml": ":15: endpoint 3: same method and url as endpoint 1 (GET https://example.com/)",
    "empty-name.toml": ":3: platform.name: must not be empty",
    "endpoint-not-array.toml": (":5: top level: 'endpoint' must be an array of tables ([[endpoint]]), got a table"),
    "endpoint-subtable.toml": f":9: endpoint 1: unknown key 'headers' (allowed: {ENDPOINT_KEYS})",
    "endpoint-id-by-position.toml": (
        ":10: endpoint 2: its id by position, 'endpoint-id-by-position.read.2', is already the id of endpoint 1;"
        " give it an id of its own"
    ),
    "endpoint-id-malformed.toml": (
        f":6: endpoint 1.id: 'endpoint-id-malformed.Read 1' is not a valid endpoint id ({ENDPOINT_ID_RULE},"
        " e.g. 'endpoint-id-malformed.media.1')"
    ),
    "endpoint-id-no-part.toml": (
        f":6: endpoint 1.id: 'endpoint-id-no-part' is not a valid endpoint id ({ENDPOINT_ID_RULE},"
        " e.g. 'endpoint-id-no-part.media.1')"
    ),
    "endpoint-id-other-platform.toml": (
        ":6: endpoint 1.id: 'facebook.read.1' must start with the platform id 'endpoint-id-other-platform.'"
    ),
    "endpoint-id-twice.toml": ":11: endpoint 2.id: 'endpoint-id-twice.home' is already the id of endpoint 1",
    "endpoint-id-wrong-type.toml": ":6: endpoint 1.id: expected a string, got an integer (3)",
    "id-mismatch.toml": (
        ":2: platform.id: 'id-mismach' does not match the file name 'id-mismatch.toml'"
        " (the id must equal the file name)"
    ),
    "id-wrong-type.toml": ":2: platform.id: expected a string, got an integer (7)",
    "missing-name.toml": ":1: platform: missing required key 'name'",
    "missing-platform.toml": ": top level: missing [platform] table (with id and name)",
    "missing-url.toml": ":9: endpoint 2: missing required key 'url'",
    "no-endpoints.toml": ": top level: no [[endpoint]] tables (a platform needs at least one endpoint)",
    "non-utf8.toml": ":3: file: not UTF-8 text (byte 0xe9 at column 12); save it as UTF-8",
    "status-bool.toml": ":8: endpoint 1.expect_status: item 2: expected an integer, got a boolean (true)",
    "status-out-of-range.toml": ":8: endpoint 1.expect_status: 999 is not an HTTP status code (100-599)",
    "status-wrong-type.toml": (":8: endpoint 1.expect_status: expected a list of integers, got a string ('200')"),
    "syntax-error.toml": ":7:5: invalid TOML: Expected '=' after a key in a key/value pair",
    "title-wrong-type.toml": (":8: endpoint 1.expect_title: expected a list of strings, got a string ('Example')"),
    "twitter.toml": ":3: platform.id: 'twitter' is already an alias of platform 'x' ({x})",
    "unclosed-array.toml": ":8: invalid TOML: Unclosed array (at end of file)",
    "unknown-endpoint-key.toml": f":14: endpoint 3: unknown key 'capabilty' (allowed: {ENDPOINT_KEYS})",
    "unknown-platform-key.toml": ":4: platform: unknown key 'alias' (allowed: aliases, id, name)",
    "unknown-top-key.toml": ":1: top level: unknown key 'version' (allowed: endpoint, platform)",
    "url-bad-port.toml": ":7: endpoint 1.url: 'https://example.com:99999/' has an invalid port",
    "url-credentials.toml": (
        ":7: endpoint 1.url: the URL for 'example.com' contains credentials (user:password@); remove them"
    ),
    "url-no-host.toml": ":7: endpoint 1.url: 'https:///index.html' has no host",
    "url-whitespace.toml": ":7: endpoint 1.url: 'https://example.com/a page' contains whitespace",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def write_platform(folder: Path, pid: str, body: str = "", *, aliases: str = "[]") -> Path:
    """A minimal valid platform file with one read endpoint, plus `body`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{pid}.toml"
    path.write_text(
        f'[platform]\nid = "{pid}"\nname = "{pid.title()}"\naliases = {aliases}\n\n'
        f'[[endpoint]]\ncapability = "read"\nurl = "https://{pid}.example.com/"\n{body}',
        encoding="utf-8",
    )
    return path


# --- The built-in catalog --------------------------------------------------------------------


def test_builtin_catalog_has_the_required_platforms(catalog: Catalog) -> None:
    assert set(catalog.ids()) >= REQUIRED_PLATFORMS
    assert catalog.ids() == sorted(catalog.ids())
    assert list(catalog.platforms) == catalog.ids()


def test_builtin_ids_are_valid_and_unique(catalog: Catalog) -> None:
    names = [name for p in catalog.platforms.values() for name in (p.id, *p.aliases)]
    assert len(names) == len(set(names))
    assert all(PLATFORM_ID_RE.match(name) for name in names)
    endpoint_ids = catalog.endpoint_ids()
    assert len(endpoint_ids) == len(set(endpoint_ids))


def test_builtin_endpoint_ids_count_per_capability_in_file_order(catalog: Catalog) -> None:
    for platform in catalog.platforms.values():
        seen: Counter[Capability] = Counter()
        for endpoint in platform.endpoints:
            seen[endpoint.capability] += 1
            assert endpoint.id == f"{platform.id}.{endpoint.capability.value}.{seen[endpoint.capability]}"
            assert endpoint.platform == platform.id


MESSENGERS = {"whatsapp", "messenger"}


def test_builtin_platforms_cover_every_capability(catalog: Catalog) -> None:
    web = set(Capability) - {Capability.MESSAGE}
    for platform in catalog.platforms.values():
        capabilities = {e.capability for e in platform.endpoints}
        if platform.id in MESSENGERS:  # a messenger: its web client and its chat endpoints
            assert capabilities == {Capability.READ, Capability.MESSAGE}, platform.id
            continue
        assert {Capability.READ, Capability.POST} <= capabilities, platform.id
        assert capabilities == web, platform.id


def test_builtin_endpoints_are_https_and_harmless(catalog: Catalog) -> None:
    for endpoint in catalog.endpoints():
        chat = endpoint.capability is Capability.MESSAGE and endpoint.url.startswith(("tcp://", "tls://"))
        assert endpoint.url.startswith("https://") or chat, endpoint.id
        assert endpoint.method in ("GET", "HEAD", "OPTIONS"), endpoint.id
        assert all(100 <= s <= 599 for s in endpoint.expect_status), endpoint.id


def test_builtin_endpoints_say_what_the_real_site_answers(catalog: Catalog) -> None:
    # Without expect_status the classifier takes any 4xx for the site failing, and an API host
    # or a CDN root answers 4xx to an unauthenticated client.
    # A chat endpoint (tcp://, tls://) gets no HTTP answer at all.
    missing = [e.id for e in catalog.endpoints() if not e.expect_status and e.url.startswith("http")]
    assert missing == []


def test_builtin_platform_records_its_file(catalog: Catalog) -> None:
    assert catalog.platform("x").source == str(BUILTIN_X)


def test_builtin_catalog_loads_fast() -> None:
    best = min(_timed(load_catalog) for _ in range(3))
    assert best < 0.1, f"loading the built-in catalog took {best * 1000:.1f} ms"


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


# --- Lookups ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x", "X", "twitter", "Twitter", " TWITTER "])
def test_platform_accepts_id_or_alias_in_any_case(catalog: Catalog, name: str) -> None:
    assert catalog.platform(name).id == "x"


def test_unknown_platform_lists_the_known_ones(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        catalog.platform("myspace")
    assert str(info.value) == f"unknown platform 'myspace' (known: {', '.join(catalog.ids())})"


def test_endpoints_of_some_platforms_in_the_order_asked(catalog: Catalog) -> None:
    chosen = catalog.endpoints(["twitter", "reddit", "x"])
    assert [e.platform for e in chosen] == ["x"] * len(catalog.platform("x").endpoints) + ["reddit"] * len(
        catalog.platform("reddit").endpoints
    )
    assert len(catalog.endpoints()) == sum(len(p.endpoints) for p in catalog.platforms.values())
    with pytest.raises(CatalogError, match="unknown platform 'nope'"):
        catalog.endpoints(["nope"])


def test_endpoint_by_id_accepts_an_alias_prefix(catalog: Catalog) -> None:
    assert catalog.endpoint("x.read.1").url == "https://x.com/"
    assert catalog.endpoint("Twitter.read.1") is catalog.endpoint("x.read.1")


def test_unknown_endpoint_messages(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        catalog.endpoint("tiktok.read.9")
    assert str(info.value) == (
        "unknown endpoint 'tiktok.read.9' (known for tiktok: tiktok.read.1, tiktok.media.1, "
        "tiktok.login.1, tiktok.post.1)"
    )
    with pytest.raises(CatalogError) as info:
        catalog.endpoint("myspace.read.1")
    assert str(info.value) == (
        "unknown endpoint 'myspace.read.1' (endpoint ids look like 'facebook.media.1'; "
        f"platforms: {', '.join(catalog.ids())})"
    )


def test_find_by_host(catalog: Catalog) -> None:
    found = catalog.find_by_host("WWW.Facebook.com.")
    assert [e.id for e in found] == ["facebook.read.1", "facebook.login.1"]
    shared = catalog.find_by_host("rupload.facebook.com")
    assert {e.platform for e in shared} == {"facebook", "instagram"}
    assert catalog.find_by_host("example.com") == []


# --- User folders ----------------------------------------------------------------------------


def test_user_folder_overrides_and_adds() -> None:
    catalog = load_catalog([EXTRA])
    assert "slack" in catalog.ids()
    facebook = catalog.platform("facebook")
    assert facebook.name == "Facebook (our pages only)"
    assert [e.id for e in facebook.endpoints] == ["facebook.read.1"]
    assert facebook.source == str(EXTRA / "facebook.toml")
    slack_post = catalog.endpoint("slack.post.1")
    assert (slack_post.method, slack_post.expect_status) == ("HEAD", (200,))
    assert set(catalog.ids()) >= REQUIRED_PLATFORMS


def test_later_folder_wins(tmp_path: Path) -> None:
    write_platform(tmp_path / "a", "acme", 'note = "first"\n')
    write_platform(tmp_path / "b", "acme", 'note = "second"\n')
    catalog = load_catalog([tmp_path / "a", tmp_path / "b"], builtin=False)
    assert catalog.ids() == ["acme"]
    assert catalog.endpoint("acme.read.1").note == "second"


def test_override_drops_the_builtin_aliases(tmp_path: Path) -> None:
    write_platform(tmp_path, "x")
    write_platform(tmp_path, "twitter")
    catalog = load_catalog([tmp_path])
    assert catalog.platform("twitter").id == "twitter"
    assert catalog.platform("x").aliases == ()


def test_alias_clash_between_user_folders_blames_the_later_file(tmp_path: Path) -> None:
    write_platform(tmp_path / "a", "acme", aliases='["ac"]')
    later = write_platform(tmp_path / "b", "acorn", aliases='["ac"]')
    with pytest.raises(CatalogError) as info:
        load_catalog([tmp_path / "a", tmp_path / "b"], builtin=False)
    first = tmp_path / "a" / "acme.toml"
    assert str(info.value) == f"{later}:4: platform.aliases: 'ac' is already an alias of platform 'acme' ({first})"


def test_builtin_can_be_left_out() -> None:
    catalog = load_catalog([EXTRA], builtin=False)
    assert catalog.ids() == ["facebook", "slack"]


def test_hidden_and_other_files_are_ignored(tmp_path: Path) -> None:
    write_platform(tmp_path, "acme")
    (tmp_path / ".#acme.toml").write_text("not toml at all [", encoding="utf-8")
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    assert load_catalog([tmp_path], builtin=False).ids() == ["acme"]


def test_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(CatalogError) as info:
        load_catalog([missing])
    assert str(info.value) == f"catalog folder '{missing}' does not exist"


def test_folder_that_is_a_file(tmp_path: Path) -> None:
    path = write_platform(tmp_path, "acme")
    with pytest.raises(CatalogError) as info:
        load_catalog([path])
    assert str(info.value) == f"catalog folder '{path}' is not a folder"


def test_folder_without_platform_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog([tmp_path])
    assert str(info.value) == f"no platform files (*.toml) in catalog folder '{tmp_path}'"


def test_path_is_shown_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_platform(tmp_path / "mine", "acme", "colour = 1\n")
    with pytest.raises(CatalogError) as info:
        load_catalog([Path("mine")])
    assert str(info.value) == f"mine/acme.toml:9: endpoint 1: unknown key 'colour' (allowed: {ENDPOINT_KEYS})"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_platform(tmp_path, "acme")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(CatalogError) as info:
        load_platform_file(path)
    assert str(info.value) == f"{path}: cannot read the file: Permission denied"


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write_platform(tmp_path, "acme")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_platform_file(path).id == "acme"


def test_load_platform_file_defaults(tmp_path: Path) -> None:
    platform = load_platform_file(write_platform(tmp_path, "acme"))
    (endpoint,) = platform.endpoints
    assert (endpoint.id, endpoint.method, endpoint.expect_status, endpoint.expect_title, endpoint.note) == (
        "acme.read.1",
        "GET",
        (),
        (),
        "",
    )


# --- The folder of bad files -----------------------------------------------------------------


def test_every_invalid_file_has_an_expected_message() -> None:
    assert sorted(p.name for p in INVALID.glob("*.toml")) == sorted(INVALID_MESSAGES)


@pytest.mark.parametrize("name", sorted(INVALID_MESSAGES))
def test_invalid_file(name: str, tmp_path: Path) -> None:
    shutil.copy(INVALID / name, tmp_path / name)
    with pytest.raises(CatalogError) as info:
        load_catalog([tmp_path])  # with the built-in catalog, so aliases can collide
    expected = f"{tmp_path / name}{INVALID_MESSAGES[name].format(x=BUILTIN_X)}"
    assert str(info.value) == expected
    assert "\n" not in str(info.value)
    assert info.value.exit_code == ExitCode.USAGE


def test_invalid_messages_have_the_documented_shape() -> None:
    shape = re.compile(r"^(:\d+(:\d+)?)?: [^:]+: ")
    for name, message in INVALID_MESSAGES.items():
        assert shape.match(message), name

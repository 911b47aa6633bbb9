"""Endpoint ids that survive reordering, the catalog's version, and every problem of every file at once."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from netaudit.catalog import InvalidCatalogError, load_catalog, load_platform_file
from netaudit.cli import cli
from netaudit.errors import ExitCode
from netaudit.resources import builtin_checks_dir

ENDPOINT_BLOCK = re.compile(r"(?ms)^\[\[endpoint\]\]\n.*?(?=^\[\[endpoint\]\]\n|\Z)")


def _reorder(text: str) -> str:
    """The same file with its [[endpoint]] tables in reverse order (comments between them travel along)."""
    blocks = ENDPOINT_BLOCK.findall(text)
    assert len(blocks) > 1
    head = text[: text.index(blocks[0])]
    return head + "".join(block.rstrip("\n") + "\n\n" for block in reversed(blocks))


def _ids(path: Path) -> dict[str, str]:
    return {endpoint.id: endpoint.url for endpoint in load_platform_file(path).endpoints}


@pytest.mark.parametrize("path", sorted(builtin_checks_dir().glob("*.toml")), ids=lambda p: p.stem)
def test_every_builtin_endpoint_writes_its_id(path: Path) -> None:
    endpoints = tomllib.loads(path.read_text(encoding="utf-8"))["endpoint"]
    assert all("id" in endpoint for endpoint in endpoints)


@pytest.mark.parametrize("name", ["facebook", "x", "youtube"])
def test_reordering_a_builtin_file_keeps_its_ids(name: str, tmp_path: Path) -> None:
    original = builtin_checks_dir() / f"{name}.toml"
    reordered = tmp_path / f"{name}.toml"
    reordered.write_text(_reorder(original.read_text(encoding="utf-8")), encoding="utf-8")
    assert [e.url for e in load_platform_file(reordered).endpoints] != [
        e.url for e in load_platform_file(original).endpoints
    ]
    assert _ids(reordered) == _ids(original)
    # ... and the catalog's version: the same endpoints, probed the same way.
    assert load_catalog([tmp_path]).version == load_catalog().version


def test_ids_by_position_are_only_the_fallback(tmp_path: Path) -> None:
    text = (builtin_checks_dir() / "facebook.toml").read_text(encoding="utf-8")
    unnamed = re.sub(r'(?m)^id = "facebook\.[^"]+"\n', "", text)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "facebook.toml").write_text(unnamed, encoding="utf-8")
    (tmp_path / "b" / "facebook.toml").write_text(_reorder(unnamed), encoding="utf-8")
    in_order, reordered = _ids(tmp_path / "a" / "facebook.toml"), _ids(tmp_path / "b" / "facebook.toml")
    assert in_order == _ids(builtin_checks_dir() / "facebook.toml")  # the built-in ids are today's positional ones
    assert set(in_order) == set(reordered) and in_order != reordered  # by position, reordering renames


def test_written_and_positional_ids_mix(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(
        '[platform]\nid = "acme"\nname = "Acme"\n\n'
        '[[endpoint]]\nid = "acme.home"\ncapability = "read"\nurl = "https://acme.example/"\n\n'
        '[[endpoint]]\ncapability = "read"\nurl = "https://acme.example/about"\n\n'
        '[[endpoint]]\nid = "acme.cdn.eu-west"\ncapability = "media"\nurl = "https://cdn.acme.example/"\n',
        encoding="utf-8",
    )
    assert list(_ids(path)) == ["acme.home", "acme.read.2", "acme.cdn.eu-west"]
    catalog = load_catalog([tmp_path], builtin=False)
    assert catalog.endpoint("acme.cdn.eu-west").url == "https://cdn.acme.example/"


# --- The catalog's version ---------------------------------------------------------------------


def test_the_version_follows_what_the_files_say(tmp_path: Path) -> None:
    builtin = load_catalog()
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", builtin.version)
    assert load_catalog().version == builtin.version
    copy = tmp_path / "copy"
    shutil.copytree(builtin_checks_dir(), copy)
    facebook = copy / "facebook.toml"
    facebook.write_text("# a comment more\n\n" + facebook.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_catalog([copy], builtin=False).version == builtin.version  # comments and places do not count
    facebook.write_text(
        facebook.read_text(encoding="utf-8").replace("https://graph.facebook.com/me", "https://graph.facebook.com/v2"),
        encoding="utf-8",
    )
    assert load_catalog([copy], builtin=False).version != builtin.version
    assert builtin.only(["linkedin"]).version != builtin.version
    assert builtin.only(["linkedin"]).version == load_catalog().only(["linkedin"]).version


# --- Every problem at once ---------------------------------------------------------------------

BAD_ONE = """[platform]
id = "one"
name = ""
colour = "red"

[[endpoint]]
capability = "write"
url = "ftp://one.example/"

[[endpoint]]
capabilty = "read"
url = "https://one.example/"
"""
BAD_TWO = """[platform]
id = "two"
name = "Two"
aliases = ["one"]

[[endpoint]]
url = "https://two.example/"
expect_status = [200, 200]
"""


def test_every_problem_of_every_file_is_collected(tmp_path: Path) -> None:
    (tmp_path / "one.toml").write_text(BAD_ONE, encoding="utf-8")
    (tmp_path / "two.toml").write_text(BAD_TWO, encoding="utf-8")
    with pytest.raises(InvalidCatalogError) as info:
        load_catalog([tmp_path], builtin=False)
    one, two = tmp_path / "one.toml", tmp_path / "two.toml"
    assert info.value.problems == [
        f"{one}:3: platform.name: must not be empty",
        f"{one}:4: platform: unknown key 'colour' (allowed: aliases, id, name)",
        f"{one}:7: endpoint 1.capability: unknown capability 'write' (allowed: read, media, login, post, message)",
        f"{one}:8: endpoint 1.url: 'ftp://one.example/' must start with http://, https://, tcp:// or tls://",
        f"{one}:11: endpoint 2: unknown key 'capabilty' "
        "(allowed: capability, expect_status, expect_title, h3, id, method, note, url)",
        f"{two}:6: endpoint 1: missing required key 'capability'",
        f"{two}:8: endpoint 1.expect_status: 200 is listed twice",
    ]
    assert str(info.value) == f"{info.value.problems[0]} (and 6 more problems)"
    assert info.value.exit_code == ExitCode.USAGE


def test_the_cli_shows_every_problem_one_per_line(tmp_path: Path) -> None:
    (tmp_path / "one.toml").write_text(BAD_ONE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["catalog", "list", "--catalog", str(tmp_path)])
    assert result.exit_code == ExitCode.USAGE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 5 and all(line.startswith(f"netaudit: error: {tmp_path}/one.toml:") for line in lines)
    assert "Traceback" not in result.output

"""Unit tests for netaudit.tomlsource: reading, syntax errors, and the scanner that finds the line of a key."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netaudit.tomlsource import InvalidToml, Key, NotUtf8, TomlSource, UnreadableFile


def source(text: str) -> TomlSource:
    """A source of a text that must be valid TOML (the scanner is only asked about such texts)."""
    tomllib.loads(text)
    return TomlSource("test.toml", text)


# --- strings and comments are not keys ----------------------------------------------------------


def test_keys_and_headers_inside_strings_and_comments_are_not_taken_for_keys() -> None:
    text = (
        'title = "url = 1 [[endpoint]]"\n'  # 1
        "# url = 2\n"  # 2
        "# [[endpoint]]\n"  # 3
        'note = """\n'  # 4
        "url = 3\n"  # 5
        "[[endpoint]]\n"  # 6
        '"""\n'  # 7
        "lit = '''\n"  # 8
        "[table]\n"  # 9
        "'''\n"  # 10
        'escaped = "a \\" url = 4"\n'  # 11
        "[[endpoint]]  # the first real one\n"  # 12
        'url = "https://example.com/"  # url = 5\n'  # 13
    )
    src = source(text)
    assert src.line_of(("endpoint", 0)) == 12
    assert src.line_of(("endpoint", 0, "url")) == 13
    assert src.line_of(("endpoint", 1)) == 12  # there is no second entry: the nearest ancestor
    assert src.line_of(("table",)) is None
    assert src.line_of(("url",)) is None
    assert src.line_of(("escaped",)) == 11


def test_a_triple_quoted_string_may_end_with_quotes() -> None:
    src = source("a = \"\"\"x\"\"\"\"\nb = 1\nc = '''y'''''\nd = 2\n")
    assert (src.line_of(("b",)), src.line_of(("d",))) == (2, 4)


# --- multi-line values ----------------------------------------------------------------------------


def test_multi_line_arrays_and_inline_tables_are_skipped_whole() -> None:
    text = (
        "hours = [\n"  # 1
        '  "mon-fri 09:00-17:00",  # a comment with a ] in it\n'  # 2
        "  'sat 10:00-12:00',\n"  # 3
        "  [1, 2], { x = 1 },\n"  # 4
        "]\n"  # 5
        "access = { facebook = 'read', x = [\n"  # 6
        "  1] }\n"  # 7
        "after = 1\n"  # 8
    )
    src = source(text)
    assert src.line_of(("hours",)) == 1
    assert src.line_of(("after",)) == 8
    assert src.line_of_item(("hours",), "sat 10:00-12:00") == 3
    assert src.line_of_item(("hours",), "mon-fri 09:00-17:00") == 2
    assert src.line_of_item(("hours",), "not there") == 1
    assert src.line_of(("access", "facebook")) == 6  # inside an inline table: the line of the table


# --- dotted and quoted keys -------------------------------------------------------------------------


def test_dotted_and_quoted_keys_are_decoded_like_tomllib_does() -> None:
    text = (
        "site.name = 'x'\n"  # 1
        '"quoted key".x = 2\n'  # 2
        "'literal'  .  y = 3\n"  # 3
        'sites."google.com" = "read"\n'  # 4
        "[ \"t\" . 'u' ]\n"  # 5
        "bare-key_1 = true\n"  # 6
        '"" = "empty"\n'  # 7
    )
    src = source(text)
    assert src.line_of(("site", "name")) == 1
    assert src.line_of(("site",)) == 1  # written only through its keys: its first one
    assert src.line_of(("quoted key", "x")) == 2
    assert src.line_of(("literal", "y")) == 3
    assert src.line_of(("sites", "google.com")) == 4
    assert src.line_of(("sites", "google")) == 4  # not written: the nearest ancestor
    assert src.line_of(("t", "u")) == 5
    assert src.line_of(("t", "u", "bare-key_1")) == 6
    assert src.line_of(("t", "u", "")) == 7


def test_a_missing_key_falls_back_to_its_nearest_written_ancestor() -> None:
    src = source("[organization]\nname = 'x'\n\n[profiles.staff]\naccess = {}\n")
    assert src.line_of(("organization", "timezone")) == 1
    assert src.line_of(("profiles", "staff", "rules", "hours")) == 4
    assert src.line_of(("profiles",)) == 4  # only its sub-table is written
    assert src.line_of(("nothing", "here")) is None
    assert src.line_of(()) is None


# --- arrays of tables ---------------------------------------------------------------------------------


ENDPOINTS = (
    "[platform]\n"  # 1
    "id = 'x'\n"  # 2
    "\n"  # 3
    "[[endpoint]]\n"  # 4
    "url = 'https://a/'\n"  # 5
    "\n"  # 6
    "[[ endpoint ]]\n"  # 7
    "capability = 'read'\n"  # 8
    "\n"  # 9
    "[endpoint.extra]\n"  # 10
    "x = 1\n"  # 11
    "\n"  # 12
    "[[endpoint.variant]]\n"  # 13
    "y = 1\n"  # 14
    "[[endpoint.variant]]\n"  # 15
    "y = 2\n"  # 16
    "\n"  # 17
    '[["endpoint"]]\n'  # 18
    "url = 'https://c/'\n"  # 19
)


def test_entries_of_an_array_of_tables_are_counted() -> None:
    src = source(ENDPOINTS)
    assert [src.line_of(("endpoint", n)) for n in range(3)] == [4, 7, 18]
    assert src.line_of(("endpoint", 0, "url")) == 5
    assert src.line_of(("endpoint", 2, "url")) == 19
    assert src.line_of(("endpoint", 1, "url")) == 7  # not in that entry: the entry's header
    assert src.line_of(("endpoint", 1, "capability")) == 8


def test_sub_tables_belong_to_the_last_entry_and_nested_arrays_are_counted_in_it() -> None:
    src = source(ENDPOINTS)
    assert src.line_of(("endpoint", 1, "extra")) == 10
    assert src.line_of(("endpoint", 1, "extra", "x")) == 11
    assert src.line_of(("endpoint", 1, "variant", 0, "y")) == 14
    assert src.line_of(("endpoint", 1, "variant", 1, "y")) == 16
    assert src.line_of(("endpoint", 1, "variant", 2)) == 13  # no third variant: the first one


def test_without_indices_a_key_names_the_first_entry_that_has_it() -> None:
    src = source(ENDPOINTS)
    assert src.line_of(("endpoint",)) == 4
    assert src.line_of(("endpoint", "url")) == 5
    assert src.line_of(("endpoint", "capability")) == 8
    assert src.line_of(("endpoint", "variant", "y")) == 14


def test_an_entry_that_is_not_there_falls_back_to_the_array() -> None:
    src = source(ENDPOINTS)
    assert src.line_of(("endpoint", 7, "url")) == 4
    inline = source("\n\nfingerprint = [\n  { name = 'a' },\n  { name = 'b' },\n]\n")
    assert inline.line_of(("fingerprint", 1)) == 3


# --- the scanner, against documents whose lines are known -------------------------------------------

NAMES = st.text(alphabet="abz_-.= #[]'\"\\é", min_size=1, max_size=6)
STRINGS = st.text(alphabet="ab =#[]{}'\"\\\n\t.é", max_size=12)


def _toml_string(value: str, style: int) -> str:
    if style == 1 and "'" not in value and "\n" not in value:
        return f"'{value}'"
    if style == 2 and "'''" not in value and not value.endswith("'"):
        return f"'''{value}'''"
    return json.dumps(value, ensure_ascii=False)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[Key, int]]:
    """A TOML text and the line each of its keys and headers is written on."""
    lines: list[str] = []
    expected: dict[Key, int] = {}

    def keys(table: Key, names: list[str] | None = None) -> None:
        for name in draw(st.lists(NAMES, max_size=3, unique=True)) if names is None else names:
            expected[(*table, name)] = len(lines) + 1
            value = _toml_string(draw(STRINGS), draw(st.integers(0, 2)))
            if draw(st.booleans()):
                value = f"[\n  {value},\n  # ] = [x]\n  {value}\n]"
            comment = draw(st.sampled_from(["", "  # x = 1", " #[[a]]"]))
            lines.extend(f"{json.dumps(name, ensure_ascii=False)} = {value}{comment}".split("\n"))

    names = draw(st.lists(NAMES, max_size=6, unique=True))
    split = draw(st.integers(0, len(names)))
    keys((), names[:split])
    for table in names[split:]:
        quoted = json.dumps(table, ensure_ascii=False)
        if draw(st.booleans()):
            for index in range(draw(st.integers(1, 3))):
                expected[(table, index)] = len(lines) + 1
                lines.append(f"[[ {quoted} ]]")
                keys((table, index))
        else:
            expected[(table,)] = len(lines) + 1
            lines.append(f"[{quoted}]")
            keys((table,))
    return "\n".join(lines) + "\n", expected


@given(documents())
def test_the_line_of_every_key_of_a_generated_document(document: tuple[str, dict[Key, int]]) -> None:
    text, expected = document
    src = source(text)
    assert {key: src.line_of(key) for key in expected} == expected


@given(st.text(max_size=200))
def test_the_scanner_never_fails_on_any_text(text: str) -> None:
    src = TomlSource("any.toml", text)
    for key in [("a",), ("a", 0, "b"), ("", 3)]:
        line = src.line_of(key)
        assert line is None or 1 <= line <= text.count("\n") + 1


# --- reading and parsing --------------------------------------------------------------------------------


def test_read_keeps_the_path_as_given_and_drops_a_byte_order_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.toml").write_bytes(b"\xef\xbb\xbfx = 1\n")
    monkeypatch.chdir(tmp_path)
    src = TomlSource.read(Path("a.toml"))
    assert (src.path, src.text, src.parse()) == ("a.toml", "x = 1\n", {"x": 1})


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as caught:
        TomlSource.read(tmp_path / "none.toml")
    assert isinstance(caught.value.error, FileNotFoundError)
    assert caught.value.reason == "No such file or directory"
    assert str(caught.value) == f"{tmp_path / 'none.toml'}: cannot read the file: No such file or directory"


def test_an_unreadable_file(tmp_path: Path) -> None:
    # A folder where a file should be: unreadable for root too, so this runs everywhere (CI is root).
    path = tmp_path / "folder.toml"
    path.mkdir()
    with pytest.raises(UnreadableFile) as caught:
        TomlSource.read(path)
    assert caught.value.reason == "Is a directory"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_file_that_is_not_utf8_says_where_the_bad_byte_is(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(bom + "a = 1\nname = 'Café'\n".encode("latin-1"))
    with pytest.raises(NotUtf8) as caught:
        TomlSource.read(path)
    problem = caught.value
    assert (problem.line, problem.column, problem.byte) == (2, 12, 0xE9)
    assert str(problem) == f"{path}:2:12: not UTF-8 text (byte 0xe9)"


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("a = 1\nb = = 2\n", 2, 5, "Invalid value"),
        ("[t]\nx = 1\n[t]\n", 3, 3, "Cannot declare ('t',) twice"),
        ('x = 1\n\n  y = "a" z\n', 3, 11, "Expected newline or end of document after a statement"),
    ],
)
def test_a_syntax_error_has_the_line_and_column_of_tomllib(text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(InvalidToml) as caught:
        TomlSource("bad.toml", text).parse()
    problem = caught.value
    assert (problem.line, problem.column, problem.at_end, problem.message) == (line, column, False, message)
    assert str(problem) == f"bad.toml:{line}:{column}: invalid TOML: {message}"
    assert isinstance(problem.error, tomllib.TOMLDecodeError)


@pytest.mark.parametrize(
    ("text", "line"), [("a = [1,\n2", 2), ("a = [1,\n2,\n\n\n", 2), ("a = [", 1), ('x = 1\na = "abc', 2)]
)
def test_a_syntax_error_at_the_end_names_the_last_line_that_is_not_empty(text: str, line: int) -> None:
    with pytest.raises(InvalidToml) as caught:
        TomlSource("bad.toml", text).parse()
    problem = caught.value
    assert (problem.line, problem.column, problem.at_end) == (line, None, True)
    assert not problem.message.endswith(")")

"""The schema helper the loaders share: problems collected across files, sorted, one line each."""

from __future__ import annotations

from netaudit.tomlschema import Problem, Problems, Schema, describe, summary
from netaudit.tomlsource import TomlSource

TEXT = '[platform]\nid = "acme"\nnmae = "Acme"\n\n[[endpoint]]\nurl = 7\n'


def test_a_problem_is_one_line() -> None:
    assert (
        str(Problem("a.toml", 3, "platform.name", "must not be empty")) == "a.toml:3: platform.name: must not be empty"
    )
    assert str(Problem("a.toml", None, "", "cannot read the file: Permission denied")) == (
        "a.toml: cannot read the file: Permission denied"
    )
    assert str(Problem("a.toml", 7, "", "invalid TOML: x", column=5)) == "a.toml:7:5: invalid TOML: x"
    assert str(Problem("a.toml", 2, "name", "bad\nvalue\u2028here")) == "a.toml:2: name: bad value here"


def test_problems_sort_by_file_then_line_and_appear_once() -> None:
    problems = Problems()
    problems.file("b.toml")
    problems.file("a.toml")
    problems.add_at("a.toml", 9, "x", "late")
    problems.add_at("folder", None, "", "no such file or folder")
    problems.add_at("a.toml", 2, "x", "early")
    problems.add_at("b.toml", 40, "y", "first file")
    problems.add_at("a.toml", 2, "x", "early")
    assert problems.lines() == [
        "b.toml:40: y: first file",
        "a.toml:2: x: early",
        "a.toml:9: x: late",
        "folder: no such file or folder",
    ]
    assert len(problems) == 5


def test_summary() -> None:
    assert summary(["one"]) == "one"
    assert summary(["one", "two"]) == "one (and 1 more problem)"
    assert summary(["one", "two", "three"]) == "one (and 2 more problems)"


def test_schema_readers_record_and_go_on() -> None:
    source = TomlSource("acme.toml", TEXT)
    problems = Problems()
    schema = Schema(source, problems)
    data = source.parse()
    unknown = schema.known_keys(data["platform"], ("id", "name"), "platform", ("platform",))
    assert unknown == ["nmae"]
    assert schema.required(data["platform"], ("id", "name"), "platform", ("platform",), unknown) is False
    assert schema.required(data["endpoint"][0], ("capability",), "endpoint 1", ("endpoint", 0), ()) is False
    assert schema.string(data["endpoint"][0], "url", "endpoint 1.url", ("endpoint", 0)) is None
    assert problems.lines() == [
        "acme.toml:3: platform: unknown key 'nmae' (allowed: id, name)",  # and no "missing 'name'" for it
        "acme.toml:5: endpoint 1: missing required key 'capability'",
        "acme.toml:6: endpoint 1.url: expected a string, got an integer (7)",
    ]


def test_describe() -> None:
    assert [describe(v) for v in (True, 3, 1.5, "x", [], {})] == [
        "a boolean (true)",
        "an integer (3)",
        "a float (1.5)",
        "a string ('x')",
        "a list",
        "a table",
    ]

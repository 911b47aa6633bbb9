"""JSON data back to typed objects by their hints, and one line naming the field when it does not fit."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from netaudit.errors import InputError
from netaudit.model import Capability
from netaudit.typedjson import Reader


@dataclass(frozen=True)
class Inner:
    capability: Capability
    weight: float = 0.0


@dataclass(frozen=True)
class Outer:
    name: str
    count: int
    inner: Inner | None = None
    tags: tuple[str, ...] = ()
    by_key: dict[str, Inner] = field(default_factory=dict)


def test_every_shape_comes_back() -> None:
    data = {
        "name": "n",
        "count": 2,
        "inner": {"capability": "post", "weight": 1},
        "tags": ["a", "b"],
        "by_key": {"x": {"capability": "read"}},
        "added_later": True,
    }
    assert Reader("f.json").value(Outer, data, "top") == Outer(
        "n", 2, Inner(Capability.POST, 1.0), ("a", "b"), {"x": Inner(Capability.READ)}
    )
    assert Reader("f.json").value(Outer, {"name": "n", "count": 0, "inner": None}, "top").inner is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "n", "count": True}, "f.json: top.count: expected an integer, got true/false"),
        ({"name": "n", "count": 1.5}, "f.json: top.count: expected an integer, got a number (1.5)"),
        ({"count": 1}, "f.json: top: missing field 'name'"),
        ({"name": "n", "count": 1, "tags": "a"}, "f.json: top.tags: expected a list, got a string ('a')"),
        ({"name": "n", "count": 1, "tags": ["a", 2]}, "f.json: top.tags[1]: expected a string, got a number (2)"),
        (
            {"name": "n", "count": 1, "by_key": {"x": {"capability": "write"}}},
            "f.json: top.by_key.x.capability: unknown value 'write' (known: read, media, login, post, message)",
        ),
        ([], "f.json: top: expected an object, got a list"),
    ],
)
def test_what_does_not_fit_is_one_line(data: object, message: str) -> None:
    with pytest.raises(InputError) as info:
        Reader("f.json").value(Outer, data, "top")
    assert str(info.value) == message

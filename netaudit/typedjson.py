"""JSON data to typed objects: dataclasses, enums, optionals, tuples and dicts rebuilt by their type hints.

`Reader(name).value(hint, data, where)` is the inverse of writing a dataclass as plain JSON data
(runfile.plain): every nested dataclass and enum comes back as itself. Whatever does not fit is
one `InputError` naming the file and the field's path (``FILE: observations[3].status: ...``).
Keys a dataclass does not know are ignored, so documents may gain fields without breaking readers.
"""

from __future__ import annotations

import dataclasses
import enum
import types
from typing import Any, NoReturn, TypeVar, Union, get_args, get_origin, get_type_hints

from netaudit.errors import InputError

__all__ = ["Reader", "json_kind"]

_T = TypeVar("_T")


_MISSING: Any = object()


class Reader:
    """Turns JSON data into typed values by the model's type hints; every problem names the field."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, what: str) -> NoReturn:
        raise InputError(f"{self.name}: {where or 'top level'}: {what}")

    def field(self, table: Any, key: str, kind: type[_T], where: str, default: Any = _MISSING) -> _T:
        """`table[key]`, which must be a `kind` (str, dict or list), or `default` when it is absent."""
        path = f"{where}.{key}" if where else key
        if not isinstance(table, dict):
            self.fail(where, f"expected an object, got {json_kind(table)}")
        if key not in table:
            if default is _MISSING:
                self.fail(where, f"missing field '{key}'")
            return default  # type: ignore[no-any-return]
        value = table[key]
        if not isinstance(value, kind):
            self.fail(path, f"expected {_KIND_NAMES[kind]}, got {json_kind(value)}")
        return value

    def value(self, hint: Any, data: Any, where: str) -> Any:
        """`data` as the type `hint` names: dataclasses, enums, optionals, tuples, dicts and scalars."""
        origin = get_origin(hint)
        if origin in (Union, types.UnionType):
            options = [arg for arg in get_args(hint) if arg is not type(None)]
            if data is None and len(options) < len(get_args(hint)):
                return None
            return self.value(options[0], data, where)
        if origin is tuple:
            item_hint = get_args(hint)[0]
            return tuple(self.value(item_hint, item, f"{where}[{n}]") for n, item in enumerate(self._list(data, where)))
        if origin is dict:
            value_hint = get_args(hint)[1]
            if not isinstance(data, dict):
                self.fail(where, f"expected an object, got {json_kind(data)}")
            return {str(key): self.value(value_hint, item, f"{where}.{key}") for key, item in data.items()}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            try:
                return hint(data)
            except ValueError:
                known = ", ".join(str(member.value) for member in hint)
                self.fail(where, f"unknown value {data!r} (known: {known})")
        if dataclasses.is_dataclass(hint):
            return self._dataclass(hint, data, where)
        return self._scalar(hint, data, where)

    def _list(self, data: Any, where: str) -> list[Any]:
        if not isinstance(data, list):
            self.fail(where, f"expected a list, got {json_kind(data)}")
        return data

    def _dataclass(self, cls: Any, data: Any, where: str) -> Any:
        if not isinstance(data, dict):
            self.fail(where, f"expected an object, got {json_kind(data)}")
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                values[f.name] = self.value(hints[f.name], data[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                self.fail(where, f"missing field '{f.name}'")
        return cls(**values)  # fields this version does not know are ignored: they are only ever added

    def _scalar(self, hint: Any, data: Any, where: str) -> Any:
        if hint is float and isinstance(data, int | float) and not isinstance(data, bool):
            return float(data)
        if hint in (str, int, bool) and isinstance(data, hint) and (hint is bool or not isinstance(data, bool)):
            return data
        if hint is Any:
            return data
        self.fail(where, f"expected {_KIND_NAMES.get(hint, str(hint))}, got {json_kind(data)}")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


_KIND_NAMES: dict[Any, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "an object",
    list: "a list",
}


def json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    return "a list" if isinstance(value, list) else "an object"

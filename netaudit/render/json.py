"""The JSON form: the document itself, stable key order, one trailing newline."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def stream(head: dict[str, Any], key: str, items: Iterable[Any], write: Callable[[str], object]) -> None:
    """Write `{**head, key: list(items)}` exactly as `render` would, one item at a time.

    The list must be the document's last key; each item is written as it arrives, so a run of
    any size holds one item's text at a time instead of the whole document.
    """
    opening = json.dumps({**head, key: []}, indent=2, ensure_ascii=False)
    assert opening.endswith("[]\n}"), "the streamed list must be the document's last key"
    write(opening[: -len("]\n}")])
    first = True
    for item in items:
        text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n    ")
        write(("\n    " if first else ",\n    ") + text)
        first = False
    write("]\n}\n" if first else "\n  ]\n}\n")

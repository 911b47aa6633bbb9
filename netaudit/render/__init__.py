"""Renderers: one file per output form, each a function from a JSON document to text."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from netaudit.render import json, table

Renderer = Callable[[dict[str, Any]], str]


class Format(enum.StrEnum):
    """Output forms of `probe` and `catalog`."""

    TABLE = "table"
    JSON = "json"


PROBE_RENDERERS: dict[Format, Renderer] = {Format.TABLE: table.render_probe, Format.JSON: json.render}
CATALOG_RENDERERS: dict[Format, Renderer] = {Format.TABLE: table.render_catalog, Format.JSON: json.render}
PLATFORM_RENDERERS: dict[Format, Renderer] = {Format.TABLE: table.render_platform, Format.JSON: json.render}

"""The output forms, as an enum the CLI offers without importing any renderer."""

from __future__ import annotations

import enum


class Format(enum.StrEnum):
    """Every output form; which kind of document offers which is the registry's (render/__init__.py)."""

    TABLE = "table"
    JSON = "json"

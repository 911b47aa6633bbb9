"""The output forms, as an enum the CLI offers without importing any renderer."""

from __future__ import annotations

import enum


class Format(enum.StrEnum):
    """Output forms of `probe`, `audit` and `catalog`."""

    TABLE = "table"
    JSON = "json"

"""The output forms, as an enum the CLI offers without importing any renderer."""

from __future__ import annotations

import enum


class Format(enum.StrEnum):
    """Every output form; which kind of document offers which is the registry's (render/__init__.py)."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    CSV = "csv"
    JUNIT = "junit"
    PROMETHEUS = "prometheus"


SUFFIXES: dict[Format, str] = {
    Format.TABLE: "txt",
    Format.JSON: "json",
    Format.MARKDOWN: "md",
    Format.HTML: "html",
    Format.CSV: "csv",
    Format.JUNIT: "junit.xml",
    Format.PROMETHEUS: "prom",
}
"""The file name ending of each form, for saved reports (`2026-11-30T101500Z.html`)."""

"""Renderers: one file per output form, each a function from a JSON document to text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netaudit.render import audit_table, json, profiles_table, table
from netaudit.render.formats import Format

Renderer = Callable[[dict[str, Any]], str]


PROBE_RENDERERS: dict[Format, Renderer] = {Format.TABLE: table.render_probe, Format.JSON: json.render}
CATALOG_RENDERERS: dict[Format, Renderer] = {Format.TABLE: table.render_catalog, Format.JSON: json.render}
PLATFORM_RENDERERS: dict[Format, Renderer] = {Format.TABLE: table.render_platform, Format.JSON: json.render}
AUDIT_RENDERERS: dict[Format, Renderer] = {Format.TABLE: audit_table.render_audit, Format.JSON: json.render}
PROFILES_RENDERERS: dict[Format, Renderer] = {Format.TABLE: profiles_table.render_profiles, Format.JSON: json.render}
PROFILE_RENDERERS: dict[Format, Renderer] = {Format.TABLE: profiles_table.render_profile, Format.JSON: json.render}

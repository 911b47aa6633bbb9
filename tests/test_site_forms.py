"""`--site` shows in every form of an audit and of a merged report."""

from __future__ import annotations

import pytest

from netaudit import render
from netaudit.merge import merge_runs
from tests.fixtures.run import fixture_run


@pytest.mark.parametrize("fmt", [fmt.value for fmt in render.AUDIT.formats()])
def test_every_audit_form_shows_the_site(fmt: str) -> None:
    assert "london-hq" in render.AUDIT.render(fmt, fixture_run())


@pytest.mark.parametrize("fmt", [fmt.value for fmt in render.MERGE.formats()])
def test_every_merged_form_shows_the_sites(fmt: str) -> None:
    text = render.MERGE.render(fmt, merge_runs([("a.json", fixture_run())]))
    assert "london-hq" in text

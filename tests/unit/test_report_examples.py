"""The example reports in reports/ are what the renderers produce from the shared fixture run (golden files)."""

from __future__ import annotations

import pytest

from netaudit.render.formats import Format
from tests.fixtures.regenerate import EXAMPLE_FORMS, example_path, example_text


@pytest.mark.parametrize("fmt", EXAMPLE_FORMS)
def test_the_committed_example_matches_the_renderer(fmt: Format) -> None:
    path = example_path(fmt)
    assert path.exists(), f"{path} is missing: run .venv/bin/python -m tests.fixtures.regenerate"
    committed = path.read_text(encoding="utf-8")
    assert committed == example_text(fmt), (
        f"{path.name} no longer matches the {fmt} renderer: review the change, then regenerate it with "
        ".venv/bin/python -m tests.fixtures.regenerate"
    )

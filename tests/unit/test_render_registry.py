"""The renderer registry: every kind offers its formats, every (kind, format) renders, the CLI offers exactly those."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from html.parser import HTMLParser
from typing import Any

import click
import pytest
from junitparser import JUnitXml
from prometheus_client.parser import text_string_to_metric_families

from netaudit import render
from netaudit.cli import cli
from netaudit.diff import diff_runs
from netaudit.merge import merge_runs, merged_document
from netaudit.model import PolicySet
from netaudit.render import REGISTRY, DocumentKind, PolicyListing
from netaudit.render.document import (
    audit_document,
    catalog_document,
    diff_document,
    probe_document,
    profiles_document,
)
from netaudit.render.formats import Format
from tests.fixtures.later import later_run
from tests.fixtures.run import fixture_run
from tests.unit import render_run

PLATFORM_IDS = tuple(platform.id for platform in render_run.platforms())


def _one(policy: PolicySet, name: str) -> PolicySet:
    return PolicySet(policy.organization, {name: policy.profiles[name]}, policy.sources)


SUBJECTS: dict[DocumentKind, Any] = {
    DocumentKind.PROBE: render_run.probe_run(),
    DocumentKind.CATALOG: render_run.platforms(),
    DocumentKind.PLATFORM: render_run.platforms()[1],
    DocumentKind.AUDIT: render_run.audit_run(),
    DocumentKind.PROFILES: PolicyListing(render_run.policy(), PLATFORM_IDS),
    DocumentKind.PROFILE: PolicyListing(_one(render_run.policy(), "staff"), PLATFORM_IDS),
    DocumentKind.MERGE: merge_runs([("run.json", render_run.audit_run())]),
    DocumentKind.DIFF: diff_runs(fixture_run(), later_run()),
}
"""One subject per kind: the test below renders every (kind, format) of the registry on it."""

DOCUMENTS: dict[DocumentKind, dict[str, Any]] = {
    DocumentKind.PROBE: probe_document(SUBJECTS[DocumentKind.PROBE]),
    DocumentKind.CATALOG: catalog_document(list(render_run.platforms())),
    DocumentKind.PLATFORM: catalog_document([render_run.platforms()[1]]),
    DocumentKind.AUDIT: audit_document(SUBJECTS[DocumentKind.AUDIT], list(PLATFORM_IDS)),
    DocumentKind.PROFILES: profiles_document(render_run.policy(), list(PLATFORM_IDS)),
    DocumentKind.PROFILE: profiles_document(_one(render_run.policy(), "staff"), list(PLATFORM_IDS)),
    DocumentKind.MERGE: merged_document(SUBJECTS[DocumentKind.MERGE]),
    DocumentKind.DIFF: diff_document(SUBJECTS[DocumentKind.DIFF]),
}

# What each table must show of its subject (the rest of each layout is checked in test_render_tables.py).
TABLE_SHOWS: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.PROBE: ("chirp.read.1", "dns_sinkhole", "6 endpoints"),
    DocumentKind.CATALOG: ("Chirp", "Facade <Book>", "facade.toml"),
    DocumentKind.PLATFORM: ("facade.post.1", "https://api.facade.test/"),
    DocumentKind.AUDIT: ("1. Who will have access", "2. Are there firewalls", "3. What are the rules"),
    DocumentKind.PROFILES: ("Fixture Corp", "comms", "kiosk"),
    DocumentKind.PROFILE: ("staff: All other staff", "enforced by firewall"),
    DocumentKind.MERGE: ("1 site merged", "Where each profile is ready", "Findings by site"),
    DocumentKind.DIFF: ("New gaps and leaks (1):", "marketing", "facebook.post.1"),
}

PAIRS = [(kind, fmt) for kind, entry in REGISTRY.items() for fmt in entry.formats()]


def test_every_kind_is_registered_and_has_a_test_subject() -> None:
    assert set(REGISTRY) == set(DocumentKind)
    assert set(SUBJECTS) == set(REGISTRY) == set(DOCUMENTS)
    assert all(entry.kind is kind for kind, entry in REGISTRY.items())


def _reads_back(fmt: Format, text: str) -> None:
    """Each report form parsed by what its readers use (the details are in test_render_forms.py)."""
    if fmt is Format.MARKDOWN:
        assert text.startswith("# ") and "\n## " in text
    elif fmt is Format.HTML:
        parser = HTMLParser()
        parser.feed(text)
        parser.close()
        assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    elif fmt is Format.CSV:
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) > 1 and len({len(row) for row in rows}) == 1
    elif fmt is Format.JUNIT:
        assert list(JUnitXml.fromstring(text))
    elif fmt is Format.PROMETHEUS:
        assert list(text_string_to_metric_families(text))
    else:  # pragma: no cover - a new format needs its own check here
        pytest.fail(f"no check for the {fmt} form: add one")


CHECKED_FORMS = {Format.MARKDOWN, Format.HTML, Format.CSV, Format.JUNIT, Format.PROMETHEUS}


@pytest.mark.parametrize(("kind", "fmt"), PAIRS, ids=[f"{kind}-{fmt}" for kind, fmt in PAIRS])
def test_every_kind_and_format_renders(kind: DocumentKind, fmt: Format) -> None:
    text = REGISTRY[kind].render(fmt, SUBJECTS[kind])
    assert text.endswith("\n") and not text.endswith("\n\n")
    if fmt is Format.JSON:
        # Byte for byte the document render/document.py builds, as before the registry.
        assert text == json.dumps(DOCUMENTS[kind], indent=2, ensure_ascii=False) + "\n"
    elif fmt is Format.TABLE:
        for shown in TABLE_SHOWS[kind]:
            assert shown in text, f"{kind} table lacks {shown!r}"
    else:
        _reads_back(fmt, text)


def test_every_format_has_a_check() -> None:
    assert CHECKED_FORMS | {Format.TABLE, Format.JSON} == set(Format)


def test_every_format_is_offered_by_some_kind_and_every_kind_has_a_table() -> None:
    assert {fmt for _, fmt in PAIRS} == set(Format)
    assert all(Format.TABLE in entry.formats() for entry in REGISTRY.values())


def test_a_form_a_kind_does_not_offer_is_one_clear_error() -> None:
    entry = REGISTRY[DocumentKind.CATALOG]
    limited: render.Kind[Any] = render.Kind(DocumentKind.CATALOG, {Format.TABLE: entry.renderers[Format.TABLE]})
    with pytest.raises(ValueError, match=r"^a catalog document has no json form \(forms: table\)$"):
        limited.renderer(Format.JSON)
    with pytest.raises(ValueError, match="has no xml form"):
        entry.renderer("xml")


def _command(*path: str) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (("probe",), DocumentKind.PROBE),
        (("catalog", "list"), DocumentKind.CATALOG),
        (("catalog", "show"), DocumentKind.PLATFORM),
        (("audit",), DocumentKind.AUDIT),
        (("profiles", "list"), DocumentKind.PROFILES),
        (("profiles", "show"), DocumentKind.PROFILE),
    ],
)
def test_each_command_offers_its_kinds_formats(path: tuple[str, ...], kind: DocumentKind) -> None:
    (option,) = [p for p in _command(*path).params if p.name == "fmt"]
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == [fmt.value for fmt in REGISTRY[kind].formats()]


def test_the_cli_loads_no_renderer_until_one_is_used() -> None:
    # --help, --version and completion import the cli package only: no tabulate, no renderer, no view.
    code = (
        "import sys, netaudit.cli; "
        "print(sorted(m for m in sys.modules if m == 'tabulate' or m.startswith('netaudit.render.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['netaudit.render.formats']"

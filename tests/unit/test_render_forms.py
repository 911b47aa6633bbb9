"""The audit's report forms over the fixture run: Markdown, HTML, CSV, JUnit and Prometheus, each read back.

Each form is parsed by what its readers use (the csv module, junitparser, prometheus_client's parser,
an HTML parser) and checked for every finding kind and status of the fixture and for the hostile
strings it carries (a page title that is a script, a description that closes an attribute, a cell
that is a spreadsheet formula).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import datetime
from html.parser import HTMLParser

import pytest
from junitparser import Failure, JUnitXml, Skipped
from prometheus_client.parser import text_string_to_metric_families

from netaudit import render
from netaudit.model import AuditRun, FindingKind, Status
from netaudit.render.csv import HEADER, neutralise
from netaudit.render.markdown import md
from netaudit.render.prometheus import escape
from netaudit.render.view import build_view
from tests.fixtures import run as fixture

ODD_IDENTITY = 'o"dd\\user\nname'

QUESTIONS = (
    "Who will have access to the sites?",
    "Are there firewalls that would prevent access?",
    "What are the rules about time spent and content posted?",
    "What this audit could not tell",
)


@pytest.fixture(scope="module")
def run() -> AuditRun:
    return fixture.fixture_run()


def statuses(run: AuditRun) -> set[Status]:
    return {result.status for result in run.observations}


def test_the_fixture_has_every_status_and_finding_kind(run: AuditRun) -> None:
    assert statuses(run) == set(Status)
    assert {finding.finding for finding in run.findings} == set(FindingKind)


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_answers_the_questions_with_every_finding_and_status(run: AuditRun) -> None:
    text = render.AUDIT.render("markdown", run)
    for question in QUESTIONS:
        assert re.search(rf"^## \d\. {re.escape(question)}$", text, re.MULTILINE), question
    for kind in FindingKind:
        assert f"| {kind.value} |" in text or f"→ {kind.value} |" in text or f"→ **{kind.value}**" in text
    for status in statuses(run):
        assert f"| {status.value} |" in text, status
    assert "### What to do first" in text
    view = build_view(run)
    for action in view.actions:
        assert f"**{md(action.who)}**: {md(action.what)}" in text
    for finding in view.needs_action:
        assert f"- Remediation ({md(finding.who)}): {md(finding.finding.remediation)}" in text
    assert "read only: posting must be blocked" in text


def test_markdown_escapes_what_came_from_the_network_or_a_file(run: AuditRun) -> None:
    text = render.AUDIT.render("markdown", run)
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # A pipe in a cell is escaped, so every row of a table has as many cells as its header.
    for table in re.findall(r"(?:^\|.*\|$\n?)+", text, re.MULTILINE):
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in table.strip().splitlines()}
        assert len(widths) == 1, table


def test_md_escapes_markdown_and_html() -> None:
    assert md("a|b *c* _d_ [e](f) `g` <h> & i\nj") == r"a\|b \*c\* \_d\_ \[e\](f) \`g\` &lt;h&gt; &amp; i j"


# --- HTML -------------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Every element with its attributes, and the text, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_html_is_self_contained_and_runs_nothing(run: AuditRun) -> None:
    page = _parse(render.AUDIT.render("html", run))
    tags = [tag for tag, _ in page.elements]
    assert "script" not in tags and "img" not in tags and "link" not in tags and "iframe" not in tags
    for tag, attributes in page.elements:
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        for name in ("src", "href", "action"):
            assert name not in attributes, (tag, attributes)
    (policy,) = [a for t, a in page.elements if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert policy["content"] == "default-src 'none'; style-src 'unsafe-inline'"
    text = " ".join(" ".join(page.text).split())
    assert fixture.SCRIPT_TITLE in text and fixture.IMG_DESCRIPTION in text  # shown as text, not markup
    cells = {" ".join(data.split()) for data in page.text}
    assert {status.value for status in statuses(run)} <= cells  # every status, in the evidence appendix


def test_html_has_the_questions_grids_legend_and_bars(run: AuditRun) -> None:
    html = render.AUDIT.render("html", run)
    page = _parse(html)
    headings = " ".join(" ".join(page.text).split())
    for question in QUESTIONS:
        assert question in headings
    classes = [a.get("class") or "" for _, a in page.elements]
    view = build_view(run)
    cells = [c for c in classes if c.startswith("cell k-")]
    measured = [kind for row in view.measured.cells for kind in row]
    assert [c.removeprefix("cell k-") for c in cells] == [k.value if k else "none-assessed" for k in measured]
    intended = [f"cell l-{level}" for row in view.intended.cells for level in row]
    assert [c for c in classes if c.startswith("cell l-")] == intended  # question 1's grid
    beside = [t for t in page.text if t in ("none", "read", "post")]  # each measured cell names its intended level
    assert beside[-len(intended) :] == [c.removeprefix("cell l-") for c in intended]
    for kind in FindingKind:
        assert f"swatch k-{kind}" in classes  # the legend
    bars = [a for t, a in page.elements if t == "svg" and a.get("class") == "bar"]
    assert len(bars) == len(view.profiles)
    widths = [float(a["width"] or 0) for t, a in page.elements if t == "rect"]
    assert sum(widths) == pytest.approx(100.0 * sum(1 for p in view.profiles if p.findings), abs=0.1)


# --- CSV --------------------------------------------------------------------------------------


def test_csv_is_one_row_per_finding_with_a_header(run: AuditRun) -> None:
    rows = list(csv.DictReader(io.StringIO(render.AUDIT.render("csv", run))))
    assert rows and tuple(rows[0]) == HEADER
    assert [row["finding_id"] for row in rows] == [
        f.finding.id for profile in build_view(run).profiles for f in profile.findings
    ]
    assert {row["finding"] for row in rows} == {kind.value for kind in FindingKind}
    gap = next(row for row in rows if row["finding"] == "gap")
    assert gap["remediation"] and gap["who_acts"] and gap["expected"].endswith("must work")


def test_csv_neutralises_formulas(run: AuditRun) -> None:
    # The site label is the user's; a detail comes from the network.
    first = dataclasses.replace(run.findings[0], detail=f"\t{fixture.FORMULA}")
    hostile = dataclasses.replace(run, site=fixture.FORMULA, findings=(first, *run.findings[1:]))
    rows = list(csv.reader(io.StringIO(render.AUDIT.render("csv", hostile))))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert cells.count(f"'{fixture.FORMULA}") == len(rows) - 1 + 1  # the site of every row, and the detail


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_each_formula_start(start: str) -> None:
    assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise(f"a{start}") == f"a{start}"


# --- JUnit ------------------------------------------------------------------------------------


def test_junit_reads_back_one_suite_per_profile(run: AuditRun) -> None:
    xml = JUnitXml.fromstring(render.AUDIT.render("junit", run))
    view = build_view(run)
    suites = list(xml)
    assert [suite.name for suite in suites] == [f"netaudit.{p.name}" for p in view.profiles]
    for suite, profile in zip(suites, view.profiles, strict=True):
        cases = list(suite)
        assert len(cases) == len(profile.findings) + 1  # one per expectation, and the written rules
        failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
        skipped = [c for c in cases if any(isinstance(r, Skipped) for r in c.result)]
        problems = sum(profile.count(kind) for kind in (FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED))
        assert len(failed) == problems + (1 if profile.rules.missing else 0)
        assert len(skipped) == profile.count(FindingKind.UNKNOWN)
        assert suite.tests == len(cases) and suite.failures == len(failed) and suite.skipped == len(skipped)
        for case in failed:
            (failure,) = case.result
            assert failure.type in {"gap", "leak", "degraded", "missing_rules"} and failure.message
    types = {getattr(r, "type", None) for s in suites for c in s for r in c.result if isinstance(r, Failure)}
    assert types == {"gap", "leak", "degraded", "missing_rules"}
    leak = next(c for s in suites for c in s if any(getattr(r, "type", "") == "leak" for r in c.result))
    assert "must be blocked" in leak.name


# --- Prometheus -------------------------------------------------------------------------------


def test_prometheus_parses_with_the_expected_families(run: AuditRun) -> None:
    text = render.AUDIT.render("prometheus", run)
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert {
        "netaudit_endpoint_status",
        "netaudit_findings",
        "netaudit_profile_ready",
        "netaudit_audit_timestamp_seconds",
    } <= set(families)
    view = build_view(run)
    ready = {s.labels["profile"]: s.value for s in families["netaudit_profile_ready"].samples}
    assert ready == {p.name: float(p.readiness.ready) for p in view.profiles}
    findings = {(s.labels["profile"], s.labels["finding"]): s.value for s in families["netaudit_findings"].samples}
    assert findings == {(p.name, k.value): float(p.count(k)) for p in view.profiles for k in FindingKind}
    endpoints = families["netaudit_endpoint_status"].samples
    assert len(endpoints) == len(run.observations)
    assert {s.labels["status"] for s in endpoints} == {status.value for status in statuses(run)}
    assert all(s.labels["site"] == view.site for family in families.values() for s in family.samples)
    (stamp,) = families["netaudit_audit_timestamp_seconds"].samples
    assert stamp.value == datetime.fromisoformat(fixture.FINISHED).timestamp()


def test_prometheus_label_values_survive_the_round_trip(run: AuditRun) -> None:
    odd = dataclasses.replace(run.observations[0], identity=ODD_IDENTITY)
    text = render.AUDIT.render("prometheus", dataclasses.replace(run, observations=(odd, *run.observations[1:])))
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "netaudit_endpoint_status"]
    assert ODD_IDENTITY in {sample.labels["identity"] for sample in family.samples}
    assert escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'

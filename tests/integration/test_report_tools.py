"""The report forms in the programs that read them: headless Chromium (screen, A4 print, hostile strings) and promtool.

Needs Debian's `chromium`, `poppler-utils` (pdfinfo, pdftotext) and `prometheus` (promtool); `.ci/run`
installs them. Where one is missing the test is skipped with the reason, except under
NETAUDIT_REQUIRE_INTEGRATION=1 (CI), where it fails.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from netaudit import render
from netaudit.model import AuditRun, HttpEvidence
from netaudit.render.view import build_view
from tests.conftest import REQUIRE_ENV, integration_required
from tests.fixtures.run import IMG_DESCRIPTION, SCRIPT_TITLE, fixture_run

TITLE = "Social media readiness of Example Corp"
QUESTIONS = (
    "1. Who will have access to the sites?",
    "2. Are there firewalls that would prevent access?",
    "3. What are the rules about time spent and content posted?",
)
# Payloads that, if they ever ran, would leave a mark a test can read in the DOM.
MARK = "EXECUTED-BY-INJECTED-CODE"
SCRIPT_MARKER = f"<script>document.title='{MARK}'</script>"
IMG_MARKER = f'"><img src=x onerror="document.title=\'{MARK}\'">'


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"needs {name} (Debian package {package})"
        if integration_required():
            pytest.fail(f"{message}; {REQUIRE_ENV}=1, so this is a failure, not a skip", pytrace=False)
        pytest.skip(message)
    return path


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium with a fresh profile and no background traffic (this machine has no internet)."""
    browser = _tool("chromium", "chromium")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    return subprocess.run([browser, *flags, *args], capture_output=True, text=True, timeout=180, check=False)


def _hostile_run() -> AuditRun:
    """The fixture run, whose title and description already hold script, plus payloads that would mark the DOM."""
    run = fixture_run()
    observations = tuple(
        dataclasses.replace(r, http=HttpEvidence(status=200, title=SCRIPT_TITLE + SCRIPT_MARKER))
        if r.status.value == "block_page"
        else r
        for r in run.observations
    )
    marketing = run.policy.profiles["marketing"]
    assert marketing.description == IMG_DESCRIPTION
    profiles = {
        **run.policy.profiles,
        "marketing": dataclasses.replace(marketing, description=IMG_DESCRIPTION + IMG_MARKER),
    }
    return dataclasses.replace(
        run, observations=observations, policy=dataclasses.replace(run.policy, profiles=profiles)
    )


class _Dom(HTMLParser):
    """The elements of a dumped DOM and the text of its <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        # The document's title is the first; the readiness bars' SVG titles come later.
        self._in_title = tag == "title" and self.tags.count("title") == 1

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _dom(tmp_path: Path, page: Path) -> _Dom:
    result = _chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom", page.as_uri())
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
    dom = _Dom()
    dom.feed(result.stdout)
    return dom


def test_the_report_prints_on_a4_with_the_questions_and_a_remediation(tmp_path: Path) -> None:
    pdfinfo = _tool("pdfinfo", "poppler-utils")
    pdftotext = _tool("pdftotext", "poppler-utils")
    run = fixture_run()
    page = tmp_path / "report.html"
    page.write_text(render.AUDIT.render("html", run), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    result = _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert result.returncode == 0 and pdf.exists(), result.stderr[-2000:]
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 2 <= pages <= 12, info
    assert "(A4)" in next(line for line in info.splitlines() if line.startswith("Page size:")), info
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # Lines wrap anywhere in print (long URLs), so compare without whitespace.
    squeezed = "".join(text.split())
    for heading in (*QUESTIONS, "4. What this audit could not tell", "Appendix: evidence"):
        assert "".join(heading.split()) in squeezed, heading
    gap = next(f for f in build_view(run).needs_action if f.kind.value == "gap")
    assert "".join(f"Remediation ({gap.who}): {gap.finding.remediation}".split()) in squeezed


def test_hostile_strings_run_nothing_in_the_browser(tmp_path: Path) -> None:
    page = tmp_path / "hostile.html"
    page.write_text(render.AUDIT.render("html", _hostile_run()), encoding="utf-8")
    dom = _dom(tmp_path, page)
    assert dom.title == TITLE  # no injected script changed it
    assert "script" not in dom.tags and "img" not in dom.tags and dom.handlers == []
    assert MARK not in dom.title


def test_the_browser_check_sees_a_payload_that_does_run(tmp_path: Path) -> None:
    # The same payloads, not escaped and without the page's Content-Security-Policy: they run, and the
    # check above would see it. (This is what every string would do without autoescaping.)
    page = tmp_path / "unescaped.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body><p>{IMG_MARKER}</p></body></html>",
        encoding="utf-8",
    )
    dom = _dom(tmp_path, page)
    assert dom.title == MARK and "img" in dom.tags


def test_prometheus_output_passes_promtool(tmp_path: Path) -> None:
    promtool = _tool("promtool", "prometheus")
    text = render.AUDIT.render("prometheus", fixture_run())
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result
    broken = text.replace("# TYPE netaudit_findings gauge", "# TYPE netaudit_findings counter")
    linted = subprocess.run(
        [promtool, "check", "metrics"], input=broken, capture_output=True, text=True, timeout=60, check=False
    )
    assert linted.returncode != 0  # promtool does lint: a counter without _total is refused

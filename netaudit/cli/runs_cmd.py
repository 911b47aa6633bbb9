"""`netaudit report`, `netaudit diff` and `netaudit merge`: saved runs rendered, compared and combined."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from netaudit import render
from netaudit.errors import ExitCode

if TYPE_CHECKING:
    pass

from netaudit.cli.app import cli
from netaudit.cli.audit_cmd import _render_audit
from netaudit.cli.common import _emit
from netaudit.cli.options import output_options, reports_errors


@cli.command(
    epilog="""\b
Examples:
  netaudit merge leeds/latest.json york/latest.json paris/latest.json
  netaudit merge reports/*/*.json --format json -o merged.json

Runs of the same site: the newest one stands for the site; all of them together show
which sides of the firewall-enforced hours were seen.
""",
)
@click.argument(
    "run_files", nargs=-1, required=True, metavar="RUN.json...", type=click.Path(dir_okay=False, path_type=Path)
)
@output_options(render.MERGE)
@reports_errors
def merge(run_files: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """Combine the saved runs of several sites (offices, VLANs, guest networks) into one report.

    The matrices gain a site column each; the summary says where each profile is ready and where
    not; for each window the firewall enforces, which side each site has verified and when.
    Different organisations, catalog versions or profile texts are named at the top, not mixed.
    """
    from netaudit.merge import merge_runs
    from netaudit.runfile import load_audit

    merged = merge_runs([(str(path), load_audit(path)) for path in run_files])
    _emit(render.MERGE.render(fmt, merged), output)
    for conflict in merged.conflicts:
        click.echo(f"netaudit: warning: {conflict.describe()}", err=True)


@cli.command(
    epilog="""\b
Examples:
  netaudit report reports/latest.json
  netaudit report reports/2026-11-30T101500Z.json --format html -o readiness.html
  netaudit report reports/latest.json --format prometheus -o /var/lib/node_exporter/netaudit.prom
"""
)
@click.argument("run_file", metavar="RUN.json", type=click.Path(dir_okay=False, path_type=Path))
@output_options(render.AUDIT)
@reports_errors
def report(run_file: Path, fmt: str, output: Path | None) -> None:
    """Render a saved audit run (netaudit/audit/1) again, in any form.

    The JSON a run saved (audit --save, or --format json) holds everything every other form
    shows; a run of a schema this netaudit does not read is one line and exit 2.
    """
    from netaudit.runfile import load_audit

    run = load_audit(run_file)
    _emit(_render_audit(fmt, run, output), output)


@cli.command(
    epilog="""\b
Examples:
  netaudit diff reports/2026-11-23T101500Z.json reports/latest.json
  netaudit diff old.json new.json --format markdown -o changes.md

Exit codes: 0 nothing changed, 1 something changed, 2 a file is not an audit run.
"""
)
@click.argument("old", metavar="OLD.json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", metavar="NEW.json", type=click.Path(dir_okay=False, path_type=Path))
@output_options(render.DIFF)
@reports_errors
def diff(old: Path, new: Path, fmt: str, output: Path | None) -> None:
    """Show what changed between two saved audit runs.

    New and resolved gaps and leaks, other findings that changed, and probe results whose status
    changed, per profile, platform and endpoint id. Exits 1 when anything changed, so cron can alert.
    """
    from netaudit.diff import diff_runs
    from netaudit.runfile import load_audit

    changes = diff_runs(load_audit(old), load_audit(new))
    _emit(render.DIFF.render(fmt, changes), output)
    if changes.changed:
        sys.exit(ExitCode.FINDINGS)

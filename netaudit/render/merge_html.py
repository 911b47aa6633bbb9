"""The HTML form of a merged report: one self-contained page (inline CSS, no script), printable,
every string from a run escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from netaudit.merge import Merged
from netaudit.model import FindingKind
from netaudit.render.merge_table import readiness_line, side_cell

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; }
th { background: #eee; }
.ok { background: #dff0d8; } .gap, .leak { background: #f2dede; font-weight: bold; }
.degraded { background: #fcf8e3; } .unknown, .inspected { background: #eef; }
.conflicts { border: 2px solid #a94442; padding: 0.5em 1em; background: #f2dede; }
@media print { body { margin: 0; } }
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[Sequence[str]] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for n, row in enumerate(rows):
        styles = classes[n] if n < len(classes) else [""] * len(row)
        cells = "".join(
            f'<td class="{escape(style)}">{escape(value)}</td>' if style else f"<td>{escape(value)}</td>"
            for value, style in zip(row, styles, strict=False)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_merged(merged: Merged) -> str:
    sites = list(merged.site_names)
    title = f"{merged.organization}: social media readiness across {len(sites)} sites"
    parts = [f"<h1>{escape(title)}</h1>"]
    if merged.conflicts:
        items = "".join(f"<li>{escape(conflict.describe())}</li>" for conflict in merged.conflicts)
        parts.append(f'<div class="conflicts"><p><strong>Conflicts:</strong> these runs do not all describe '
                     f"the same thing.</p><ul>{items}</ul></div>")
    items = "".join(f"<li>{escape(readiness_line(across))}</li>" for across in merged.readiness)
    parts.append(f"<h2>Where each profile is ready</h2><ul>{items}</ul>")
    rows, classes = [], []
    for profile in merged.profiles:
        for platform in merged.platforms:
            kinds = [merged.cell(profile, platform, site) for site in sites]
            rows.append([profile, platform, *[kind.value if kind else "-" for kind in kinds]])
            classes.append(["", "", *[_css(kind) for kind in kinds]])
    parts.append("<h2>Findings by site</h2><p>The worst finding of each profile and platform at each site.</p>")
    parts.append(_table(["profile", "platform", *sites], rows, classes))
    windows = [
        [site, w.profile, f"{w.window} {w.timezone}", side_cell(w.open), side_cell(w.closed)]
        for site, coverage in merged.windows
        for w in coverage
    ]
    if windows:
        parts.append("<h2>Both sides of the hours the firewall enforces</h2>")
        parts.append(_table(["site", "profile", "window", "open side", "closed side"], windows))
    parts.append("<h2>Sites</h2>")
    parts.append(
        _table(
            ["site", "host", "newest run", "catalog", "runs"],
            [[s.site, s.run.host, s.run.started_at, s.run.catalog_version, str(s.runs)] for s in merged.sites],
        )
    )
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _css(kind: FindingKind | None) -> str:
    return kind.value if kind else ""

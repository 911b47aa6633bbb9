"""The Markdown form of a merged report, for the review document or a wiki."""

from __future__ import annotations

from collections.abc import Sequence

from netaudit.merge import Merged
from netaudit.render.merge_table import readiness_line, side_cell


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def render_merged(merged: Merged) -> str:
    sites = list(merged.site_names)
    lines = [f"# {_cell(merged.organization)}: social media readiness across {len(sites)} sites", ""]
    if merged.conflicts:
        lines += ["> **Conflicts:** these runs do not all describe the same thing.", ">"]
        lines += [f"> - {_cell(conflict.describe())}" for conflict in merged.conflicts]
        lines.append("")
    lines += ["## Where each profile is ready", ""]
    lines += [f"- {_cell(readiness_line(across))}" for across in merged.readiness]
    lines += ["", "## Findings by site", "", "The worst finding of each profile and platform at each site.", ""]
    lines += _table(
        ["profile", "platform", *sites],
        [
            [profile, platform, *[(merged.cell(profile, platform, site) or "-") for site in sites]]
            for profile in merged.profiles
            for platform in merged.platforms
        ],
    )
    windows = [
        [site, w.profile, f"{w.window} {w.timezone}", side_cell(w.open), side_cell(w.closed)]
        for site, coverage in merged.windows
        for w in coverage
    ]
    if windows:
        lines += ["", "## Both sides of the hours the firewall enforces", ""]
        lines += _table(["site", "profile", "window", "open side", "closed side"], windows)
    lines += ["", "## Sites", ""]
    lines += _table(
        ["site", "host", "newest run", "catalog", "runs"],
        [[s.site, s.run.host, s.run.started_at, s.run.catalog_version, s.runs] for s in merged.sites],
    )
    return "\n".join(lines) + "\n"

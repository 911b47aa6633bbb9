"""The terminal form of a merged report (`netaudit merge`): conflicts first, then readiness by site,
the findings matrix with a site column each, both sides of firewall-enforced windows, and the sites."""

from __future__ import annotations

from tabulate import tabulate

from netaudit.merge import Merged, ProfileAcross
from netaudit.windows import SideSeen


def readiness_line(across: ProfileAcross) -> str:
    """``staff: ready at leeds; not ready at york (2 leak); not audited at paris``."""
    parts = []
    if across.ready_at:
        parts.append(f"ready at {', '.join(across.ready_at)}")
    for site, reasons in across.not_ready_at:
        parts.append(f"not ready at {site} ({'; '.join(reasons) or 'see its report'})")
    if across.absent_at:
        parts.append(f"not audited at {', '.join(across.absent_at)}")
    return f"{across.profile}: {'; '.join(parts)}"


def side_cell(seen: SideSeen | None) -> str:
    """``verified 2026-11-30T12:30+00:00``, ``checked ...: 2 leak``, or ``not yet verified``."""
    if seen is None:
        return "not yet verified"
    moment = seen.at.isoformat(timespec="minutes")
    return f"verified {moment}" if seen.held else f"checked {moment}: {', '.join(seen.problems)}"


def render_merged(merged: Merged) -> str:
    sites = merged.site_names
    lines = [f"{merged.organization}: {len(sites)} site{'s' if len(sites) != 1 else ''} merged ({', '.join(sites)})"]
    if merged.conflicts:
        lines += ["", "CONFLICTS: these runs do not all describe the same thing; compare them with care:"]
        lines += [f"  - {conflict.describe()}" for conflict in merged.conflicts]
    lines += ["", "Where each profile is ready:"]
    lines += [f"  {readiness_line(across)}" for across in merged.readiness]
    rows = [
        [profile, platform, *[(merged.cell(profile, platform, site) or "-") for site in sites]]
        for profile in merged.profiles
        for platform in merged.platforms
    ]
    lines += ["", "Findings by site (the worst of each profile and platform):"]
    lines.append(tabulate(rows, headers=["profile", "platform", *sites], tablefmt="simple"))
    windows = [
        [site, w.profile, f"{w.window} {w.timezone}", side_cell(w.open), side_cell(w.closed)]
        for site, coverage in merged.windows
        for w in coverage
    ]
    if windows:
        lines += ["", "Both sides of the hours the firewall enforces:"]
        lines.append(tabulate(windows, headers=["site", "profile", "window", "open side", "closed side"]))
    lines += ["", "Sites (each shown by its newest run):"]
    lines.append(
        tabulate(
            [
                [s.site, s.run.host, s.run.started_at, s.run.catalog_version, s.runs, s.source]
                for s in merged.sites
            ],
            headers=["site", "host", "newest run", "catalog", "runs", "file"],
            tablefmt="simple",
        )
    )
    return "\n".join(lines) + "\n"

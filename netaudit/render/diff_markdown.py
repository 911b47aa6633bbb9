"""What changed between two audit runs, as Markdown (for a ticket or the review's change log)."""

from __future__ import annotations

from netaudit.diff import Change, FindingChange, RunDiff, RunRef
from netaudit.render.markdown import md, table


def _run(ref: RunRef) -> str:
    where = f" on {md(ref.host)}" if ref.host else ""
    where += f", site {md(ref.site)}" if ref.site else ""
    return f"{md(ref.started_at)}{where}: {'ready' if ref.ready else '**not ready**'}"


def _kind(kind: object) -> str:
    return str(kind) if kind is not None else "-"


def _findings(changes: tuple[FindingChange, ...]) -> str:
    rows = [
        [
            md(c.profile),
            md(c.platform),
            c.capability,
            _kind(c.old),
            f"**{_kind(c.new)}**",
            md(c.remediation or c.detail),
        ]
        for c in changes
    ]
    return table(["profile", "platform", "capability", "was", "now", "detail"], rows)


def render_diff(diff: RunDiff) -> str:
    """A heading, the two runs, then one section per sort of change."""
    lines = ["# What changed between two audits", "", f"- Old: {_run(diff.old)}", f"- New: {_run(diff.new)}"]
    if not diff.changed:
        return "\n".join([*lines, "", "Nothing changed."]) + "\n"
    for title, change in (
        ("New gaps and leaks", Change.NEW),
        ("Resolved gaps and leaks", Change.RESOLVED),
        ("Other findings that changed", Change.CHANGED),
    ):
        found = diff.of(change)
        if found:
            lines += ["", f"## {title} ({len(found)})", "", _findings(found)]
    if diff.statuses:
        rows = [
            [
                f"`{s.endpoint}`",
                md(s.via) + (f" as {md(s.identity)}" if s.identity else ""),
                md(", ".join(s.profiles)),
                _kind(s.old),
                f"**{_kind(s.new)}**",
                md(s.detail),
            ]
            for s in diff.statuses
        ]
        status_table = table(["endpoint", "via", "profiles", "was", "now", "detail"], rows)
        lines += ["", f"## Statuses that changed ({len(diff.statuses)})", "", status_table]
    return "\n".join(lines) + "\n"

"""What changed between two audit runs, as terminal text: new and resolved gaps and leaks, other changes, statuses."""

from __future__ import annotations

from tabulate import tabulate

from netaudit.diff import Change, FindingChange, RunDiff, RunRef


def _run(ref: RunRef) -> str:
    where = f" on {ref.host}" if ref.host else ""
    where += f" (site {ref.site})" if ref.site else ""
    return f"{ref.started_at}{where}, {'ready' if ref.ready else 'not ready'}"


def _kind(kind: object) -> str:
    return str(kind) if kind is not None else "-"


def _findings(changes: tuple[FindingChange, ...]) -> str:
    rows = [[c.profile, c.platform, c.capability, _kind(c.old), _kind(c.new), c.id] for c in changes]
    return tabulate(rows, headers=["profile", "platform", "capability", "was", "now", "finding"], tablefmt="simple")


def render_diff(diff: RunDiff) -> str:
    """One section per sort of change; `nothing changed` when the runs agree."""
    lines = [f"old: {_run(diff.old)}", f"new: {_run(diff.new)}"]
    if not diff.changed:
        return "\n".join([*lines, "", "nothing changed"]) + "\n"
    sections = [
        ("New gaps and leaks", diff.of(Change.NEW)),
        ("Resolved gaps and leaks", diff.of(Change.RESOLVED)),
        ("Other findings that changed", diff.of(Change.CHANGED)),
    ]
    for title, changes in sections:
        if changes:
            lines += ["", f"{title} ({len(changes)}):", "", _findings(changes)]
    if diff.statuses:
        rows = [
            [
                s.endpoint,
                s.via + (f" as {s.identity}" if s.identity else ""),
                ", ".join(s.profiles),
                _kind(s.old),
                _kind(s.new),
            ]
            for s in diff.statuses
        ]
        table = tabulate(rows, headers=["endpoint", "via", "profiles", "was", "now"], tablefmt="simple")
        lines += ["", f"Statuses that changed ({len(diff.statuses)}):", "", table]
    return "\n".join(lines) + "\n"

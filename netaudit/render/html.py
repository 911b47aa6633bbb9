"""The audit as one self-contained HTML page (templates/audit.html), laid out from the view.

Jinja2 with autoescaping on for every value: titles, headers, details, names and descriptions come
from the network or from files and are escaped; the template marks nothing safe. The page loads
nothing from elsewhere (no script, font or image) and says so in its Content-Security-Policy.
"""

from __future__ import annotations

from functools import cache

import jinja2

from netaudit.model import AccessLevel, AuditRun, FindingKind
from netaudit.render.view import SEVERITY, AuditView, ProfileView, build_view
from netaudit.render.wording import checks_text, environment_rows, hours_side, route_words, seen, untested_reason

_KINDS = (FindingKind.OK, *[kind for kind in SEVERITY if kind is not FindingKind.OK])
_PROBLEMS = tuple(kind for kind in SEVERITY if kind is not FindingKind.OK)


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("netaudit.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.globals.update(
        seen=seen,
        hours_side=hours_side,
        untested_reason=untested_reason,
        checks_text=checks_text,
        route_words=route_words,
        segments=segments,
        bar_title=bar_title,
    )
    environment.filters["zip"] = lambda first, second: zip(first, second, strict=True)
    return environment


def segments(profile: ProfileView) -> list[tuple[str, str, str]]:
    """The readiness bar of a profile: (finding kind, x, width) in percent of its checks, ok first."""
    total = len(profile.findings)
    bars: list[tuple[str, str, str]] = []
    start = 0
    for kind in _KINDS:
        count = profile.count(kind)
        if count and total:
            bars.append((kind.value, f"{100 * start / total:.2f}", f"{100 * count / total:.2f}"))
            start += count
    return bars


def bar_title(profile: ProfileView) -> str:
    """The bar in words: `5 checks: 3 ok, 1 gap, 1 degraded`."""
    counts = ", ".join(f"{profile.count(kind)} {kind}" for kind in _KINDS if profile.count(kind))
    return f"{len(profile.findings)} checks: {counts or 'none'}"


def render_audit(run: AuditRun) -> str:
    """The readiness report as a page to attach to the review, readable on screen and printed on A4."""
    return render_view(build_view(run))


def render_view(view: AuditView) -> str:
    """The page of an already built view."""
    names = {platform.id: platform.name for platform in view.platforms}
    environment = environment_rows(view)
    text = (
        _environment()
        .get_template("audit.html")
        .render(
            view=view,
            kinds=[kind.value for kind in _KINDS],
            problem_kinds=list(_PROBLEMS),
            levels=[level.value for level in AccessLevel],
            ready_count=sum(1 for profile in view.profiles if profile.readiness.ready),
            counts=", ".join(f"{view.count(kind)} {kind}" for kind in _KINDS if view.count(kind)) or "none",
            intended_rows=[
                (name, [level.value for level in cells])
                for name, cells in zip(view.intended.rows, view.intended.cells, strict=True)
            ],
            measured_rows=[
                (name, [kind.value if kind else "" for kind in cells])
                for name, cells in zip(view.measured.rows, view.measured.cells, strict=True)
            ],
            lacking=[profile for profile in view.profiles if profile.rules.missing],
            controls=[profile for profile in view.profiles if profile.route.control is not None],
            environment=environment,
            platform_name=lambda platform_id: names.get(platform_id, platform_id),
        )
    )
    return text.rstrip("\n") + "\n"

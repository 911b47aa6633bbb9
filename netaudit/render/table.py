"""The terminal table form (tabulate) of a probe run, the catalog and one platform."""

from __future__ import annotations

from collections import Counter

from tabulate import tabulate

from netaudit.model import Capability, Platform, ProbePath, ProbeRun

_DETAIL_WIDTH = 90


def _short(text: str, width: int = _DETAIL_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_probe(run: ProbeRun) -> str:
    """One row per result, then a count per status."""
    rows = [
        [
            result.id if result.path is ProbePath.TCP else f"{result.id} ({result.path})",
            result.status.value,
            result.layer.value,
            result.route.value,
            f"{result.elapsed_ms:.0f}",
            _short(result.detail),
        ]
        for result in run.results
    ]
    table = tabulate(rows, headers=["endpoint", "status", "layer", "route", "ms", "detail"], tablefmt="simple")
    counts = Counter(result.status.value for result in run.results)
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    environment = run.environment
    header = f"proxy: {environment.get('proxy', '?')}   resolver: {environment.get('resolver', '?')}"
    return f"{header}\n\n{table}\n\n{len(run.results)} endpoints: {summary or 'none'}\n"


def render_catalog(platforms: tuple[Platform, ...]) -> str:
    """One row per platform with its endpoint count per capability."""
    rows = []
    for platform in platforms:
        counts = Counter(endpoint.capability for endpoint in platform.endpoints)
        rows.append([platform.id, platform.name, *[counts.get(c, 0) for c in Capability], platform.source])
    headers = ["platform", "name", *[capability.value for capability in Capability], "file"]
    return tabulate(rows, headers=headers, tablefmt="simple") + "\n"


def render_platform(platform: Platform) -> str:
    """The endpoints of one platform."""
    rows = [
        [
            endpoint.id,
            endpoint.capability.value,
            endpoint.method,
            endpoint.url,
            ", ".join(str(code) for code in endpoint.expect_status) or "any",
            ", ".join(endpoint.expect_title),
        ]
        for endpoint in platform.endpoints
    ]
    aliases = f" (also: {', '.join(platform.aliases)})" if platform.aliases else ""
    table = tabulate(rows, headers=["endpoint", "capability", "method", "url", "expects", "title words"])
    return f"{platform.name} [{platform.id}]{aliases} from {platform.source}\n\n{table}\n"

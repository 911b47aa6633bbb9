"""The terminal table form (tabulate), rendered from the JSON documents."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tabulate import tabulate

from netaudit.model import Capability

_DETAIL_WIDTH = 90


def _short(text: str, width: int = _DETAIL_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_probe(document: dict[str, Any]) -> str:
    """One row per result, then a count per status."""
    rows = [
        [
            result["id"],
            result["status"],
            result["layer"],
            result["route"],
            f"{result['elapsed_ms']:.0f}",
            _short(result["detail"]),
        ]
        for result in document["results"]
    ]
    table = tabulate(rows, headers=["endpoint", "status", "layer", "route", "ms", "detail"], tablefmt="simple")
    counts = Counter(result["status"] for result in document["results"])
    summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    environment = document.get("environment", {})
    header = f"proxy: {environment.get('proxy', '?')}   resolver: {environment.get('resolver', '?')}"
    return f"{header}\n\n{table}\n\n{len(document['results'])} endpoints: {summary or 'none'}\n"


def render_catalog(document: dict[str, Any]) -> str:
    """One row per platform with its endpoint count per capability."""
    capabilities = [capability.value for capability in Capability]
    rows = []
    for platform in document["platforms"]:
        counts = Counter(endpoint["capability"] for endpoint in platform["endpoints"])
        rows.append([platform["id"], platform["name"], *[counts.get(c, 0) for c in capabilities], platform["source"]])
    return tabulate(rows, headers=["platform", "name", *capabilities, "file"], tablefmt="simple") + "\n"


def render_platform(document: dict[str, Any]) -> str:
    """The endpoints of one platform."""
    (platform,) = document["platforms"]
    rows = [
        [
            endpoint["id"],
            endpoint["capability"],
            endpoint["method"],
            endpoint["url"],
            ", ".join(str(code) for code in endpoint["expect_status"]) or "any",
            ", ".join(endpoint["expect_title"]),
        ]
        for endpoint in platform["endpoints"]
    ]
    aliases = f" (also: {', '.join(platform['aliases'])})" if platform["aliases"] else ""
    table = tabulate(rows, headers=["endpoint", "capability", "method", "url", "expects", "title words"])
    return f"{platform['name']} [{platform['id']}]{aliases} from {platform['source']}\n\n{table}\n"

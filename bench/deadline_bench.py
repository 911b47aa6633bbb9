"""Deadline benchmark: how far past `--timeout` do probes end that never get an answer?

    sudo .venv/bin/python -m bench.deadline_bench [--targets 1000] [--concurrency 64] [--timeout 2] [--json]

Builds the network lab of tests/netlab (two namespaces; traffic never leaves them) and probes, in
the client namespace, `--targets` names split in three equal parts, each of which can only end at
the deadline: names whose DNS question is never answered (dnsmasq forwards them to a dead server),
names whose TCP connection is silently dropped by nftables, and names whose origin drips one byte a
second. Each probe's own `elapsed_ms` is compared with the deadline.

Figures per class and overall: the largest and the 99th-percentile overrun (elapsed / timeout - 1).
The target is at most +5% for every probe. Exit status 0 when met, 1 when not, 2 when the lab or
netaudit failed. The lab is always torn down.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.netlab.errors import LabError  # noqa: E402
from tests.netlab.lab import build_lab  # noqa: E402
from tests.netlab.plan import DOMAIN, DROP_ADDR, HOSTS, ORIGIN_SLOWDRIP  # noqa: E402

TARGET_OVERRUN = 0.05
CLASSES = ("dns-unanswered", "tcp-dropped", "slow-drip")


def targets(total: int) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(class, url) for every target, and the DNS records the lab must serve for them."""
    records: dict[str, str] = {}
    chosen: list[tuple[str, str]] = []
    for index in range(total):
        kind = CLASSES[index % len(CLASSES)]
        if kind == "dns-unanswered":
            name = f"d{index}.{HOSTS.dns_timeout}"
        else:
            name = f"deadline-{index}.{DOMAIN}"
            records[name] = DROP_ADDR if kind == "tcp-dropped" else ORIGIN_SLOWDRIP
        chosen.append((kind, f"https://{name}/"))
    return chosen, records


def _overrun(values: Sequence[float], timeout: float) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "probes": len(ordered),
        "max_overrun_pct": round((ordered[-1] / (timeout * 1000) - 1) * 100, 2),
        "p99_overrun_pct": round((p99 / (timeout * 1000) - 1) * 100, 2),
        "min_pct_of_deadline": round(ordered[0] / (timeout * 1000) * 100, 2),
    }


def benchmark(options: argparse.Namespace) -> dict[str, Any]:
    chosen, records = targets(options.targets)
    with build_lab() as lab, tempfile.TemporaryDirectory() as folder:
        lab.add_hosts(records)
        listing = Path(folder) / "targets.txt"
        listing.write_text("".join(f"{url}\n" for _, url in chosen), encoding="utf-8")
        output = Path(folder) / "out.json"
        proc = lab.run_netaudit(
            "probe", "--input", str(listing), "--no-proxy", "--concurrency", str(options.concurrency),
            "--format", "json", "-o", str(output), *lab.netaudit_base_args(options.timeout),
            timeout=options.targets * options.timeout + 120,
        )  # fmt: skip
        if proc.returncode != 0:
            raise LabError(f"netaudit exited {proc.returncode}: {proc.stderr[-2000:]}")
        results = {r["url"]: r for r in json.loads(output.read_text(encoding="utf-8"))["results"]}
    by_class: dict[str, list[float]] = {kind: [] for kind in CLASSES}
    statuses: dict[str, set[str]] = {kind: set() for kind in CLASSES}
    for kind, url in chosen:
        by_class[kind].append(results[url]["elapsed_ms"])
        statuses[kind].add(results[url]["status"])
    figures: dict[str, Any] = {
        "targets": options.targets,
        "concurrency": options.concurrency,
        "timeout_s": options.timeout,
        "classes": {
            kind: {**_overrun(values, options.timeout), "statuses": sorted(statuses[kind])}
            for kind, values in by_class.items()
        },
        "all": _overrun([v for values in by_class.values() for v in values], options.timeout),
    }
    figures["met"] = figures["all"]["max_overrun_pct"] <= TARGET_OVERRUN * 100
    return figures


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"{figures['targets']} probes that can only end at the deadline, --timeout {figures['timeout_s']:g} "
        f"--concurrency {figures['concurrency']}",
        f"{'class':<16} {'probes':>6} {'max overrun':>12} {'p99 overrun':>12}  statuses",
    ]
    for kind, row in [*figures["classes"].items(), ("all", figures["all"])]:
        shown = ", ".join(row.get("statuses", []))
        overruns = f"{row['max_overrun_pct']:>+11.2f}% {row['p99_overrun_pct']:>+11.2f}%"
        lines.append(f"{kind:<16} {row['probes']:>6} {overruns}  {shown}")
    lines.append(f"target: every probe within +{TARGET_OVERRUN * 100:g}% of its deadline: "
                 f"{'met' if figures['met'] else 'NOT met'}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    options = parser.parse_args(argv)
    try:
        figures = benchmark(options)
    except (LabError, subprocess.TimeoutExpired, KeyError, ValueError) as exc:
        print(f"deadline_bench: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(figures, indent=2) if options.json else report(figures))
    return 0 if figures["met"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Peer benchmark: netaudit against Prometheus' blackbox_exporter on the team's shared workload.

    sudo .venv/bin/python -m bench.peer_bench [--peer-bench DIR] [--sizes 1000:64,3000:128,10000:256]
                                              [--reps 3,3,1] [--timeout 2] [--json]

Calls the peer benchmark's `run` (default: ../shared/peer-bench next to the repository, or
NETAUDIT_PEER_BENCH) once per size with `--tools blackbox,netaudit`, so both tools run in the
same run, interleaved, on the same lab (two namespaces in 198.19.0.0/16 that it builds itself;
nothing leaves them). NETAUDIT_CMD is this checkout's netaudit (`python -m netaudit` from the
repository root, with this interpreter). The peer bench checks every verdict against its ground
truth; a mismatch, or a netaudit exit status other than 0, makes this script exit 1.

Prints the table of issue 11: per size, each tool's median wall time / CPU time / peak RSS, the
ideal floor, and netaudit's ratios to blackbox_exporter. Leaves the lab up like `run` does; run
the peer bench's `down` afterwards (this script does with --down).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = "1000:64,3000:128,10000:256"
DEFAULT_REPS = "3,3,1"


def netaudit_command() -> str:
    """The NETAUDIT_CMD template: this checkout's netaudit, run from the repository root."""
    probe = (
        "-m netaudit probe --no-proxy --concurrency {C} --timeout {T} --format json "
        "--input {targets_file} --ca-bundle {ca_file} --public-roots {ca_file} -o {out_file}"
    )
    return f"cd {shlex.quote(str(REPO))} && exec {shlex.quote(sys.executable)} {probe}"


def peer_bench_dir(given: str | None) -> Path:
    candidates = [given, os.environ.get("NETAUDIT_PEER_BENCH"), str(REPO.parent / "shared" / "peer-bench")]
    for candidate in candidates:
        if candidate and (Path(candidate) / "run").is_file():
            return Path(candidate)
    tried = ", ".join(c for c in candidates if c)
    raise SystemExit(f"peer_bench: no peer benchmark found (tried {tried}); give --peer-bench DIR")


def run_size(peer: Path, n: int, c: int, t: float, reps: int) -> dict[str, Any]:
    """One `run` of the peer bench for a size; its results JSON."""
    argv = [str(peer / "run"), "-n", str(n), "-c", str(c), "-t", f"{t:g}", "--reps", str(reps)]
    argv += ["--tools", "blackbox,netaudit"]
    env = {**os.environ, "NETAUDIT_CMD": netaudit_command(), "NETAUDIT_LABEL": "netaudit"}
    print(f"[peer_bench] {' '.join(argv)}", file=sys.stderr, flush=True)
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"peer_bench: the peer bench failed (exit {proc.returncode}):\n{proc.stdout}")
    match = re.search(r"^results: (\S+\.json)", proc.stdout, re.M)
    if not match:
        raise SystemExit(f"peer_bench: no results file in the peer bench's output:\n{proc.stdout}")
    result: dict[str, Any] = json.loads(Path(match.group(1)).read_text())
    result["table_text"] = proc.stdout
    return result


def _median(tool: dict[str, Any], key: str) -> float:
    return float(tool[key]["median"])


def row(result: dict[str, Any]) -> dict[str, Any]:
    """The figures of one size."""
    params, tools = result["params"], result["tools"]
    bb, na = tools["blackbox"], tools["netaudit"]
    runs = na.get("runs", [])
    return {
        "N": params["N"],
        "C": params["C"],
        "reps": params["reps"],
        "blackbox": {k: _median(bb, k) for k in ("wall_s", "cpu_s", "rss_mb")},
        "netaudit": {k: _median(na, k) for k in ("wall_s", "cpu_s", "rss_mb")},
        "floor_s": result["floor"]["floor_s"],
        "mismatches": sum(r.get("mismatches") or 0 for r in runs),
        "exit_codes": sorted({r.get("rc") for r in runs}),
    }


def _tool(figures: dict[str, float]) -> str:
    return f"{figures['wall_s']:.2f} s / {figures['cpu_s']:.2f} s / {figures['rss_mb']:.0f} MB"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| N, concurrency | blackbox_exporter wall / CPU / RSS | netaudit wall / CPU / RSS "
        "| ideal floor | netaudit / blackbox: wall, CPU |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        bb, na = r["blackbox"], r["netaudit"]
        reps = "one run" if r["reps"] == 1 else f"median of {r['reps']}"
        lines.append(
            f"| {r['N']:,}, {r['C']} ({reps}) | {_tool(bb)} | {_tool(na)} | {r['floor_s']:.2f} s "
            f"| {na['wall_s'] / bb['wall_s']:.2f}x, {na['cpu_s'] / bb['cpu_s']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer-bench", help="the peer benchmark's folder (default: ../shared/peer-bench)")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="N:C pairs, comma-separated")
    parser.add_argument("--reps", default=DEFAULT_REPS, help="repetitions per size, comma-separated")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--down", action="store_true", help="take the peer bench's lab down at the end")
    options = parser.parse_args(argv)
    peer = peer_bench_dir(options.peer_bench)
    # Measure netaudit as installed: pip byte-compiles a package; a checkout run with
    # PYTHONDONTWRITEBYTECODE would otherwise compile its sources at every start.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "netaudit")], check=True)
    sizes = [tuple(int(x) for x in pair.split(":")) for pair in options.sizes.split(",")]
    reps = [int(x) for x in options.reps.split(",")]
    reps += [reps[-1]] * (len(sizes) - len(reps))
    rows: list[dict[str, Any]] = []
    try:
        for (n, c), count in zip(sizes, reps, strict=False):
            rows.append(row(run_size(peer, n, c, options.timeout, count)))
    finally:
        if options.down:
            subprocess.run([str(peer / "down")], check=False, capture_output=True)
    print(json.dumps(rows, indent=2) if options.json else table(rows))
    bad = [figures for figures in rows if figures["mismatches"] or figures["exit_codes"] != [0]]
    for figures in bad:
        print(
            f"peer_bench: N={figures['N']}: {figures['mismatches']} verdict mismatches, "
            f"exit codes {figures['exit_codes']}"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

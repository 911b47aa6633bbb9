"""netaudit's fixed cost: whole-process wall time of short commands, median of several runs.

    .venv/bin/python -m bench.startup_bench [--runs 10] [--json]

A script, not a test; it sends traffic only to 127.0.0.1 (a port nobody listens on, so every
connection is refused at once). Times, as whole processes run the way the peer benchmark runs
netaudit (`python -m netaudit` from the repository root, this interpreter, byte-compiled first):

* `netaudit --version` and `netaudit catalog list` (issue 11: under 0.25 s);
* `netaudit probe --no-proxy --format json -o FILE` of 20 refused `https://127.0.0.1:PORT/` URLs:
  interpreter start, imports, configuration, catalog, trust stores, 20 instant probes, output.

Prints, per command, the median, minimum and maximum wall time and the median CPU time (user +
system of the child, from wait4) and peak RSS. One warm-up run per command is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_command(argv: list[str], runs: int) -> dict[str, Any]:
    """Run `argv` once to warm up, then `runs` times; wall, CPU and peak RSS of each run."""
    walls, cpus, rss = [], [], []
    for index in range(runs + 1):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            error = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"startup_bench: {' '.join(argv)} exited {proc.returncode}: {error}")
        if proc.stderr:
            proc.stderr.close()
        if index:  # the first run warms the page cache
            walls.append(wall)
            cpus.append(usage.ru_utime + usage.ru_stime)
            rss.append(usage.ru_maxrss / 1024)
    return {
        "wall_s": statistics.median(walls),
        "wall_min_s": min(walls),
        "wall_max_s": max(walls),
        "cpu_s": statistics.median(cpus),
        "rss_mb": statistics.median(rss),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="counted runs per command (default 10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args(argv)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "netaudit")], check=True)
    netaudit = [sys.executable, "-m", "netaudit"]
    with tempfile.TemporaryDirectory(prefix="netaudit-startup-") as folder:
        urls = Path(folder) / "refused20.txt"
        port = _closed_port()
        urls.write_text("".join(f"https://127.0.0.1:{port}/p{n}\n" for n in range(20)))
        probe = ["probe", "--no-proxy", "--input", str(urls), "--format", "json", "-o", f"{folder}/out.json"]
        commands = {
            "netaudit --version": [*netaudit, "--version"],
            "netaudit catalog list": [*netaudit, "catalog", "list"],
            "netaudit probe (20 refused URLs, json -o)": [*netaudit, *probe],
        }
        rows = {name: time_command(command, options.runs) for name, command in commands.items()}
    if options.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'command':44} {'wall median [min-max]':>24} {'CPU':>7} {'RSS':>8}")
    for name, r in rows.items():
        span = f"{r['wall_s']:.3f} [{r['wall_min_s']:.3f}-{r['wall_max_s']:.3f}] s"
        print(f"{name:44} {span:>24} {r['cpu_s']:>5.3f} s {r['rss_mb']:>5.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

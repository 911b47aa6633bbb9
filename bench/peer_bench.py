"""Peer benchmark: netaudit against Prometheus' blackbox_exporter on the team's shared workload.

    sudo .venv/bin/python -m bench.peer_bench [--peer-bench DIR] [--work DIR] [--sizes 1000:64,3000:128,10000:256]
                                              [--reps 3,3,1] [--timeout 2] [--json] [--down]

Calls the peer benchmark's `run` (default: NETAUDIT_PEER_BENCH, or shared/peer-bench next to the
repository or next to a folder above it) once per size with `--tools blackbox,netaudit`, so both tools run in the
same run, interleaved, on the same lab (two namespaces in 198.19.0.0/16 that it builds itself;
nothing leaves them). NETAUDIT_CMD is this checkout's netaudit (`python -m netaudit` from the
repository root, with this interpreter). The peer bench checks every verdict against its ground
truth; a mismatch, or a netaudit exit status other than 0, makes this script exit 1.

The peer bench writes under its own folder (`up`: state/, with the bench CA in state/pki and the
PID files `down` needs; `run`: results/). When that folder is read-only, or --work is given, it
runs from a copy in the --work folder (default build/peer-bench in this repository, git-ignored):
made on the first run, its files refreshed from the source at every run (changed ones copied
again, removed ones removed), its own state/ and results/ kept, so the bench CA stays the same.
It refuses to start while a lab another folder brought up is up: the namespaces are the
machine's, and this folder's `up` would delete them under that folder's run.

Prints the table of issue 11: per size, each tool's median wall time / CPU time / peak RSS, the
ideal floor, and netaudit's ratios to blackbox_exporter. Leaves the lab up like `run` does; run
the peer bench's `down` afterwards (this script does with --down; from the copy, when it ran there).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import re
import shlex
import shutil
import stat
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
    # ../shared/peer-bench next to the repository, or next to a folder above it (a git worktree's).
    nearby = [str(folder / "shared" / "peer-bench") for folder in REPO.parents]
    candidates = [given, os.environ.get("NETAUDIT_PEER_BENCH"), *nearby]
    for candidate in candidates:
        if candidate and (Path(candidate) / "run").is_file():
            return Path(candidate)
    tried = ", ".join(c for c in candidates[:3] if c)
    raise SystemExit(f"peer_bench: no peer benchmark found (tried {tried}); give --peer-bench DIR")


DEFAULT_WORK = REPO / "build" / "peer-bench"
OWN = ("state", "results")
"""What the peer bench writes under its folder: a working copy keeps its own, never copies the source's."""
_SKIP = {*OWN, "__pycache__"}


def writable(folder: Path) -> bool:
    """Whether the peer bench can write under `folder` (the folder, and its state/ and results/ if present).

    The permission bits count as well as access(2): root may write anywhere, but a folder made
    read-only (chmod a-w) is meant to stay as it is.
    """
    for path in (folder, *(folder / name for name in OWN)):
        if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR):
            return False
    return True


def _source_files(source: Path) -> dict[Path, Path]:
    """The peer bench's own files (relative path -> path), without what it writes and Python's caches."""
    found: dict[Path, Path] = {}
    for folder, dirs, files in os.walk(source):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not (d in _SKIP and (here == source or d == "__pycache__")))
        for name in files:
            found[(here / name).relative_to(source)] = here / name
    return found


def _make_writable(path: Path) -> None:
    mode = path.lstat().st_mode
    if not stat.S_ISLNK(mode) and not mode & stat.S_IWUSR:
        path.chmod(stat.S_IMODE(mode) | stat.S_IWUSR)


def working_copy(source: Path, work: Path) -> Path:
    """`work` as a writable copy of the peer bench in `source`, made or brought up to date; returns `work`.

    The first time, the folder is copied (shutil.copytree, modes kept, then made writable). Later,
    a file that is new or differs in the source is copied again and a file the source no longer
    has is removed; state/ (the bench CA in state/pki, the lab's PID files) and results/ are the
    copy's own and kept, and the source's are never copied.
    """
    if work.resolve() == source.resolve():
        raise SystemExit(f"peer_bench: --work {work} is the peer bench itself; give another folder")
    if not work.exists():
        work.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, work, symlinks=True, ignore=_ignore_own(source))
    wanted = _source_files(source)
    for relative, original in wanted.items():
        target = work / relative
        if target.is_symlink() or not target.is_file() or not filecmp.cmp(original, target, shallow=False):
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                _make_writable(target.parent)
                target.unlink()
            shutil.copy2(original, target, follow_symlinks=False)
    for relative in set(_source_files(work)) - set(wanted):
        _make_writable((work / relative).parent)
        (work / relative).unlink()
    for folder, dirs, files in os.walk(work, topdown=False):
        relative = Path(folder).relative_to(work)
        ours = not relative.parts or relative.parts[0] in OWN or "__pycache__" in relative.parts
        if not ours and not dirs and not files and not (source / relative).is_dir():
            Path(folder).rmdir()  # an empty folder the source no longer has
    for folder, dirs, files in os.walk(work):
        for name in (*dirs, *files):
            _make_writable(Path(folder) / name)
    _make_writable(work)
    return work


def _ignore_own(source: Path) -> Any:
    def ignore(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == source
        return {n for n in names if n == "__pycache__" or (top and n in OWN)}

    return ignore


def bench_folder(peer: Path, work: str | None) -> Path:
    """Where to run the peer bench: its own folder if it can write there and no --work was given, else a copy."""
    if work is None and writable(peer):
        return peer
    copy = Path(work) if work is not None else DEFAULT_WORK
    why = "as asked (--work)" if work is not None else "its folder is read-only"
    print(f"[peer_bench] running the peer bench from {copy}, a copy of {peer}: {why}", file=sys.stderr, flush=True)
    return working_copy(peer, copy)


NAMESPACES = ("nbnet", "nbclient")
"""The peer bench's two namespaces: one lab at a time on a machine, whichever folder brought it up."""


def lab_owner() -> Path | str | None:
    """Whose peer bench lab is up: the folder whose lib/origin.py runs in nbnet, a sentence when the
    namespaces exist with no origin in them, or None when there is no lab."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    present = [name for name in NAMESPACES if name in {line.split()[0] for line in listed.splitlines() if line.strip()}]
    if not present:
        return None
    pids = subprocess.run(["ip", "netns", "pids", "nbnet"], capture_output=True, text=True, check=False).stdout
    for pid in pids.split():
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for argument in arguments:
            if argument.endswith(b"/lib/origin.py"):
                return Path(argument.decode(errors="replace")).parent.parent
    return f"namespaces {' and '.join(present)} exist with no peer bench origin in them"


def check_lab(peer: Path, owner: Path | str | None) -> None:
    """Refuse to run when another folder's lab is up: this folder's `up` would delete its namespaces
    (its `down` removes nbnet and nbclient whoever made them) under a run that may be going on."""
    if owner is None or (isinstance(owner, Path) and owner.resolve() == peer.resolve()):
        return
    if isinstance(owner, Path):
        raise SystemExit(
            f"peer_bench: a peer bench lab from {owner} is up; it may be in use. "
            f"When it is not, take it down ({owner / 'down'}) and run again."
        )
    raise SystemExit(f"peer_bench: {owner}; take them down (the peer bench's down) and run again.")


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
    parser.add_argument(
        "--work",
        help="run from a copy of the peer bench in this folder (when its folder is read-only: build/peer-bench)",
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="N:C pairs, comma-separated")
    parser.add_argument("--reps", default=DEFAULT_REPS, help="repetitions per size, comma-separated")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--down", action="store_true", help="take the peer bench's lab down at the end")
    options = parser.parse_args(argv)
    peer = bench_folder(peer_bench_dir(options.peer_bench), options.work)
    check_lab(peer, lab_owner())
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

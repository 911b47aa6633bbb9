"""Probe benchmark: 1,000 URLs through `netaudit probe`, inside the test lab, against the ideal floor.

    sudo .venv/bin/python -m bench.probe_bench [--targets 1000] [--concurrency 64] [--timeout 2]
                                               [--latency-ms 50] [--json]

Builds the network lab of tests/netlab (two namespaces; traffic never leaves them) with the origin
adding `--latency-ms` before the TLS handshake and again before the response (this kernel has no
netem), serves the benchmark names from the lab's dnsmasq, and runs `python -m netaudit probe
--input FILE --format json` in the client namespace. The mix is 70% healthy HTTPS (the "ok" origin),
15% silently dropped by nftables (each costs the whole --timeout), 10% refused with a TCP reset and
5% NXDOMAIN, shuffled with a fixed seed.

Figures: the wall time, CPU time and peak RSS of the netaudit process (its own rusage, from wait4:
`ip netns exec` execs, so the child is the Python process itself); the statuses against the mix;
the ideal floor, i.e. the makespan lower bound max(total work / concurrency, longest job) computed
from per-class costs calibrated uncontended (concurrency 1, medians of 5 probes); the LPT and
FIFO-in-input-order schedules as references; and `netaudit --version` start-up time.

Exit status: 0, or 1 when the statuses do not match the mix (or, with --strict, when a target is
missed), 2 when the lab or netaudit itself failed. The lab is always torn down.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python bench/probe_bench.py` as well as `python -m bench.probe_bench`
    sys.path.insert(0, str(REPO))

from tests.netlab.errors import LabError  # noqa: E402
from tests.netlab.lab import Lab, build_lab  # noqa: E402
from tests.netlab.namespaces import ns_argv  # noqa: E402
from tests.netlab.plan import DOMAIN, DROP_ADDR, ORIGIN_OK, REJECT_ADDR  # noqa: E402

# One label under the zone dnsmasq is authoritative for (unknown names there are NXDOMAIN), so the
# origin's *.social.test certificate covers every name.
BENCH_PREFIX = "bench-"
SEED = 20240601
CALIBRATION_SAMPLES = 5
VERSION_RUNS = 10
TARGET_RATIO = 1.2
TARGET_RSS_MB = 150.0
TARGET_VERSION_S = 0.3
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """The benchmark could not produce its figures (lab or netaudit failure)."""


@dataclass(frozen=True)
class TargetClass:
    """One kind of target in the mix: its share, where its name points, and the status it must get."""

    name: str
    share: float
    address: str | None  # None: the name is not served (NXDOMAIN)
    status: str


CLASSES: tuple[TargetClass, ...] = (
    TargetClass("healthy", 0.70, ORIGIN_OK, "reachable"),
    TargetClass("dropped", 0.15, DROP_ADDR, "tcp_timeout"),
    TargetClass("refused", 0.10, REJECT_ADDR, "tcp_refused"),
    TargetClass("nxdomain", 0.05, None, "dns_nxdomain"),
)
CALIBRATED = ("healthy", "refused", "nxdomain")  # dropped costs exactly the timeout


@dataclass(frozen=True)
class Target:
    """One benchmark URL's host name and class."""

    host: str
    cls: TargetClass

    @property
    def url(self) -> str:
        return f"https://{self.host}/"


@dataclass
class ProcessRun:
    """What one measured process did: wall time, its own rusage, exit code and output."""

    wall_s: float
    user_s: float
    sys_s: float
    maxrss_mb: float
    exit_code: int
    stdout: str
    stderr: str

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


# --- the target list ---------------------------------------------------------------------------


def mix_counts(total: int) -> dict[str, int]:
    """How many targets of each class: rounded shares, the last class takes the remainder."""
    counts = {cls.name: round(total * cls.share) for cls in CLASSES[:-1]}
    counts[CLASSES[-1].name] = total - sum(counts.values())
    if counts[CLASSES[-1].name] < 0:
        raise ValueError(f"cannot split {total} targets into the mix")
    return counts


def make_targets(total: int, seed: int) -> list[Target]:
    """The shuffled benchmark list: bench-t0001.social.test, ..., classes spread by a seeded shuffle."""
    counts = mix_counts(total)
    kinds = [cls for cls in CLASSES for _ in range(counts[cls.name])]
    random.Random(seed).shuffle(kinds)
    width = max(4, len(str(total)))
    return [Target(f"{BENCH_PREFIX}t{i:0{width}d}.{DOMAIN}", cls) for i, cls in enumerate(kinds, start=1)]


def calibration_targets() -> list[Target]:
    """CALIBRATION_SAMPLES of each calibrated class, interleaved (so the first probe's cold cost is shared)."""
    by_name = {cls.name: cls for cls in CLASSES}
    return [Target(f"{BENCH_PREFIX}cal-{name}-{k}.{DOMAIN}", by_name[name])
            for k in range(1, CALIBRATION_SAMPLES + 1) for name in CALIBRATED]


def dns_records(targets: Sequence[Target]) -> dict[str, str]:
    return {t.host: t.cls.address for t in targets if t.cls.address is not None}


# --- schedules ---------------------------------------------------------------------------------


def list_schedule(costs: Sequence[float], lanes: int) -> float:
    """Makespan of greedy list scheduling in the given order (each job to the lane that frees first)."""
    finish = [0.0] * max(1, min(lanes, len(costs)))
    for cost in costs:
        heapq.heappush(finish, heapq.heappop(finish) + cost)
    return max(finish)


def lpt_makespan(costs: Sequence[float], lanes: int) -> float:
    """Longest-processing-time-first: list scheduling with the longest jobs first."""
    return list_schedule(sorted(costs, reverse=True), lanes)


def makespan_floor(costs: Sequence[float], lanes: int) -> float:
    """No schedule on `lanes` lanes beats max(total work / lanes, longest job)."""
    return max(sum(costs) / lanes, max(costs))


# --- processes ---------------------------------------------------------------------------------


def run_in_client(lab: Lab, argv: Sequence[str], label: str, timeout: float) -> ProcessRun:
    """Run argv in the client namespace; its wall time and its own rusage (wait4 on its pid).

    `ip netns exec` enters the namespace and execs, so the pid we wait for is the measured program.
    """
    out_path, err_path = lab.workdir / f"{label}.stdout", lab.workdir / f"{label}.stderr"
    reaped = threading.Event()
    timed_out = threading.Event()

    def kill(pid: int) -> None:
        if not reaped.is_set():
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)

    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(ns_argv(lab.client_ns, argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=lab.client_env(), cwd=lab.workdir, start_new_session=True)
        timer = threading.Timer(timeout, kill, (proc.pid,))
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - started
            reaped.set()
        except BaseException:  # Ctrl-C or SIGTERM: do not leave the probe running
            kill(proc.pid)
            with contextlib.suppress(ChildProcessError):
                os.wait4(proc.pid, 0)
            reaped.set()
            proc.returncode = -signal.SIGKILL
            raise
        finally:
            timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    if timed_out.is_set():
        raise BenchError(f"{label}: killed after {timeout:g}s\n{stderr[-2000:]}")
    return ProcessRun(wall_s=wall, user_s=usage.ru_utime, sys_s=usage.ru_stime,
                      maxrss_mb=usage.ru_maxrss / 1024, exit_code=proc.returncode, stdout=stdout, stderr=stderr)


def probe_results(lab: Lab, targets: Sequence[Target], label: str, concurrency: int, timeout: float,
                  wrap: Sequence[str], limit: float) -> tuple[ProcessRun, list[dict[str, Any]]]:
    """Write the input file, run `netaudit probe` on it in the client namespace, parse its JSON."""
    input_file, output_file = lab.workdir / f"{label}.txt", lab.workdir / f"{label}.json"
    input_file.write_text("".join(f"{t.url}\n" for t in targets), encoding="utf-8")
    argv = [*wrap, sys.executable, "-m", "netaudit", "probe", "--input", str(input_file),
            "--concurrency", str(concurrency), "--format", "json", "--output", str(output_file), "--no-proxy",
            *lab.netaudit_base_args(timeout)]
    run = run_in_client(lab, argv, label, limit)
    try:
        document = json.loads(output_file.read_text(encoding="utf-8"))
        results: list[dict[str, Any]] = document["results"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BenchError(f"{label}: netaudit exited {run.exit_code} without a JSON document ({exc})\n"
                         f"{run.stderr[-2000:]}") from exc
    if len(results) != len(targets):
        raise BenchError(f"{label}: {len(results)} results for {len(targets)} targets")
    return run, results


def version_times(runs: int) -> list[float]:
    """Wall time of `netaudit --version`, `runs` times (outside the lab: it makes no traffic)."""
    script = Path(sys.executable).parent / "netaudit"
    argv = [str(script)] if script.exists() else [shutil.which("netaudit") or "netaudit"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run([*argv, "--version"], capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise BenchError(f"netaudit --version exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return times


# --- context: who else used the CPU ---------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(tok) for tok in text.split()]


def _proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15)


def _machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    return (total - idle) / CLK_TCK, total / CLK_TCK


class CpuMeter:
    """CPU seconds used by the lab's servers and by the machine during a run."""

    def __init__(self, lab: Lab, services: Sequence[str] = ("origin", "dnsmasq")) -> None:
        self.pids: dict[str, list[int]] = {}
        for name in services:
            service = lab.services.get(name)
            if service is not None and service.pid is not None:
                self.pids[name] = _children(service.pid)  # the guard's child is the server itself
        self.start: dict[str, float] = {}
        self.machine_start = (0.0, 0.0)

    def _sample(self) -> dict[str, float]:
        return {name: sum(_proc_cpu_s(pid) for pid in pids) for name, pids in self.pids.items()}

    @contextlib.contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        used: dict[str, float] = {}
        start, machine_start = self._sample(), _machine_busy_s()
        started = time.perf_counter()
        yield used
        end, machine_end = self._sample(), _machine_busy_s()
        wall = time.perf_counter() - started
        used.update({f"{name}_cpu_s": round(end[name] - start[name], 2) for name in end})
        used["machine_busy_s"] = round(machine_end[0] - machine_start[0], 2)
        used["machine_busy_cores"] = round((machine_end[0] - machine_start[0]) / wall, 2) if wall else 0.0
        used["machine_cores"] = os.cpu_count() or 0


# --- the benchmark -------------------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def calibrate(lab: Lab, timeout: float, limit: float) -> tuple[dict[str, float], ProcessRun, float]:
    """Median elapsed_ms per calibrated class, probed one at a time; the dropped class costs the timeout.

    Also returns the calibration process's fixed cost: its wall time less the time its probes took
    (interpreter start-up, imports, trust stores, rendering the output).
    """
    targets = calibration_targets()
    run, results = probe_results(lab, targets, "calibration", 1, timeout, (), limit)
    samples: dict[str, list[float]] = {name: [] for name in CALIBRATED}
    wrong = []
    for target, result in zip(targets, results, strict=True):
        if result["status"] != target.cls.status:
            wrong.append(f"{target.url}: {result['status']} ({result.get('detail', '')})")
        samples[target.cls.name].append(float(result["elapsed_ms"]))
    if wrong:
        raise BenchError("calibration probes got unexpected statuses:\n  " + "\n  ".join(wrong))
    costs = {name: _median(values) / 1000 for name, values in samples.items()}
    costs["dropped"] = timeout
    probing = sum(float(r["elapsed_ms"]) for r in results) / 1000
    return costs, run, max(0.0, run.wall_s - probing)


def under_load(targets: Sequence[Target], results: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per class, how long probes took inside the busy run (median and p95 of elapsed_ms, layer medians)."""
    table: dict[str, dict[str, float]] = {}
    for cls in CLASSES:
        rows = [r for t, r in zip(targets, results, strict=True) if t.cls is cls]
        elapsed = [float(r["elapsed_ms"]) for r in rows]
        entry = {"median_ms": round(_median(elapsed), 1), "p95_ms": round(_pct(elapsed, 0.95), 1),
                 "max_ms": round(max(elapsed, default=0.0), 1)}
        for layer in ("dns", "tcp", "tls", "http", "transfer"):
            laps = [float(r["timings_ms"][layer]) for r in rows if layer in (r.get("timings_ms") or {})]
            if laps:
                entry[f"{layer}_median_ms"] = round(_median(laps), 1)
        table[cls.name] = entry
    return table


def benchmark(options: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Build the lab, calibrate, run the main probe, measure --version; (figures, statuses match the mix)."""
    targets = make_targets(options.targets, options.seed)
    counts = mix_counts(options.targets)
    limit = options.targets * options.timeout + 120  # a hung run fails instead of hanging the benchmark
    workdir = Path(options.keep).resolve() if options.keep else None
    lab = build_lab(workdir=workdir, origin_delay_ms=options.latency_ms)
    try:
        lab.add_hosts(dns_records(calibration_targets()) | dns_records(targets))
        costs, calibration, fixed = calibrate(lab, options.timeout, limit)
        meter = CpuMeter(lab)
        with meter.measure() as context:
            run, results = probe_results(lab, targets, "probe", options.concurrency, options.timeout,
                                         shlex.split(options.wrap), limit)
    finally:
        lab.close()
    versions = version_times(VERSION_RUNS)

    # CPU the machine spent on neither netaudit nor the lab's servers: other work disturbing the figures.
    context["other_cpu_s"] = round(max(0.0, context["machine_busy_s"] - run.cpu_s - context.get("origin_cpu_s", 0.0)
                                       - context.get("dnsmasq_cpu_s", 0.0)), 2)
    statuses = Counter(str(r["status"]) for r in results)
    expected = Counter({cls.status: counts[cls.name] for cls in CLASSES if counts[cls.name]})
    wrong = [f"{t.url} ({t.cls.name}): {r['status']} - {r.get('detail', '')}"
             for t, r in zip(targets, results, strict=True) if r["status"] != t.cls.status]
    job_costs = [costs[t.cls.name] for t in targets]
    lanes = min(options.concurrency, len(targets))
    floor = makespan_floor(job_costs, lanes)
    figures: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "netaudit", "probe", "--input", "probe.txt", "--concurrency",
                               str(options.concurrency), "--format", "json", "--output", "probe.json", "--no-proxy",
                               *lab.netaudit_base_args(options.timeout)]),
        "targets": options.targets,
        "mix": counts,
        "concurrency": options.concurrency,
        "timeout_s": options.timeout,
        "latency_ms": options.latency_ms,
        "seed": options.seed,
        "statuses": dict(statuses.most_common()),
        "expected_statuses": dict(expected),
        "matches_mix": statuses == expected and not wrong,
        "wrong": wrong[:20],
        "wrong_count": len(wrong),
        "exit_code": run.exit_code,
        "wall_s": round(run.wall_s, 3),
        "cpu_s": round(run.cpu_s, 2),
        "user_s": round(run.user_s, 2),
        "sys_s": round(run.sys_s, 2),
        "peak_rss_mb": round(run.maxrss_mb, 1),
        "calibration_ms": {name: round(cost * 1000, 1) for name, cost in costs.items()},
        "calibration_wall_s": round(calibration.wall_s, 3),
        "fixed_cost_s": round(fixed, 3),
        "work_s": round(sum(job_costs), 2),
        "lanes": lanes,
        "floor_s": round(floor, 3),
        "lpt_s": round(lpt_makespan(job_costs, lanes), 3),
        "fifo_s": round(list_schedule(job_costs, lanes), 3),
        "ratio": round(run.wall_s / floor, 3),
        "under_load": under_load(targets, results),
        "context": context,
        "version_s": {"median": round(_median(versions), 3), "max": round(max(versions), 3),
                      "runs": [round(v, 3) for v in versions]},
    }
    # Where the time above the floor went: the order of the work (what FIFO in input order costs over
    # the floor, with the calibrated costs), the fixed cost, and the rest (contention, dispatch, ...).
    figures["gap_s"] = {
        "total": round(run.wall_s - floor, 3),
        "order": round(figures["fifo_s"] - floor, 3),
        "fixed": round(fixed, 3),
        "rest": round(run.wall_s - figures["fifo_s"] - fixed, 3),
    }
    figures["targets_met"] = {
        "ratio": figures["ratio"] <= TARGET_RATIO,
        "memory": figures["peak_rss_mb"] < TARGET_RSS_MB,
        "version": figures["version_s"]["median"] < TARGET_VERSION_S,
    }
    return figures, bool(figures["matches_mix"])


# --- output --------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "ok" if met else "MISSED"


def report(figures: dict[str, Any]) -> str:
    """The human-readable block of figures."""
    mix, c = figures["mix"], figures["calibration_ms"]
    statuses = ", ".join(f"{name} {count}" for name, count in figures["statuses"].items())
    match = "matches the mix" if figures["matches_mix"] else "DOES NOT MATCH the mix"
    met, version = figures["targets_met"], figures["version_s"]
    load, ctx, gap = figures["under_load"], figures["context"], figures["gap_s"]
    healthy = load.get("healthy", {})
    lines = [
        f"targets           {figures['targets']} ({mix['healthy']} healthy, {mix['dropped']} dropped, "
        f"{mix['refused']} refused, {mix['nxdomain']} nxdomain), concurrency {figures['concurrency']}, "
        f"timeout {figures['timeout_s']:g}s, latency {figures['latency_ms']:g}ms",
        f"statuses          {statuses}   ({match})",
    ]
    if figures["exit_code"]:
        lines.append(f"  netaudit exited {figures['exit_code']}")
    if figures["wrong"]:
        lines += [f"  wrong           {line}" for line in figures["wrong"]]
        if figures["wrong_count"] > len(figures["wrong"]):
            lines.append(f"  ...             and {figures['wrong_count'] - len(figures['wrong'])} more")
    lines += [
        f"wall time         {figures['wall_s']:.2f} s   (of which ~{figures['fixed_cost_s']:.2f} s fixed: "
        f"start-up, trust stores, output)",
        f"ideal floor       {figures['floor_s']:.2f} s   (work {figures['work_s']:.0f} s / {figures['lanes']} lanes; "
        f"LPT {figures['lpt_s']:.2f} s, FIFO in input order {figures['fifo_s']:.2f} s)  -> ratio "
        f"{figures['ratio']:.2f} (target <= {TARGET_RATIO:g}: {_verdict(met['ratio'])})",
        f"gap to floor      {gap['total']:.2f} s = order of work {gap['order']:.2f} s (FIFO - floor) "
        f"+ fixed {gap['fixed']:.2f} s + rest {gap['rest']:.2f} s",
        f"calibration       healthy {c['healthy']:.1f} ms, refused {c['refused']:.1f} ms, "
        f"nxdomain {c['nxdomain']:.1f} ms, dropped {c['dropped']:.0f} ms (medians, concurrency 1)",
        f"under load        healthy median {healthy.get('median_ms', 0):.0f} ms, p95 {healthy.get('p95_ms', 0):.0f} ms "
        f"(dns {healthy.get('dns_median_ms', 0):.0f}, tcp {healthy.get('tcp_median_ms', 0):.0f}, "
        f"tls {healthy.get('tls_median_ms', 0):.0f}, http {healthy.get('http_median_ms', 0):.0f} ms medians); "
        f"dropped max {load.get('dropped', {}).get('max_ms', 0):.0f} ms",
        f"cpu time          {figures['cpu_s']:.2f} s (user {figures['user_s']:.2f}, sys {figures['sys_s']:.2f})",
        f"peak memory       {figures['peak_rss_mb']:.0f} MB (target < {TARGET_RSS_MB:g} MB: {_verdict(met['memory'])})",
        f"lab during run    origin {ctx.get('origin_cpu_s', 0):.2f} s cpu, "
        f"dnsmasq {ctx.get('dnsmasq_cpu_s', 0):.2f} s cpu; machine busy {ctx.get('machine_busy_cores', 0):.2f} "
        f"of {ctx.get('machine_cores', 0)} cores (other processes {ctx.get('other_cpu_s', 0):.2f} s cpu)",
        f"--version         {version['median']:.3f} s median, {version['max']:.3f} s max "
        f"(target < {TARGET_VERSION_S:g} s: {_verdict(met['version'])})",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.probe_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=1000, help="number of URLs (default 1000)")
    parser.add_argument("--concurrency", type=int, default=64, help="netaudit --concurrency (default 64)")
    parser.add_argument("--timeout", type=float, default=2.0, help="netaudit --timeout, seconds (default 2)")
    parser.add_argument("--latency-ms", type=float, default=50.0,
                        help="origin delay before the handshake and before the response (default 50)")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the shuffle (default fixed)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, too")
    parser.add_argument("--keep", metavar="DIR",
                        help="build the lab in DIR and keep it (input files, netaudit's JSON and stderr)")
    parser.add_argument("--wrap", default="", metavar="CMD",
                        help="run the main probe under CMD, e.g. 'py-spy record -o probe.svg --' "
                             "(then CPU and memory include CMD)")
    options = parser.parse_args(argv)
    if options.targets < 1 or options.concurrency < 1 or options.timeout <= 0 or options.latency_ms < 0:
        parser.error("--targets and --concurrency must be >= 1, --timeout > 0, --latency-ms >= 0")
    return options


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through the finally blocks: the lab is torn down


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark once and print its figures."""
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        figures, matches = benchmark(options)
    except (BenchError, LabError) as exc:
        sys.stderr.write(f"probe_bench: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("probe_bench: interrupted (the lab was torn down)\n")
        return 130
    print(json.dumps(figures, indent=2) if options.json else report(figures))
    if not matches:
        sys.stderr.write("probe_bench: the statuses do not match the mix\n")
        return 1
    if options.strict and not all(figures["targets_met"].values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

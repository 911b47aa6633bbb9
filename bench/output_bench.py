"""The cost of writing `netaudit probe --format json -o FILE`'s output: time and memory for N results.

    .venv/bin/python -m bench.output_bench [--n 10000] [--repeat 3] [--json]

A script, not a test; it sends nothing anywhere. It makes N synthetic `ProbeResult`s (the mix of
the peer benchmark: 70% reachable with DNS, TLS and HTTP evidence, 15% tcp_timeout, 10%
tcp_refused, 5% dns_nxdomain; each its own name and address), one at a time from a generator as
the probe engine yields them, and writes them the way `netaudit probe --format json -o FILE` does
(the CLI's streaming writer into an atomic file). Each measurement runs in a fresh interpreter so
that its peak RSS is its own:

* `streamed`: the CLI's path: one result's text at a time;
* `held` (for reference): every result kept, then the whole document rendered as one text, the
  way the other formats are written.

It prints, per way: the wall and CPU time of the writing alone (the results are made before
the clock starts, for `held`; for `streamed` their making is timed apart and left out), the time
per result, the process's peak RSS and the RSS before writing, and the size of the file. The file
is read back and checked: N results, the statuses of the mix.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MIX = (("reachable", 14), ("tcp_timeout", 3), ("tcp_refused", 2), ("dns_nxdomain", 1))


def synthetic_results(n: int) -> Iterator[Any]:
    """N ProbeResults of the peer benchmark's mix, made one at a time."""
    from netaudit.model import DnsEvidence, HttpEvidence, Layer, ProbeResult, Route, Status, TlsEvidence

    kinds = [status for status, count in MIX for _ in range(count)]
    for index in range(n):
        kind = kinds[index % len(kinds)]
        name = f"t{index + 1:05d}.bench.test"
        url = f"https://{name}/"
        address = f"198.19.{64 + index // 256 % 192}.{index % 256}"
        started = "2026-11-30T10:00:00+00:00"
        dns = DnsEvidence(name=name, resolver="198.19.0.1", answers=(address,), rcode="NOERROR")
        timings = {"dns": 0.4, "tcp": 0.3}
        common: dict[str, Any] = {"id": url, "url": url, "platform": None, "capability": None, "route": Route.DIRECT}
        if kind == "reachable":
            tls = TlsEvidence(
                issuer="CN=netaudit bench root CA",
                subject="CN=*.bench.test",
                not_after="2029-03-01T10:00:00+00:00",
                verified_trusted=True,
                verified_public=True,
                version="TLSv1.3",
                anchor="CN=netaudit bench root CA",
            )
            http = HttpEvidence(status=200, title="t", server="origin", bytes_read=131)
            timings.update({"tls": 2.1, "http": 51.0, "transfer": 0.1})
            yield ProbeResult(
                **common, status=Status.REACHABLE, layer=Layer.HTTP, detail="answered 200 't'",
                dns=dns, tls=tls, http=http, timings_ms=timings, elapsed_ms=54.0, started_at=started,
            )  # fmt: skip
        elif kind == "dns_nxdomain":
            nx = DnsEvidence(name=name, resolver="198.19.0.1", rcode="NXDOMAIN")
            yield ProbeResult(
                **common, status=Status.DNS_NXDOMAIN, layer=Layer.DNS,
                detail=f"the resolver says {name} does not exist (NXDOMAIN)", dns=nx,
                timings_ms={"dns": 0.5}, elapsed_ms=0.5, started_at=started,
            )  # fmt: skip
        else:
            timeout = kind == "tcp_timeout"
            what = "did not answer within 2 s (dropped)" if timeout else "refused the connection"
            detail = f"{address}:443 {what}"
            yield ProbeResult(
                **common, status=Status.TCP_TIMEOUT if timeout else Status.TCP_REFUSED, layer=Layer.TCP,
                detail=detail, dns=dns, timings_ms={"dns": 0.4, "tcp": 2000.0 if timeout else 0.2},
                elapsed_ms=2000.4 if timeout else 0.6, started_at=started,
            )  # fmt: skip


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(way: str, n: int, out: Path) -> dict[str, Any]:
    """One measurement in this process (run it in a fresh one: see main)."""
    from netaudit import __version__
    from netaudit.cli.common import _emit, _emit_stream
    from netaudit.model import ProbeRun
    from netaudit.render import PROBE
    from netaudit.render import json as json_render
    from netaudit.render.document import plain, probe_head

    environment = {"proxy": "none", "resolver": "198.19.0.1:53", "trust": "ca.pem (--ca-bundle)", "host": "bench"}
    generated_at = "2026-11-30T10:00:00+00:00"
    started = time.perf_counter()
    for _ in synthetic_results(n):  # the cost of making the results alone, to leave out of `streamed`
        pass
    making = time.perf_counter() - started
    rss_before = _rss_mb()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if way == "streamed":
        head = probe_head(generated_at, __version__, environment)
        results = synthetic_results(n)
        _emit_stream(lambda write: json_render.stream(head, "results", map(plain, results), write), out)
        wall, cpu = time.perf_counter() - wall0 - making, time.process_time() - cpu0 - making
    else:
        run = ProbeRun(generated_at, __version__, environment, tuple(synthetic_results(n)))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        _emit(PROBE.render("json", run), out)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"way": way, "n": n, "wall_s": wall, "cpu_s": cpu, "us_per_result": wall / n * 1e6,
            "rss_before_mb": rss_before, "peak_rss_mb": _rss_mb(), "bytes": out.stat().st_size}  # fmt: skip


def check(out: Path, n: int) -> None:
    """The file is the whole document: N results with the statuses of the mix."""
    results = json.loads(out.read_text(encoding="utf-8"))["results"]
    counts = Counter(r["status"] for r in results)
    total = sum(count for _, count in MIX)
    expected = Counter({status: n // total * count for status, count in MIX})
    for index in range(n - n % total, n):  # the last, partial block
        expected[[s for s, c in MIX for _ in range(c)][index % total]] += 1
    if len(results) != n or counts != expected:
        raise SystemExit(f"output_bench: {out} holds {len(results)} results {dict(counts)}, expected {dict(expected)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="results to write (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per way; the median is shown")
    parser.add_argument("--ways", default="streamed,held", help="streamed, held (comma-separated)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one measurement, in a fresh process
    options = parser.parse_args(argv)
    if options.one:
        way, out = options.one.split(":", 1)
        print(json.dumps(measure(way, options.n, Path(out))))
        return 0
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="netaudit-output-bench-") as folder:
        for way in options.ways.split(","):
            out = Path(folder) / f"{way}.json"
            runs = []
            for _ in range(options.repeat):
                argv_one = [sys.executable, "-m", "bench.output_bench", "--n", str(options.n), "--one", f"{way}:{out}"]
                done = subprocess.run(argv_one, capture_output=True, text=True, check=True)
                runs.append(json.loads(done.stdout))
                check(out, options.n)
            rows.append({key: way if key == "way" else statistics.median(r[key] for r in runs) for key in runs[0]})
    if options.json:
        print(json.dumps(rows, indent=2))
        return 0
    heads = f"{'N':>7} {'wall s':>8} {'CPU s':>7} {'us/result':>10} {'RSS before':>11} {'peak RSS':>9} {'file':>9}"
    print(f"{'way':10} {heads}")
    for r in rows:
        print(
            f"{r['way']:10} {r['n']:>7} {r['wall_s']:>8.3f} {r['cpu_s']:>7.3f} {r['us_per_result']:>10.1f} "
            f"{r['rss_before_mb']:>8.1f} MB {r['peak_rss_mb']:>6.1f} MB {r['bytes'] / 1e6:>6.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

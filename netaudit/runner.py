"""Run many probes in parallel, each within its own deadline, and yield results as they finish."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from netaudit.model import ProbeResult, Target
from netaudit.probe.engine import Prober

Job = tuple[Prober, Target]


def run_jobs(jobs: Sequence[Job], concurrency: int) -> Iterator[ProbeResult]:
    """Probe every (prober, target) pair, at most `concurrency` at once; yields in completion order.

    Work is handed out as threads free up (no pre-chunking), so silently dropped endpoints,
    which each cost a whole deadline, cost the run about ceil(dropped / concurrency) deadlines.
    """
    if not jobs:
        return
    workers = max(1, min(concurrency, len(jobs)))
    pending: set[Future[ProbeResult]] = set()
    queue = iter(jobs)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
        try:
            for prober, target in queue:
                pending.add(pool.submit(prober.probe, target))
                if len(pending) >= workers * 2:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                for prober, target in queue:
                    pending.add(pool.submit(prober.probe, target))
                    if len(pending) >= workers * 2:
                        break
        finally:
            for future in pending:
                future.cancel()


def run_probes(
    prober: Prober,
    targets: Sequence[Target],
    concurrency: int,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Probe `targets` with one prober; results come back in the order of `targets`."""
    order = {target.id: index for index, target in enumerate(targets)}
    results = []
    for result in run_jobs([(prober, target) for target in targets], concurrency):
        if on_result:
            on_result(result)
        results.append(result)
    return sorted(results, key=lambda result: order.get(result.id, len(order)))

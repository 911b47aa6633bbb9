"""Run many probes in parallel, each within its own deadline, and yield results as they finish."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from netaudit.model import ProbeResult, Target


class Probes(Protocol):
    """Anything that probes a target (the engine's Prober; a stand-in in tests)."""

    def probe(self, target: Target) -> ProbeResult: ...


@dataclass(frozen=True)
class Job:
    """One probe to make: `key` tells the caller which job a result answers."""

    key: Hashable
    prober: Probes
    target: Target


def run_jobs(jobs: Sequence[Job], concurrency: int) -> Iterator[tuple[Hashable, ProbeResult]]:
    """Probe every job, at most `concurrency` at once; yields (key, result) in completion order.

    Work is handed out as threads free up (no pre-chunking), so silently dropped endpoints,
    which each cost a whole deadline, cost the run about ceil(dropped / concurrency) deadlines.
    """
    if not jobs:
        return
    workers = max(1, min(concurrency, len(jobs)))
    queue = iter(jobs)
    pending: dict[Future[ProbeResult], Hashable] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:

        def top_up() -> None:
            for job in queue:
                pending[pool.submit(job.prober.probe, job.target)] = job.key
                if len(pending) >= workers * 2:
                    return

        try:
            top_up()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
                top_up()
        finally:
            for future in pending:
                future.cancel()


def run_probes(
    prober: Probes,
    targets: Sequence[Target],
    concurrency: int,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Probe `targets` with one prober; results come back in the order of `targets`."""
    results: list[ProbeResult | None] = [None] * len(targets)
    for key, result in run_jobs([Job(i, prober, t) for i, t in enumerate(targets)], concurrency):
        if on_result:
            on_result(result)
        assert isinstance(key, int)
        results[key] = result
    return [result for result in results if result is not None]

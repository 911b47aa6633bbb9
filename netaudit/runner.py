"""Run many probes in parallel, each within its own deadline, and yield results as they finish.

`concurrency` worker threads each take the next job when they are free. A job whose target is
likely to hang (its name resolves only to addresses already seen dropping connections) is taken
before the others: a dropped endpoint holds a worker for a whole deadline, and starting those
first, like a longest-job-first scheduler, keeps the end of a run from trailing. Names are
resolved ahead of their probes by a few helper threads, so the runner knows targets' addresses
before it starts them.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from netaudit.model import ProbeResult, Target

RESOLVERS = 4
"""Threads that resolve names ahead of the probes."""


class Probes(Protocol):
    """Anything that probes a target (the engine's Prober; a stand-in in tests)."""

    def probe(self, target: Target) -> ProbeResult: ...


@runtime_checkable
class Schedulable(Protocol):
    """A prober that can look ahead: resolve a target early and say whether it will likely hang."""

    def prepare(self, target: Target) -> None: ...

    def likely_slow(self, target: Target) -> bool: ...

    def hints_version(self) -> int: ...


@dataclass(frozen=True)
class Job:
    """One probe to make: `key` tells the caller which job a result answers."""

    key: Hashable
    prober: Probes
    target: Target


class _Schedule:
    """The jobs not yet started; likely-slow ones go first."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[Job] = deque(jobs)
        self._slow: deque[Job] = deque()
        self._seen = -1
        probers = {id(job.prober): job.prober for job in jobs}
        self._scheduling = [prober for prober in probers.values() if isinstance(prober, Schedulable)]
        self.stopped = threading.Event()

    def take(self) -> Job | None:
        with self._lock:
            if self.stopped.is_set():
                return None
            self._sort_out()
            if self._slow:
                return self._slow.popleft()
            return self._waiting.popleft() if self._waiting else None

    def rescan(self) -> None:
        with self._lock:
            self._seen = -1

    def _sort_out(self) -> None:
        # Re-sort only when the run has learnt something new: O(jobs) a few times per run.
        if not self._scheduling:
            return
        version = sum(prober.hints_version() for prober in self._scheduling)
        if version == self._seen:
            return
        self._seen = version
        keep: deque[Job] = deque()
        for job in self._waiting:
            prober = job.prober
            if isinstance(prober, Schedulable) and prober.likely_slow(job.target):
                self._slow.append(job)
            else:
                keep.append(job)
        self._waiting = keep


def run_jobs(jobs: Sequence[Job], concurrency: int) -> Iterator[tuple[Hashable, ProbeResult]]:
    """Probe every job, at most `concurrency` at once; yields (key, result) in completion order."""
    if not jobs:
        return
    schedule = _Schedule(jobs)
    results: queue.Queue[tuple[Hashable, ProbeResult] | BaseException] = queue.Queue()

    def work() -> None:
        while (job := schedule.take()) is not None:
            try:
                results.put((job.key, job.prober.probe(job.target)))
            except BaseException as exc:  # the engine does not raise; if it ever does, the caller sees it
                results.put(exc)
                return

    _start_resolvers(jobs, schedule)
    for index in range(max(1, min(concurrency, len(jobs)))):
        threading.Thread(target=work, name=f"probe-{index}", daemon=True).start()
    try:
        for _ in range(len(jobs)):
            item = results.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        schedule.stopped.set()  # workers finish the probe in hand (bounded by its deadline) and stop


def _start_resolvers(jobs: Sequence[Job], schedule: _Schedule) -> None:
    """Resolve targets' names in list order ahead of their probes, then let the schedule re-sort."""
    ahead = [job for job in jobs if isinstance(job.prober, Schedulable)]
    if not ahead:
        return
    cursor = iter(ahead)
    lock = threading.Lock()
    remaining = [min(RESOLVERS, len(ahead))]

    def resolve() -> None:
        while not schedule.stopped.is_set():
            with lock:
                job = next(cursor, None)
            if job is None:
                break
            prober = job.prober
            if isinstance(prober, Schedulable):
                prober.prepare(job.target)
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                schedule.rescan()

    for index in range(remaining[0]):
        threading.Thread(target=resolve, name=f"resolve-{index}", daemon=True).start()


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

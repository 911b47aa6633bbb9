"""Run many probes in parallel, each within its own deadline, and yield results as they finish.

`concurrency` worker threads each take the next job when they are free. A job whose target is
likely to hang (its name resolves only to addresses already seen dropping connections) is taken
before the others: a dropped endpoint holds a worker for a whole deadline, and starting those
first, like a longest-job-first scheduler, keeps the end of a run from trailing. Names are
resolved ahead of their probes by a few helper threads, so the runner knows targets' addresses
before it starts them.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import queue
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from netaudit.model import ProbeResult, Target

RESOLVERS = 2
"""Threads that resolve names ahead of the probes."""


class Probes(Protocol):
    """Anything that probes a target (the engine's Prober; a stand-in in tests)."""

    def probe(self, target: Target) -> ProbeResult: ...


@runtime_checkable
class Schedulable(Protocol):
    """A prober that can look ahead: resolve a target early and report addresses seen hanging."""

    def prepare(self, target: Target) -> Sequence[str]:
        """Look the target up ahead of its probe; the addresses its connection will try (none if unknown)."""
        ...

    def on_hanging(self, listener: Callable[[str], None]) -> None:
        """Call `listener(address)` once for each address seen hanging on connect this run (past and future)."""
        ...


@dataclass(frozen=True)
class Job:
    """One probe to make: `key` tells the caller which job a result answers."""

    key: Hashable
    prober: Probes
    target: Target


_WAITING, _QUEUED_SLOW, _STARTED = 0, 1, 2


class _Schedule:
    """The jobs not yet started; likely-slow ones go first.

    Event-driven, so each job costs O(1) however long the run: a job's addresses are indexed when
    its name is resolved ahead, and when an address is reported hanging only the waiting jobs
    behind it are looked at. A job moves to the front once every one of its addresses hangs.
    """

    def __init__(self, jobs: Sequence[Job]) -> None:
        self._lock = threading.Lock()
        self._jobs = jobs
        self._state = bytearray(len(jobs))  # _WAITING, _QUEUED_SLOW or _STARTED per job
        self._next = 0  # jobs before this index have left the waiting line
        self._slow: deque[int] = deque()
        self._addresses: dict[int, tuple[str, ...]] = {}
        self._behind: dict[tuple[int, str], list[int]] = {}  # (prober, address) -> waiting jobs
        self._hanging: set[tuple[int, str]] = set()
        self.stopped = threading.Event()

    def listen(self, probers: dict[int, Schedulable]) -> None:
        """Subscribe to the schedulable probers' hanging addresses."""
        for group, prober in probers.items():
            prober.on_hanging(functools.partial(self._hangs, group))

    def take(self) -> tuple[int, Job] | None:
        with self._lock:
            if self.stopped.is_set():
                return None
            while self._slow:
                index = self._slow.popleft()
                if self._state[index] == _QUEUED_SLOW:
                    self._state[index] = _STARTED
                    return index, self._jobs[index]
            while self._next < len(self._jobs):
                index = self._next
                self._next += 1
                if self._state[index] == _WAITING:
                    self._state[index] = _STARTED
                    return index, self._jobs[index]
            return None

    def resolved(self, index: int, addresses: Sequence[str]) -> None:
        """A job's name resolved ahead: index it by address, or queue it first if all of them hang."""
        if not addresses:
            return
        group = id(self._jobs[index].prober)
        with self._lock:
            if self._state[index] != _WAITING:
                return
            self._addresses[index] = tuple(addresses)
            for address in addresses:
                self._behind.setdefault((group, address), []).append(index)
            self._check(index, group)

    def _hangs(self, group: int, address: str) -> None:
        with self._lock:
            self._hanging.add((group, address))
            for index in self._behind.pop((group, address), ()):
                if self._state[index] == _WAITING:
                    self._check(index, group)

    def _check(self, index: int, group: int) -> None:
        if all((group, address) in self._hanging for address in self._addresses[index]):
            self._state[index] = _QUEUED_SLOW
            self._slow.append(index)


def run_jobs(jobs: Sequence[Job], concurrency: int) -> Iterator[tuple[Hashable, ProbeResult]]:
    """Probe every job, at most `concurrency` at once; yields (key, result) in completion order."""
    if not jobs:
        return
    schedule = _Schedule(jobs)
    probers = _schedulable(jobs)
    schedule.listen(probers)
    results: queue.SimpleQueue[tuple[Hashable, ProbeResult] | BaseException] = queue.SimpleQueue()

    def work() -> None:
        while (taken := schedule.take()) is not None:
            job = taken[1]
            try:
                results.put((job.key, job.prober.probe(job.target)))
            except BaseException as exc:  # the engine does not raise; if it ever does, the caller sees it
                results.put(exc)
                return

    _start_resolvers(jobs, probers, schedule)
    for index in range(max(1, min(concurrency, len(jobs)))):
        threading.Thread(target=work, name=f"probe-{index}", daemon=True).start()
    try:
        with _fewer_collections():
            for _ in range(len(jobs)):
                item = results.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
    finally:
        schedule.stopped.set()  # workers finish the probe in hand (bounded by its deadline) and stop


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run with the cyclic garbage collector less eager, and blind to what existed before the run.

    A probe's objects are freed by reference counting; the collector only finds the odd cycle
    (an exception and its traceback). With default settings it ran ~800 times at 10,000 probes,
    walking every module, catalog entry and thread each full pass: 7% of the CPU. Objects that
    exist when the run starts are frozen out of its passes, and passes are rarer; both restored
    after.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], 5000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _schedulable(jobs: Sequence[Job]) -> dict[int, Schedulable]:
    """The jobs' probers that can look ahead, by id (a Protocol isinstance check is slow: once each)."""
    distinct = {id(job.prober): job.prober for job in jobs}
    return {key: prober for key, prober in distinct.items() if isinstance(prober, Schedulable)}


def _start_resolvers(jobs: Sequence[Job], probers: dict[int, Schedulable], schedule: _Schedule) -> None:
    """Resolve targets' names in list order ahead of their probes, telling the schedule their addresses."""
    ahead = [index for index, job in enumerate(jobs) if id(job.prober) in probers]
    if not ahead:
        return
    cursor = iter(ahead)
    lock = threading.Lock()

    def resolve() -> None:
        while not schedule.stopped.is_set():
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            job = jobs[index]
            schedule.resolved(index, probers[id(job.prober)].prepare(job.target))

    for index in range(min(RESOLVERS, len(ahead))):
        threading.Thread(target=resolve, name=f"resolve-{index}", daemon=True).start()


def probe_in_order(
    prober: Probes,
    targets: Sequence[Target],
    concurrency: int,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> Iterator[ProbeResult]:
    """Probe `targets` with one prober; yields results in the order of `targets` as soon as each is
    due, holding only those that finished before an earlier target did (so output can stream)."""
    early: dict[int, ProbeResult] = {}
    due = 0
    for key, result in run_jobs([Job(i, prober, t) for i, t in enumerate(targets)], concurrency):
        if on_result:
            on_result(result)
        assert isinstance(key, int)
        early[key] = result
        while due in early:
            yield early.pop(due)
            due += 1


def run_probes(
    prober: Probes,
    targets: Sequence[Target],
    concurrency: int,
    on_result: Callable[[ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Probe `targets` with one prober; results come back in the order of `targets`."""
    return list(probe_in_order(prober, targets, concurrency, on_result))

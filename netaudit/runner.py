"""Run many probes in parallel, each within its own deadline, and yield results as they finish.

`concurrency` workers each take the next job when they are free. The workers are greenlets on one
thread, the probe hub (probe/hub.py): a probe's every wait for the network switches to another
probe, so a thousand probes in flight cost no more threads than one, and no time in handing the
interpreter lock between threads. A prober that is not written for the hub (its `cooperative` is
not True: a QUIC handshake run by asyncio, a stand-in in tests) has each probe run on a thread
of a pool while its worker waits.

Which job starts next is the schedule's choice (jobs.py: likely-slow ones first, up to their share
of the workers). Names are resolved ahead of their probes by a few helper workers, so the schedule
knows targets' addresses before it starts them.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from time import monotonic
from typing import TypeVar

from netaudit.jobs import Job, Probes, Schedulable, Schedule
from netaudit.model import ProbeResult, Target
from netaudit.probe.hub import Hub, Stopped, wait_for

T = TypeVar("T")

RESOLVERS = 16
"""Workers that resolve names ahead of the probes: enough that the look-ahead stays well ahead of the
probes (a lookup is a round trip, and the hub's thread is busy with the probes), few enough for any
resolver."""


def run_jobs(jobs: Sequence[Job], concurrency: int) -> Iterator[tuple[Hashable, ProbeResult]]:
    """Probe every job, at most `concurrency` at once; yields (key, result) in completion order.

    The hub runs on the calling thread, between the results it yields: the caller's work on a
    result (rendering, a progress bar) and the probes then never wait for each other's turn at
    the interpreter lock. Called from inside a running hub (a probe that runs probes), the hub of
    this run gets a thread of its own.
    """
    if not jobs:
        return
    workers = max(1, min(concurrency, len(jobs)))
    schedule = Schedule(jobs, workers)
    probers = _schedulable(jobs)
    schedule.listen(probers)
    hub = Hub()
    results: deque[tuple[Hashable, ProbeResult] | BaseException] = deque()  # appends are thread-safe
    pool = _spawn(hub, jobs, probers, schedule, workers, results.append)
    thread = None
    if Hub.running():
        thread = threading.Thread(target=_run_hub, args=(hub, results), name="probe-hub", daemon=True)
        thread.start()
    else:
        hub.start()
    try:
        with _fewer_collections():
            for _ in range(len(jobs)):
                item = _next_result(hub, results, thread)
                if isinstance(item, BaseException):
                    raise item
                yield item
    finally:
        # Done, or given up (an error, an interrupt): probes still in flight stop at their next wait.
        schedule.stopped.set()
        if thread is None:
            hub.close()
        else:
            hub.stop()
            thread.join(_STOP_WAIT)
        if pool:
            pool[0].shutdown(wait=False)


_STOP_WAIT = 5.0
"""Seconds to wait for a hub's own thread to end once stopped (at once, unless a probe is stuck in C)."""


def _next_result(
    hub: Hub, results: deque[tuple[Hashable, ProbeResult] | BaseException], thread: threading.Thread | None
) -> tuple[Hashable, ProbeResult] | BaseException:
    while not results:
        if thread is not None:
            thread.join(0.05)
            if not thread.is_alive() and not results:
                return RuntimeError("the probe hub ended before every probe was done")
        elif hub.alive():
            hub.step()
        else:
            return RuntimeError("the probe workers ended before every probe was done")
    return results.popleft()


def _run_hub(hub: Hub, results: deque[tuple[Hashable, ProbeResult] | BaseException]) -> None:
    try:
        hub.run()
    except BaseException as exc:  # a bug in the runner itself: the caller must not wait for ever
        results.append(exc)


def _spawn(
    hub: Hub,
    jobs: Sequence[Job],
    probers: dict[int, Schedulable],
    schedule: Schedule,
    workers: int,
    put: Callable[[tuple[Hashable, ProbeResult] | BaseException], None],
) -> list[ThreadPoolExecutor]:
    """`workers` greenlets taking jobs and the resolvers looking names up ahead; the thread pool they
    may start for probers that are not cooperative (a list: empty until then)."""
    pool: list[ThreadPoolExecutor] = []

    def call(prober: object, function: Callable[[Target], T], target: Target) -> T:
        """`function(target)` here if the prober is written for the hub, else on a pool thread."""
        if getattr(prober, "cooperative", False) is True:
            return function(target)
        if not pool:
            pool.append(ThreadPoolExecutor(max_workers=workers + RESOLVERS, thread_name_prefix="probe"))
        return wait_for(pool[0].submit(function, target))

    def work() -> None:
        while (taken := schedule.take()) is not None:
            index, job = taken
            started = monotonic()
            try:
                result = call(job.prober, job.prober.probe, job.target)
            except Stopped:
                raise
            except BaseException as exc:  # the engine does not raise; if it ever does, the caller sees it
                put(exc)
                return
            schedule.finished(index, monotonic() - started)
            put((job.key, result))

    ahead = [index for index, job in enumerate(jobs) if id(job.prober) in probers]
    cursor = iter(ahead)

    def resolve() -> None:
        for index in cursor:  # shared by the resolvers: each index is taken once
            if schedule.stopped.is_set():
                return
            job = jobs[index]
            prober = probers[id(job.prober)]
            schedule.resolved(index, call(prober, prober.prepare, job.target))

    for _ in range(min(RESOLVERS, len(ahead))):
        hub.spawn(resolve)
    for _ in range(workers):
        hub.spawn(work)
    return pool


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

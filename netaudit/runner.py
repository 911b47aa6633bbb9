"""Run many probes in parallel, each within its own deadline, and yield results as they finish.

`concurrency` workers each take the next job when they are free. The workers are greenlets on one
thread, the probe hub (probe/hub.py): a probe's every wait for the network switches to another
probe, so a thousand probes in flight cost no more threads than one, and no time in handing the
interpreter lock between threads. A prober that is not written for the hub (its `cooperative` is
not True: a QUIC handshake run by asyncio, a stand-in in tests) has each probe run on a thread
of a pool while its worker waits.

A job whose target is likely to hang (its name resolves only to addresses in networks already
seen dropping connections) is taken before the others: a dropped endpoint holds a worker for a
whole deadline, and starting those first, like a longest-job-first scheduler, keeps the end of a
run from trailing. The network is the address's /24 (IPv4) or /48 (IPv6): firewalls that keep a
platform out drop its address blocks (its announced prefixes, a CDN's ranges), not one address,
so an address's neighbours are likely dropped too. This only orders the work; every target is
still probed for itself. Names are resolved ahead of their probes by a few helper workers, so the runner knows
targets' addresses before it starts them.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import ipaddress
import math
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from time import monotonic
from typing import Protocol, runtime_checkable

from netaudit.model import ProbeResult, Target
from netaudit.probe.hub import Hub, Stopped

RESOLVERS = 16
"""Workers that resolve names ahead of the probes: enough that the look-ahead stays well ahead of the
probes (a lookup is a round trip, and the hub's thread is busy with the probes), few enough for any
resolver."""


class Probes(Protocol):
    """Anything that probes a target (the engine's Prober; a stand-in in tests).

    One with a class attribute `cooperative = True` promises that its probes wait only through
    hub.py, and runs on the hub's thread; any other runs each probe on a thread of its own.
    """

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


_WAITING, _QUEUED_SLOW, _STARTED, _STARTED_SLOW = 0, 1, 2, 3


class _Schedule:
    """The jobs not yet started; likely-slow ones go first, then one job of each network not yet tried.

    A job from each network seen for the first time goes ahead of the list (a scout): the run then
    learns early which networks drop connections, while most of their jobs still wait and can be
    moved to the front.

    Likely-slow jobs go first only up to their share of the workers: the share that makes them and
    the others end together (see _slow_share; the others' durations are measured as the run goes).
    Taking them all first would hold every worker on
    dropped connections for whole deadlines while the quick jobs wait, and then leave the quick
    ones to run all at once at the end, where their CPU is what limits.

    Event-driven, so each job costs O(1) however long the run: a job's networks (see network_of)
    are indexed when its name is resolved ahead, and when an address is reported hanging only the
    waiting jobs behind its network are looked at. A job moves to the front once every one of its
    networks has had an address hang.
    """

    def __init__(self, jobs: Sequence[Job], workers: int) -> None:
        self._lock = threading.Lock()
        self._jobs = jobs
        self._workers = workers
        self._state = bytearray(len(jobs))  # _WAITING, _QUEUED_SLOW, _STARTED or _STARTED_SLOW per job
        self._running_slow = 0
        self._slow_seconds = _Mean()  # durations of the jobs taken as likely slow
        self._other_seconds = _Mean()  # and of the others
        self._hang_seconds = 0.0  # how long a probe that hangs lasts (its deadline), when the probers say
        self._next = 0  # jobs before this index have left the waiting line
        self._slow: deque[int] = deque()
        self._networks: dict[int, tuple[str, ...]] = {}
        self._behind: dict[tuple[int, str], list[int]] = {}  # (prober, network) -> waiting jobs
        self._hanging: set[tuple[int, str]] = set()
        self._scouts: deque[int] = deque()
        self._seen: set[tuple[int, str]] = set()  # (prober, network) of every job resolved ahead
        self.stopped = threading.Event()

    def listen(self, probers: dict[int, Schedulable]) -> None:
        """Subscribe to the schedulable probers' hanging addresses."""
        for group, prober in probers.items():
            prober.on_hanging(functools.partial(self._hangs, group))
            hang_seconds = getattr(prober, "hang_seconds", None)  # optional: a stand-in may not say
            if callable(hang_seconds):
                self._hang_seconds = max(self._hang_seconds, float(hang_seconds()))

    def take(self) -> tuple[int, Job] | None:
        with self._lock:
            if self.stopped.is_set():
                return None
            if self._slow and self._running_slow < self._slow_share():
                return self._take_slow()
            while self._scouts:
                index = self._scouts.popleft()
                if self._state[index] == _WAITING:
                    self._state[index] = _STARTED
                    return index, self._jobs[index]
            while self._next < len(self._jobs):
                index = self._next
                self._next += 1
                if self._state[index] == _WAITING:
                    self._state[index] = _STARTED
                    return index, self._jobs[index]
            return self._take_slow() if self._slow else None

    def _take_slow(self) -> tuple[int, Job]:
        index = self._slow.popleft()
        self._state[index] = _STARTED_SLOW
        self._running_slow += 1
        return index, self._jobs[index]

    def _slow_share(self) -> float:
        """How many workers the likely-slow jobs may hold now, so that both kinds end together.

        With k of the C workers, the n slow jobs waiting (each lasting t, the deadline) have all
        started after n*t/k and end t later; the others' work left, o (their count times their
        measured mean), ends after o/(C-k). The k that makes the two equal solves
        t*k^2 - (t*C - n*t - o)*k - n*t*C = 0.
        """
        workers = self._workers
        each = self._hang_seconds or max(self._slow_seconds.value, self._other_seconds.value)
        if self._other_seconds.count == 0 or each <= 0:
            return workers  # nothing measured yet
        waiting = len(self._slow)
        other = max(0, len(self._jobs) - self._next - waiting) * self._other_seconds.value
        b = each * workers - waiting * each - other
        return (b + math.sqrt(b * b + 4 * each * waiting * each * workers)) / (2 * each)

    def finished(self, index: int, seconds: float) -> None:
        """A job's probe ended after `seconds`: its duration tells the share of the jobs like it."""
        with self._lock:
            group = id(self._jobs[index].prober)
            if self._state[index] == _STARTED_SLOW:
                self._running_slow -= 1
                self._slow_seconds.add(seconds)
            elif index in self._networks and self._all_hanging(index, group):
                self._slow_seconds.add(seconds)  # a slow one not known in time: not a measure of the others
            else:
                self._other_seconds.add(seconds)

    def resolved(self, index: int, addresses: Sequence[str]) -> None:
        """A job's name resolved ahead: index it by network, or queue it first if all of them hang."""
        if not addresses:
            return
        group = id(self._jobs[index].prober)
        with self._lock:
            networks = self._networks[index] = tuple({network_of(address) for address in addresses})
            novel = False
            for network in networks:
                if (group, network) not in self._seen:
                    self._seen.add((group, network))
                    novel = True
            if self._state[index] != _WAITING:
                return  # started before its name was looked up ahead: known only to measure it
            for network in networks:
                self._behind.setdefault((group, network), []).append(index)
            if not self._check(index, group) and novel:
                self._scouts.append(index)

    def _hangs(self, group: int, address: str) -> None:
        with self._lock:
            key = (group, network_of(address))
            self._hanging.add(key)
            for index in self._behind.pop(key, ()):
                if self._state[index] == _WAITING:
                    self._check(index, group)

    def _all_hanging(self, index: int, group: int) -> bool:
        return all((group, network) in self._hanging for network in self._networks[index])

    def _check(self, index: int, group: int) -> bool:
        """Queue the job first if every one of its networks has hung; True if so."""
        if self._all_hanging(index, group):
            self._state[index] = _QUEUED_SLOW
            self._slow.append(index)
            return True
        return False


class _Mean:
    """A mean of the recent samples: a plain mean for the first `window`, then moving (each new sample
    weighs 1/window), so that the start of a run, when every probe competes for the CPU at once,
    does not weigh on the estimates for ever."""

    def __init__(self, window: int = 64) -> None:
        self.window = window
        self.count = 0
        self.value = 0.0

    def add(self, sample: float) -> None:
        self.count += 1
        self.value += (sample - self.value) / min(self.count, self.window)


def network_of(address: str) -> str:
    """The block an address is dropped with, as firewalls drop them: its /24 (IPv4) or /48 (IPv6)."""
    if ":" not in address:
        head, dot, _ = address.rpartition(".")
        return head if dot else address
    try:
        return str(ipaddress.IPv6Network(f"{address}/48", strict=False))
    except ValueError:
        return address


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
    schedule = _Schedule(jobs, workers)
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
    schedule: _Schedule,
    workers: int,
    put: Callable[[tuple[Hashable, ProbeResult] | BaseException], None],
) -> list[ThreadPoolExecutor]:
    """`workers` greenlets taking jobs and the resolvers looking names up ahead; the thread pool they
    may start for probers that are not cooperative (a list: empty until then)."""
    pool: list[ThreadPoolExecutor] = []

    def on_a_thread(task: Callable[[], None]) -> None:
        if not pool:
            pool.append(ThreadPoolExecutor(max_workers=workers + RESOLVERS, thread_name_prefix="probe"))
        pool[0].submit(task)

    def work() -> None:
        while (taken := schedule.take()) is not None:
            index, job = taken
            started = monotonic()
            try:
                if getattr(job.prober, "cooperative", False) is True:
                    result = job.prober.probe(job.target)
                else:
                    result = hub.call_in_thread(functools.partial(job.prober.probe, job.target), on_a_thread)
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
            if getattr(prober, "cooperative", False) is True:
                addresses = prober.prepare(job.target)
            else:
                addresses = hub.call_in_thread(functools.partial(prober.prepare, job.target), on_a_thread)
            schedule.resolved(index, addresses)

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

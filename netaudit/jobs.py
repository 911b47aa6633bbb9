"""Probe jobs, and the order they start in: likely-slow ones first, up to their share of the workers.

A job whose target is likely to hang (its name resolves only to addresses in networks already
seen dropping connections) is taken before the others: a dropped endpoint holds a worker for a
whole deadline, and starting those first, like a longest-job-first scheduler, keeps the end of a
run from trailing. The network is the address's /24 (IPv4) or /48 (IPv6): firewalls that keep a
platform out drop its address blocks (its announced prefixes, a CDN's ranges), not one address,
so an address's neighbours are likely dropped too. This only orders the work; every target is
still probed for itself. The runner (runner.py) resolves names ahead of their probes, so the
schedule knows targets' addresses before it starts them.
"""

from __future__ import annotations

import functools
import heapq
import ipaddress
import math
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from netaudit.model import ProbeResult, Target


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


class Schedule:
    """The jobs not yet started; likely-slow ones go first, then one job of each network not yet tried.

    The first-listed job of each network not yet tried goes ahead of the list (a scout; scouts in
    list order, however their lookups finish): the run then learns early which networks drop
    connections, while most of their jobs still wait and can be moved to the front.

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
        self._slow: list[int] = []  # a heap: likely-slow jobs go in list order, however they were found
        self._networks: dict[int, tuple[str, ...]] = {}
        self._behind: dict[tuple[int, str], list[int]] = {}  # (prober, network) -> waiting jobs
        self._hanging: set[tuple[int, str]] = set()
        self._scouts: list[int] = []  # a heap: scouts go in list order, however their lookups finish
        self._scout_of: dict[tuple[int, str], int] = {}  # (prober, network) -> the job that tries it first
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
                index = heapq.heappop(self._scouts)
                if self._state[index] == _WAITING and self._is_scout(index):
                    self._state[index] = _STARTED
                    return index, self._jobs[index]
            while self._next < len(self._jobs):
                index = self._next
                self._next += 1
                if self._state[index] == _WAITING:
                    self._state[index] = _STARTED
                    return index, self._jobs[index]
            return self._take_slow() if self._slow else None

    def _is_scout(self, index: int) -> bool:
        group = id(self._jobs[index].prober)
        return any(self._scout_of.get((group, network)) == index for network in self._networks[index])

    def _take_slow(self) -> tuple[int, Job]:
        index = heapq.heappop(self._slow)
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
            waiting = self._state[index] == _WAITING
            novel = False
            for network in networks:
                scout = self._scout_of.get((group, network))
                if scout is None or (self._state[scout] == _WAITING and (index < scout or not waiting)):
                    # the network's first job in the list, or one already being probed, is its scout
                    self._scout_of[(group, network)] = index
                    novel = True
            if not waiting:
                return  # started before its name was looked up ahead: known only to measure it
            for network in networks:
                self._behind.setdefault((group, network), []).append(index)
            if not self._check(index, group) and novel:
                heapq.heappush(self._scouts, index)

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
            heapq.heappush(self._slow, index)
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

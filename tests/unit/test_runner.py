"""The runner: every job runs, at most `concurrency` at once, results in input order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from netaudit.jobs import network_of
from netaudit.model import Layer, ProbeResult, Route, Status, Target
from netaudit.runner import run_probes


class CountingProber:
    """Stands in for a Prober: sleeps a little and records how many probes overlap."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.calls: list[str] = []

    def probe(self, target: Target) -> ProbeResult:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.calls.append(target.id)
        time.sleep(0.01 if int(target.id) % 3 else 0.03)
        with self.lock:
            self.running -= 1
        return ProbeResult(
            id=target.id,
            url=target.url,
            platform=None,
            capability=None,
            status=Status.REACHABLE,
            layer=Layer.HTTP,
            detail="ok",
            route=Route.DIRECT,
        )


def test_runs_each_target_once_within_the_concurrency_limit() -> None:
    prober = CountingProber()
    targets = [Target(id=str(n), url=f"https://t{n}.test/") for n in range(50)]
    seen: list[str] = []
    results = run_probes(prober, targets, concurrency=8, on_result=lambda result: seen.append(result.id))
    assert [result.id for result in results] == [target.id for target in targets]
    assert sorted(prober.calls) == sorted(target.id for target in targets)
    assert sorted(seen) == sorted(target.id for target in targets)
    assert prober.peak == 8


def test_no_targets() -> None:
    assert run_probes(CountingProber(), [], concurrency=4) == []


class LookaheadProber(CountingProber):
    """A stand-in that can look ahead: target n resolves to address `a<n>`; `slow` ones hang.

    The first probe reports the slow addresses as hanging, as the engine does after HANG_AFTER.
    """

    def __init__(self, slow: set[str]) -> None:
        super().__init__()
        self.slow = slow
        self.prepared: list[str] = []
        self.listeners: list[Callable[[str], None]] = []
        self.resolved_all = threading.Event()

    def prepare(self, target: Target) -> tuple[str, ...]:
        with self.lock:
            self.prepared.append(target.id)
            if len(self.prepared) == 30:
                self.resolved_all.set()
        return (f"a{target.id}",)

    def on_hanging(self, listener: Callable[[str], None]) -> None:
        self.listeners.append(listener)

    def probe(self, target: Target) -> ProbeResult:
        if target.id == "0":
            self.resolved_all.wait(5)
            for name in sorted(self.slow, key=int):
                for listener in self.listeners:
                    listener(f"a{name}")
        return super().probe(target)


def test_likely_slow_targets_start_first_and_names_are_resolved_ahead() -> None:
    prober = LookaheadProber(slow={"7", "13", "21"})
    targets = [Target(id=str(n), url=f"https://t{n}.test/") for n in range(30)]
    results = run_probes(prober, targets, concurrency=1)
    assert prober.calls[:4] == ["0", "7", "13", "21"]
    assert prober.calls[4:] == [t.id for t in targets[1:] if t.id not in prober.slow]
    assert [r.id for r in results] == [t.id for t in targets]
    assert sorted(prober.prepared, key=int) == [t.id for t in targets]


def test_a_target_resolved_after_its_address_hangs_still_goes_first() -> None:
    prober = LookaheadProber(slow=set())
    targets = [Target(id=str(n), url=f"https://t{n}.test/") for n in range(30)]

    def hang_early(listener: Callable[[str], None]) -> None:
        listener("a25")  # already known hanging when the runner subscribes

    prober.on_hanging = hang_early  # type: ignore[method-assign]
    run_probes(prober, targets, concurrency=1)
    assert prober.calls.index("25") <= 1  # first, or right after the probe that was already running


class NeighbourProber(LookaheadProber):
    """Targets resolve to real addresses; the first probe reports one address of 192.0.2.0/24 hanging."""

    def prepare(self, target: Target) -> tuple[str, ...]:
        super().prepare(target)
        n = int(target.id)
        return (f"192.0.2.{n}",) if n in (9, 17) else (f"198.51.{n}.1",) if n != 23 else ("2001:db8:1::5",)

    def probe(self, target: Target) -> ProbeResult:
        if target.id == "0":
            self.resolved_all.wait(5)
            for listener in self.listeners:
                listener("192.0.2.200")  # a neighbour of 9's and 17's addresses, not theirs
                listener("2001:db8:1:ffff::1")  # in 23's /48
        return CountingProber.probe(self, target)


def test_targets_in_a_network_seen_dropping_start_first() -> None:
    prober = NeighbourProber(slow=set())
    targets = [Target(id=str(n), url=f"https://t{n}.test/") for n in range(30)]
    run_probes(prober, targets, concurrency=1)
    assert prober.calls[:4] == ["0", "9", "17", "23"]
    assert prober.calls[4:] == [t.id for t in targets[1:] if t.id not in ("9", "17", "23")]


def test_network_of_is_the_slash_24_or_slash_48() -> None:
    assert network_of("192.0.2.7") == network_of("192.0.2.250") != network_of("192.0.3.7")
    assert network_of("2001:db8:1::5") == network_of("2001:db8:1:ffff::1") != network_of("2001:db8:2::5")
    assert network_of("a7") == "a7"  # not an address: only itself


class ThreeNetworksProber(LookaheadProber):
    """Targets 0-9 resolve into 192.0.2.0/24, 10-19 into 198.51.100.0/24, 20-29 into 203.0.113.0/24."""

    def prepare(self, target: Target) -> tuple[str, ...]:
        super().prepare(target)
        n = int(target.id)
        return (f"{('192.0.2', '198.51.100', '203.0.113')[n // 10]}.{n}",)


def test_one_target_of_each_new_network_goes_ahead_of_the_list() -> None:
    prober = ThreeNetworksProber(slow=set())
    targets = [Target(id=str(n), url=f"https://t{n}.test/") for n in range(30)]
    run_probes(prober, targets, concurrency=1)
    assert prober.calls[0] == "0"
    scouts = prober.calls[:4]
    assert "10" in scouts and "20" in scouts  # each network's first target, before the list goes on
    rest = [call for call in prober.calls if call not in scouts]
    assert rest == sorted(rest, key=int)
    assert sorted(prober.calls, key=int) == [t.id for t in targets]

"""What one run learns while it probes, shared by every prober of the run.

Two things: the DNS answers of names resolved ahead of their probes (a name is asked once per
run, however many identities probe it), and the addresses whose TCP connections hang. A target
whose every address hangs will most likely cost a whole deadline, so the runner starts such
targets first: long jobs first is how a good scheduler keeps the end of a run from trailing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from netaudit.model import DnsEvidence
from netaudit.probe.deadline import LayerFailure


@dataclass(frozen=True)
class Resolved:
    """One name's DNS outcome: its evidence and usable addresses, or the failure, and how long it took."""

    evidence: DnsEvidence | None
    addresses: tuple[str, ...]
    failure: LayerFailure | None
    elapsed_ms: float
    private: str = ""
    """Why every usable address is private-use space ("" when one is not): see dns.Answer."""


class RunHints:
    """Thread-safe: DNS outcomes by name, and the addresses seen hanging on connect (with listeners)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, Resolved] = {}
        self._hanging: list[str] = []
        self._hanging_set: set[str] = set()
        self._listeners: list[Callable[[str], None]] = []

    def resolved(self, name: str) -> Resolved | None:
        with self._lock:
            return self._names.get(name)

    def remember(self, name: str, outcome: Resolved) -> Resolved:
        """Keep the first outcome for a name; returns the one kept."""
        if outcome.failure is not None:
            # Kept for the whole run: only its status, layer, detail and evidence are read again,
            # so let go of the traceback (and the frames it holds) and the exception it wraps.
            outcome.failure.__traceback__ = None
            outcome.failure.__cause__ = outcome.failure.__context__ = None
        with self._lock:
            return self._names.setdefault(name, outcome)

    def hanging(self, address: str) -> None:
        """An address's connection is hanging: tell the listeners (once per address)."""
        with self._lock:
            if address in self._hanging_set:
                return
            self._hanging_set.add(address)
            self._hanging.append(address)
            listeners = list(self._listeners)
        for listener in listeners:  # outside the lock: a listener may take locks of its own
            listener(address)

    def on_hanging(self, listener: Callable[[str], None]) -> None:
        """Call `listener(address)` for each address already seen hanging, and for each one to come."""
        with self._lock:
            self._listeners.append(listener)
            known = list(self._hanging)
        for address in known:
            listener(address)

"""What one run learns while it probes, shared by every prober of the run.

Two things: the DNS answers of names resolved ahead of their probes (a name is asked once per
run, however many identities probe it), and the addresses whose TCP connections hang. A target
whose every address hangs will most likely cost a whole deadline, so the runner starts such
targets first: long jobs first is how a good scheduler keeps the end of a run from trailing.
"""

from __future__ import annotations

import threading
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
    """Thread-safe: DNS outcomes by name, and the addresses seen hanging on connect."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, Resolved] = {}
        self._hanging: set[str] = set()
        self.version = 0

    def resolved(self, name: str) -> Resolved | None:
        with self._lock:
            return self._names.get(name)

    def remember(self, name: str, outcome: Resolved) -> Resolved:
        """Keep the first outcome for a name; returns the one kept."""
        with self._lock:
            return self._names.setdefault(name, outcome)

    def hanging(self, address: str) -> None:
        with self._lock:
            if address not in self._hanging:
                self._hanging.add(address)
                self.version += 1

    def likely_slow(self, name: str) -> bool:
        """True when the name resolved and every address it resolved to hangs on connect."""
        with self._lock:
            outcome = self._names.get(name)
            return bool(outcome and outcome.addresses and all(a in self._hanging for a in outcome.addresses))

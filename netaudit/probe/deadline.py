"""The probe's overall deadline and the failure a layer raises to name a status."""

from __future__ import annotations

import time

from netaudit.model import DnsEvidence, HttpEvidence, Layer, Status


class LayerFailure(Exception):
    """A layer stopped the probe: the status it names, where, why (never empty), and the answer if any."""

    def __init__(self, status: Status, layer: Layer, detail: str, answer: HttpEvidence | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.layer = layer
        self.detail = detail or status.value
        self.answer = answer
        self.dns: DnsEvidence | None = None


class DeadlineExceeded(Exception):
    """The probe's overall deadline passed."""


class Deadline:
    """A point in monotonic time that every blocking call of one probe must respect."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; raises DeadlineExceeded when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded(f"the probe's deadline of {self.seconds:g}s passed")
        return left

    def expired(self) -> bool:
        return time.monotonic() >= self.end


class Stopwatch:
    """Per-layer timings in milliseconds, added up across redirects."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.ahead_ms = 0.0
        self._start = time.monotonic()

    def add(self, layer: str, milliseconds: float) -> None:
        self.timings[layer] = round(self.timings.get(layer, 0.0) + milliseconds, 1)

    def lap(self, layer: str, since: float) -> None:
        self.timings[layer] = round(self.timings.get(layer, 0.0) + (time.monotonic() - since) * 1000, 1)

    def elapsed_ms(self) -> float:
        """Wall time since the probe started, plus work done for it ahead of time (a DNS lookup)."""
        return round((time.monotonic() - self._start) * 1000 + self.ahead_ms, 1)

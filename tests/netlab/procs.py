"""Child processes the lab owns: start them with their output in a log file, wait, stop them.

A Service holds the Popen object of the process it started (a guard.py wrapping the service) and
only ever signals that pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LabError

GUARD = Path(__file__).with_name("guard.py")


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file ('' when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Service:
    """One long-running process the lab started, with the logs that explain it."""

    name: str
    argv: list[str]
    log: Path
    extra_logs: list[Path] = field(default_factory=list)
    stop_signal: int = signal.SIGTERM
    proc: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        """Start the process under guard.py, in its own session (a Ctrl-C meant for us does not reach it).

        The guard stops the service when the thread that started it dies (prctl PR_SET_PDEATHSIG),
        so a killed test run does not leave servers behind: start services from a long-lived thread.
        """
        guarded = [sys.executable, str(GUARD), str(os.getpid()), str(int(self.stop_signal)), "--", *self.argv]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                guarded,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        """The pid of the process we started, if any."""
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        """True while the process we started is alive."""
        return self.proc is not None and self.proc.poll() is None

    def logs(self, lines: int = 30) -> str:
        """The tails of the service's logs, for error messages."""
        parts = []
        for path in (self.log, *self.extra_logs):
            text = tail(path, lines)
            if text:
                parts.append(f"--- {path.name} ---\n{text}")
        return "\n".join(parts) or "(no log output)"

    def wait_ready(self, check: Callable[[], bool], timeout: float, what: str = "") -> None:
        """Poll `check` until it is true; raise LabError with the log tail on timeout or early exit."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running():
                code = self.proc.returncode if self.proc else None
                raise LabError(f"{self.name} exited early (code {code}) {what}\n{self.logs()}")
            if check():
                return
            if time.monotonic() > deadline:
                raise LabError(f"{self.name} not ready after {timeout:.0f}s {what}\n{self.logs()}")
            time.sleep(0.05)

    def signal(self, signum: int) -> None:
        """Send a signal to the process we started (its guard passes SIGHUP on to the service)."""
        if self.running() and self.proc is not None:
            self.proc.send_signal(signum)

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM the guard (which sends stop_signal to the service, then SIGKILL after 3 s);
        SIGKILL the guard itself after `grace` seconds. Always reaps it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5.0)


def start_service(
    name: str,
    argv: Sequence[str],
    log: Path,
    *,
    extra_logs: Sequence[Path] = (),
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stop_signal: int = signal.SIGTERM,
) -> Service:
    """Start a Service and return it (the caller registers its stop for cleanup)."""
    service = Service(name=name, argv=list(argv), log=log, extra_logs=list(extra_logs), stop_signal=stop_signal)
    try:
        service.start(env=env, cwd=cwd)
    except OSError as exc:
        raise LabError(f"cannot start {name} ({argv[0]}): {exc}") from exc
    return service


def kill_leftovers(pids: Sequence[int], grace: float = 3.0) -> list[int]:
    """SIGTERM then SIGKILL the given pids (descendants of our services left in our own namespace).

    Returns the pids that were still alive and had to be signalled.
    """
    alive = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            alive.append(pid)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _exists(pid)]
        time.sleep(0.05)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still "exists"; treat a reaped/zombie child of someone else as gone after SIGKILL.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return False

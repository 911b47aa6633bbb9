"""Many probes on one thread: each probe runs in a greenlet, and every wait for the network switches.

The probe code is written as plain blocking code, but every wait it makes goes through
`wait_ready` (a socket readable or writable, within a timeout) or a `Flag`. Called on an
ordinary thread, those wait with `poll` as any blocking code would. Called in a greenlet run by a
`Hub`, they register the socket with the hub's epoll (another selector where there is no epoll)
and switch to the hub, which resumes the greenlet when the socket is ready or its timeout passes.

Why: a thread per probe made 256 probes at once cost more CPU in handing the interpreter lock
from thread to thread (each hand-over a context switch) than in the probes' own work. On one
thread there is no lock to hand over, and a wait costs two epoll calls and two greenlet switches.

Rules for code run in a hub (probe/engine.py and the layers under it):
- wait for sockets only with `wait_ready`, and for another probe only with a `Flag`;
- never hold a `threading.Lock` across a wait: the greenlet that wants it next runs on the same
  thread, so it would wait for ever;
- anything that blocks otherwise (a PAC child's answer, `getaddrinfo` for a proxy's name) would
  stall every probe of the hub while it lasts: run it on a thread and wait with `wait_for`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import select
import selectors
import socket
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from time import monotonic
from typing import Any, Protocol, TypeVar

import greenlet

_POLL_READ = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP
_POLL_WRITE = select.POLLOUT | select.POLLERR | select.POLLHUP

_local = threading.local()
T = TypeVar("T")

Stopped = greenlet.GreenletExit
"""Raised at a greenlet's wait when its hub is stopped (`Hub.stop`): let it pass, cleaning up on the way."""


class HasFileno(Protocol):
    def fileno(self) -> int: ...


def current() -> Hub | None:
    """The hub running the calling greenlet, or None on an ordinary thread (or in the hub's own loop)."""
    hub: Hub | None = getattr(_local, "hub", None)
    if hub is None or greenlet.getcurrent() is hub.loop:
        return None
    return hub


def wait_ready(sock: HasFileno, timeout: float, *, writing: bool = False) -> bool:
    """Wait until `sock` is readable (or writable) for at most `timeout` seconds; False if the time ran out.

    Error and hang-up conditions count as ready: the next call on the socket reports them.
    """
    hub = current()
    if hub is not None:
        return hub.wait_fd(sock.fileno(), writing, timeout)
    if not hasattr(select, "poll"):  # Windows: select() is all there is
        watched = [sock]
        wanted = ([], watched) if writing else (watched, [])
        readable, writable, broken = select.select(*wanted, watched, max(0.0, timeout))
        return bool(readable or writable or broken)
    poller = select.poll()  # not select() where poll exists: it cannot watch descriptors above 1023
    poller.register(sock, _POLL_WRITE if writing else _POLL_READ)
    return bool(poller.poll(max(0.0, timeout) * 1000))


def wait_for(future: Future[T]) -> T:
    """The result of `future`, worked out elsewhere (a thread pool): a hub's greenlet parks until it is
    done, so blocking work (a PAC file's answer, the system resolver) never stalls the other probes;
    an ordinary thread blocks."""
    hub = current()
    if hub is not None:
        wait = _Wait(greenlet.getcurrent())
        future.add_done_callback(lambda _: hub.wake(wait, True))
        hub.park(wait, None)
    return future.result()


class _Poller:
    """The hub's readiness source: epoll where there is one (Linux), else the platform's best selector."""

    def __init__(self) -> None:
        self._epoll = select.epoll() if hasattr(select, "epoll") else None
        self._selector = selectors.DefaultSelector() if self._epoll is None else None

    def register(self, fd: int, writing: bool) -> None:
        if self._epoll is not None:
            self._epoll.register(fd, select.EPOLLOUT if writing else select.EPOLLIN | select.EPOLLPRI)
        else:
            assert self._selector is not None
            self._selector.register(fd, selectors.EVENT_WRITE if writing else selectors.EVENT_READ)

    def unregister(self, fd: int) -> None:
        if self._epoll is not None:
            self._epoll.unregister(fd)
        else:
            assert self._selector is not None
            self._selector.unregister(fd)

    def poll(self, timeout: float | None) -> list[int]:
        """The descriptors that are ready, waiting at most `timeout` seconds (None: until one is)."""
        if self._epoll is not None:
            return [fd for fd, _ in self._epoll.poll(-1 if timeout is None else timeout)]
        assert self._selector is not None
        return [key.fd for key, _ in self._selector.select(timeout)]

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
        elif self._selector is not None:
            self._selector.close()


class _Wait:
    """One parked greenlet: on a descriptor, a flag, or a finished thread; `done` once it is resumed."""

    __slots__ = ("done", "fd", "glet")

    def __init__(self, glet: greenlet.greenlet, fd: int = -1) -> None:
        self.glet = glet
        self.fd = fd
        self.done = False


class Flag:
    """Set once; a waiter is a thread (it blocks) or a hub's greenlet (it switches) and is woken on `set`."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._parked: list[tuple[Hub, _Wait]] = []

    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        with self._lock:
            self._event.set()
            parked, self._parked = self._parked, []
        for hub, wait in parked:
            hub.wake(wait, True)

    def wait(self, timeout: float) -> bool:
        """True once the flag is set; False if `timeout` seconds pass first."""
        hub = current()
        if hub is None:
            return self._event.wait(max(0.0, timeout))
        with self._lock:
            if self._event.is_set():
                return True
            wait = _Wait(greenlet.getcurrent())
            self._parked.append((hub, wait))
        return hub.park(wait, timeout)


class Hub:
    """An event loop for greenlets on the thread that calls `run`.

    `spawn` starts greenlets; `run` switches between them until every one has returned. Waits are
    resumed in batches: every descriptor epoll reports is unregistered before any greenlet resumes,
    so a descriptor number closed and reused by a resumed greenlet never receives a stale event.
    """

    def __init__(self) -> None:
        self.loop: greenlet.greenlet | None = None
        self._poller = _Poller()
        self._fds: dict[int, _Wait] = {}
        self._timers: list[tuple[float, int, _Wait]] = []
        self._ready: deque[tuple[greenlet.greenlet, tuple[Any, ...]]] = deque()
        self._inbox: deque[tuple[_Wait, Any]] = deque()  # wakes from other threads
        self._order = itertools.count()
        self._live = 0
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._poller.register(self._wake_r.fileno(), writing=False)
        self._owner: int | None = None
        self._greenlets: set[greenlet.greenlet] = set()
        self._stopping = False

    def spawn(self, function: Callable[..., Any], *args: Any) -> None:
        """Start `function(*args)` in a greenlet of this hub (before `run`, or from one of its greenlets)."""

        def body() -> None:
            try:
                function(*args)
            finally:
                self._live -= 1
                self._greenlets.discard(glet)

        glet = greenlet.greenlet(body)
        self._live += 1
        self._greenlets.add(glet)
        self._ready.append((glet, ()))

    def stop(self) -> None:
        """End the run from any thread: every greenlet gets `Stopped` at its wait, and `run` returns.

        A greenlet left parked when its thread ends crashes the interpreter at exit; a stopped hub
        leaves none.
        """
        self._stopping = True
        if threading.get_ident() != self._owner:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"\0")

    def run(self) -> None:
        """Switch between the greenlets until all have returned. An exception in one ends the run and is raised."""
        self.start()
        try:
            while self.alive():
                self.step()
        finally:
            self.close()

    def start(self) -> None:
        """Make the calling greenlet this hub's loop (then `step` it, and `close` it at the end)."""
        if getattr(_local, "hub", None) is not None:
            raise RuntimeError("a hub is already running on this thread")
        self.loop = greenlet.getcurrent()
        self._owner = threading.get_ident()
        _local.hub = self

    def alive(self) -> bool:
        """True while a greenlet has work left and the hub is not stopped."""
        return self._live > 0 and not self._stopping

    def step(self) -> None:
        """Run the greenlets that are ready, then wait for the next events (at most until the next timer)."""
        self._run_ready()
        if self.alive():
            self._poll()

    def close(self) -> None:
        """Stop the greenlets still alive (see stop) and let go of the hub's descriptors."""
        try:
            if self._live:
                self._unwind()
        finally:
            _local.hub = None
            self._poller.close()
            self._wake_r.close()
            self._wake_w.close()

    @staticmethod
    def running() -> bool:
        """True when a hub is running on the calling thread (a loop may not start another)."""
        return getattr(_local, "hub", None) is not None

    def _unwind(self) -> None:
        """Raise `Stopped` in every greenlet still alive (a parked one cleans up as it unwinds)."""
        self._ready.clear()
        while self._greenlets:
            glet = self._greenlets.pop()
            if glet:  # started and not finished: parked at a wait
                glet.throw(Stopped)
        self._live = 0

    def _run_ready(self) -> None:
        ready = self._ready
        while ready:
            glet, args = ready.popleft()
            if not glet:  # not started yet: it returns to the loop when it ends, whoever spawned it
                glet.parent = self.loop
            glet.switch(*args)

    def _poll(self) -> None:
        timeout: float | None = None
        timers = self._timers
        while timers and timers[0][2].done:
            heapq.heappop(timers)
        if timers:
            timeout = max(0.0, timers[0][0] - monotonic())
        try:
            ready = self._poller.poll(timeout)
        except InterruptedError:
            ready = []
        resumed: list[_Wait] = []
        for fd in ready:
            if fd == self._wake_r.fileno():
                self._drain_inbox()
                continue
            wait = self._fds.pop(fd, None)
            if wait is None:
                continue
            self._poller.unregister(fd)
            wait.done = True
            resumed.append(wait)
        for wait in resumed:
            self._ready.append((wait.glet, (True,)))
        now = monotonic()
        while timers and (timers[0][2].done or timers[0][0] <= now):
            wait = heapq.heappop(timers)[2]
            if wait.done:
                continue
            wait.done = True
            if wait.fd >= 0:
                del self._fds[wait.fd]
                self._poller.unregister(wait.fd)
            self._ready.append((wait.glet, (False,)))

    def _drain_inbox(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass
        while self._inbox:
            wait, value = self._inbox.popleft()
            self.wake(wait, value)

    def wait_fd(self, fd: int, writing: bool, timeout: float) -> bool:
        """Park the calling greenlet until `fd` is ready or `timeout` passes (see wait_ready)."""
        wait = _Wait(greenlet.getcurrent(), fd)
        self._poller.register(fd, writing)
        self._fds[fd] = wait
        return self.park(wait, timeout)

    def park(self, wait: _Wait, timeout: float | None) -> bool:
        """Switch to the loop until `wake(wait, value)` or the timeout; returns the value (False on timeout)."""
        if timeout is not None:
            heapq.heappush(self._timers, (monotonic() + max(0.0, timeout), next(self._order), wait))
        assert self.loop is not None
        try:
            result: bool = self.loop.switch()
        except BaseException:  # Stopped: leave nothing registered for this wait
            if not wait.done:
                wait.done = True
                if wait.fd >= 0 and self._fds.pop(wait.fd, None) is not None:
                    self._poller.unregister(wait.fd)
            raise
        return result

    def wake(self, wait: _Wait, value: Any) -> None:
        """Resume a parked greenlet with `value` (once; later wakes and its timer are ignored). Any thread."""
        if threading.get_ident() != self._owner:
            self._inbox.append((wait, value))
            with contextlib.suppress(OSError):  # full: the loop is already due to wake; closed: it has ended
                self._wake_w.send(b"\0")
            return
        if wait.done:
            return
        wait.done = True
        if wait.fd >= 0:
            self._fds.pop(wait.fd, None)
            self._poller.unregister(wait.fd)
        self._ready.append((wait.glet, (value,)))

"""One netaudit run at a time per output folder: an flock on ``.netaudit.lock``, naming its holder.

A cron job whose run is slow meets the next tick: the second run finds the folder locked and stops
with `FolderBusy` (exit code 3), naming the holder's pid, host and start time, which the holder
wrote into the lock file once it had the lock.

The lock is the kernel's (flock), not the file's existence: when a holder dies, even by SIGKILL,
the kernel releases its lock and the next run takes it over. A lock is never judged by its age (a
slow run is still a live run), and the file is never deleted (deleting a lock file lets two runs
lock two different files).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from netaudit.errors import EnvironmentProblem

__all__ = ["LOCK_NAME", "FolderBusy", "FolderLock", "Holder"]

LOCK_NAME = ".netaudit.lock"


@dataclass(frozen=True)
class Holder:
    """Who holds a folder's lock, as the holder wrote it (pid None when it had not written yet)."""

    pid: int | None
    started: str = ""
    host: str = ""

    def describe(self) -> str:
        if self.pid is None:
            return "another netaudit run (it is still starting)"
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        since = f", started {self.started}" if self.started else ""
        return f"netaudit pid {self.pid}{where}{since}"


class FolderBusy(EnvironmentProblem):
    """Another run holds the folder's lock (exit code 3)."""

    def __init__(self, folder: Path, holder: Holder) -> None:
        super().__init__(
            f"{folder} is in use by {holder.describe()}; this run stops so as not to overlap it "
            "(a cron run slower than its interval?)"
        )
        self.holder = holder


class FolderLock:
    """The lock of one folder; re-entrant within one object (a save inside a locked run)."""

    def __init__(self, folder: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._clock = clock or (lambda: datetime.now(UTC))
        self._fd: int | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock now or raise FolderBusy (never waits); EnvironmentProblem if the folder is unusable."""
        if self._fd is not None:
            self._depth += 1
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot lock {self.folder}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise FolderBusy(self.folder, holder) from None
        except OSError as exc:
            os.close(fd)
            raise EnvironmentProblem(f"cannot lock {self.folder}: {exc.strerror or exc}") from exc
        started = self._clock().astimezone(UTC).isoformat(timespec="seconds")
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started}) + "\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, record.encode("utf-8"), 0)
        except OSError:
            pass  # the lock holds without its note; a waiting run then says "still starting"
        self._fd, self._depth = fd, 1

    def release(self) -> None:
        """Give the lock up (the outermost release does; the file stays, its note is cleared)."""
        if self._fd is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the last descriptor releases the flock

    def holder(self) -> Holder | None:
        """Who holds the lock now, or None when nobody does (a test and a diagnosis, not a lock)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        finally:
            os.close(fd)
        return None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


def _read_holder(fd: int) -> Holder:
    try:
        note = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "null")
    except (OSError, ValueError):
        note = None
    if not isinstance(note, dict) or not isinstance(note.get("pid"), int):
        return Holder(pid=None)
    return Holder(pid=note["pid"], started=str(note.get("started", "")), host=str(note.get("host", "")))

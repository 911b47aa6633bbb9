"""Files netaudit writes: atomic writes, and the folder of saved runs (dated, never overwritten, `latest.json`).

Every file is written to a temporary file in the same filesystem, flushed to disk, and only then
given its name (a rename, or a hard link when the name must not be taken twice), so a reader sees
the old file or the new one, never a part of one, even when netaudit is killed mid-write.

- `write_atomic(path, text)`, and `atomic_file(path)` for a document written piece by piece:
  replace a file. A new file gets the mode the umask gives (0644 under
  umask 022, like any file a shell redirect creates); an existing file keeps its mode, and its owner
  and group as far as the writer may set them.
- `RunStore(folder).save(run_text, when, forms)`: keep a run under a dated name that is never
  reused (``2026-11-30T101500Z.json``, then ``2026-11-30T101500Z-2.json``), with its other forms
  beside it (``2026-11-30T101500Z.html``), and point ``latest.json`` at the newest.

A temporary file is locked (flock) while its writer lives. One left behind by a killed writer is
hidden (``.NAME.XXXXXXXX.partial``) and is removed by the next write to the same place, once its
lock shows that the writer is gone.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from netaudit.errors import EnvironmentProblem, InputError

__all__ = ["LATEST", "RunStore", "SavedRun", "atomic_file", "dated_stem", "write_atomic"]

LATEST = "latest.json"
"""The copy of the newest saved run, replaced atomically at each save."""

_PARTIAL = ".partial"
_STALE_AFTER_S = 10.0
"""A temporary file is swept only when unlocked and this old: its writer locks it right after creating it."""
_CHUNK = 1 << 20
_SUFFIXED = re.compile(r"(.+)-([0-9]+)")
_FORM = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")


# --- Atomic writes -----------------------------------------------------------------------------


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write `text` (str as UTF-8) to `path`, replacing it atomically; EnvironmentProblem if that fails."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    folder = _folder_of(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _staged(folder, path.name, data, like=path) as temporary:
            os.replace(temporary, path)
        _sync_folder(folder)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {path}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[TextIO]:
    """A text file to write `path` piece by piece (a streamed document); it takes the name only when the
    block ends without error, with the same modes and guarantees as `write_atomic`."""
    folder = _folder_of(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _sweep(folder, path.name)
        temporary, fd = _create_temporary(folder, path.name)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _copy_ownership(fd, path)
        with os.fdopen(os.dup(fd), "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _sync_folder(folder)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.close(fd)


def _folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


@contextlib.contextmanager
def _staged(folder: Path, name: str, data: bytes, *, like: Path | None = None) -> Iterator[Path]:
    """A complete, flushed temporary copy of `data` in `folder`, removed again after the block.

    The block gives it its real name (rename or link). The file stays locked while it exists, so a
    later `_sweep` can tell a live writer's file from one a killed writer left behind.
    """
    _sweep(folder, name)
    temporary, fd = _create_temporary(folder, name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if like is not None:
            _copy_ownership(fd, like)
        _write_all(fd, data)
        os.fsync(fd)
        yield temporary
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.close(fd)


def _create_temporary(folder: Path, name: str) -> tuple[Path, int]:
    # O_EXCL with mode 0666: the kernel applies the umask, as for any new file (mkstemp would force 0600).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = folder / f".{name}.{secrets.token_hex(4)}{_PARTIAL}"
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def _copy_ownership(fd: int, like: Path) -> None:
    """Give the new file the existing file's owner, group and mode (owner first: chown clears setuid)."""
    try:
        existing = os.stat(like)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(existing.st_mode):
        return
    mine = os.fstat(fd)
    if (existing.st_uid, existing.st_gid) != (mine.st_uid, mine.st_gid):
        # Only root may give a file away; anyone may keep a group they belong to. What cannot be kept
        # becomes the writer's, as with any editor's atomic save.
        try:
            os.fchown(fd, existing.st_uid, existing.st_gid)
        except PermissionError:
            with contextlib.suppress(PermissionError):
                os.fchown(fd, -1, existing.st_gid)
    os.fchmod(fd, stat.S_IMODE(existing.st_mode))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:_CHUNK])
        view = view[written:]


def _sweep(folder: Path, name: str) -> None:
    """Remove the temporary files of `name` that killed writers left behind (unlocked, and not brand new)."""
    try:
        leftovers = list(folder.glob(f".{_glob_escape(name)}.*{_PARTIAL}"))
    except OSError:
        return
    now = time.time()
    for leftover in leftovers:
        try:
            fd = os.open(leftover, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        if now - os.fstat(fd).st_mtime < _STALE_AFTER_S:
            os.close(fd)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # a live writer holds it
            continue
        try:
            leftover.unlink()
        except OSError:
            pass
        finally:
            os.close(fd)


def _glob_escape(name: str) -> str:
    """`name` with glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (best effort: some filesystems cannot open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- Saved runs --------------------------------------------------------------------------------


def dated_stem(when: datetime) -> str:
    """The name of a run started at `when`, in UTC: ``2026-11-30T101500Z`` (sorts by time, no ':')."""
    if when.tzinfo is None:
        raise ValueError("a saved run's time must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")


@dataclass(frozen=True)
class SavedRun:
    """Where one save put a run: its JSON file and its other forms, by extension."""

    path: Path
    forms: Mapping[str, Path]
    latest: Path


class RunStore:
    """A folder of saved runs (e.g. ``reports/``): dated JSON files, never overwritten, and ``latest.json``.

    One save happens in three steps, each with its own place, so that what the scheduling work
    adds has a home: `_locked` (one save at a time in a folder, for cron runs that overlap), the
    dated name claimed with a hard link (never over an existing file), `latest.json` replaced
    atomically, and `_retain` (which old runs to delete).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def save(self, run_text: str, when: datetime, forms: Mapping[str, str] | None = None) -> SavedRun:
        """Save the run's JSON under a new dated name, its other forms (extension -> text) beside it.

        EnvironmentProblem when the folder cannot be written; nothing earlier is ever replaced
        except ``latest.json``.
        """
        extra = dict(forms or {})
        for extension in extra:
            if extension in ("json", "partial") or not _FORM.fullmatch(extension):
                raise InputError(f"'{extension}' is not a form a run can be saved in beside its JSON")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._locked():
                stem = self._claim(run_text.encode("utf-8"), dated_stem(when), list(extra))
                paths = {ext: self._publish(f"{stem}.{ext}", text.encode("utf-8")) for ext, text in extra.items()}
                latest = self.folder / LATEST
                write_atomic(latest, run_text)
                self._retain()
        except OSError as exc:
            raise EnvironmentProblem(f"cannot save the run in {self.folder}: {exc.strerror or exc}") from exc
        return SavedRun(path=self.folder / f"{stem}.json", forms=paths, latest=latest)

    def runs(self) -> list[Path]:
        """The saved runs' JSON files, oldest first (by name, which is by time, then by suffix)."""
        found = [
            path
            for path in self.folder.glob("*.json")
            if path.name != LATEST and not path.name.startswith(".") and path.is_file()
        ]
        return sorted(found, key=_run_order)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One save at a time in this folder. Not yet needed (names are claimed atomically anyway);
        the scheduling work takes an flock on ``.lock`` here, so overlapping cron runs queue."""
        yield

    def _retain(self) -> None:
        """Delete runs older than the retention the scheduling work will add; today every run is kept."""

    def _claim(self, data: bytes, base: str, extensions: list[str]) -> str:
        """The first free stem (``base``, ``base-2``, ...) with no form taken, claimed by linking its JSON."""
        with _staged(self.folder, f"{base}.json", data) as temporary:
            for n in range(1, 10_000):
                stem = base if n == 1 else f"{base}-{n}"
                if any((self.folder / f"{stem}.{ext}").exists() for ext in extensions):
                    continue
                try:
                    _link_new(temporary, self.folder / f"{stem}.json")
                except FileExistsError:
                    continue
                _sync_folder(self.folder)
                return stem
        raise EnvironmentProblem(f"cannot save the run in {self.folder}: every name for {base} is taken")

    def _publish(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        with _staged(self.folder, name, data) as temporary:
            _link_new(temporary, path)
        _sync_folder(self.folder)
        return path


def _run_order(path: Path) -> tuple[str, int]:
    """``2026-11-30T101500Z.json`` before ``2026-11-30T101500Z-2.json`` (a plain sort puts '-' before '.')."""
    found = _SUFFIXED.fullmatch(path.stem)
    return (found[1], int(found[2])) if found else (path.stem, 1)


def _link_new(temporary: Path, path: Path) -> None:
    """Give the complete temporary file the name `path`, only if no file has it (FileExistsError if one has)."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        # A filesystem without hard links: check, then rename (a race only with another writer).
        if path.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(path)) from None
        os.rename(temporary, path)

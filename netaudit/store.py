"""Files netaudit writes: atomic writes, and the folder of saved runs (dated, never overwritten, `latest.json`).

Every file is written to a temporary file in the same filesystem, flushed to disk, and only then
given its name (a rename, or a hard link when the name must not be taken twice), so a reader sees
the old file or the new one, never a part of one, even when netaudit is killed mid-write.

- `write_atomic(path, text)`, and `atomic_file(path)` for a document written piece by piece:
  replace a file. A new file gets the mode the umask gives (0644 under
  umask 022, like any file a shell redirect creates); an existing file keeps its mode, and its owner
  and group as far as the writer may set them.
- `RunStore(folder).save(run_text, when, forms, site=...)`: keep a run under a dated name that is
  never reused (``2026-11-30T101500Z.json``, then ``2026-11-30T101500Z-2.json``; with a site,
  ``leeds_2026-11-30T101500Z.json``), with its other forms beside it (``2026-11-30T101500Z.html``),
  point ``latest.json`` (and ``latest-SITE.json``) at the newest, and prune by `Retention`.
- One run at a time per folder: `RunStore.lock` (folderlock.py) is held by a whole audit, and
  by each save.

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
from datetime import datetime
from pathlib import Path
from typing import TextIO

from netaudit.errors import EnvironmentProblem, InputError
from netaudit.folderlock import FolderLock
from netaudit.retention import Retention, is_netaudit_run
from netaudit.runnames import check_site, dated_stem, parse_run_name, run_stem

__all__ = [
    "LATEST",
    "RunStore",
    "SavedRun",
    "atomic_file",
    "check_site",
    "dated_stem",
    "run_stem",
    "write_atomic",
]

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


@dataclass(frozen=True)
class SavedRun:
    """Where one save put a run: its JSON file and its other forms, by extension; what retention deleted."""

    path: Path
    forms: Mapping[str, Path]
    latest: Path
    site: str = ""
    previous: Path | None = None
    """The run of the same site saved before this one (what drift compares with), if any is left."""
    pruned: tuple[Path, ...] = ()


class RunStore:
    """A folder of saved runs (e.g. ``reports/``): dated JSON files, never overwritten, and ``latest.json``.

    One save: the folder's lock (`_locked`; an audit holds `lock` for its whole run, so a cron run
    that overlaps the previous one stops at once), the dated name claimed with a hard link (never
    over an existing file), ``latest.json`` replaced atomically, then `_retain` deletes what the
    retention names among the same site's runs.
    """

    def __init__(self, folder: Path, retention: Retention | None = None) -> None:
        self.folder = Path(folder)
        self.retention = retention or Retention()
        self.lock = FolderLock(self.folder)

    def save(
        self, run_text: str, when: datetime, forms: Mapping[str, str] | None = None, *, site: str = ""
    ) -> SavedRun:
        """Save the run's JSON under a new dated name, its other forms (extension -> text) beside it.

        EnvironmentProblem when the folder cannot be written, FolderBusy when another run holds its
        lock; nothing earlier is ever replaced except ``latest.json`` (and ``latest-SITE.json``),
        and only runs of the same site that retention names are deleted.
        """
        check_site(site)
        extra = dict(forms or {})
        for extension in extra:
            if extension in ("json", "partial") or not _FORM.fullmatch(extension):
                raise InputError(f"'{extension}' is not a form a run can be saved in beside its JSON")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self._locked():
                stem = self._claim(run_text.encode("utf-8"), run_stem(when, site), list(extra))
                paths = {ext: self._publish(f"{stem}.{ext}", text.encode("utf-8")) for ext, text in extra.items()}
                latest = self.folder / LATEST
                write_atomic(latest, run_text)
                if site:
                    write_atomic(self.folder / f"latest-{site}.json", run_text)
                pruned = self._retain(site)
                mine = [path for path in self.runs_of(site) if path.stem != stem]
        except OSError as exc:
            raise EnvironmentProblem(f"cannot save the run in {self.folder}: {exc.strerror or exc}") from exc
        path = self.folder / f"{stem}.json"
        earlier = [run for run in mine if _run_order(run) < _run_order(path)]
        return SavedRun(
            path=path,
            forms=paths,
            latest=latest,
            site=site,
            previous=earlier[-1] if earlier else None,
            pruned=tuple(pruned),
        )

    def runs_of(self, site: str = "") -> list[Path]:
        """The saved runs of one site ("" for runs without a site), oldest first, by their names' times."""
        found = []
        for path in self.folder.glob("*.json"):
            parsed = parse_run_name(path.stem)
            if parsed is not None and parsed[0] == site and path.is_file():
                found.append(path)
        return sorted(found, key=_run_order)

    def runs(self) -> list[Path]:
        """The saved runs' JSON files, oldest first (by name, which is by time, then by suffix)."""
        found = [
            path
            for path in self.folder.glob("*.json")
            if path.name != LATEST
            and not path.name.startswith((".", "latest-"))
            and path.is_file()
        ]
        return sorted(found, key=_run_order)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One save at a time in this folder: the folder's lock, already held when a whole run holds it."""
        with self.lock():
            yield

    def _retain(self, site: str) -> list[Path]:
        """Delete the runs of `site` that retention names (never the newest, never a file netaudit did not write).

        A run goes with its forms (the files beside it with its stem); the deleted JSON files are returned.
        """
        if not self.retention.active:
            return []
        candidates = []
        for path in self.runs_of(site):
            parsed = parse_run_name(path.stem)
            if parsed is not None and is_netaudit_run(path, site):
                candidates.append((path, parsed[1]))
        deleted = []
        for path in self.retention.doomed(candidates):
            for form in self.folder.glob(f"{_glob_escape(path.stem)}.*"):
                extension = form.name[len(path.stem) + 1 :]
                if extension != "json" and _FORM.fullmatch(extension) and form.is_file() and not form.is_symlink():
                    form.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            deleted.append(path)
        if deleted:
            _sync_folder(self.folder)
        return deleted

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
    parsed = parse_run_name(path.stem)
    if parsed is not None:
        return (f"{parsed[0]}_{dated_stem(parsed[1])}", parsed[2])
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

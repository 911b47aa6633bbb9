"""The store: atomic writes with the umask's mode, kept modes and owners, dated never-overwritten runs,
`latest.json`, and a real process killed with SIGKILL in the middle of a save."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from netaudit.errors import EnvironmentProblem, InputError
from netaudit.folderlock import LOCK_NAME
from netaudit.store import LATEST, RunStore, dated_stem, write_atomic

WHEN = datetime(2026, 11, 30, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


# --- write_atomic ------------------------------------------------------------------------------


def test_a_new_file_gets_the_umask_mode(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "sub" / "report.json"
    write_atomic(path, "{}\n")
    assert path.read_text() == "{}\n"
    assert _mode(path) == 0o644
    os.umask(0o027)
    write_atomic(tmp_path / "other.json", "x")
    assert _mode(tmp_path / "other.json") == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_an_existing_file_keeps_its_mode(tmp_path: Path, umask_022: None, mode: int) -> None:
    path = tmp_path / "report.json"
    path.write_text("old")
    path.chmod(mode)
    write_atomic(path, "new")
    assert (path.read_text(), _mode(path)) == ("new", mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_an_existing_file_keeps_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old")
    os.chown(path, 4321, 4322)
    write_atomic(path, "new")
    info = path.stat()
    assert (info.st_uid, info.st_gid, path.read_text()) == (4321, 4322, "new")


def test_a_failed_write_leaves_the_earlier_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("earlier")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(EnvironmentProblem, match=r"cannot write .*not-a-folder/x\.json"):
        write_atomic(blocker / "x.json", "new")
    assert path.read_text() == "earlier"


# --- saved runs --------------------------------------------------------------------------------


def test_dated_stem_is_utc_and_needs_a_timezone() -> None:
    assert dated_stem(WHEN) == "2026-11-30T101500Z"
    assert dated_stem(datetime(2026, 11, 30, 11, 15, tzinfo=timezone(timedelta(hours=1)))) == "2026-11-30T101500Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        dated_stem(datetime(2026, 11, 30, 10, 15))


def test_saves_are_dated_never_overwritten_and_latest_follows(tmp_path: Path, umask_022: None) -> None:
    store = RunStore(tmp_path / "reports")
    first = store.save('{"run": 1}\n', WHEN, {"html": "<p>1</p>", "md": "# 1"})
    assert first.path == tmp_path / "reports" / "2026-11-30T101500Z.json"
    assert {ext: p.name for ext, p in first.forms.items()} == {
        "html": "2026-11-30T101500Z.html",
        "md": "2026-11-30T101500Z.md",
    }
    second = store.save('{"run": 2}\n', WHEN, {"html": "<p>2</p>"})
    third = store.save('{"run": 3}\n', WHEN)
    assert [second.path.name, second.forms["html"].name, third.path.name] == [
        "2026-11-30T101500Z-2.json",
        "2026-11-30T101500Z-2.html",
        "2026-11-30T101500Z-3.json",
    ]
    assert first.path.read_text() == '{"run": 1}\n' and first.forms["html"].read_text() == "<p>1</p>"
    assert (tmp_path / "reports" / LATEST).read_text() == '{"run": 3}\n'
    assert store.runs() == [first.path, second.path, third.path]
    assert all(_mode(path) == 0o644 for path in (tmp_path / "reports").iterdir())
    assert sorted(p.name for p in (tmp_path / "reports").iterdir() if p.name.startswith(".")) == [LOCK_NAME]


def test_a_name_taken_by_another_form_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "2026-11-30T101500Z.html").write_text("someone else's")
    saved = RunStore(tmp_path).save("{}", WHEN, {"html": "mine"})
    assert saved.path.name == "2026-11-30T101500Z-2.json"
    assert (tmp_path / "2026-11-30T101500Z.html").read_text() == "someone else's"


@pytest.mark.parametrize("form", ["json", "../x", "", "HTML", "partial"])
def test_forms_must_be_plain_extensions(tmp_path: Path, form: str) -> None:
    with pytest.raises(InputError, match="not a form"):
        RunStore(tmp_path).save("{}", WHEN, {form: "x"})


def test_an_unwritable_store_is_an_environment_problem(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file, not a folder")
    with pytest.raises(EnvironmentProblem, match="cannot save the run in"):
        RunStore(blocker).save("{}", WHEN)


# --- killed while saving -----------------------------------------------------------------------

# The child saves a run of 8 MiB and stops itself at a chosen point with a hook: half-way through
# writing the data, or with the data written and flushed but not yet given its name. The test then
# kills it with SIGKILL, which no code can catch or clean up after.
CHILD = textwrap.dedent(
    """
    import os, sys, time
    from datetime import datetime, UTC
    from netaudit import store

    folder, point = sys.argv[1], sys.argv[2]

    def announce_and_wait():
        sys.stdout.write("stopped\\n")
        sys.stdout.flush()
        time.sleep(60)

    if point == "mid-write":
        real_write = store._write_all
        def half(fd, data):
            real_write(fd, data[: len(data) // 2])
            announce_and_wait()
        store._write_all = half
    else:
        real_fsync = os.fsync
        def stop_after_flush(fd):
            real_fsync(fd)
            announce_and_wait()
        store.os.fsync = stop_after_flush

    store.RunStore(store.Path(folder)).save("x" * (8 << 20), datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    """
)


@pytest.mark.parametrize("point", ["mid-write", "before-publish"])
def test_a_run_killed_while_saving_damages_nothing(tmp_path: Path, point: str) -> None:
    folder = tmp_path / "reports"
    store = RunStore(folder)
    earlier = store.save('{"run": "earlier"}\n', WHEN, {"html": "<p>earlier</p>"})
    before = _snapshot(folder)

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), point], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line == "stopped\n", child.stderr.read() if child.stderr else line
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout:
            child.stdout.close()
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    # Every file a reader would open is as it was: earlier runs, their forms, latest.json.
    visible = {name: data for name, data in _snapshot(folder).items() if not name.startswith(".")}
    assert visible == {name: data for name, data in before.items() if not name.startswith(".")}
    assert store.runs() == [earlier.path]
    # What the killed writer left is one hidden temporary file, never under a run's name.
    (leftover,) = [path for path in folder.iterdir() if path.name.startswith(".") and path.name != LOCK_NAME]
    assert leftover.name.startswith(".2026-11-30T110000Z.json.") and leftover.name.endswith(".partial")

    # The next save of that name removes it (its writer's lock is gone) once it is not brand new.
    os.utime(leftover, (time.time() - 60, time.time() - 60))
    later = store.save('{"run": "later"}\n', datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    assert later.path.name == "2026-11-30T110000Z.json"
    assert sorted(path.name for path in folder.iterdir()) == sorted([*before, later.path.name])
    assert (folder / LATEST).read_text() == '{"run": "later"}\n'


def test_a_live_writers_temporary_file_is_not_swept(tmp_path: Path) -> None:
    import fcntl

    leftover = tmp_path / ".2026-11-30T101500Z.json.0badc0de.partial"
    leftover.write_text("being written")
    os.utime(leftover, (time.time() - 60, time.time() - 60))
    fd = os.open(leftover, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        RunStore(tmp_path).save("{}", WHEN)
        assert leftover.exists()
    finally:
        os.close(fd)
    RunStore(tmp_path).save("{}", WHEN)
    assert not leftover.exists()

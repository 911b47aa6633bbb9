"""The output folder's lock between two real processes, retention of saved runs, and site-labelled names."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netaudit.errors import ExitCode, InputError
from netaudit.folderlock import LOCK_NAME, FolderBusy, FolderLock
from netaudit.retention import Retention, is_netaudit_run
from netaudit.store import LATEST, RunStore, parse_run_name, run_stem

WHEN = datetime(2026, 11, 30, 10, 15, 0, tzinfo=UTC)

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from netaudit.store import RunStore

    store = RunStore(Path(sys.argv[1]))
    store.lock.acquire()
    sys.stdout.write("locked\\n")
    sys.stdout.flush()
    time.sleep(120)
    """
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process that holds the folder's lock until it is killed."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "reports")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line == "locked\n", child.stderr.read() if child.stderr else line
        yield child
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()


def _run(n: int, site: str = "") -> str:
    return json.dumps({"schema": "netaudit/audit/1", "site": site, "n": n}) + "\n"


# --- the lock ----------------------------------------------------------------------------------


def test_an_overlapping_run_stops_naming_the_holder(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    folder = tmp_path / "reports"
    before = datetime.now(UTC).replace(microsecond=0)
    with pytest.raises(FolderBusy) as caught:
        RunStore(folder).save(_run(1), WHEN)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    assert caught.value.holder.pid == holder.pid
    started = datetime.fromisoformat(caught.value.holder.started)
    assert before - timedelta(seconds=60) <= started <= datetime.now(UTC)
    message = str(caught.value)
    assert f"pid {holder.pid}" in message and caught.value.holder.started in message and "\n" not in message
    assert sorted(p.name for p in folder.iterdir()) == [LOCK_NAME], "nothing was written"


def test_a_live_holder_is_never_judged_by_age(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    lock = tmp_path / "reports" / LOCK_NAME
    long_ago = time.time() - 30 * 86400
    os.utime(lock, (long_ago, long_ago))
    with pytest.raises(FolderBusy):
        FolderLock(tmp_path / "reports").acquire()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    folder = tmp_path / "reports"
    assert FolderLock(folder).holder() is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    assert FolderLock(folder).holder() is None  # the kernel released it with the process
    saved = RunStore(folder).save(_run(1), WHEN)
    assert saved.path.read_text() == _run(1)


def test_the_lock_is_reentrant_within_one_run(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with store.lock():
        assert store.lock.holder() is not None
        store.save(_run(1), WHEN)  # the save inside the run's lock does not lock itself out
        assert store.lock.held
        with pytest.raises(FolderBusy, match=f"pid {os.getpid()}"):
            FolderLock(tmp_path).acquire()  # another run (another open of the lock file) is refused
    assert not store.lock.held and store.lock.holder() is None


# --- site names --------------------------------------------------------------------------------


def test_saved_names_carry_the_site(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    leeds = store.save(_run(1, "leeds"), WHEN, {"html": "<p>leeds</p>"}, site="leeds")
    again = store.save(_run(2, "leeds"), WHEN, site="leeds")
    plain = store.save(_run(3), WHEN)
    assert [leeds.path.name, leeds.forms["html"].name, again.path.name, plain.path.name] == [
        "leeds_2026-11-30T101500Z.json",
        "leeds_2026-11-30T101500Z.html",
        "leeds_2026-11-30T101500Z-2.json",
        "2026-11-30T101500Z.json",
    ]
    assert (tmp_path / "latest-leeds.json").read_text() == _run(2, "leeds")
    assert (tmp_path / LATEST).read_text() == _run(3)
    assert store.runs_of("leeds") == [leeds.path, again.path]
    assert store.runs_of("") == [plain.path]
    assert again.previous == leeds.path and leeds.previous is None and plain.previous is None
    assert parse_run_name("hq.vlan_10_2026-11-30T101500Z-12") == ("hq.vlan_10", WHEN, 12)
    assert parse_run_name("latest-leeds") is None and parse_run_name("notes_2026") is None


@pytest.mark.parametrize("site", ["../x", "a b", "-lead", "x" * 64, "caf\u00e9"])
def test_a_site_that_cannot_name_a_file_is_refused(site: str) -> None:
    with pytest.raises(InputError, match="--site"):
        run_stem(WHEN, site)


# --- retention ---------------------------------------------------------------------------------


def _day(n: int) -> datetime:
    return WHEN + timedelta(days=n)


def test_retention_chooses_by_count_and_age_never_the_newest() -> None:
    runs = [(Path(f"r{n}"), _day(n)) for n in range(6)]
    assert Retention().doomed(runs) == []
    assert Retention(keep=2).doomed(runs) == [Path("r0"), Path("r1"), Path("r2"), Path("r3")]
    assert Retention(keep_days=2.5).doomed(runs) == [Path("r0"), Path("r1"), Path("r2")]
    assert Retention(keep=5, keep_days=1).doomed(runs) == [Path("r0"), Path("r1"), Path("r2"), Path("r3")]
    assert Retention(keep=1, keep_days=0.001).doomed([(Path("only"), _day(0))]) == []
    with pytest.raises(InputError, match="keep at least 1"):
        Retention(keep=0)
    with pytest.raises(InputError, match="more than 0 days"):
        Retention(keep_days=0)


def test_pruning_keeps_other_sites_and_files_it_did_not_write(tmp_path: Path) -> None:
    store = RunStore(tmp_path, Retention(keep=2))
    leeds = [store.save(_run(n, "leeds"), _day(n), {"html": f"<p>{n}</p>"}, site="leeds") for n in range(2)]
    york = store.save(_run(0, "york"), _day(0), site="york")
    # Files named like runs that netaudit did not write: notes, another tool's JSON, a link.
    notes = tmp_path / "leeds_2026-11-29T101500Z.json"
    notes.write_text("my notes, not JSON")
    other = tmp_path / "leeds_2026-11-28T101500Z.json"
    other.write_text('{"schema": "someone/else/1", "site": "leeds"}')
    link = tmp_path / "leeds_2026-11-27T101500Z.json"
    link.symlink_to(leeds[0].path)
    mine_elsewhere = tmp_path / "leeds_2026-11-26T101500Z.json"
    mine_elsewhere.write_text(_run(9, "york"))  # a run of another site under this site's name

    third = store.save(_run(2, "leeds"), _day(2), {"html": "<p>2</p>"}, site="leeds")
    assert third.pruned == (leeds[0].path,)
    assert not leeds[0].path.exists() and not (tmp_path / f"{leeds[0].path.stem}.html").exists()
    assert leeds[1].path.exists() and (tmp_path / f"{leeds[1].path.stem}.html").exists()
    assert york.path.exists() and notes.exists() and other.exists() and mine_elsewhere.exists()
    assert link.is_symlink()
    assert third.previous == leeds[1].path


def test_keep_days_counts_from_the_newest_run(tmp_path: Path) -> None:
    store = RunStore(tmp_path, Retention(keep_days=7))
    saved = [store.save(_run(n), _day(n * 3)) for n in range(5)]  # days 0, 3, 6, 9, 12
    assert [path.name for path in store.runs_of("")] == [run.path.name for run in saved[2:]]
    assert saved[4].pruned == (saved[1].path,)


def test_is_netaudit_run(tmp_path: Path) -> None:
    run = tmp_path / "a.json"
    run.write_text(_run(1, "leeds"))
    assert is_netaudit_run(run, "leeds") and not is_netaudit_run(run, "york")
    assert not is_netaudit_run(tmp_path / "missing.json", "leeds")
    (tmp_path / "list.json").write_text("[1]")
    assert not is_netaudit_run(tmp_path / "list.json", "")

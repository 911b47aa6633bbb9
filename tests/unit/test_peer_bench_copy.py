"""bench/peer_bench.py runs a read-only peer bench from a writable copy that keeps its own state (the bench CA)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import peer_bench


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "run").chmod(0o755)


def _read_only(root: Path) -> None:
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(folder) / name
            path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)
    root.chmod(0o555)


def _writable_again(root: Path) -> None:
    root.chmod(0o755)
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(folder) / name
            path.chmod(stat.S_IMODE(path.stat().st_mode) | 0o200)


def _files(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "peer-bench"
    _tree(
        root,
        {
            "run": "#!/bin/sh\necho run\n",
            "up": "#!/bin/sh\n",
            "README.md": "the bench\n",
            "lib/bench.py": "print('v1')\n",
            "lib/old.py": "gone soon\n",
            "lib/__pycache__/bench.cpython-311.pyc": "cache",
            "state/pki/ca.pem": "the source's own CA, never copied\n",
            "results/2026.json": "{}\n",
        },
    )
    _read_only(root)
    yield root
    _writable_again(root)


def test_a_read_only_peer_bench_is_not_writable_even_for_root(source: Path, tmp_path: Path) -> None:
    assert not peer_bench.writable(source)
    open_one = tmp_path / "open"
    _tree(open_one, {"run": "", "state/x": ""})
    assert peer_bench.writable(open_one)
    (open_one / "state").chmod(0o555)  # a state/ it cannot write is as bad as the folder itself
    assert not peer_bench.writable(open_one)
    (open_one / "state").chmod(0o755)


def test_the_copy_is_writable_and_holds_the_source_files_only(source: Path, tmp_path: Path) -> None:
    work = tmp_path / "build" / "peer-bench"
    assert peer_bench.bench_folder(source, str(work)) == work
    assert _files(work) == {
        "README.md": "the bench\n",
        "lib/bench.py": "print('v1')\n",
        "lib/old.py": "gone soon\n",
        "run": "#!/bin/sh\necho run\n",
        "up": "#!/bin/sh\n",
    }
    assert peer_bench.writable(work)
    for path in (work, *work.rglob("*")):
        assert path.stat().st_mode & stat.S_IWUSR, path
    assert os.access(work / "run", os.X_OK) and (work / "run").stat().st_mode & stat.S_IXUSR
    assert _files(source)["lib/bench.py"] == "print('v1')\n"  # the source is untouched


def test_the_copy_is_refreshed_and_keeps_its_own_state(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    monkeypatch.setattr(peer_bench, "DEFAULT_WORK", work)
    assert peer_bench.bench_folder(source, None) == work  # read-only, no --work: the default folder
    # What `up` and `run` write in the copy: the bench CA, a PID file, results, Python's cache.
    _tree(work, {"state/pki/ca.pem": "the copy's CA\n", "state/run/origin.pid": "123\n", "results/r.json": "[]\n"})
    (work / "lib" / "__pycache__").mkdir(exist_ok=True)
    (work / "lib" / "__pycache__" / "bench.pyc").write_text("compiled")
    (work / "state" / "empty").mkdir()
    # The source changes: one file edited, one removed, a new one in a new folder.
    _writable_again(source)
    (source / "lib" / "bench.py").write_text("print('v2')\n")
    (source / "lib" / "old.py").unlink()
    (source / "tools").mkdir()
    (source / "tools" / "new.sh").write_text("new\n")
    _read_only(source)
    (work / "lib" / "old.py").chmod(0o444)  # a read-only file in the copy can still be replaced or removed

    assert peer_bench.bench_folder(source, None) == work

    files = _files(work)
    assert files["lib/bench.py"] == "print('v2')\n"
    assert files["tools/new.sh"] == "new\n"
    assert "lib/old.py" not in files
    assert files["state/pki/ca.pem"] == "the copy's CA\n"
    assert files["state/run/origin.pid"] == "123\n"
    assert files["results/r.json"] == "[]\n"
    assert (work / "state" / "empty").is_dir()
    assert (work / "lib" / "__pycache__" / "bench.pyc").exists()


def test_a_writable_peer_bench_runs_where_it_is(tmp_path: Path) -> None:
    root = tmp_path / "peer-bench"
    _tree(root, {"run": "", "up": ""})
    assert peer_bench.bench_folder(root, None) == root
    with pytest.raises(SystemExit, match="is the peer bench itself"):
        peer_bench.working_copy(root, root)


def test_a_lab_another_folder_brought_up_is_left_alone(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "build" / "peer-bench", tmp_path / "pb"
    peer_bench.check_lab(ours, None)  # no lab: run (and bring one up)
    peer_bench.check_lab(ours, tmp_path / "build" / ".." / "build" / "peer-bench")  # our own lab, however written
    with pytest.raises(SystemExit, match=f"a peer bench lab from {theirs} is up"):
        peer_bench.check_lab(ours, theirs)
    with pytest.raises(SystemExit, match="namespaces nbnet exist with no peer bench origin"):
        peer_bench.check_lab(ours, "namespaces nbnet exist with no peer bench origin in them")

"""Find and remove what a killed lab run left behind (a SIGKILLed test run cannot clean up).

Only lab-shaped leftovers are touched: namespaces named na<pid>[a-e]c / na<pid>[a-e]n whose <pid>
is no longer running and which hold no process, their /etc/netns entries, and the netlab-* temp
dirs whose lab.json names them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .namespaces import NETNS_RUN_DIR, delete_namespace, namespace_pids, remove_etc_netns

LAB_NS = re.compile(r"^na(\d+)[a-e]?[cn]$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_namespaces() -> list[str]:
    """Lab namespaces whose owner is gone and that nothing runs in."""
    if not NETNS_RUN_DIR.is_dir():
        return []
    stale = []
    for entry in sorted(NETNS_RUN_DIR.iterdir()):
        match = LAB_NS.match(entry.name)
        if match and not _alive(int(match.group(1))) and not namespace_pids(entry.name):
            stale.append(entry.name)
    return stale


def stale_workdirs(namespaces: list[str]) -> list[Path]:
    """netlab-* temp dirs belonging to the given namespaces."""
    found = []
    for folder in Path(tempfile.gettempdir()).glob("netlab-*"):
        try:
            facts = json.loads((folder / "lab.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if facts.get("client_ns") in namespaces or facts.get("net_ns") in namespaces:
            found.append(folder)
    return found


def clean(namespaces: list[str]) -> None:
    """Delete the given stale namespaces, their /etc/netns entries and their temp dirs."""
    for folder in stale_workdirs(namespaces):
        shutil.rmtree(folder, ignore_errors=True)
    for name in namespaces:
        delete_namespace(name)
        remove_etc_netns(name)

"""Start the lab by hand: `.venv/bin/python -m tests.netlab up` (as root); Ctrl-C ends it.

`python -m tests.netlab leftovers [--clean]` lists (and removes) what a killed run left behind.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from . import leftovers
from .errors import LabError
from .lab import build_lab


def main(argv: list[str] | None = None) -> int:
    """`up`: build the lab, print its facts and example commands, wait for Ctrl-C/SIGTERM, tear down."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.netlab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command",
        choices=["up", "leftovers"],
        help="up: start the lab until Ctrl-C; leftovers: list what killed runs left",
    )
    parser.add_argument("--clean", action="store_true", help="with leftovers: remove them")
    options = parser.parse_args(argv)
    if options.command == "leftovers":
        return _leftovers(options.clean)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        lab = build_lab()
    except LabError as exc:
        sys.stderr.write(f"netlab: cannot start: {exc}\n")
        return 1
    with lab:
        print(json.dumps(lab.describe(), indent=2))
        base = " ".join(lab.netaudit_base_args())
        print(
            f"\nTry:\n  ip netns exec {lab.client_ns} curl -v --cacert {lab.workstation_trust} "
            f"{lab.url(lab.hosts.www)}\n"
            f"  ip netns exec {lab.client_ns} {sys.executable} -m netaudit probe "
            f"{lab.url(lab.hosts.www)} --format json {base}\n\nCtrl-C to tear down.",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
        print("netlab: tearing down", flush=True)
    return 0


def _leftovers(remove: bool) -> int:
    stale = leftovers.stale_namespaces()
    dirs = leftovers.stale_workdirs(stale)
    for item in [*stale, *map(str, dirs)]:
        print(item)
    if remove and stale:
        leftovers.clean(stale)
        print(f"removed {len(stale)} namespaces and {len(dirs)} folders")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A small process guard: runs one service and makes sure it does not outlive the lab.

    python guard.py PARENT_PID STOPSIG -- ARGV...

The guard asks the kernel for SIGTERM when its parent (the thread that built the lab) dies, and on
SIGTERM it sends STOPSIG to the service, waits a little, then SIGKILLs it. SIGHUP is passed on
(dnsmasq reloads its hosts files on it). Services that drop privileges (dnsmasq, Squid) lose their
own parent-death signal, hence this guard.
Stdlib only: it runs with the lab's interpreter, outside any virtualenv assumptions.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1
GRACE = 3.0


def main(argv: list[str]) -> int:
    """Start the service, forward the stop request, and exit with the service's exit code."""
    if len(argv) < 5 or argv[3] != "--":
        sys.stderr.write("usage: guard.py PARENT_PID STOPSIG -- ARGV...\n")
        return 2
    parent, stop_signal = int(argv[1]), int(argv[2])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        return 1  # the lab died before we could ask to be told
    child = subprocess.Popen(argv[4:])
    signal.signal(signal.SIGHUP, lambda *_: child.send_signal(signal.SIGHUP))
    while not stop.is_set():
        try:
            return child.wait(0.2)
        except subprocess.TimeoutExpired:
            continue
    if child.poll() is None:
        child.send_signal(stop_signal)
        try:
            child.wait(GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

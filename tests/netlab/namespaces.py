"""Network namespaces and links: create, address, delete, and open sockets inside a namespace.

Everything here touches only the namespaces it is given. The veth pair is created with both ends
directly inside the lab namespaces, so the host's own namespace never sees a lab interface.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from .errors import LabError

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = Path("/run/netns")
NETNS_ETC_DIR = Path("/etc/netns")
COMMAND_TIMEOUT = 15.0


def run(
    argv: Sequence[str], *, timeout: float = COMMAND_TIMEOUT, check: bool = True, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a short administrative command; raise LabError (with its stderr) when it fails."""
    try:
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, input=input_text, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"{' '.join(argv)}: {exc}") from exc
    if check and proc.returncode != 0:
        output = proc.stderr.strip() or proc.stdout.strip()
        raise LabError(f"{' '.join(argv)} exited {proc.returncode}: {output}")
    return proc


def ns_argv(namespace: str, argv: Sequence[str]) -> list[str]:
    """The argv that runs `argv` inside `namespace` (ip netns exec execs it: same pid)."""
    return ["ip", "netns", "exec", namespace, *argv]


def namespace_exists(name: str) -> bool:
    """True when a named namespace with this name is mounted."""
    return (NETNS_RUN_DIR / name).exists()


def create_namespace(name: str) -> None:
    """Create a named namespace with its loopback up."""
    run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "link", "set", "lo", "up"])


def delete_namespace(name: str) -> None:
    """Delete a named namespace (its interfaces, veth ends included, go with it)."""
    if namespace_exists(name):
        run(["ip", "netns", "del", name])


def namespace_pids(name: str) -> list[int]:
    """Pids of the processes still running inside the namespace."""
    if not namespace_exists(name):
        return []
    proc = run(["ip", "netns", "pids", name], check=False)
    return [int(tok) for tok in proc.stdout.split() if tok.isdigit()]


def create_veth(client_ns: str, client_if: str, net_ns: str, net_if: str) -> None:
    """A veth pair whose two ends are born inside the two namespaces."""
    run(["ip", "link", "add", client_if, "netns", client_ns, "type", "veth", "peer", "name", net_if, "netns", net_ns])
    run(["ip", "-n", client_ns, "link", "set", client_if, "up"])
    run(["ip", "-n", net_ns, "link", "set", net_if, "up"])


def add_address(namespace: str, ifname: str, cidr: str) -> None:
    """Add an address to an interface in the namespace."""
    run(["ip", "-n", namespace, "addr", "add", cidr, "dev", ifname])


def add_default_route(namespace: str, via: str) -> None:
    """Set the namespace's default route."""
    run(["ip", "-n", namespace, "route", "add", "default", "via", via])


def create_origin_interface(namespace: str, ifname: str) -> str:
    """A dummy interface for origin addresses; loopback when the kernel has no dummy driver.

    Returns the name of the interface to put the origin addresses on.
    """
    made = run(["ip", "-n", namespace, "link", "add", ifname, "type", "dummy"], check=False)
    if made.returncode != 0:
        return "lo"
    run(["ip", "-n", namespace, "link", "set", ifname, "up"])
    return ifname


def write_resolv_conf(namespace: str, nameserver: str) -> Path:
    """/etc/netns/<ns>/resolv.conf, which `ip netns exec` bind-mounts over /etc/resolv.conf."""
    folder = NETNS_ETC_DIR / namespace
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "resolv.conf"
    path.write_text(f"nameserver {nameserver}\noptions timeout:2 attempts:1\n", encoding="utf-8")
    return path


def remove_etc_netns(namespace: str) -> None:
    """Remove /etc/netns/<ns> and, when it is then empty, /etc/netns itself."""
    folder = NETNS_ETC_DIR / namespace
    if folder.exists():
        shutil.rmtree(folder)
    with contextlib.suppress(OSError):  # not empty (someone else's namespace) or already gone
        NETNS_ETC_DIR.rmdir()


_libc = ctypes.CDLL(None, use_errno=True)


def ns_socket(namespace: str, family: int = socket.AF_INET, kind: int = socket.SOCK_STREAM) -> socket.socket:
    """A socket that lives in `namespace`, usable from any thread of this process.

    A short-lived thread enters the namespace with setns(2) (which affects that thread only) and
    creates the socket there; a socket keeps the namespace it was created in.
    """
    box: dict[str, object] = {}

    def worker() -> None:
        try:
            fd = os.open(NETNS_RUN_DIR / namespace, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({namespace}): {os.strerror(err)}")
            finally:
                os.close(fd)
            box["sock"] = socket.socket(family, kind)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=worker, name=f"setns-{namespace}", daemon=True)
    thread.start()
    thread.join(5.0)
    if "sock" in box:
        return box["sock"]  # type: ignore[return-value]
    raise LabError(f"cannot open a socket in namespace {namespace}: {box.get('error', 'timed out')}")


def tcp_connects(namespace: str, host: str, port: int, timeout: float = 1.0) -> bool:
    """True when a TCP connection from inside `namespace` to host:port succeeds."""
    sock = ns_socket(namespace)
    sock.settimeout(timeout)
    try:
        sock.connect((host, port))
    except OSError:
        return False
    finally:
        sock.close()
    return True

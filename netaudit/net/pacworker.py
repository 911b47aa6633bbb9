"""A PAC file evaluated in a child process, so that no PAC can hold a run past its deadline.

pypac runs JavaScript in QuickJS (dukpy), which holds the GIL and cannot be interrupted: a
``while (true) {}`` in a PAC file would freeze the whole program, threads and signal handlers
included. So the PAC is fetched, parsed and asked in a child process (`PacProcess`), one
request at a time over a pipe of JSON lines; the parent waits for each answer at most as long
as the caller allows and kills the child when that time has passed. The child also arms an
alarm for every request, so it ends itself if its parent is gone (a killed parent leaves no
spinning orphan).

The child side is `main()`, run as ``python -c "...; from netaudit.net.pacworker import main; main()"``;
it imports no more of netaudit than this module and `netaudit.secrets`.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import signal
import ssl
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from time import monotonic
from typing import IO, Any

from netaudit.secrets import mask_url, redact

PAC_MAX_BYTES = 1024 * 1024
"""A PAC file larger than this is refused (they are a few KiB in practice)."""

_ALARM_SLACK = 2.0
"""The child ends itself this long after a request's own limit, if its parent has not killed it."""


class PacTimeout(Exception):
    """The child did not answer within the time allowed (`starting`: it did not even start); it has been killed."""

    def __init__(self, starting: bool = False) -> None:
        super().__init__("the PAC evaluator did not start in time" if starting else "no answer in time")
        self.starting = starting


class PacDied(Exception):
    """The child ended without answering (crashed, or was killed); `code` is its exit status."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"the PAC evaluator ended unexpectedly (exit status {code})")
        self.code = code


# --- The parent side ----------------------------------------------------------------------------


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _read_lines(stream: IO[bytes], answers: queue.Queue[bytes | None]) -> None:
    try:
        for line in stream:
            answers.put(line)
    except (OSError, ValueError):
        pass
    answers.put(None)


class PacProcess:
    """One child process that fetches, loads and asks a PAC file. Not thread-safe: callers hold a lock."""

    def __init__(self, *, fetches: bool = False) -> None:
        # The child finds this very netaudit (an installed one, a checkout, or on PYTHONPATH) by its path.
        package_parent = str(Path(__file__).resolve().parent.parent.parent)
        code = f"import sys; sys.path.insert(0, {package_parent!r}); from netaudit.net.pacworker import main; main()"
        command = [sys.executable, "-c", code]
        if fetches:
            command.append("--fetch")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self._finalizer = weakref.finalize(self, _stop, self._process)
        self._answers: queue.Queue[bytes | None] = queue.Queue()
        assert self._process.stdout is not None
        threading.Thread(target=_read_lines, args=(self._process.stdout, self._answers), daemon=True).start()
        self._ready = False

    def close(self) -> None:
        """Stop the child (idempotent)."""
        self._finalizer()

    def request(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        """Send one request and wait for its answer until `deadline` (a `time.monotonic()` value).

        The child's start counts against the deadline of its first request. Raises `PacTimeout`
        (the child is killed) or `PacDied`.
        """
        if not self._ready:
            self._receive(deadline, starting=True)
            self._ready = True
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps({**message, "limit": max(deadline - monotonic(), 0.0)}).encode() + b"\n")
            stdin.flush()
        except (OSError, ValueError):
            self.close()
            raise PacDied(self._process.poll()) from None
        return self._receive(deadline)

    def _receive(self, deadline: float, *, starting: bool = False) -> dict[str, Any]:
        try:
            line = self._answers.get(timeout=max(deadline - monotonic(), 0.0))
        except queue.Empty:
            self.close()
            raise PacTimeout(starting) from None
        if line is None:
            self.close()
            raise PacDied(self._process.returncode)
        answer: dict[str, Any] = json.loads(line)
        return answer


# --- Fetching a PAC URL (in the child) ----------------------------------------------------------


def _fetch_reason(exc: BaseException, timeout: float) -> str:
    import requests

    if isinstance(exc, requests.Timeout):
        return f"no answer within {timeout:g} s"
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if found:
        return found.group(1).strip().lower()
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed (" + text[:160] + ")"
    return text[:200] or type(exc).__name__


def decode_pac(data: bytes) -> str:
    """A PAC file's text: UTF-8 (with or without a byte-order mark), else Latin-1."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class FetchFailed(Exception):
    """The PAC URL could not be fetched; the message is the whole line for the user."""


def fetch_pac(url: str, ca_bundle: str | None, timeout: float, secrets: tuple[str, ...]) -> str:
    """GET the PAC file directly (as browsers do), with this trust; `FetchFailed` with a line for people."""
    import requests
    import truststore
    from requests.adapters import HTTPAdapter

    class _SystemTrust(HTTPAdapter):
        def init_poolmanager(self, *args: object, **kwargs: object) -> None:
            kwargs["ssl_context"] = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]

    shown = mask_url(url)
    session = requests.Session()
    session.trust_env = False  # a PAC file is fetched directly, as browsers do
    if ca_bundle is None:
        session.mount("https://", _SystemTrust())
    try:
        with session.get(
            url, timeout=timeout, stream=True, verify=ca_bundle if ca_bundle is not None else True, allow_redirects=True
        ) as response:
            if response.status_code != 200:
                status = f"HTTP {response.status_code} {response.reason}"
                raise FetchFailed(f"could not fetch the PAC file {shown}: {status}")
            data = response.raw.read(PAC_MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        reason = redact(_fetch_reason(exc, timeout), secrets)
        raise FetchFailed(f"could not fetch the PAC file {shown}: {reason}") from None
    finally:
        session.close()
    if len(data) > PAC_MAX_BYTES:
        raise FetchFailed(f"could not fetch the PAC file {shown}: larger than {PAC_MAX_BYTES} bytes")
    return decode_pac(data)


# --- The child side -----------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _serve(request: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    from dukpy import JSRuntimeError
    from pypac.parser import MalformedPacError, PACFile

    operation = request.get("op")
    if operation == "fetch":
        try:
            text = fetch_pac(request["url"], request.get("ca_bundle"), request["timeout"], tuple(request["secrets"]))
        except FetchFailed as exc:
            return {"failed": str(exc)}
        return {"js": text}
    if operation == "load":
        try:
            state["pac"] = PACFile(request["js"])
        except MalformedPacError as exc:
            return {"malformed": _first_line(exc.original_exc or exc) or "malformed"}
        except Exception as exc:  # pypac may raise other errors on odd input
            return {"malformed": type(exc).__name__}
        return {"ok": True}
    if operation == "find":
        try:
            value = state["pac"].find_proxy_for_url(request["url"], request["host"])
        except JSRuntimeError as exc:
            return {"jserror": _first_line(exc) or "error"}
        except Exception as exc:  # a Python helper of pypac failing inside the JS call
            return {"pyerror": type(exc).__name__}
        if value is None or isinstance(value, str):
            return {"value": value}
        return {"type": type(value).__name__}
    return {"pyerror": f"unknown request {operation!r}"}


def main() -> None:
    """The child: answer JSON-line requests on stdin until it closes; each request ends within its limit."""
    import pypac.parser  # noqa: F401 - imported before saying ready: the parent knows what start-up cost

    if "--fetch" in sys.argv:
        import requests  # noqa: F401
        import truststore  # noqa: F401
    alarm = getattr(signal, "setitimer", None)
    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    state: dict[str, Any] = {}
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if alarm is not None:  # SIGALRM's default action ends the process, even inside QuickJS
            alarm(signal.ITIMER_REAL, float(request.get("limit", 0)) + _ALARM_SLACK)
        started = monotonic()
        answer = _serve(request, state)
        if alarm is not None:
            alarm(signal.ITIMER_REAL, 0)
        answer["elapsed"] = round(monotonic() - started, 3)
        out.write(json.dumps(answer).encode() + b"\n")
        out.flush()

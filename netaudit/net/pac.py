"""PAC files: loaded once (a path or an http(s) URL) and asked FindProxyForURL, each within the deadline.

The JavaScript runs in a child process (`netaudit.net.pacworker`): pypac's engine holds the GIL
and cannot be interrupted, so only a process can be stopped when a PAC loops or a PAC URL drips.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic
from typing import Any
from urllib.parse import unquote

from netaudit.errors import EnvironmentProblem, InputError, NetauditError, ProxyLookupError, ProxyUnsupported
from netaudit.model import ProxySpec
from netaudit.net.pacworker import PAC_MAX_BYTES, PacDied, PacProcess, PacTimeout, decode_pac
from netaudit.net.proxyurl import apply_credentials, parse_proxy_url
from netaudit.net.routes import Router, UrlTarget
from netaudit.probe.hub import wait_for
from netaudit.secrets import mask_url, password_in_url, redact

PAC_FETCH_TIMEOUT = 15.0
"""Upper bound in seconds for fetching a PAC URL (the probe timeout applies if it is smaller)."""


class Pac:
    """A PAC file loaded once into its own child process; FindProxyForURL asked by one thread and cached.

    The questions go to the child from one worker thread, one at a time, and a caller waits with
    `hub.wait_for`: a probe in the hub parks while the PAC file thinks, and the other probes go on.

    Like Chrome, an https URL is handed to the PAC as ``https://host[:port]/`` (no path), so the
    answer is cached per scheme, host and port; an http URL is handed over whole and cached per URL.
    Each question is bounded by `timeout`: a PAC that does not answer in time is a lookup error for
    that URL, and the next question starts a fresh child.
    """

    def __init__(
        self, source: str, shown: str, js: str, process: PacProcess, timeout: float, secrets: tuple[str, ...] = ()
    ) -> None:
        self.source = source
        self.shown = shown
        self._js = js
        self._process: PacProcess | None = process
        self._timeout = timeout
        self._lock = threading.Lock()
        self._cache: dict[str, ProxySpec | ProxyLookupError | None] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pac")
        self._secrets = secrets

    def lookup(self, target: UrlTarget) -> ProxySpec | None:
        if target.scheme in ("https", "wss"):
            host = f"[{target.host}]" if ":" in target.host else target.host
            default = 443
            pac_url = f"{target.scheme}://{host}{'' if target.port == default else f':{target.port}'}/"
        else:
            pac_url = target.url.split("#", 1)[0]
        with self._lock:
            known = pac_url in self._cache
            answer = self._cache.get(pac_url)
        if not known:
            answer = wait_for(self._worker.submit(self._answer, pac_url, target.host))
        if isinstance(answer, ProxyLookupError):
            raise type(answer)(str(answer))
        return answer

    def _answer(self, pac_url: str, host: str) -> ProxySpec | ProxyLookupError | None:
        """On the worker thread: the cached answer, or the child's (asked once per URL)."""
        with self._lock:
            if pac_url in self._cache:
                return self._cache[pac_url]
        answer = self._evaluate(pac_url, host)
        with self._lock:
            return self._cache.setdefault(pac_url, answer)

    def _ask(self, pac_url: str, host: str) -> dict[str, Any]:
        deadline = monotonic() + self._timeout
        if self._process is None:
            process = PacProcess()
            answer = process.request({"op": "load", "js": self._js}, deadline)
            if "ok" not in answer:
                process.close()
                raise PacDied(None)
            self._process = process
        try:
            return self._process.request({"op": "find", "url": pac_url, "host": host}, deadline)
        except (PacTimeout, PacDied):
            self._process = None
            raise

    def _evaluate(self, pac_url: str, host: str) -> ProxySpec | ProxyLookupError | None:
        try:
            answer = self._ask(pac_url, host)
        except PacTimeout:
            return ProxyLookupError(f"the PAC file {self.shown} did not answer for {host} within {self._timeout:g} s")
        except PacDied as exc:
            return ProxyLookupError(f"the PAC file {self.shown} failed for {host}: {exc}")
        if "jserror" in answer:
            first = redact(str(answer["jserror"]), self._secrets)
            return ProxyLookupError(f"the PAC file {self.shown} failed for {host}: {first}")
        if "pyerror" in answer:
            return ProxyLookupError(f"the PAC file {self.shown} failed for {host}: {answer['pyerror']}")
        if "type" in answer:
            return ProxyLookupError(f"the PAC file {self.shown} returned {answer['type']} for {host}, not a proxy list")
        value = answer.get("value")
        if value is None:
            return None
        try:
            return parse_pac_answer(str(value), host=host, source=f"the PAC file {self.shown}")
        except ProxyLookupError as exc:
            return exc

    def close(self) -> None:
        """Stop the child process (it also stops when the program ends) and the worker thread."""
        self._worker.shutdown(wait=False)
        if self._process is not None:
            self._process.close()


def parse_pac_answer(value: str, *, host: str = "", source: str = "the PAC file") -> ProxySpec | None:
    """Turn a FindProxyForURL answer into the proxy to use (None = DIRECT) or an error to record.

    Entries are tried in order, as a browser would: ``DIRECT`` → None; ``PROXY``/``HTTP host:port``
    → an http proxy (port 80 if missing). ``HTTPS`` (TLS to the proxy) and ``SOCKS*`` entries are
    skipped: netaudit does not speak them; an answer with nothing else raises `ProxyUnsupported`,
    and an answer with no recognisable entry raises `ProxyLookupError`. An empty answer means DIRECT.
    """
    skipped: list[str] = []
    kinds: set[str] = set()
    unknown: list[str] = []
    for element in value.split(";"):
        parts = element.split()
        if not parts:
            continue
        keyword = parts[0].upper()
        if keyword == "DIRECT" and len(parts) == 1:
            return None
        if len(parts) == 2 and keyword in ("PROXY", "HTTP"):
            try:
                return parse_proxy_url(
                    f"http://{parts[1]}", source=source, allow_password=False, default_port=80, error=ProxyLookupError
                )
            except ProxyLookupError:
                unknown.append(mask_url(element.strip()))
                continue
        if len(parts) == 2 and keyword in ("SOCKS", "SOCKS4", "SOCKS5", "HTTPS"):
            skipped.append(element.strip())
            kinds.add("HTTPS" if keyword == "HTTPS" else "SOCKS")
            continue
        unknown.append(mask_url(element.strip()))
    subject = f" for {host}" if host else ""
    if skipped:
        named = " or ".join(sorted(kinds))
        raise ProxyUnsupported(
            f"{source} sends{subject} only to {named} proxies ({'; '.join(skipped)}); netaudit speaks to HTTP proxies"
        )
    if unknown:
        raise ProxyLookupError(f"{source} returned{subject} no usable entry: {'; '.join(unknown)[:200]!r}")
    return None


@dataclass(frozen=True)
class PacRouter:
    pac: Pac
    override_user: str | None = None
    override_password: str | None = field(default=None, repr=False)

    def proxy_for(self, target: UrlTarget) -> ProxySpec | None:
        spec = self.pac.lookup(target)
        if spec is None:
            return None
        return apply_credentials(spec, self.override_user, self.override_password)

    def describe(self) -> str:
        return f"pac ({self.pac.shown})"

    def secrets(self) -> tuple[str, ...]:
        found = list(self.pac._secrets)
        if self.override_password:
            found.append(self.override_password)
        return tuple(found)

    def with_credentials(self, user: str | None, password: str | None) -> Router:
        return PacRouter(self.pac, user, password)


def _not_started(label: str, timeout: float) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"{label}: the PAC evaluator (a child process) did not start within {timeout:g} s; the machine may be "
        "overloaded, or give a longer --timeout"
    )


def load_pac(source: str, ca_bundle: Path | None, timeout: float) -> Pac:
    """Load and parse the PAC once, in its own child process, within `timeout` seconds.

    A URL that cannot be fetched in time, serves something that is not a PAC file, or a PAC that
    does not finish loading in time (an endless loop) is an EnvironmentProblem (exit 3); a
    missing or invalid file is an InputError (exit 2).
    """
    is_url = bool(re.match(r"(?i)https?://", source.strip()))
    secrets: tuple[str, ...] = ()
    problem: type[NetauditError]
    if is_url:
        url = source.strip()
        password = password_in_url(url)
        if password:
            secrets = tuple(s for s in {password, unquote(password)} if s)
        shown = mask_url(url)
        problem = EnvironmentProblem
        label = f"the PAC file {shown}"
    else:
        path_text = source[7:] if source.lower().startswith("file://") else source
        path = Path(path_text).expanduser()
        shown = str(path)
        if not path.exists():
            raise InputError(f"--pac {source}: no such file")
        if path.is_dir():
            raise InputError(f"--pac {source}: is a folder, not a PAC file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"--pac {source}: cannot read it ({exc.strerror or exc})") from None
        if len(data) > PAC_MAX_BYTES:
            raise InputError(f"--pac {source}: larger than {PAC_MAX_BYTES} bytes; is it a PAC file?")
        js = decode_pac(data)
        problem = InputError
        label = f"--pac {source}"

    deadline = monotonic() + timeout  # the child's start, the fetch and the load: all within --timeout
    process = PacProcess(fetches=is_url)
    try:
        if is_url:
            bound = min(timeout, PAC_FETCH_TIMEOUT)
            request = {"op": "fetch", "url": url, "timeout": bound, "secrets": list(secrets)}
            request["ca_bundle"] = str(ca_bundle) if ca_bundle is not None else None
            try:
                fetched = process.request(request, min(deadline, monotonic() + bound))
            except PacTimeout as exc:
                if exc.starting:
                    raise _not_started(label, timeout) from None
                raise EnvironmentProblem(
                    f"could not fetch the PAC file {shown}: no complete answer within {bound:g} s"
                ) from None
            if "failed" in fetched:
                raise EnvironmentProblem(str(fetched["failed"]))
            js = str(fetched["js"])
        try:
            loaded = process.request({"op": "load", "js": js}, deadline)
        except PacTimeout as exc:
            if exc.starting:
                raise _not_started(label, timeout) from None
            raise EnvironmentProblem(
                f"{label}: not a usable PAC file: it did not finish loading within {timeout:g} s (an endless loop?)"
            ) from None
        if "malformed" in loaded:
            raise problem(f"{label}: not a valid PAC file: {redact(str(loaded['malformed']), secrets)}")
    except PacDied as exc:
        process.close()
        raise EnvironmentProblem(f"{label}: {exc}") from None
    except BaseException:
        process.close()
        raise
    return Pac(source, shown, js, process, timeout, secrets)

"""The HTTP layer: send one request, read one bounded answer (head and at most 256 KiB of body)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from netaudit import __version__
from netaudit.probe.stream import Stream, StreamClosed

MAX_HEAD = 64 * 1024
MAX_BODY = 256 * 1024
# Browser-like enough that sites answer as they would a person, honest about who is asking.
USER_AGENT = f"Mozilla/5.0 (compatible; netaudit/{__version__}; social-media readiness audit)"

# The head ends at an empty line. Lines end in CRLF; a bare LF is accepted too (RFC 9112, 2.2), as
# browsers do: DansGuardian and e2guardian 3 write their block pages' heads that way.
_END_OF_HEAD = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")
_STATUS_LINE = re.compile(rb"^HTTP/(\d)(?:\.(\d))? +(\d{3})(?: +([^\r\n]*))?\r?\n")


class HttpProtocolError(Exception):
    """The answer was not HTTP."""


@dataclass
class HttpAnswer:
    """One HTTP answer: status, headers (names lowercased, repeated ones joined) and the body read."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False

    def text(self) -> str:
        charset = "utf-8"
        match = re.search(r"charset=([\w.-]+)", self.headers.get("content-type", ""), re.I)
        if match:
            charset = match.group(1)
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def build_request(
    method: str, target: str, host: str, extra: dict[str, str] | None = None, *, keep_alive: bool = False
) -> bytes:
    """An HTTP/1.1 request head; `target` is the path (origin form) or the absolute URL (proxy form)."""
    lines = [
        f"{method} {target} HTTP/1.1",
        f"Host: {host}",
        f"User-Agent: {USER_AGENT}",
        "Accept: text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
        "Accept-Encoding: identity",
        "Proxy-Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_head(stream: Stream) -> HttpAnswer:
    """The status line and headers of an answer."""
    try:
        head = stream.read_through(_END_OF_HEAD, MAX_HEAD)
    except StreamClosed:
        if stream.buffer:
            head = bytes(stream.buffer)
        else:
            raise
    except ValueError as exc:
        raise HttpProtocolError(str(exc)) from exc
    match = _STATUS_LINE.match(head)
    if not match:
        raise HttpProtocolError(f"not an HTTP answer: {head[:40]!r}")
    answer = HttpAnswer(status=int(match.group(3)), reason=(match.group(4) or b"").decode("latin-1").strip())
    for raw in _LINE_END.split(head[match.end() :]):
        name, sep, value = raw.partition(b":")
        if not sep:
            continue
        key = name.decode("latin-1").strip().lower()
        text = value.decode("latin-1").strip()
        answer.headers[key] = f"{answer.headers[key]}, {text}" if key in answer.headers else text
    return answer


def read_body(stream: Stream, answer: HttpAnswer, method: str, limit: int = MAX_BODY) -> None:
    """Read at most `limit` bytes of the body into `answer`, honouring its framing."""
    if method == "HEAD" or answer.status in (204, 304) or 100 <= answer.status < 200:
        return
    if "chunked" in answer.headers.get("transfer-encoding", "").lower():
        answer.body, answer.truncated = _read_chunked(stream, limit)
        return
    length = answer.headers.get("content-length", "")
    if length.isdigit():
        wanted = int(length)
        answer.body = stream.read(min(wanted, limit))
        answer.truncated = wanted > limit
        return
    answer.body = stream.read_to_eof(limit)
    answer.truncated = len(answer.body) >= limit


def _read_chunked(stream: Stream, limit: int) -> tuple[bytes, bool]:
    body = bytearray()
    while len(body) < limit:
        try:
            size_line = stream.read_until(b"\r\n", 1024)
        except (StreamClosed, ValueError):
            break
        try:
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
        except ValueError:
            break
        if size == 0:
            return bytes(body), False
        body += stream.read(min(size, limit - len(body)))
        if len(body) >= limit:
            break
        stream.read(2)
    return bytes(body[:limit]), True

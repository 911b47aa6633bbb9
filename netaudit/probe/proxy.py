"""The proxy layer: reach the proxy, ask for a tunnel (CONNECT) or forward a plain request, and read its refusals."""

from __future__ import annotations

import socket

from netaudit.model import HttpEvidence, Layer, ProxySpec, Status
from netaudit.probe.blockpages import match_block_page, page_title
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure
from netaudit.probe.http import HttpAnswer, HttpProtocolError, build_request, read_body, read_head
from netaudit.probe.proxyauth import Handshake, basic_credentials, handshake_scheme
from netaudit.probe.stream import Stream, StreamClosed
from netaudit.probe.tcp import ConnectFailed, open_connection

# What Squid's X-Squid-Error codes mean, for the person reading the detail.
_SQUID_ERRORS = {
    "ERR_CONNECT_FAIL 111": "the proxy's connection to the site was refused",
    "ERR_CONNECT_FAIL 110": "the proxy's connection to the site timed out",
    "ERR_CONNECT_FAIL 113": "the proxy has no route to the site",
    "ERR_DNS_FAIL": "the proxy could not resolve the site's name",
    "ERR_READ_TIMEOUT": "the site did not answer the proxy in time",
    "ERR_ACCESS_DENIED": "denied by an http_access rule",
    "ERR_CACHE_ACCESS_DENIED": "the proxy wants credentials",
    "ERR_GATEWAY_FAILURE": "the proxy could not reach the site",
}


def connect_to_proxy(spec: ProxySpec, addresses: list[str], deadline: Deadline) -> socket.socket:
    """A TCP connection to the proxy itself; failures are proxy_error."""
    if spec.scheme != "http":
        raise LayerFailure(
            Status.PROXY_ERROR, Layer.PROXY, f"the proxy {spec.masked()} speaks {spec.scheme}; netaudit supports http"
        )
    try:
        return open_connection(addresses, spec.port, deadline)
    except ConnectFailed as exc:
        raise LayerFailure(
            Status.PROXY_ERROR, Layer.PROXY, f"cannot reach the proxy {spec.masked()}: {exc.detail}"
        ) from exc


def open_tunnel(spec: ProxySpec, addresses: list[str], host: str, port: int, deadline: Deadline) -> socket.socket:
    """A CONNECT tunnel to host:port through the proxy, ready for TLS.

    Basic credentials go with the first request; a proxy that offers only NTLM or Negotiate gets
    the challenge-response exchange on one kept-alive connection, as a Windows browser does.
    """
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    sock, stream, answer = _connect_request(
        spec, addresses, authority, basic_credentials(spec), deadline, keep_alive=False
    )
    scheme = handshake_scheme(answer.headers.get("proxy-authenticate", "")) if answer.status == 407 else None
    if scheme and spec.username and spec.password is not None:
        sock.close()
        handshake = Handshake(spec, scheme)
        sock, stream, answer = _connect_request(
            spec, addresses, authority, handshake.first(), deadline, keep_alive=True
        )
        reply = handshake.answer(answer.headers.get("proxy-authenticate", "")) if answer.status == 407 else None
        if reply is not None:
            _read_refusal_body(stream, answer, "CONNECT", deadline)
            answer = _send_connect(sock, stream, spec, authority, reply, deadline, keep_alive=True)
    if 200 <= answer.status < 300:
        if stream.buffer:  # a proxy must not send anything after 200 to CONNECT
            sock.close()
            raise LayerFailure(Status.PROXY_ERROR, Layer.PROXY, "the proxy sent data after accepting CONNECT")
        return sock
    _read_refusal_body(stream, answer, "CONNECT", deadline)
    sock.close()
    raise refusal(answer, spec, f"CONNECT {authority}")


def _connect_request(
    spec: ProxySpec,
    addresses: list[str],
    authority: str,
    headers: dict[str, str],
    deadline: Deadline,
    *,
    keep_alive: bool,
) -> tuple[socket.socket, Stream, HttpAnswer]:
    sock = connect_to_proxy(spec, addresses, deadline)
    stream = Stream(sock, deadline)
    return sock, stream, _send_connect(sock, stream, spec, authority, headers, deadline, keep_alive=keep_alive)


def _send_connect(
    sock: socket.socket,
    stream: Stream,
    spec: ProxySpec,
    authority: str,
    headers: dict[str, str],
    deadline: Deadline,
    *,
    keep_alive: bool,
) -> HttpAnswer:
    try:
        stream.send(build_request("CONNECT", authority, authority, headers, keep_alive=keep_alive))
        return read_head(stream)
    except (DeadlineExceeded, TimeoutError) as exc:
        sock.close()
        raise LayerFailure(
            Status.TIMEOUT,
            Layer.PROXY,
            f"the proxy {spec.masked()} did not answer CONNECT {authority} in time",
        ) from exc
    except (StreamClosed, HttpProtocolError, OSError) as exc:
        sock.close()
        raise LayerFailure(
            Status.PROXY_ERROR, Layer.PROXY, f"the proxy {spec.masked()} broke off CONNECT {authority}: {exc}"
        ) from exc


def forward_request(
    spec: ProxySpec, addresses: list[str], request: bytes, deadline: Deadline
) -> tuple[socket.socket, Stream]:
    """Send a plain-HTTP request (absolute form) through the proxy; the caller reads the answer."""
    sock = connect_to_proxy(spec, addresses, deadline)
    stream = Stream(sock, deadline)
    try:
        stream.send(request)
    except (DeadlineExceeded, OSError) as exc:
        sock.close()
        raise LayerFailure(Status.PROXY_ERROR, Layer.PROXY, f"the proxy {spec.masked()} broke off: {exc}") from exc
    return sock, stream


def proxy_refusal_of(answer: HttpAnswer, spec: ProxySpec, what: str) -> LayerFailure | None:
    """For a forwarded plain-HTTP request: the proxy's own refusal, or None when the answer is the site's."""
    squid_error = answer.headers.get("x-squid-error", "")
    if answer.status == 407 or (answer.status in (403, 502, 503, 504) and squid_error) or answer.status in (502, 504):
        return refusal(answer, spec, what)
    return None


def refusal(answer: HttpAnswer, spec: ProxySpec, what: str) -> LayerFailure:
    """The status a proxy's non-2xx answer names, with the answer as evidence."""
    code = f"{answer.status} {answer.reason}".strip()
    explained = _explain(answer)
    product = ""
    title = page_title(answer.text())
    fingerprint = match_block_page(answer.status, answer.headers, answer.text(), title)
    if fingerprint:
        product = f"; the page is a {fingerprint.product} block page"
    evidence = HttpEvidence(
        status=answer.status,
        title=title,
        server=answer.headers.get("server", ""),
        via=answer.headers.get("via", ""),
        bytes_read=len(answer.body),
        fingerprint=fingerprint.product if fingerprint else "",
    )
    if answer.status == 407:
        challenge = answer.headers.get("proxy-authenticate", "no challenge")
        if spec.username and spec.password is not None:
            detail = f"the proxy {spec.masked()} rejected the credentials of user '{spec.username}' ({challenge})"
        elif spec.username:
            detail = f"the proxy {spec.masked()} wants a password for user '{spec.username}' ({challenge})"
        else:
            detail = f"the proxy {spec.masked()} wants credentials ({challenge}); none were given"
        return LayerFailure(Status.PROXY_AUTH_REQUIRED, Layer.PROXY, detail, evidence)
    if answer.status >= 500:
        detail = f"the proxy {spec.masked()} answered {what} with {code}{explained}"
        return LayerFailure(Status.PROXY_ERROR, Layer.PROXY, detail, evidence)
    detail = f"the proxy {spec.masked()} refused {what} with {code}{explained}{product}"
    return LayerFailure(Status.PROXY_DENIED, Layer.PROXY, detail, evidence)


def _explain(answer: HttpAnswer) -> str:
    squid_error = answer.headers.get("x-squid-error", "")
    if not squid_error:
        return ""
    for code, meaning in _SQUID_ERRORS.items():
        if squid_error.startswith(code):
            return f" ({squid_error}: {meaning})"
    return f" ({squid_error})"


def _read_refusal_body(stream: Stream, answer: HttpAnswer, method: str, deadline: Deadline) -> None:
    # A refusal page is read briefly (for its fingerprint) and never allowed to eat the deadline.
    try:
        left = deadline.remaining()
    except DeadlineExceeded:
        return
    stream.deadline = Deadline(min(left, 1.0))
    try:
        read_body(stream, answer, method, limit=64 * 1024)
    except (DeadlineExceeded, StreamClosed, OSError):
        pass
    finally:
        stream.deadline = deadline

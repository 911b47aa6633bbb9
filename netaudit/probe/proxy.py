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


# Server headers that only a proxy's or filter's own answers carry: relayed answers keep the
# origin's Server header, so one of these on an error means the proxy answered, not the site.
# (token at the start of the header, case-insensitive; product)
_OWN_SERVERS: tuple[tuple[str, str], ...] = (
    ("squid", "Squid"),  # squid-cache/squid src/errorpage.cc: Server: squid/<version>
    ("tinyproxy", "tinyproxy"),  # tinyproxy src/html-error.c send_http_headers()
    ("e2guardian", "e2guardian"),  # e2guardian src/ConnectionHandler.cpp
    ("zscaler", "Zscaler"),  # Zscaler block pages: Server: Zscaler/<version> (Ekultek/WhatWaf issue 178)
    ("barracudahttp", "Barracuda"),  # OONI ooni.zz_3
    ("barracuda/ngfirewall", "Barracuda"),  # OONI ooni.zz_2
    ("sonicwall", "SonicWall"),  # OONI ooni.br_1
    ("kerio control", "Kerio Control"),  # OONI ooni.cl_0
)

# Words in the status line's reason phrase with which a proxy signs its own refusals.
_OWN_REASONS: tuple[tuple[str, str], ...] = (
    ("privoxy", "Privoxy"),  # filters.c block_url(): "403 Request blocked by Privoxy"
    ("forefront tmg", "Microsoft Forefront TMG"),  # "403 Forbidden ( Forefront TMG denied the specified ... )"
    ("isa server", "Microsoft ISA Server"),  # the same template before TMG
)


def own_answer_product(answer: HttpAnswer) -> str:
    """The proxy product whose own answer this is, from headers only the proxy sets; "" if none.

    X-Squid-Error is on every page Squid generates (src/errorpage.cc); a Server header from
    `_OWN_SERVERS` or a reason phrase from `_OWN_REASONS` names the proxy that wrote the answer.
    """
    if answer.headers.get("x-squid-error"):
        return "Squid"
    server = answer.headers.get("server", "").strip().lower()
    for token, product in _OWN_SERVERS:
        if server.startswith(token):
            return product
    reason = answer.reason.lower()
    for word, product in _OWN_REASONS:
        if word in reason:
            return product
    return ""


def proxy_refusal_of(
    answer: HttpAnswer, spec: ProxySpec, what: str, stream: Stream | None = None
) -> LayerFailure | None:
    """For a forwarded plain-HTTP request: the proxy's own refusal, or None when the answer is the site's.

    The proxy's own answers are its verdict, never the site's error: 407 (credentials), 502 and 504
    (it could not reach the site), and any error status (400 and up) that carries a header only the
    proxy writes (`own_answer_product`). With `stream`, the refusal page is read briefly first, so
    its block-page fingerprint and title are evidence too.
    """
    own = own_answer_product(answer)
    if answer.status in (407, 502, 504) or (own and answer.status >= 400):
        if stream is not None:
            _read_refusal_body(stream, answer, "GET", stream.deadline)
        return refusal(answer, spec, what, own)
    return None


def refusal(answer: HttpAnswer, spec: ProxySpec, what: str, own: str = "") -> LayerFailure:
    """The status a proxy's non-2xx answer names, with the answer as evidence.

    `own` is the proxy product the answer's headers name (`own_answer_product`); a denial names it
    as the fingerprint when no block-page fingerprint does.
    """
    code = f"{answer.status} {answer.reason}".strip()
    explained = _explain(answer)
    own = own or own_answer_product(answer)
    text = answer.text()
    title = page_title(text)
    fingerprint = match_block_page(answer.status, answer.headers, text, title)
    named = fingerprint.product if fingerprint else ""
    if named:
        product = f"; the page is a block page of {named}"
    elif own and 400 <= answer.status < 500 and answer.status != 407:
        named, product = own, f"; the answer is {own}'s own"
    else:
        product = f" ({own})" if own else ""
    evidence = HttpEvidence(
        status=answer.status,
        title=title,
        server=answer.headers.get("server", ""),
        via=answer.headers.get("via", ""),
        bytes_read=len(answer.body),
        fingerprint=named,
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
    if answer.status >= 500 and fingerprint is None:  # a block page is a denial, whatever its status (PAN-OS: 503)
        detail = f"the proxy {spec.masked()} answered {what} with {code}{explained}{product}"
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

"""The lab's origin servers: a threaded HTTP/HTTPS server in plain stdlib, one behaviour per address.

Run as its own process inside the net namespace:

    python origin.py CONFIG.json

CONFIG.json: {"listeners": [{"address": "198.51.100.10", "port": 443, "tls": true,
                             "behaviour": "ok", "chain": "/path/key-and-chain.pem"}, ...],
              "delay_ms": 0}

delay_ms (optional) is added before the handshake and before the response: a crude stand-in for
`tc netem` latency on kernels without the netem qdisc.

Behaviours:
  ok         200, HTML page titled "Social Test – Home"
  untrusted  same as ok (the listener is given a certificate from the rogue CA)
  block      200 with a FortiGuard-style block page
  error      500
  api        401 with a JSON body, like an unauthenticated API call
  slowdrip   completes TLS, then sends the response one byte per second until the client leaves
  tlsreset   accepts TCP, reads the ClientHello (or request), then closes with a RST
  portal     302 to a squidGuard block portal
  loop       302 to itself, forever
  redirect   301 from / to /home, which is the ok page
"""

from __future__ import annotations

import json
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

IO_TIMEOUT = 15.0
MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
SLOWDRIP_MAX_SECONDS = 3600

OK_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Social Test – Home</title></head>
<body><h1>Social Test</h1><p>Welcome to the social network of the netaudit lab.</p></body></html>
"""

BLOCK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Web Filter Block Override</title>
<style>body{font-family:Verdana,sans-serif}</style></head>
<body><div class="header"><h1>FortiGuard Intrusion Prevention - Access Blocked</h1></div>
<h3>Web Page Blocked</h3>
<p>You have tried to access a web page which is in violation of your internet usage policy.</p>
<p>URL: %(host)s%(path)s</p><p>Category: Social Networking</p>
<p>To have the rating of this web page re-evaluated please contact your administrator.</p>
<p>FortiGate&reg; Web Filtering &ndash; Powered by Fortinet</p></body></html>
"""

ERROR_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>500 Internal Server Error</title></head>
<body><h1>Internal Server Error</h1><p>The social network is having a bad day.</p></body></html>
"""

API_BODY = json.dumps({"error": {"code": 401, "message": "Authentication required", "type": "OAuthException"}})

REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 401: "Unauthorized", 500: "Internal Server Error"}


def log(message: str) -> None:
    """One line on stderr (the lab keeps it in origin.log)."""
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} origin: {message}\n")
    sys.stderr.flush()


def response_for(behaviour: str, method: str, host: str, path: str) -> bytes:
    """The full HTTP/1.1 response (head and body) for a behaviour."""
    headers: dict[str, str] = {"Server": "netlab-origin", "Connection": "close"}
    if behaviour == "block":
        status, ctype = 200, "text/html; charset=utf-8"
        body = BLOCK_PAGE % {"host": host, "path": path}
    elif behaviour == "error":
        status, ctype, body = 500, "text/html; charset=utf-8", ERROR_PAGE
    elif behaviour == "portal":  # a filter sending the browser to its block portal
        status, ctype, body = 302, "text/html; charset=utf-8", ""
        headers["Location"] = f"http://filter.corp.test/cgi-bin/squidGuard.cgi?clientaddr=192.0.2.2&url={host}{path}"
    elif behaviour == "loop":  # redirects to itself forever
        status, ctype, body = 302, "text/html; charset=utf-8", ""
        headers["Location"] = path
    elif behaviour == "redirect" and path == "/":  # the home page moved: one hop, then the page
        status, ctype, body = 301, "text/html; charset=utf-8", ""
        headers["Location"] = "/home"
    elif behaviour == "api":
        status, ctype, body = 401, "application/json", API_BODY
        headers["WWW-Authenticate"] = 'Bearer realm="api.social.test"'
    else:
        status, ctype, body = 200, "text/html; charset=utf-8", OK_PAGE
    payload = body.encode("utf-8")
    headers["Content-Type"] = ctype
    headers["Content-Length"] = str(len(payload))
    head = f"HTTP/1.1 {status} {REASONS[status]}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + (b"" if method == "HEAD" else payload)


def slowdrip_bytes() -> Iterator[bytes]:
    """A response that never ends: a valid head, then an endless body."""
    head = b"HTTP/1.1 200 OK\r\nServer: netlab-origin\r\nContent-Type: text/html\r\nContent-Length: 100000000\r\n\r\n"
    yield from (head[i : i + 1] for i in range(len(head)))
    filler = b"<!DOCTYPE html><html><head><title>Social Test \xe2\x80\x93 Home</title></head><body>"
    while True:
        yield from (filler[i : i + 1] for i in range(len(filler)))
        filler = b"."


def read_request(conn: socket.socket) -> tuple[str, str, str] | None:
    """Read one request head (and a bounded body); return (method, host, path) or None."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > MAX_HEAD:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("GET", "/")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    length = min(int(fields.get("content-length", "0") or 0), MAX_BODY)
    remaining = length - len(rest)
    while remaining > 0:
        chunk = conn.recv(min(remaining, 65536))
        if not chunk:
            break
        remaining -= len(chunk)
    return method, fields.get("host", ""), path


def reset(sock: socket.socket) -> None:
    """Close with a RST instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


class Handler(socketserver.BaseRequestHandler):
    """One connection: optional TLS, one request, one response, close."""

    server: OriginServer

    def handle(self) -> None:
        raw: socket.socket = self.request
        raw.settimeout(IO_TIMEOUT)
        behaviour = self.server.behaviour
        try:
            if behaviour == "tlsreset":
                raw.recv(4096)  # the ClientHello (or the plain request)
                reset(raw)
                return
            conn: socket.socket = raw
            if self.server.delay:
                time.sleep(self.server.delay)
            if self.server.tls_context is not None:
                conn = self.server.tls_context.wrap_socket(raw, server_side=True)
            try:
                self.serve(conn, behaviour)
            finally:
                conn.close()
        except (OSError, ssl.SSLError, ValueError):
            return  # the client went away or spoke nonsense: nothing to report

    def serve(self, conn: socket.socket, behaviour: str) -> None:
        request = read_request(conn)
        if request is None:
            return
        method, host, path = request
        if self.server.delay:
            time.sleep(self.server.delay)
        if behaviour == "slowdrip":
            started = time.monotonic()
            for byte in slowdrip_bytes():
                conn.sendall(byte)
                if time.monotonic() - started > SLOWDRIP_MAX_SECONDS:
                    return
                time.sleep(1.0)
        conn.sendall(response_for(behaviour, method, host, path))


class OriginServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A listener with one behaviour; many concurrent connections, one thread each."""

    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024

    def __init__(
        self, address: str, port: int, behaviour: str, tls_context: ssl.SSLContext | None, delay: float = 0.0
    ) -> None:
        self.behaviour = behaviour
        self.tls_context = tls_context
        self.delay = delay
        self.address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        super().__init__((address, port), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log(f"error serving {client_address} on {self.server_address}: {sys.exc_info()[1]!r}")


def tls_context(chain: str) -> ssl.SSLContext:
    """A server context presenting the key and chain in `chain`."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def main(argv: list[str]) -> int:
    """Bind every listener in the config, then serve until SIGTERM."""
    if len(argv) != 2:
        sys.stderr.write("usage: origin.py CONFIG.json\n")
        return 2
    with open(argv[1], encoding="utf-8") as fh:
        config = json.load(fh)
    servers = []
    contexts: dict[str, ssl.SSLContext] = {}
    for spec in config["listeners"]:
        ctx = None
        if spec.get("tls"):
            chain = spec["chain"]
            ctx = contexts.setdefault(chain, tls_context(chain))
        servers.append(
            OriginServer(
                spec["address"],
                int(spec["port"]),
                spec["behaviour"],
                ctx,
                delay=float(config.get("delay_ms", 0)) / 1000.0,
            )
        )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    log(f"serving {len(servers)} listeners")
    while not stop.wait(0.5):
        pass
    log("stopped")  # serving threads are daemons: they end with the process
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

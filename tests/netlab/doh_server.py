"""The lab's DNS-over-HTTPS resolver (RFC 8484, GET and POST application/dns-message), in plain stdlib + dnspython.

Run as its own process inside the net namespace:

    python -P doh_server.py ADDRESS PORT CHAIN.pem RECORDS.json

RECORDS.json maps a name to the IPv4 address to answer; any other name is NXDOMAIN.
"""

from __future__ import annotations

import base64
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

RECORDS: dict[str, str] = {}


def answer(wire: bytes) -> bytes:
    """The response to one DNS query in wire form."""
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    question = query.question[0]
    name = question.name.to_text(omit_final_dot=True).lower()
    if name not in RECORDS:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif question.rdtype == dns.rdatatype.A:
        response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", RECORDS[name]))
    return response.to_wire()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self, body: bytes, status: int = 200, kind: str = "application/dns-message") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        encoded = parse_qs(parts.query).get("dns", [""])[0]
        if parts.path != "/dns-query" or not encoded:
            self._reply(b"not found\n", 404, "text/plain")
            return
        self._reply(answer(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0") or 0)
        self._reply(answer(self.rfile.read(length)))

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("doh: " + format % args + "\n")


def main(argv: list[str]) -> int:
    address, port, chain, records = argv[1], int(argv[2]), argv[3], argv[4]
    with open(records, encoding="utf-8") as fh:
        RECORDS.update({name.lower(): addr for name, addr in json.load(fh).items()})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    sys.stderr.write(f"doh: serving on {address}:{port}\n")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

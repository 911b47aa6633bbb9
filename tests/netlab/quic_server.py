"""The lab's QUIC (HTTP/3) endpoint: aioquic's server, handshakes only, with the origin's certificate.

Run as its own process inside the net namespace:

    python -P quic_server.py ADDRESS PORT CHAIN.pem

CHAIN.pem holds the private key and the certificate chain (as the lab's origin uses them). A client's
handshake (ALPN h3) completes; nothing more is served, which is all netaudit's QUIC probe asks for.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys

from aioquic.asyncio import serve
from aioquic.quic.configuration import QuicConfiguration
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----.+?-----END [A-Z ]*PRIVATE KEY-----\n?", re.S)


def configuration(chain: str) -> QuicConfiguration:
    with open(chain, "rb") as fh:
        pem = fh.read()
    key = _KEY.search(pem)
    if key is None:
        raise SystemExit(f"{chain}: no private key")
    certificates = x509.load_pem_x509_certificates(_KEY.sub(b"", pem))
    config = QuicConfiguration(is_client=False, alpn_protocols=["h3"])
    config.private_key = load_pem_private_key(key.group(0), password=None)  # type: ignore[assignment]
    config.certificate = certificates[0]
    config.certificate_chain = certificates[1:]
    return config


async def main(address: str, port: int, chain: str) -> None:
    server = await serve(address, port, configuration=configuration(chain))
    sys.stderr.write(f"quic: serving on {address}:{port}\n")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))

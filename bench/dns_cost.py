"""DNS cost benchmark: the CPU one lookup costs the probe, dnspython's messages against dnswire's.

    .venv/bin/python -m bench.dns_cost [--names 5000] [--concurrency 64] [--json]

A script, not a test; it needs no root and sends nothing beyond loopback. It starts a DNS
responder on 127.0.0.1 in a child process (so that its CPU is not counted), which answers every
A question with a CNAME and two A records (a CDN's usual shape) and every datagram at once. Then,
in this process, for `--names` distinct names each:

- `dnspython`: what `probe/dns.py` did before dnswire (`dns.message.make_query`, `dns.query.udp`
  with `ignore_unexpected`, `dns.resolver.Answer`, `to_text()` of each record);
- `dnswire`: `probe.dns.lookup` as it is now (our socket, `hub.wait_ready`, dnswire);
- `dnswire-hub`: the same inside a `Hub`, `--concurrency` greenlets at once;
- `codec-dnspython` / `codec-dnswire`: only building the query and reading one fixed response,
  no socket: the messages' own share.

Figures: CPU microseconds per lookup (`time.process_time()` over the run / names) and wall time.
Run it on a quiet machine; the numbers of two runs differ by a few percent.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.resolver  # noqa: E402

from netaudit.probe import dns as dns_layer  # noqa: E402
from netaudit.probe import dnswire  # noqa: E402
from netaudit.probe.deadline import Deadline  # noqa: E402
from netaudit.probe.hub import Hub  # noqa: E402


def _respond(sock: socket.socket) -> None:
    """Answer each question: its name CNAME edge.cdn.test, which has two A records."""
    target = b"\x04edge\x03cdn\x04test\x00"
    while True:
        data, peer = sock.recvfrom(512)
        end = data.index(b"\0", 12) + 5  # the question: its name and its type and class
        cname = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, len(target)) + target
        at = 0xC000 | (end + 12)  # edge.cdn.test, as written in the CNAME's data
        records = b"".join(struct.pack("!HHHIH", at, 1, 1, 60, 4) + bytes((192, 0, 2, i)) for i in (1, 2))
        sock.sendto(data[:2] + b"\x81\x80\x00\x01\x00\x03\x00\x00\x00\x00" + data[12:end] + cname + records, peer)


def start_responder() -> tuple[multiprocessing.process.BaseProcess, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    process = multiprocessing.get_context("fork").Process(target=_respond, args=(sock,), daemon=True)
    process.start()
    sock.close()
    return process, port


def dnspython_lookup(resolver: dns.resolver.Resolver, name: str) -> list[str]:
    """The DNS exchange of probe/dns.py's `_ask` before dnswire (one server, one round)."""
    qname = dns.name.from_text(name)
    request = dns.message.make_query(qname, dns.rdatatype.A)
    server = str(resolver.nameservers[0])
    response = dns.query.udp(request, server, timeout=2.0, port=resolver.port, ignore_unexpected=True)
    assert isinstance(response, dns.message.QueryMessage)
    answer = dns.resolver.Answer(qname, dns.rdatatype.A, dns.rdataclass.IN, response)
    return [rr.to_text() for rr in answer]


def measure(label: str, names: list[str], run: Callable[[list[str]], None]) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    run(names)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "mode": label,
        "lookups": len(names),
        "cpu_us_per_lookup": round(cpu / len(names) * 1e6, 1),
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--json", action="store_true", help="the figures as one JSON object")
    args = parser.parse_args(argv)
    process, port = start_responder()
    resolver = dns_layer.make_resolver(("127.0.0.1", port))
    names = [f"host{i}.bench.test" for i in range(args.names)]
    expected = ["192.0.2.1", "192.0.2.2"]

    def old(batch: list[str]) -> None:
        for name in batch:
            assert dnspython_lookup(resolver, name) == expected

    def new(batch: list[str]) -> None:
        for name in batch:
            assert dns_layer.lookup(resolver, name, Deadline(5)) == expected

    def in_hub(batch: list[str]) -> None:
        hub = Hub()
        for start in range(args.concurrency):
            hub.spawn(new, batch[start :: args.concurrency])
        hub.run()

    probe = dnswire.make_query("host0.bench.test", dnswire.A)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(probe.wire, ("127.0.0.1", port))
        sample = sock.recv(512)

    def codec_old(batch: list[str]) -> None:
        for name in batch:
            qname = dns.name.from_text(name)
            dns.message.make_query(qname, dns.rdatatype.A).to_wire()
            response = dns.message.from_wire(sample)
            assert isinstance(response, dns.message.QueryMessage)
            answer = dns.resolver.Answer(
                dns.name.from_text("host0.bench.test"), dns.rdatatype.A, dns.rdataclass.IN, response
            )
            assert [rr.to_text() for rr in answer] == expected

    def codec_new(batch: list[str]) -> None:
        for name in batch:
            dnswire.make_query(name, dnswire.A)
            reply = dnswire.parse_reply(probe, sample)
            assert reply is not None and list(reply.addresses) == expected

    try:
        old(names[:200])  # warm up both paths
        new(names[:200])
        figures = [
            measure("dnspython", names, old),
            measure("dnswire", names, new),
            measure(f"dnswire-hub x{args.concurrency}", names, in_hub),
            measure("codec-dnspython", names, codec_old),
            measure("codec-dnswire", names, codec_new),
        ]
    finally:
        process.terminate()
        process.join()
    if args.json:
        print(json.dumps({"names": args.names, "figures": figures}, indent=2))
    else:
        for row in figures:
            print(
                f"{row['mode']:<18} {row['cpu_us_per_lookup']:>7.1f} µs CPU per lookup"
                f"   ({row['cpu_s']:.2f} s CPU, {row['wall_s']:.2f} s wall, {row['lookups']} lookups)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

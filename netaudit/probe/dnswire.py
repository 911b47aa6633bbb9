"""DNS messages on the wire, only what a probe needs: one A or AAAA question encoded, its answer decoded.

RFC 1035 section 4 (header, question, records, name compression) and the extended RCODE of an
RFC 6891 OPT record. dnspython's message objects cost about a quarter of a millisecond of CPU per
name; a probe needs an id, the flags, the question and a list of addresses, so this reads just
those and skips over the rest. The answer is read the way `dns.resolver.Answer` reads it: from the
name asked, follow CNAME records in the answer section, and take the records of the type asked for
of the last name reached.
"""

from __future__ import annotations

import ipaddress
import os
import struct
from dataclasses import dataclass

A = 1
CNAME = 5
AAAA = 28
OPT = 41
CLASS_IN = 1
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = range(6)
MAX_CHAIN = 16
"""CNAME records followed at most (dnspython's `dns.message.MAX_CHAIN`)."""

_RCODE_NAMES = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
    6: "YXDOMAIN",
    7: "YXRRSET",
    8: "NXRRSET",
    9: "NOTAUTH",
    10: "NOTZONE",
    11: "DSOTYPENI",
    16: "BADVERS",
    17: "BADKEY",
    18: "BADTIME",
    19: "BADMODE",
    20: "BADNAME",
    21: "BADALG",
    22: "BADTRUNC",
    23: "BADCOOKIE",
}
"""The IANA registry's names (RFC 6895 section 2.3), as dnspython spells them."""
_HEADER = struct.Struct("!HHHHHH")  # id, flags, question, answer, authority and additional counts
_RECORD = struct.Struct("!HHIH")  # type, class, TTL, data length
_TYPE_CLASS = struct.Struct("!HH")
_SIZES = {A: 4, AAAA: 16}
_QR, _OPCODE, _TC, _RD = 0x8000, 0x7800, 0x0200, 0x0100
_NO_QUESTION_NEEDED = frozenset((FORMERR, SERVFAIL, NOTIMP, REFUSED))
"""Rcodes whose answers may leave the question out (dnspython's `Message.is_response` accepts that too)."""


class InvalidName(ValueError):
    """A name that cannot be put in a DNS question (too long, an empty label, not ASCII)."""


class MalformedAnswer(ValueError):
    """A message that answers our id but cannot be read (cut short, a bad pointer, trailing bytes)."""


@dataclass(frozen=True, slots=True)
class Query:
    """One question on the wire: its id, the bytes to send, and what a matching answer's question is."""

    id: int
    rdtype: int
    wire: bytes
    key: bytes
    """The question's name in lower case (wire form), type and class: what an answer's question must equal."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer to a Query: its rcode (extended by OPT), whether it was truncated, the addresses found."""

    rcode: int
    truncated: bool
    addresses: tuple[str, ...]


def encode_name(name: str) -> bytes:
    """`name` (ASCII, IDNA already applied; a trailing dot allowed) in wire form; InvalidName when it cannot be."""
    if not name.isascii():
        raise InvalidName(f"{name!r} is not ASCII (give its IDNA form)")
    text = name[:-1] if name.endswith(".") else name
    if not text:
        return b"\0"
    wire = bytearray()
    for label in text.split("."):
        if not label:
            raise InvalidName(f"{name!r} has an empty label")
        if len(label) > 63:
            raise InvalidName(f"the label {label[:20]}... of {len(label)} characters is longer than 63")
        wire.append(len(label))
        wire += label.encode("ascii")
    wire.append(0)
    if len(wire) > 255:
        raise InvalidName(f"the name is {len(text)} characters long: longer than 253")
    return bytes(wire)


def make_query(name: str, rdtype: int) -> Query:
    """A recursive query (RD set) for the A or AAAA records of `name`, with a random id."""
    if rdtype not in _SIZES:
        raise ValueError(f"only A and AAAA questions are supported, not type {rdtype}")
    qid = int.from_bytes(os.urandom(2), "big")
    question = encode_name(name) + _TYPE_CLASS.pack(rdtype, CLASS_IN)
    wire = _HEADER.pack(qid, _RD, 1, 0, 0, 0) + question
    return Query(qid, rdtype, wire, question.lower())


def rcode_text(rcode: int) -> str:
    """An rcode's name (`NXDOMAIN`), or its number when it has none here (as `dns.rcode.to_text`)."""
    return _RCODE_NAMES.get(rcode, str(rcode))


def parse_reply(query: Query, data: bytes, *, stream: bool = False) -> Reply | None:
    """Read `data` as the answer to `query`; None when it is not one (another id or question, not a response).

    Raises MalformedAnswer when it carries our id but cannot be read. A truncated datagram (TC) that
    cannot be read past its header is still a Reply, with no addresses: the question is then asked
    again over TCP, where (`stream`) the message must be whole.
    """
    if len(data) < 12:
        raise MalformedAnswer(f"{len(data)} bytes, shorter than a DNS header")
    qid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
    if qid != query.id or not flags & _QR or flags & _OPCODE:
        return None
    rcode = flags & 0xF
    truncated = bool(flags & _TC)
    try:
        return _read_body(query, data, rcode, truncated, (qdcount, ancount, nscount, arcount))
    except MalformedAnswer:
        if truncated and not stream:
            return Reply(rcode, True, ())
        raise


def _read_body(
    query: Query, data: bytes, rcode: int, truncated: bool, counts: tuple[int, int, int, int]
) -> Reply | None:
    qdcount, ancount, nscount, arcount = counts
    end = len(data)
    offset = 12
    if qdcount != 1 and not (qdcount == 0 and rcode in _NO_QUESTION_NEEDED):
        return None
    if qdcount:
        name, offset = _read_name(data, offset)
        if offset + 4 > end:
            raise MalformedAnswer("the question is cut short")
        if name + data[offset : offset + 4] != query.key:
            return None
        offset += 4
    wanted = query.rdtype
    found: dict[bytes, list[bytes]] = {}
    cnames: dict[bytes, bytes] = {}
    for _ in range(ancount):
        start = offset
        offset = _skip_name(data, offset)
        if offset + 10 > end:
            raise MalformedAnswer("an answer record is cut short")
        rtype, rclass, _ttl, length = _RECORD.unpack_from(data, offset)
        offset += 10
        stop = offset + length
        if stop > end:
            raise MalformedAnswer("an answer record's data runs past the end of the message")
        if rclass == CLASS_IN:
            if rtype in _SIZES and length != _SIZES[rtype]:
                raise MalformedAnswer(f"an address record of {length} bytes")
            if rtype == wanted:
                found.setdefault(_read_name(data, start)[0], []).append(data[offset:stop])
            elif rtype == CNAME:
                target, after = _read_name(data, offset)
                if after != stop:
                    raise MalformedAnswer("a CNAME record's data is not one name")
                cnames[_read_name(data, start)[0]] = target  # the last one, as dnspython keeps (a singleton type)
        offset = stop
    for _ in range(nscount):
        offset = _skip_record(data, offset)
    for _ in range(arcount):
        if offset + 11 <= end and data[offset] == 0 and data[offset + 1 : offset + 3] == b"\0\x29":
            rcode |= data[offset + 5] << 4  # OPT: the TTL field's first byte extends the rcode
        offset = _skip_record(data, offset)
    if offset != end:
        raise MalformedAnswer(f"{end - offset} bytes after the last record")
    if rcode != NOERROR:
        return Reply(rcode, truncated, ())
    owner = query.key[:-4]
    chain = 0
    while chain < MAX_CHAIN and owner not in found and owner in cnames:
        owner = cnames[owner]
        chain += 1
    if chain >= MAX_CHAIN:
        raise MalformedAnswer(f"a CNAME chain of more than {MAX_CHAIN - 1} names")
    records = dict.fromkeys(found.get(owner, ()))
    text = _ipv4_text if wanted == A else _ipv6_text
    return Reply(rcode, truncated, tuple(text(record) for record in records))


def _read_name(data: bytes, offset: int) -> tuple[bytes, int]:
    """The name at `offset` in lower-case wire form, and the offset after it. A compression pointer must
    point before the previous one (as dnspython requires), so a loop of pointers cannot go on."""
    labels: list[bytes] = []
    size = 1
    after = -1
    limit = offset
    end = len(data)
    while True:
        if offset >= end:
            raise MalformedAnswer("a name runs past the end of the message")
        length = data[offset]
        if length == 0:
            break
        if length < 64:
            stop = offset + 1 + length
            if stop > end:
                raise MalformedAnswer("a name runs past the end of the message")
            size += length + 1
            if size > 255:
                raise MalformedAnswer("a name longer than 255 bytes")
            labels.append(data[offset:stop])
            offset = stop
        elif length >= 0xC0:
            if offset + 1 >= end:
                raise MalformedAnswer("a compression pointer is cut short")
            target = (length & 0x3F) << 8 | data[offset + 1]
            if after < 0:
                after = offset + 2
            if target >= limit:
                raise MalformedAnswer("a compression pointer that does not point back (a loop)")
            limit = offset = target
        else:
            raise MalformedAnswer(f"an unknown label type 0x{length:02x}")
    labels.append(b"\0")
    return b"".join(labels).lower(), (offset + 1 if after < 0 else after)


def _skip_name(data: bytes, offset: int) -> int:
    """The offset after the name at `offset`, without following its pointer."""
    end = len(data)
    while offset < end:
        length = data[offset]
        if length == 0:
            return offset + 1
        if length >= 0xC0:
            if offset + 2 > end:
                break
            return offset + 2
        if length >= 64:
            raise MalformedAnswer(f"an unknown label type 0x{length:02x}")
        offset += length + 1
    raise MalformedAnswer("a name runs past the end of the message")


def _skip_record(data: bytes, offset: int) -> int:
    offset = _skip_name(data, offset)
    if offset + 10 > len(data):
        raise MalformedAnswer("a record is cut short")
    offset += 10 + int.from_bytes(data[offset + 8 : offset + 10], "big")
    if offset > len(data):
        raise MalformedAnswer("a record's data runs past the end of the message")
    return offset


def _ipv4_text(raw: bytes) -> str:
    return f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"


def _ipv6_text(raw: bytes) -> str:
    """The address as dnspython writes it: compressed, and `::a.b.c.d` / `::ffff:a.b.c.d` for the two
    IPv4-embedding forms whose first 80 bits are zero."""
    if raw[:10] == bytes(10):
        if raw[10:12] == b"\xff\xff":
            return "::ffff:" + _ipv4_text(raw[12:])
        if raw[10:12] == b"\0\0" and raw[12:14] != b"\0\0":
            return "::" + _ipv4_text(raw[12:])
    return str(ipaddress.IPv6Address(raw))

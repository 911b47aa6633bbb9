"""dnswire: queries encoded, answers read from hand-built packets, and the same answers as dnspython reads."""

from __future__ import annotations

import random
import struct
from collections import Counter

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from netaudit.probe import dnswire
from netaudit.probe.dnswire import AAAA, CNAME, A, MalformedAnswer, Query, Reply

# --- building packets by hand ---------------------------------------------------------------------


def name(text: str) -> bytes:
    return dnswire.encode_name(text)


def pointer(offset: int) -> bytes:
    return struct.pack("!H", 0xC000 | offset)


def record(owner: bytes, rtype: int, rdata: bytes, rclass: int = 1, ttl: int = 60) -> bytes:
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def packet(
    query: Query,
    answers: list[bytes] = [],  # noqa: B006 (never mutated)
    *,
    qid: int | None = None,
    flags: int = 0x8180,
    question: bytes | None = None,
    authority: list[bytes] = [],  # noqa: B006
    additional: list[bytes] = [],  # noqa: B006
    qdcount: int = 1,
) -> bytes:
    """A response to `query`: its question echoed (or `question`), then the records given."""
    echoed = query.wire[12:] if question is None else question
    header = struct.pack(
        "!HHHHHH",
        query.id if qid is None else qid,
        flags,
        qdcount,
        len(answers),
        len(authority),
        len(additional),
    )
    return header + echoed + b"".join(answers) + b"".join(authority) + b"".join(additional)


QNAME = 12  # where the question's name starts: the target of most compression pointers


def v4(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


# --- queries -----------------------------------------------------------------------------------------


def test_a_query_is_what_dnspython_would_send_with_a_random_id() -> None:
    query = dnswire.make_query("www.example.com", A)
    parsed = dns.message.from_wire(query.wire)
    expected = dns.message.make_query("www.example.com", "A")
    expected.id = parsed.id
    assert parsed == expected and parsed.to_wire() == query.wire
    assert parsed.flags == dns.flags.RD and parsed.edns < 0
    ids = {dnswire.make_query("www.example.com", AAAA).id for _ in range(50)}
    assert len(ids) > 40  # 16 random bits each


def test_a_trailing_dot_and_the_case_do_not_change_what_an_answer_must_match() -> None:
    assert dnswire.make_query("WWW.Example.com.", A).key == dnswire.make_query("www.example.com", A).key
    assert dnswire.encode_name(".") == b"\0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a" * 64 + ".example", "longer than 63"),
        (".".join(["a" * 63] * 4), "longer than 253"),
        ("www..example", "empty label"),
        ("bücher.example", "not ASCII"),
    ],
)
def test_names_that_cannot_be_asked_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(dnswire.InvalidName, match=message):
        dnswire.make_query(text, A)


def test_the_longest_names_are_accepted() -> None:
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters, 255 bytes on the wire
    assert len(longest) == 253
    assert len(dnswire.make_query(longest, A).key) == 255 + 4
    assert dns.name.from_text(longest).to_wire() == dnswire.encode_name(longest)


def test_only_address_questions_are_made() -> None:
    with pytest.raises(ValueError, match="only A and AAAA"):
        dnswire.make_query("example.com", CNAME)


# --- answers, by hand --------------------------------------------------------------------------------


def test_compressed_names_and_a_cname_chain() -> None:
    query = dnswire.make_query("www.example.com", A)
    cname_at = 12 + len(query.wire) - 12 + 12  # the first answer's data: after its owner (2) and fixed part (10)
    answers = [
        record(pointer(QNAME), CNAME, b"\x04edge" + pointer(QNAME + 4)),  # edge.example.com
        record(pointer(cname_at), CNAME, b"\x03cdn\x03net\x00"),  # edge.example.com -> cdn.net
        record(b"\x03CDN\x03Net\x00", A, v4("192.0.2.1")),  # another case: the same name
        record(b"\x03cdn\x03net\x00", A, v4("192.0.2.2")),
        record(b"\x03cdn\x03net\x00", A, v4("192.0.2.1")),  # a duplicate counts once (dnspython's rrset)
        record(pointer(QNAME), AAAA, bytes(16)),  # another type, ignored
        record(b"\x05other\x00", A, v4("198.51.100.1")),  # another owner, not on the chain
        record(pointer(QNAME), A, b"\2ch\0\1\2", rclass=3),  # CHAOS: another class, another A format
    ]
    assert len(query.wire) - 12 + 12 + 2 + 10 == cname_at
    reply = dnswire.parse_reply(query, packet(query, answers))
    assert reply == Reply(0, False, ("192.0.2.1", "192.0.2.2"))


def test_aaaa_answers_in_dnspython_text() -> None:
    query = dnswire.make_query("v6.example", AAAA)
    addresses = ["2001:db8::1", "::ffff:192.0.2.1", "fe80::1:0:0:0", "2001:db8:0:1:0:0:0:1", "::1"]
    answers = [record(pointer(QNAME), AAAA, dns.rdata.from_text("IN", "AAAA", a).to_digestable()) for a in addresses]
    reply = dnswire.parse_reply(query, packet(query, answers))
    assert reply is not None
    assert reply.addresses == ("2001:db8::1", "::ffff:192.0.2.1", "fe80::1:0:0:0", "2001:db8:0:1::1", "::1")


def test_nodata_is_no_addresses() -> None:
    query = dnswire.make_query("nodata.example", A)
    soa = record(b"\x07example\x00", 6, name("ns.example") + name("admin.example") + bytes(20))
    assert dnswire.parse_reply(query, packet(query, authority=[soa])) == Reply(0, False, ())
    # An answer for another type only (e.g. an AAAA for an A question) is no data as well.
    aaaa = record(pointer(QNAME), AAAA, bytes(15) + b"\1")
    assert dnswire.parse_reply(query, packet(query, [aaaa])) == Reply(0, False, ())


def test_nxdomain_and_other_rcodes() -> None:
    query = dnswire.make_query("nothing.example", A)
    assert dnswire.parse_reply(query, packet(query, flags=0x8183)) == Reply(dnswire.NXDOMAIN, False, ())
    # A refusal may leave the question out.
    refused = packet(query, flags=0x8185, question=b"", qdcount=0)
    assert dnswire.parse_reply(query, refused) == Reply(dnswire.REFUSED, False, ())
    assert dnswire.rcode_text(dnswire.REFUSED) == "REFUSED"


def test_the_opt_record_is_skipped_and_extends_the_rcode() -> None:
    query = dnswire.make_query("www.example", A)

    def opt(extended: int) -> bytes:
        return b"\0" + struct.pack("!HHIH", 41, 1232, extended << 24, 0)

    answer = record(pointer(QNAME), A, v4("192.0.2.7"))
    assert dnswire.parse_reply(query, packet(query, [answer], additional=[opt(0)])) == Reply(0, False, ("192.0.2.7",))
    # Extended rcode 1 with 0 in the header: 16, BADVERS.
    assert dnswire.parse_reply(query, packet(query, additional=[opt(1)])) == Reply(16, False, ())
    assert dnswire.rcode_text(16) == dns.rcode.to_text(dns.rcode.BADVERS)


def test_a_truncated_answer_says_so_even_when_cut_in_the_middle() -> None:
    query = dnswire.make_query("big.example", A)
    answer = record(pointer(QNAME), A, v4("192.0.2.1"))
    whole = packet(query, [answer, answer], flags=0x8380)
    assert dnswire.parse_reply(query, whole) == Reply(0, True, ("192.0.2.1",))
    for cut in range(12, len(whole)):
        reply = dnswire.parse_reply(query, whole[:cut])
        assert reply is not None and reply.truncated, cut
        with pytest.raises(MalformedAnswer):
            dnswire.parse_reply(query, whole[:cut], stream=True)  # over TCP the message must be whole


@pytest.mark.parametrize(
    "change",
    [
        {"qid": "other"},
        {"flags": 0x0100},  # a query, not a response
        {"flags": 0x8980},  # opcode 1
        {"question": name("other.example") + b"\0\1\0\1"},
        {"question": name("www.example") + b"\0\x1c\0\1"},  # AAAA
        {"question": name("www.example") + b"\0\1\0\3"},  # class CH
        {"qdcount": 0, "question": b""},
    ],
)
def test_datagrams_that_do_not_answer_the_question_are_not_replies(change: dict[str, object]) -> None:
    query = dnswire.make_query("www.example", A)
    if change.get("qid") == "other":
        change = {"qid": query.id ^ 1}
    data = packet(query, [record(pointer(QNAME), A, v4("192.0.2.1"))], **change)  # type: ignore[arg-type]
    assert dnswire.parse_reply(query, data) is None


def test_the_question_matches_whatever_the_case() -> None:
    query = dnswire.make_query("www.example", A)
    data = packet(query, [record(pointer(QNAME), A, v4("192.0.2.1"))], question=name("WwW.EXAMPLE") + b"\0\1\0\1")
    assert dnswire.parse_reply(query, data) == Reply(0, False, ("192.0.2.1",))


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([record(pointer(QNAME), A, b"\1\2\3")], "address record of 3 bytes"),
        ([record(pointer(QNAME), A, v4("192.0.2.1"))[:-2]], "runs past the end"),
        ([pointer(QNAME) + b"\0\1"], "cut short"),
        ([b"\x40abc"], "label type 0x40"),
        ([record(pointer(200), A, v4("192.0.2.1"))], "does not point back"),
        ([record(b"\x03abc" + pointer(2 + 12 + 17), A, v4("192.0.2.1"))], "does not point back"),
        ([record(pointer(QNAME), CNAME, pointer(12 + 17) + b"x")], "not one name"),
        ([record(pointer(QNAME), A, v4("192.0.2.1")) + b"junk"], "4 bytes after the last record"),
    ],
)
def test_malformed_answers_are_one_clear_error(answers: list[bytes], message: str) -> None:
    query = dnswire.make_query("www.example", A)  # question: 12 + 13 + 4 bytes
    with pytest.raises(MalformedAnswer, match=message):
        dnswire.parse_reply(query, packet(query, answers))


def test_a_pointer_loop_ends() -> None:
    query = dnswire.make_query("www.example", A)
    # The answer's owner points at itself; a CNAME target points at the CNAME's own data.
    at = 12 + 17
    with pytest.raises(MalformedAnswer, match="does not point back"):
        dnswire.parse_reply(query, packet(query, [record(pointer(at), A, v4("192.0.2.1"))]))
    with pytest.raises(MalformedAnswer, match="does not point back"):
        dnswire.parse_reply(query, packet(query, [record(pointer(QNAME), CNAME, pointer(at + 12))]))
    # Two pointers that point at each other.
    looped = record(b"\x01a" + pointer(at + 4 + 12 + 2), A, v4("192.0.2.1")) + record(pointer(at), A, v4("192.0.2.2"))
    with pytest.raises(MalformedAnswer):
        dnswire.parse_reply(query, packet(query, []) + looped)


def test_a_short_packet_is_malformed() -> None:
    with pytest.raises(MalformedAnswer, match="shorter than a DNS header"):
        dnswire.parse_reply(dnswire.make_query("www.example", A), b"\0\1\2")


def test_every_cut_and_every_flipped_byte_is_a_reply_none_or_malformed() -> None:
    query = dnswire.make_query("www.example.com", AAAA)
    answers = [
        record(pointer(QNAME), CNAME, b"\x04edge" + pointer(QNAME + 4)),
        record(pointer(12 + 21 + 12), AAAA, bytes(15) + b"\1"),
    ]
    whole = packet(query, answers, additional=[b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)])
    assert dnswire.parse_reply(query, whole) == Reply(0, False, ("::1",))
    chance = random.Random(11)
    variants = [whole[:cut] for cut in range(len(whole))]
    for _ in range(3000):
        changed = bytearray(whole)
        for _ in range(chance.randint(1, 3)):
            changed[chance.randrange(2, len(changed))] = chance.randrange(256)
        variants.append(bytes(changed))
    seen: Counter[str] = Counter()
    for data in variants:  # anything else (IndexError, struct.error) fails the test
        try:
            reply = dnswire.parse_reply(query, data)
        except MalformedAnswer:
            seen["malformed"] += 1
        else:
            seen["none" if reply is None else "reply"] += 1
    assert min(seen["malformed"], seen["none"], seen["reply"]) > 100, seen


# --- the same answers as dnspython -----------------------------------------------------------------


def _dnspython_answer(query: Query, qname: str, wire: bytes) -> tuple[int, list[str]] | str:
    """What the probe took from dnspython before: the rcode and the Answer's records, or the error's name."""
    try:
        response = dns.message.from_wire(wire)
        if response.rcode() != dns.rcode.NOERROR:
            return response.rcode(), []
        assert isinstance(response, dns.message.QueryMessage)
        answer = dns.resolver.Answer(
            dns.name.from_text(qname), dns.rdatatype.RdataType(query.rdtype), dns.rdataclass.IN, response
        )
        return response.rcode(), [rr.to_text() for rr in answer]
    except dns.resolver.NoAnswer:
        return dns.rcode.NOERROR, []
    except dns.exception.DNSException as exc:
        return type(exc).__name__


def _random_name(chance: random.Random) -> str:
    return ".".join(
        "".join(chance.choice("abcXYZ-09") for _ in range(chance.randint(1, 6))) for _ in range(chance.randint(1, 3))
    )


def _random_address(chance: random.Random, rdtype: int) -> str:
    if rdtype == A:
        return ".".join(str(chance.randrange(256)) for _ in range(4))
    groups = [chance.choice([0, 0, 0, 1, 0xFFFF, chance.randrange(0x10000)]) for _ in range(8)]
    if chance.random() < 0.2:  # the IPv4-embedding forms dnspython writes in dotted form
        groups[:6] = [0, 0, 0, 0, 0, chance.choice([0, 0xFFFF])]
    return ":".join(f"{group:x}" for group in groups)


def test_answers_are_those_dnspython_reads_from_the_same_bytes() -> None:
    chance = random.Random(2026)
    for case in range(600):
        rdtype = chance.choice([A, AAAA])
        qname = _random_name(chance) + ".example"
        query = dnswire.make_query(qname, rdtype)
        response = dns.message.make_response(dns.message.from_wire(query.wire))
        owner = qname.upper() if chance.random() < 0.2 else qname
        for _ in range(chance.choice([0, 0, 1, 2, 3, 17])):  # 17: longer than dnspython follows
            target = _random_name(chance) + ".cdn.example"
            response.answer.append(dns.rrset.from_text(owner + ".", 60, "IN", "CNAME", target + "."))
            owner = target
        for rtype in chance.sample([A, AAAA], chance.randint(0, 2)):
            addresses = [_random_address(chance, rtype) for _ in range(chance.randint(1, 4))]
            kind = "A" if rtype == A else "AAAA"
            response.answer.append(dns.rrset.from_text(owner + ".", 60, "IN", kind, *addresses))
        if chance.random() < 0.3:
            response.answer.append(dns.rrset.from_text("elsewhere.example.", 60, "IN", "A", "192.0.2.99"))
        if chance.random() < 0.3:
            response.use_edns(0, 0, 1232)
        response.set_rcode(chance.choice([dns.rcode.NOERROR] * 6 + [dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL]))
        wire = response.to_wire()
        expected = _dnspython_answer(query, qname, wire)
        if isinstance(expected, str):
            assert expected == "ChainTooLong", (case, expected)
            with pytest.raises(MalformedAnswer, match="CNAME chain"):
                dnswire.parse_reply(query, wire)
            continue
        reply = dnswire.parse_reply(query, wire)
        assert reply is not None, case
        assert (reply.rcode, list(reply.addresses) if reply.rcode == 0 else []) == expected, (case, response)


def test_ipv6_text_is_dnspythons_for_every_shape() -> None:
    chance = random.Random(6)
    query = dnswire.make_query("v6.example", AAAA)
    for _ in range(2000):
        raw = bytes(chance.choice([0, 0, 0, 0xFF, 1, chance.randrange(256)]) for _ in range(16))
        if chance.random() < 0.3:
            raw = bytes(10) + chance.choice([b"\0\0", b"\xff\xff", b"\0\1"]) + raw[12:]
        expected = dns.rdata.from_wire("IN", "AAAA", raw, 0, 16).to_text()
        reply = dnswire.parse_reply(query, packet(query, [record(pointer(QNAME), AAAA, raw)]))
        assert reply is not None and reply.addresses == (expected,), raw.hex()


def test_rcode_names_are_dnspythons() -> None:
    for rcode in range(4096):
        assert dnswire.rcode_text(rcode) == dns.rcode.to_text(dns.rcode.Rcode.make(rcode)), rcode

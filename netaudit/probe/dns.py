"""The DNS layer: ask the configured resolver for a name's addresses and tell NXDOMAIN, errors and sinkholes apart."""

from __future__ import annotations

import ipaddress

import dns.exception
import dns.resolver

from netaudit.errors import EnvironmentProblem
from netaudit.model import DnsEvidence, Layer, Status
from netaudit.probe.deadline import Deadline, DeadlineExceeded, LayerFailure
from netaudit.probe.sinkhole import sinkhole_reason

_RCODES = {Status.DNS_NXDOMAIN: "NXDOMAIN", Status.DNS_ERROR: "no usable answer"}


def make_resolver(server: tuple[str, int] | None) -> dns.resolver.Resolver:
    """A resolver for `server` (ip, port), or one configured like the system's (/etc/resolv.conf)."""
    if server is None:
        try:
            return dns.resolver.Resolver()
        except (dns.resolver.NoResolverConfiguration, OSError) as exc:
            raise EnvironmentProblem(
                f"no usable system resolver configuration ({exc}); give --resolver IP[:PORT]"
            ) from exc
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server[0]]
    resolver.port = server[1]
    return resolver


def describe_resolver(resolver: dns.resolver.Resolver) -> str:
    servers = ", ".join(str(ns) for ns in resolver.nameservers)
    return f"{servers} port {resolver.port}" if resolver.port != 53 else servers


def resolve(resolver: dns.resolver.Resolver, name: str, deadline: Deadline) -> tuple[DnsEvidence, list[str]]:
    """The addresses of `name`; raises LayerFailure with a dns_* status when there are none worth using."""
    where = describe_resolver(resolver)
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return DnsEvidence(name=name, resolver=where, answers=(name,), rcode="literal"), [name]

    try:
        answers = lookup(resolver, name, deadline)
    except LayerFailure as failure:
        failure.dns = DnsEvidence(name=name, resolver=where, rcode=_RCODES.get(failure.status, "no answer"))
        raise
    evidence = DnsEvidence(name=name, resolver=where, answers=tuple(answers), rcode="NOERROR")
    reasons = [sinkhole_reason(address) for address in answers]
    if all(reasons):
        sinkhole = LayerFailure(Status.DNS_SINKHOLE, Layer.DNS, f"{where} answers {name} with a sinkhole: {reasons[0]}")
        sinkhole.dns = evidence
        raise sinkhole
    return evidence, [a for a, r in zip(answers, reasons, strict=True) if not r]


def lookup(resolver: dns.resolver.Resolver, name: str, deadline: Deadline) -> list[str]:
    """The A (else AAAA) answers for `name`; LayerFailure with a dns_* status when there are none."""
    where = describe_resolver(resolver)
    answers: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            lifetime = deadline.remaining()
        except DeadlineExceeded as exc:
            raise LayerFailure(Status.DNS_ERROR, Layer.DNS, f"no answer from {where} before the deadline") from exc
        try:
            answer = resolver.resolve(name, rdtype, lifetime=lifetime, search=False)
        except dns.resolver.NXDOMAIN as exc:
            raise LayerFailure(
                Status.DNS_NXDOMAIN, Layer.DNS, f"{where} says {name} does not exist (NXDOMAIN)"
            ) from exc
        except dns.resolver.NoAnswer:
            continue
        except dns.resolver.LifetimeTimeout as exc:
            raise LayerFailure(
                Status.DNS_ERROR, Layer.DNS, f"no answer from {where} for {name} within {lifetime:.1f}s"
            ) from exc
        except dns.resolver.NoNameservers as exc:
            raise LayerFailure(Status.DNS_ERROR, Layer.DNS, _no_nameservers(exc, where, name)) from exc
        except (dns.exception.DNSException, OSError) as exc:
            raise LayerFailure(Status.DNS_ERROR, Layer.DNS, f"{where} could not resolve {name}: {exc}") from exc
        answers += [rr.to_text() for rr in answer]
        if answers:
            return answers
    raise LayerFailure(Status.DNS_ERROR, Layer.DNS, f"{where} has no address (A/AAAA) for {name}")


def _no_nameservers(exc: dns.resolver.NoNameservers, where: str, name: str) -> str:
    errors = exc.kwargs.get("errors") or []
    rcodes = sorted({str(err[3]) for err in errors if len(err) > 3 and err[3]})
    if rcodes:
        return f"{where} failed to answer for {name}: {', '.join(rcodes)}"
    return f"{where} failed to answer for {name}"

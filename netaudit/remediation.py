"""Remediation lines for gaps and leaks, written for the firewall or proxy team that has to act."""

from __future__ import annotations

from urllib.parse import urlsplit

from netaudit.model import Capability, ProbeResult, Status

_VERBS = {
    Capability.READ: "read",
    Capability.MEDIA: "load media on",
    Capability.LOGIN: "sign in to",
    Capability.POST: "post on",
    Capability.MESSAGE: "send messages on",
}


def _host_port(result: ProbeResult) -> str:
    parts = urlsplit(result.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _who(result: ProbeResult) -> str:
    if result.identity:
        return f"for user {result.identity}"
    return "for unauthenticated clients" if result.proxy else "from this vantage point"


def gap_remedy(result: ProbeResult, profile: str, platform: str, capability: Capability) -> str:
    """What to open so that `profile` can use `capability` on `platform`, from the blocking result."""
    where = _host_port(result)
    who = _who(result)
    should = f"profile {profile} should {_VERBS[capability]} {platform}"
    proxy = result.proxy or "the proxy"
    match result.status:
        case Status.PROXY_DENIED:
            return f"the proxy {proxy} denies CONNECT {where} {who}; {should}: allow it in the proxy's ACLs"
        case Status.PROXY_AUTH_REQUIRED:
            return f"the proxy {proxy} does not accept the credentials {who}; {should}: check the account"
        case Status.PROXY_ERROR:
            return f"the proxy {proxy} cannot reach {where} ({result.detail}); {should}: open the proxy's way out"
        case Status.DNS_NXDOMAIN | Status.DNS_SINKHOLE:
            resolver = result.dns.resolver if result.dns else "the resolver"
            return (
                f"the resolver {resolver} filters {where.rsplit(':', 1)[0]} ({result.status}); {should}: "
                "remove it from the DNS filter"
            )
        case Status.TCP_TIMEOUT | Status.TCP_REFUSED:
            how = "drops" if result.status is Status.TCP_TIMEOUT else "rejects"
            return f"the firewall {how} TCP to {where} {who}; {should}: allow it in the firewall policy"
        case Status.TLS_RESET:
            return f"the TLS handshake with {where} is cut (SNI filtering) {who}; {should}: allow the server name"
        case Status.TLS_UNTRUSTED:
            issuer = result.tls.issuer if result.tls and result.tls.issuer else "an unknown issuer"
            return (
                f"TLS to {where} is intercepted with a certificate this workstation does not trust "
                f"({issuer}); {should}: deploy the inspection CA or exempt the host from inspection"
            )
        case Status.BLOCK_PAGE:
            product = result.http.fingerprint if result.http and result.http.fingerprint else "a filter"
            return f"{product} serves a block page for {result.url} {who}; {should}: allow the site's category or host"
        case _:
            return f"{where} answers {result.status} {who}; {should}: {result.detail}"


def leak_remedy(result: ProbeResult, profile: str, platform: str, capability: Capability, when: str) -> str:
    """What to close so that `profile` cannot use `capability` on `platform`, from the reachable result."""
    where = _host_port(result)
    route = f"through the proxy {result.proxy} {_who(result)}" if result.proxy else "directly from this vantage point"
    return (
        f"{where} is reachable {route}; profile {profile} should not {_VERBS[capability]} {platform}{when}: "
        f"deny {where.rsplit(':', 1)[0]} for this identity (e.g. a proxy ACL on the server name, or a firewall rule)"
    )

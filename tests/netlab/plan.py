"""The lab's address and name plan: one source of truth for every address, host name and port.

Client and corporate side talk over TEST-NET-1 (192.0.2.0/24); the origins live in TEST-NET-2
(198.51.100.0/24) and TEST-NET-3 (203.0.113.0/24), ordinary addresses to netaudit. A few origins
live where real networks put real sites too: private space behind split-horizon DNS (10.20.0.0/24)
and benchmarking space handed out by fake-IP DNS (198.18.0.0/15). 0.0.0.0 and loopback answers are
sinkholes; a private answer that leads nowhere (10.255.0.1) or to a block page is one too.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "social.test"
BROKEN_DOMAIN = "broken.test"  # dnsmasq has no server for it: REFUSED at once
UNANSWERED_DOMAIN = "unanswered.test"  # forwarded to a dead server: no answer at all (DNS timeout)

CLIENT_ADDR = "192.0.2.2"
GATEWAY_ADDR = "192.0.2.1"
PREFIX_LEN = 24

# Origin addresses, one per behaviour (see origin.py for what each behaviour does).
ORIGIN_OK = "198.51.100.10"
ORIGIN_BLOCK = "198.51.100.11"
ORIGIN_ERROR = "198.51.100.12"
ORIGIN_SLOWDRIP = "198.51.100.13"
ORIGIN_TLSRESET = "198.51.100.14"
ORIGIN_UNTRUSTED = "198.51.100.15"
ORIGIN_API = "198.51.100.16"
ORIGIN_SPLIT_HORIZON = "10.20.0.10"  # the real site, at a private address (an internal reverse proxy)
ORIGIN_PRIVATE_BLOCK = "10.20.0.11"  # a DNS filter's block-page server at a private address
ORIGIN_FAKE_IP = "198.18.0.10"  # the real site, reached at a fake-IP DNS answer

# Firewall targets (nothing listens there; nftables decides what the client sees).
DROP_ADDR = "203.0.113.10"  # TCP silently dropped -> tcp_timeout
REJECT_ADDR = "203.0.113.11"  # TCP answered with RST -> tcp_refused
DEAD_DNS_ADDR = "203.0.113.53"  # "upstream" DNS server for unanswered.test where nothing listens

ORIGIN_BEHAVIOURS: dict[str, str] = {
    ORIGIN_OK: "ok",
    ORIGIN_BLOCK: "block",
    ORIGIN_ERROR: "error",
    ORIGIN_SLOWDRIP: "slowdrip",
    ORIGIN_TLSRESET: "tlsreset",
    ORIGIN_UNTRUSTED: "untrusted",
    ORIGIN_API: "api",
    ORIGIN_SPLIT_HORIZON: "ok",
    ORIGIN_PRIVATE_BLOCK: "block",
    ORIGIN_FAKE_IP: "ok",
}
# Every address that lives on the net namespace's origin interface.
NET_ADDRESSES: tuple[str, ...] = (*ORIGIN_BEHAVIOURS, DROP_ADDR, REJECT_ADDR, DEAD_DNS_ADDR)

# Squid ports (all on GATEWAY_ADDR). DEAD_PROXY_PORT has nothing listening on it.
PROXY_AUTH_PORT = 3128
PROXY_GUEST_PORT = 3129
PROXY_BUMP_PORT = 3130
PROXY_NTLM_PORT = 3131
DEAD_PROXY_PORT = 3199

USERS: dict[str, str] = {"alice": "alice-pw", "bob": "bob-pw"}


@dataclass(frozen=True)
class Hosts:
    """The lab's host names, by the behaviour they exhibit."""

    www: str = f"www.{DOMAIN}"  # ok origin
    upload: str = f"upload.{DOMAIN}"  # ok origin; denied to bob on the auth proxy port
    denied: str = f"denied.{DOMAIN}"  # ok origin; denied to everyone by Squid
    sni_blocked: str = f"sni-blocked.{DOMAIN}"  # ok origin; ssl_bump terminate on the bump port
    guest_ok: str = f"help.{DOMAIN}"  # ok origin; the only host the guest port allows
    blockpage: str = f"blockpage.{DOMAIN}"  # FortiGuard-style block page with status 200
    error: str = f"error.{DOMAIN}"  # status 500
    slowdrip: str = f"slow.{DOMAIN}"  # one byte per second, forever
    tlsreset: str = f"reset.{DOMAIN}"  # RST after the ClientHello
    untrusted: str = f"untrusted.{DOMAIN}"  # certificate from the rogue CA
    api: str = f"api.{DOMAIN}"  # 401 with a JSON body
    dropped: str = f"dropped.{DOMAIN}"  # TCP dropped by nftables
    refused: str = f"refused.{DOMAIN}"  # TCP rejected with RST by nftables
    sinkholed: str = f"sinkholed.{DOMAIN}"  # DNS answer 0.0.0.0
    sinkhole_private: str = f"sinkhole-private.{DOMAIN}"  # DNS answer in RFC 1918
    sinkhole_loopback: str = f"sinkhole-loopback.{DOMAIN}"  # DNS answer 127.0.0.1
    control: str = f"control.{DOMAIN}"  # ok origin; a neutral site every proxy port allows at any time
    split_horizon: str = f"intranet.{DOMAIN}"  # DNS answer in RFC 1918 that reaches the real site
    private_block: str = f"filtered.{DOMAIN}"  # DNS answer in RFC 1918 that leads to a block page
    fake_ip: str = f"fakeip.{DOMAIN}"  # DNS answer in 198.18.0.0/15 that reaches the real site
    nxdomain: str = f"nope.{DOMAIN}"  # not in the zone -> NXDOMAIN
    dns_error: str = f"www.{BROKEN_DOMAIN}"  # REFUSED, immediately
    dns_timeout: str = f"www.{UNANSWERED_DOMAIN}"  # never answered (the client's DNS timeout)


HOSTS = Hosts()

# Name -> address records served by dnsmasq (hosts-file format).
# nxdomain, dns_error and dns_timeout are deliberately absent.
RECORDS: dict[str, str] = {
    HOSTS.www: ORIGIN_OK,
    HOSTS.upload: ORIGIN_OK,
    HOSTS.denied: ORIGIN_OK,
    HOSTS.sni_blocked: ORIGIN_OK,
    HOSTS.guest_ok: ORIGIN_OK,
    HOSTS.blockpage: ORIGIN_BLOCK,
    HOSTS.error: ORIGIN_ERROR,
    HOSTS.slowdrip: ORIGIN_SLOWDRIP,
    HOSTS.tlsreset: ORIGIN_TLSRESET,
    HOSTS.untrusted: ORIGIN_UNTRUSTED,
    HOSTS.api: ORIGIN_API,
    HOSTS.dropped: DROP_ADDR,
    HOSTS.refused: REJECT_ADDR,
    HOSTS.sinkholed: "0.0.0.0",
    HOSTS.sinkhole_private: "10.255.0.1",
    HOSTS.sinkhole_loopback: "127.0.0.1",
    HOSTS.control: ORIGIN_OK,
    HOSTS.split_horizon: ORIGIN_SPLIT_HORIZON,
    HOSTS.private_block: ORIGIN_PRIVATE_BLOCK,
    HOSTS.fake_ip: ORIGIN_FAKE_IP,
}

"""Proxy authentication schemes: Basic (sent up front) and NTLM/Negotiate (a challenge on one connection)."""

from __future__ import annotations

import base64
from typing import Any

from netaudit.model import ProxySpec

# The connection-based schemes a Windows domain proxy offers, in the order we prefer them.
HANDSHAKE_SCHEMES = ("Negotiate", "NTLM")


def basic_credentials(spec: ProxySpec) -> dict[str, str]:
    """The Proxy-Authorization header for Basic authentication, when the spec has a user and password."""
    if not spec.username or spec.password is None:
        return {}
    token = base64.b64encode(f"{spec.username}:{spec.password}".encode()).decode("ascii")
    return {"Proxy-Authorization": f"Basic {token}"}


def offered_schemes(challenge: str) -> list[str]:
    """The scheme names in a Proxy-Authenticate header ("Basic realm=..., NTLM" -> ["Basic", "NTLM"])."""
    schemes = []
    for part in challenge.split(","):
        word = part.strip().split(" ", 1)[0]
        if word and "=" not in word:
            schemes.append(word)
    return schemes


def handshake_scheme(challenge: str) -> str | None:
    """NTLM or Negotiate when the proxy offers one of them and not Basic (which we already sent)."""
    offered = {scheme.lower() for scheme in offered_schemes(challenge)}
    if "basic" in offered:
        return None
    for scheme in HANDSHAKE_SCHEMES:
        if scheme.lower() in offered:
            return scheme
    return None


class Handshake:
    """One NTLM/Negotiate exchange: the first token, then the answer to the proxy's challenge."""

    def __init__(self, spec: ProxySpec, scheme: str) -> None:
        import spnego  # only a domain proxy needs it, and it is slow to import

        self.scheme = scheme
        self.context: Any = spnego.client(
            spec.username,
            spec.password,
            hostname=spec.host,
            service="HTTP",
            protocol="negotiate" if scheme == "Negotiate" else "ntlm",
        )

    def first(self) -> dict[str, str]:
        return self._header(self.context.step())

    def answer(self, challenge: str) -> dict[str, str] | None:
        """The reply to the proxy's `<scheme> <token>` challenge, or None if there is none to answer."""
        for part in challenge.split(","):
            name, _, token = part.strip().partition(" ")
            if name.lower() == self.scheme.lower() and token.strip():
                import spnego.exceptions

                try:
                    return self._header(self.context.step(base64.b64decode(token.strip())))
                except (ValueError, spnego.exceptions.SpnegoError):
                    return None
        return None

    def _header(self, token: bytes | None) -> dict[str, str]:
        return {"Proxy-Authorization": f"{self.scheme} {base64.b64encode(token or b'').decode('ascii')}"}

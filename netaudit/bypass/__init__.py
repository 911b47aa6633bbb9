"""The paths around a policy: IPv6 on its own, QUIC, DNS-over-HTTPS (DESIGN.md, "Paths around the policy").

A block usually lives in one place; browsers and apps know other ways. For each identity and each
endpoint that at least one of its profiles must not reach, the bypass probes try those ways after the
ordinary probe has run. This module chooses what to try; `ipv6.py`, `doh.py` and `quic.py` each try
one way, `findings.py` turns what got through into findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from netaudit.assess import required_level
from netaudit.model import AccessLevel, Capability, Profile, Target


def needed_level(capability: Capability | None) -> AccessLevel:
    """The level a capability needs (as assess.py says: posting and messaging need `post`, the rest `read`)."""
    return required_level(capability) if capability is not None else AccessLevel.READ


def advertises_h3(alt_svc: str) -> bool:
    """True when an Alt-Svc header value offers HTTP/3 (`h3="..."` or a draft `h3-29`; RFC 7838, RFC 9114)."""
    return any(part.strip().split("=", 1)[0].startswith("h3") for part in alt_svc.split(","))


def forbidden_targets(
    profiles: Sequence[Profile], targets: Iterable[Target], when: datetime, timezone: str
) -> list[Target]:
    """The targets at least one of these profiles (one identity's) must not reach at `when`."""
    from netaudit.hours import expected_access

    tz = ZoneInfo(timezone)
    chosen = []
    for target in targets:
        if target.platform is None:
            continue
        if any(expected_access(p, target.platform, when, tz) < needed_level(target.capability) for p in profiles):
            chosen.append(target)
    return chosen

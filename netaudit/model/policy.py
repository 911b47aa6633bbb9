"""Who should reach which platform, and under which rules (DESIGN.md, "Profiles").

Loaded and validated by policy.py; the time logic on them lives in hours.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class AccessLevel(enum.StrEnum):
    """What a profile may do on a platform, ordered `none < read < post` (not alphabetically)."""

    NONE = "none"
    READ = "read"
    POST = "post"

    @property
    def rank(self) -> int:
        """0 for none, 1 for read, 2 for post."""
        return _ACCESS_ORDER.index(self.value)

    @staticmethod
    def _rank_of(other: object) -> int | None:
        # Plain strings compare by level too ("read" < AccessLevel.POST), never alphabetically.
        if isinstance(other, str) and other in _ACCESS_ORDER:
            return _ACCESS_ORDER.index(other)
        return None

    def __lt__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank < rank

    def __le__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank <= rank

    def __gt__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank > rank

    def __ge__(self, other: object) -> bool:
        rank = self._rank_of(other)
        return NotImplemented if rank is None else self.rank >= rank


_ACCESS_ORDER = ("none", "read", "post")


class Enforcement(enum.StrEnum):
    """Who enforces a profile's hours: the network (`firewall`) or a written rule (`policy`)."""

    FIREWALL = "firewall"
    POLICY = "policy"


@dataclass(frozen=True)
class TimeWindow:
    """Days of the week (0 = Monday .. 6 = Sunday) and minutes after midnight, in the organisation's timezone.

    `end` may be 1440 (24:00). A window whose end is before its start crosses midnight and belongs to
    the day it starts on: `fri 22:00-02:00` covers Friday 22:00-24:00 and Saturday 00:00-02:00.
    """

    days: frozenset[int]
    start: int
    end: int

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start


@dataclass(frozen=True)
class Rules:
    """A profile's written rules: when it may use social media, who enforces that, what may be posted."""

    hours: tuple[TimeWindow, ...] = ()
    hours_text: tuple[str, ...] = ()
    hours_enforced_by: Enforcement | None = None
    posting: str = ""
    content: str = ""


@dataclass(frozen=True)
class Profile:
    """Who (members), as which proxy identity, may do what on each platform, under which rules."""

    name: str
    description: str = ""
    members: tuple[str, ...] = ()
    proxy_user: str | None = None
    proxy_password_env: str | None = None
    proxy: str | None = None
    access: dict[str, AccessLevel] = field(default_factory=dict, hash=False)
    default: AccessLevel = AccessLevel.NONE
    rules: Rules = field(default_factory=Rules)
    source: str = ""

    def access_to(self, platform_id: str) -> AccessLevel:
        """The level listed for this platform id, else the profile's default."""
        return self.access.get(platform_id, self.default)

    @property
    def max_access(self) -> AccessLevel:
        """The most this profile may do anywhere (its default counts: it covers unlisted platforms)."""
        return max((self.default, *self.access.values()))


@dataclass(frozen=True)
class Organization:
    """The organisation the profiles belong to; `owner` is who owns social media ("" when not written)."""

    name: str
    owner: str
    timezone: str
    source: str = ""


@dataclass(frozen=True)
class PolicySet:
    """Everything loaded from the profiles files: one organisation and its profiles by name."""

    organization: Organization
    profiles: dict[str, Profile] = field(hash=False)
    sources: tuple[str, ...] = ()

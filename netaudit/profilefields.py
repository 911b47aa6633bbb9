"""Reading one profiles file's fields, the profiles way: each check records its problem and goes on.

`ProfileFields` is the base of policy.py's loader: the typed readers of the profiles format (tables,
strings, timezones, members, proxy users, password variables, access levels, rules), worded for
the person who edits the file ("must be a string, not a number"), with a suggestion for a
misspelt key, and never echoing a value that may be a secret. Problems go to a shared
`tomlschema.Problems`, so one load reports every problem of every file.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from netaudit.hours import parse_window
from netaudit.model import AccessLevel, Enforcement, Rules, TimeWindow
from netaudit.tomlschema import Problems
from netaudit.tomlsource import TomlSource

RULES_KEYS = ("hours", "hours_enforced_by", "posting", "content")

PASSWORD_ADVICE = (
    "never write a password in a profiles file: put it in an environment variable "
    "and name that variable in proxy_password_env"
)
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


# --- values in messages ----------------------------------------------------------------


def _show(value: str, limit: int = 60) -> str:
    """A user's value quoted for a message: shortened, and with control characters escaped."""
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def dotted(path: Sequence[str]) -> str:
    parts = []
    for key in path:
        if _BARE_KEY.fullmatch(key):
            parts.append(key)
        else:
            parts.append(json.dumps(key if len(key) <= 60 else key[:57] + "..."))
    return ".".join(parts)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def _suggest(word: str, choices: Sequence[str]) -> str | None:
    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.75)
    return lowered[close[0]] if close else None


def looks_secret(key: str, value: object) -> bool:
    """A key that would hold a password or other secret (a table of that name is not one)."""
    if isinstance(value, dict):
        return False
    name = key.lower()
    if name == "proxy_password_env":
        return False
    return (
        name in ("pass", "pwd")
        or name.endswith(("_pass", "-pass", "_pwd", "-pwd"))
        or any(word in name for word in _SECRET_WORDS)
    )


# --- the readers --------------------------------------------------------------------------------


class ProfileFields:
    """Typed readers over profiles files; a reader that finds a problem records it and returns None."""

    def __init__(self, known_platforms: Mapping[str, str]) -> None:
        self.known = {name.lower(): platform for name, platform in known_platforms.items()}
        self.platform_ids = sorted(set(self.known.values()))
        self.problems = Problems()

    def _problem(self, src: TomlSource, keys: tuple[str, ...], what: str, line: int | None = None) -> None:
        self.problems.add(src, dotted(keys), what, keys, line=line)

    def _secrets(self, src: TomlSource, table: dict[str, Any], prefix: tuple[str, ...]) -> None:
        for key, value in table.items():
            keys = (*prefix, key)
            if looks_secret(key, value):
                self._problem(src, keys, f"looks like a password; {PASSWORD_ADVICE}")
            elif isinstance(value, dict):
                self._secrets(src, value, keys)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        self._secrets(src, item, keys)

    def _unknown_keys(
        self, src: TomlSource, prefix: tuple[str, ...], table: dict[str, Any], allowed: Sequence[str]
    ) -> None:
        for key, value in table.items():
            if key in allowed or looks_secret(key, value):
                continue
            guess = _suggest(key, allowed)
            hint = f"did you mean {guess!r}?" if guess else f"allowed here: {', '.join(allowed)}"
            self._problem(src, (*prefix, key), f"unknown key; {hint}")

    def _table(self, src: TomlSource, keys: tuple[str, ...], value: object, example: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self._problem(src, keys, f"must be a table ({example}), not {_kind(value)}")
        return None

    def _string(self, src: TomlSource, keys: tuple[str, ...], value: object, *, empty: bool = True) -> str | None:
        if not isinstance(value, str):
            self._problem(src, keys, f"must be a string, not {_kind(value)}")
            return None
        if not empty and not value.strip():
            self._problem(src, keys, "must not be empty")
            return None
        return value.strip()

    def _timezone(self, src: TomlSource, keys: tuple[str, ...], value: object) -> str | None:
        zone = self._string(src, keys, value, empty=False)
        if zone is None:
            return None
        try:
            ZoneInfo(zone)
            return zone
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
        known = sorted(available_timezones())
        if not known:
            self._problem(
                src,
                keys,
                "no time zone data on this machine; install the tzdata package (pip install tzdata)",
            )
            return None
        guess = _suggest(zone, known)
        hint = f"did you mean {guess!r}?" if guess else "use an IANA name such as 'Europe/London' or 'UTC'"
        self._problem(src, keys, f"unknown timezone {_show(zone)}; {hint}")
        return None

    def _members(self, src: TomlSource, keys: tuple[str, ...], value: object) -> tuple[str, ...]:
        example = 'e.g. ["AD group Marketing", "10.20.0.0/16"]'
        if not isinstance(value, list):
            self._problem(src, keys, f"must be a list of strings ({example}), not {_kind(value)}")
            return ()
        members: list[str] = []
        for number, item in enumerate(value, start=1):
            if not isinstance(item, str) or not item.strip():
                kind = "empty" if isinstance(item, str) else _kind(item)
                self._problem(src, keys, f"item {number} is {kind}; members are non-empty strings ({example})")
            else:
                members.append(item.strip())
        return tuple(members)

    def _proxy_user(self, src: TomlSource, keys: tuple[str, ...], value: object) -> str | None:
        user = self._string(src, keys, value, empty=False)
        if user is not None and ":" in user:
            # "user:password" written in one field: refuse without repeating it.
            self._problem(src, keys, f"must be the user name alone (no ':'); {PASSWORD_ADVICE}")
            return None
        return user

    def _env_name(self, src: TomlSource, keys: tuple[str, ...], value: object) -> str | None:
        name = self._string(src, keys, value, empty=False)
        if name is not None and not _ENV_NAME.fullmatch(name):
            # Not echoed: a bad name here is often the password itself.
            self._problem(
                src,
                keys,
                "must be the name of an environment variable (letters, digits and '_', not starting "
                "with a digit, e.g. NETAUDIT_PROXY_PASSWORD_STAFF), never the password itself",
            )
            return None
        return name

    def _level(self, src: TomlSource, keys: tuple[str, ...], value: object) -> AccessLevel | None:
        if not isinstance(value, str):
            self._problem(src, keys, f'must be "none", "read" or "post", not {_kind(value)}')
            return None
        try:
            return AccessLevel(value)
        except ValueError:
            self._problem(src, keys, f"unknown access level {_show(value)}; use none, read or post")
            return None

    def _access(self, src: TomlSource, keys: tuple[str, ...], value: object) -> dict[str, AccessLevel]:
        table = self._table(src, keys, value, '{ facebook = "read", linkedin = "post" }')
        access: dict[str, AccessLevel] = {}
        written: dict[str, str] = {}
        for name, level_text in (table or {}).items():
            if looks_secret(name, level_text):
                continue
            platform = self.known.get(name.lower())
            if platform is None:
                guess = _suggest(name, list(self.known))
                hint = f", did you mean {guess!r}?" if guess else ""
                known = ", ".join(self.platform_ids) or "none"
                self._problem(src, (*keys, name), f"unknown platform {_show(name)}{hint} (known: {known})")
                continue
            level = self._level(src, (*keys, name), level_text)
            if level is None:
                continue
            if platform in written:
                self._problem(
                    src, (*keys, name), f"the same platform as {written[platform]!r}: list each platform once"
                )
                continue
            written[platform] = name
            access[platform] = level
        return access

    def _rules(self, src: TomlSource, keys: tuple[str, ...], value: object) -> Rules | None:
        table = self._table(src, keys, value, "[profiles.NAME.rules]")
        if table is None:
            return None
        self._unknown_keys(src, keys, table, RULES_KEYS)
        windows: list[TimeWindow] = []
        texts: list[str] = []
        hours_keys = (*keys, "hours")
        hours = table.get("hours", [])
        if not isinstance(hours, list):
            self._problem(
                src,
                hours_keys,
                f'must be a list of strings (e.g. ["mon-fri 12:00-13:00"]), not {_kind(hours)}',
            )
            hours = []
        for number, entry in enumerate(hours, start=1):
            if not isinstance(entry, str):
                self._problem(src, hours_keys, f"item {number} must be a string, not {_kind(entry)}")
                continue
            try:
                windows.append(parse_window(entry))
                texts.append(entry)
            except ValueError as error:
                self._problem(src, hours_keys, f"{_show(entry)}: {error}", src.line_of_item(hours_keys, entry))
        enforced_by = None
        enforced_keys = (*keys, "hours_enforced_by")
        if "hours_enforced_by" in table:
            raw = table["hours_enforced_by"]
            choices = '"firewall" (the network enforces them) or "policy" (a written rule)'
            if not isinstance(raw, str):
                self._problem(src, enforced_keys, f"must be {choices}, not {_kind(raw)}")
            elif raw not in ("firewall", "policy"):
                self._problem(src, enforced_keys, f"must be {choices}, not {_show(raw)}")
            else:
                enforced_by = Enforcement(raw)
            if not hours:
                self._problem(src, enforced_keys, "set, but there are no hours to enforce")
        elif hours:
            self._problem(src, enforced_keys, 'missing: say who enforces the hours, "firewall" or "policy"')
        posting = content = ""
        if "posting" in table:
            posting = self._string(src, (*keys, "posting"), table["posting"]) or ""
        if "content" in table:
            content = self._string(src, (*keys, "content"), table["content"]) or ""
        return Rules(
            hours=tuple(windows),
            hours_text=tuple(texts),
            hours_enforced_by=enforced_by,
            posting=posting,
            content=content,
        )

"""Access profiles: the strict loader of profiles/*.toml, its validation, and what a profile allows.

The format is DESIGN.md's "Profiles": one `[organization]` table across all the files given, and
`[profiles.NAME]` tables with `[profiles.NAME.rules]`. Loading is strict: unknown keys, unknown
platforms, bad levels, bad hours, unknown timezones, duplicate profiles and passwords written into
the file are all refused. Every problem is one line, `FILE:LINE: profiles.NAME.FIELD: what is wrong`
(the line is left out only when it cannot be found), and no secret value is ever echoed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from netaudit.errors import ProfileError
from netaudit.model import (
    AccessLevel,
    Enforcement,
    Organization,
    PolicySet,
    Profile,
    Rules,
    TimeWindow,
)
from netaudit.net.proxyurl import DEFAULT_PROXY_PORT, HTTPS_PROXY_REFUSED, ProxyUrlProblem, check_proxy_url
from netaudit.schedule import parse_window
from netaudit.tomlsource import InvalidToml, NotUtf8, TomlSource, UnreadableFile

TOP_KEYS = ("organization", "profiles")
ORGANIZATION_KEYS = ("name", "owner", "timezone")
PROFILE_KEYS = (
    "description",
    "members",
    "proxy_user",
    "proxy_password_env",
    "proxy",
    "access",
    "default",
    "rules",
)
RULES_KEYS = ("hours", "hours_enforced_by", "posting", "content")
RULE_NAMES = ("owner", "hours", "posting", "content")
"""The written rules the readiness verdict asks for, in the order missing_rules() names them."""

PASSWORD_ADVICE = (
    "never write a password in a profiles file: put it in an environment variable "
    "and name that variable in proxy_password_env"
)
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*", re.ASCII)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


class InvalidProfilesError(ProfileError):
    """The profiles files have problems: `problems` holds one line each, in file and line order.

    str() is the first problem, plus " (and N more problems)" when there are several.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems) or ["invalid profiles"]
        message = self.problems[0]
        more = len(self.problems) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        super().__init__(message)


def load_policy(paths: Sequence[Path], known_platforms: Mapping[str, str]) -> PolicySet:
    """Load profiles files and folders (each folder: its *.toml files, not recursive) into one PolicySet.

    `known_platforms` maps every accepted platform name (ids and aliases) to its canonical id;
    `access` is keyed by canonical ids. Raises InvalidProfilesError (a ProfileError) listing
    every problem found.
    """
    policy, problems = _Loader(known_platforms).load(paths)
    if problems or policy is None:
        raise InvalidProfilesError(problems)
    return policy


def validate_policy(paths: Sequence[Path], known_platforms: Mapping[str, str]) -> list[str]:
    """Every problem in the profiles files, one line each (an empty list when they load)."""
    return _Loader(known_platforms).load(paths)[1]


def effective_access(profile: Profile, platform_id: str) -> AccessLevel:
    """The profile's level on a platform (by canonical id): the one listed, else its default."""
    return profile.access_to(platform_id)


def missing_rules(profile: Profile, organization: Organization) -> list[str]:
    """Which written rules (of RULE_NAMES: owner, hours, posting, content) this profile lacks.

    What a profile needs depends on what it may do, so that no profile is held to a rule that
    cannot apply to it:

    - every profile needs the organisation's `owner` of social media;
    - a profile that may read (any platform, or its default, above `none`) also needs `hours`
      (when it may be used; `mon-sun 00:00-24:00` says "any time" explicitly) and `posting`
      (whether and how it may post, e.g. "Staff do not post on behalf of the company");
    - a profile that may post anywhere also needs `content` (what may be posted).

    A profile that may not use social media at all (every level `none`, e.g. guests) needs no
    hours, posting or content rule: there is nothing for them to govern.
    """
    missing: list[str] = []
    if not organization.owner.strip():
        missing.append("owner")
    level = profile.max_access
    if level >= AccessLevel.READ:
        if not profile.rules.hours:
            missing.append("hours")
        if not profile.rules.posting.strip():
            missing.append("posting")
    if level >= AccessLevel.POST and not profile.rules.content.strip():
        missing.append("content")
    return missing


# --- problems and where they are ----------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    path: str
    line: int | None
    where: str
    what: str

    def __str__(self) -> str:
        place = _place(self.path, self.line)
        text = f"{place}: {self.where}: {self.what}" if self.where else f"{place}: {self.what}"
        return _LINE_BREAKS.sub(" ", text)


def _place(path: str, line: int | None) -> str:
    return path if line is None else f"{path}:{line}"


def _show(value: str, limit: int = 60) -> str:
    """A user's value quoted for a message: shortened, and with control characters escaped."""
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _dotted(path: Sequence[str]) -> str:
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


def _looks_secret(key: str, value: object) -> bool:
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


# --- the loader ---------------------------------------------------------------------------------


class _Loader:
    """Reads every file given, collecting all problems; builds the PolicySet only when there are none."""

    def __init__(self, known_platforms: Mapping[str, str]) -> None:
        self.known = {name.lower(): platform for name, platform in known_platforms.items()}
        self.platform_ids = sorted(set(self.known.values()))
        self.problems: list[_Problem] = []
        self.file_order: dict[str, int] = {}
        self.sources: list[str] = []
        self.organizations: list[tuple[TomlSource, Organization | None]] = []
        self.profiles: dict[str, Profile] = {}
        self.first_definition: dict[str, tuple[TomlSource, int | None]] = {}
        self.unreadable = 0

    # Reporting

    def _file_problem(self, path: str, line: int | None, what: str) -> None:
        # A path or file that could not be read (or parsed): its content is unknown.
        self.unreadable += 1
        self.problems.append(_Problem(path, line, "", what))

    def _problem(self, src: TomlSource, keys: tuple[str, ...], what: str, line: int | None = None) -> None:
        found = line if line is not None else src.line_of(keys)
        self.problems.append(_Problem(src.path, found, _dotted(keys), what))

    # Inputs

    def load(self, paths: Sequence[Path]) -> tuple[PolicySet | None, list[str]]:
        files = self._expand(paths)
        for shown, path in files:
            self.file_order.setdefault(shown, len(self.file_order))
            self._load_file(shown, path)
        shown_inputs = ", ".join(str(path) for path in paths)
        # A file that could not be read may hold the organisation or the profiles: say nothing of them.
        complete = bool(files) and not self.unreadable
        if not self.organizations and complete:
            self._file_problem(
                shown_inputs,
                None,
                "organization: missing: exactly one file must have an [organization] table (name, owner, timezone)",
            )
        if not self.first_definition and complete:
            self._file_problem(shown_inputs, None, "no profiles: add at least one [profiles.NAME] table")
        order = len(self.file_order)
        ranked = sorted(self.problems, key=lambda p: (self.file_order.get(p.path, order), p.line or 0))
        lines = list(dict.fromkeys(str(problem) for problem in ranked))
        if lines:
            return None, lines
        organization = self.organizations[0][1]
        if organization is None:  # pragma: no cover - a None here always comes with a problem
            return None, ["invalid profiles"]
        policy = PolicySet(organization=organization, profiles=self.profiles, sources=tuple(self.sources))
        return policy, []

    def _expand(self, paths: Sequence[Path]) -> list[tuple[str, Path]]:
        if not paths:
            self._file_problem("profiles", None, "no profiles file or folder given")
            return []
        files: list[tuple[str, Path]] = []
        seen: set[Path] = set()
        for given in paths:
            path = Path(given)
            shown = str(given)
            try:
                if path.is_dir():
                    found = sorted(item for item in path.glob("*.toml") if item.is_file())
                    if not found:
                        self._file_problem(shown, None, "no *.toml files in this folder")
                elif path.exists():
                    found = [path]
                else:
                    self._file_problem(shown, None, "no such file or folder")
                    found = []
                for item in found:
                    resolved = item.resolve()
                    if resolved not in seen:
                        seen.add(resolved)
                        files.append((str(item), item))
            except (OSError, ValueError) as error:
                self._file_problem(shown, None, f"cannot read: {getattr(error, 'strerror', None) or error}")
        return files

    def _load_file(self, shown: str, path: Path) -> None:
        try:
            src = TomlSource.read(path)
            doc = src.parse()
        except UnreadableFile as error:
            self._file_problem(shown, None, f"cannot read: {error.reason}")
        except NotUtf8 as error:
            self._file_problem(shown, error.line, f"not UTF-8 text (byte 0x{error.byte:02x}); save it as UTF-8")
        except InvalidToml as error:
            where = f" (column {error.column})" if error.column else " (at the end of the file)" if error.at_end else ""
            self._file_problem(shown, error.line, f"invalid TOML: {error.message}{where}")
        else:
            self.sources.append(shown)
            self._document(src, doc)

    # Tables

    def _secrets(self, src: TomlSource, table: dict[str, Any], prefix: tuple[str, ...]) -> None:
        for key, value in table.items():
            keys = (*prefix, key)
            if _looks_secret(key, value):
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
            if key in allowed or _looks_secret(key, value):
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

    def _document(self, src: TomlSource, doc: dict[str, Any]) -> None:
        self._secrets(src, doc, ())
        self._unknown_keys(src, (), doc, TOP_KEYS)
        if "organization" in doc:
            table = self._table(src, ("organization",), doc["organization"], "[organization]")
            organization = None if table is None else self._organization(src, table)
            if self.organizations:
                first = self.organizations[0][0]
                self._problem(
                    src,
                    ("organization",),
                    f"defined again (first in {_place(first.path, first.line_of(('organization',)))}); "
                    "exactly one file may have an [organization] table",
                )
            self.organizations.append((src, organization))
        if "profiles" in doc:
            profiles = self._table(src, ("profiles",), doc["profiles"], "[profiles.NAME]")
            for name, value in (profiles or {}).items():
                keys = ("profiles", name)
                if _looks_secret(name, value):
                    continue  # reported by _secrets
                if name in self.first_definition:
                    first, line = self.first_definition[name]
                    self._problem(
                        src,
                        keys,
                        f"defined again (first in {_place(first.path, line)}); profile names must be unique",
                    )
                    continue
                self.first_definition[name] = (src, src.line_of(keys))
                table = self._table(src, keys, value, f"[profiles.{_dotted([name])}]")
                if table is not None:
                    profile = self._profile(src, name, table)
                    if profile is not None:
                        self.profiles[name] = profile

    def _organization(self, src: TomlSource, table: dict[str, Any]) -> Organization | None:
        before = len(self.problems)
        self._unknown_keys(src, ("organization",), table, ORGANIZATION_KEYS)
        name = owner = timezone = None
        for key in ("name", "timezone"):
            if key not in table:
                what = (
                    "missing: the organisation's name"
                    if key == "name"
                    else ('missing: the organisation\'s timezone, e.g. "Europe/London"')
                )
                self._problem(src, ("organization", key), what)
        if "name" in table:
            name = self._string(src, ("organization", "name"), table["name"], empty=False)
        if "owner" in table:
            owner = self._string(src, ("organization", "owner"), table["owner"])
        if "timezone" in table:
            timezone = self._timezone(src, ("organization", "timezone"), table["timezone"])
        if len(self.problems) > before or name is None or timezone is None:
            return None
        return Organization(name=name, owner=owner or "", timezone=timezone, source=src.path)

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

    # Profiles

    def _profile(self, src: TomlSource, name: str, table: dict[str, Any]) -> Profile | None:
        before = len(self.problems)
        base = ("profiles", name)
        if not _PROFILE_NAME.fullmatch(name):
            self._problem(
                src, base, "a profile name uses letters, digits, '-' and '_', starting with a letter or digit"
            )
        self._unknown_keys(src, base, table, PROFILE_KEYS)

        description = ""
        if "description" in table:
            description = self._string(src, (*base, "description"), table["description"]) or ""
        members = self._members(src, (*base, "members"), table.get("members", []))
        proxy_user = proxy_password_env = proxy = None
        if "proxy_user" in table:
            proxy_user = self._proxy_user(src, (*base, "proxy_user"), table["proxy_user"])
        if "proxy_password_env" in table:
            proxy_password_env = self._env_name(src, (*base, "proxy_password_env"), table["proxy_password_env"])
        wrote_password = any(_looks_secret(key, value) for key, value in table.items())
        if "proxy_user" in table and "proxy_password_env" not in table and not wrote_password:
            self._problem(
                src,
                (*base, "proxy_password_env"),
                "missing: proxy_user needs proxy_password_env, the name of the environment variable "
                "that holds its password",
            )
        if "proxy_password_env" in table and "proxy_user" not in table:
            self._problem(src, (*base, "proxy_user"), "missing: proxy_password_env needs proxy_user, the user name")
        if "proxy" in table:
            proxy = self._proxy(src, (*base, "proxy"), table["proxy"])
        access = self._access(src, (*base, "access"), table.get("access", {}))
        default = AccessLevel.NONE
        if "default" in table:
            default = self._level(src, (*base, "default"), table["default"]) or AccessLevel.NONE
        rules = self._rules(src, (*base, "rules"), table.get("rules", {}))

        if len(self.problems) > before or rules is None:
            return None
        return Profile(
            name=name,
            description=description,
            members=members,
            proxy_user=proxy_user,
            proxy_password_env=proxy_password_env,
            proxy=proxy,
            access=access,
            default=default,
            rules=rules,
            source=src.path,
        )

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

    def _proxy(self, src: TomlSource, keys: tuple[str, ...], value: object) -> str | None:
        url = self._string(src, keys, value, empty=False)
        if url is None:
            return None
        # The same validator as --proxy (the audit uses the URL as its --proxy); its messages mask passwords.
        try:
            spec = check_proxy_url(url, allow_password=False, default_port=DEFAULT_PROXY_PORT)
        except ProxyUrlProblem as problem:
            if problem.kind == "password":
                self._problem(src, keys, f"the URL carries a password; {PASSWORD_ADVICE}, and the user in proxy_user")
            else:
                self._problem(src, keys, HTTPS_PROXY_REFUSED if problem.kind == "https" else str(problem))
            return None
        if spec.username is not None:
            self._problem(src, keys, "the URL carries a user name; put it in proxy_user instead")
            return None
        return url

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
            if _looks_secret(name, level_text):
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

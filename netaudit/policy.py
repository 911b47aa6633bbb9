"""Access profiles: the strict loader of profiles/*.toml, its validation, and what a profile allows.

The format is DESIGN.md's "Profiles": one `[organization]` table across all the files given, and
`[profiles.NAME]` tables with `[profiles.NAME.rules]`. Loading is strict: unknown keys, unknown
platforms, bad levels, bad hours, unknown timezones, duplicate profiles and passwords written into
the file are all refused. Every problem is one line, `FILE:LINE: profiles.NAME.FIELD: what is wrong`
(the line is left out only when it cannot be found), and no secret value is ever echoed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from netaudit.errors import ProfileError
from netaudit.model import (
    AccessLevel,
    Organization,
    PolicySet,
    Profile,
)
from netaudit.net.proxyurl import DEFAULT_PROXY_PORT, HTTPS_PROXY_REFUSED, ProxyUrlProblem, check_proxy_url
from netaudit.profilefields import (
    PASSWORD_ADVICE,
    ProfileFields,
    dotted,
    looks_secret,
)
from netaudit.tomlschema import place, summary
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
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*", re.ASCII)


class InvalidProfilesError(ProfileError):
    """The profiles files have problems: `problems` holds one line each, in file and line order.

    str() is the first problem, plus " (and N more problems)" when there are several.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems) or ["invalid profiles"]
        super().__init__(summary(self.problems))


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


# --- the loader ---------------------------------------------------------------------------------


class _Loader(ProfileFields):
    """Reads every file given, collecting all problems; builds the PolicySet only when there are none."""

    def __init__(self, known_platforms: Mapping[str, str]) -> None:
        super().__init__(known_platforms)
        self.sources: list[str] = []
        self.organizations: list[tuple[TomlSource, Organization | None]] = []
        self.profiles: dict[str, Profile] = {}
        self.first_definition: dict[str, tuple[TomlSource, int | None]] = {}
        self.unreadable = 0

    # Reporting

    def _file_problem(self, path: str, line: int | None, what: str) -> None:
        # A path or file that could not be read (or parsed): its content is unknown.
        self.unreadable += 1
        self.problems.add_at(path, line, "", what)

    # Inputs

    def load(self, paths: Sequence[Path]) -> tuple[PolicySet | None, list[str]]:
        files = self._expand(paths)
        for shown, path in files:
            self.problems.file(shown)
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
        lines = self.problems.lines()
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
                    f"defined again (first in {place(first.path, first.line_of(('organization',)))}); "
                    "exactly one file may have an [organization] table",
                )
            self.organizations.append((src, organization))
        if "profiles" in doc:
            profiles = self._table(src, ("profiles",), doc["profiles"], "[profiles.NAME]")
            for name, value in (profiles or {}).items():
                keys = ("profiles", name)
                if looks_secret(name, value):
                    continue  # reported by _secrets
                if name in self.first_definition:
                    first, line = self.first_definition[name]
                    self._problem(
                        src,
                        keys,
                        f"defined again (first in {place(first.path, line)}); profile names must be unique",
                    )
                    continue
                self.first_definition[name] = (src, src.line_of(keys))
                table = self._table(src, keys, value, f"[profiles.{dotted([name])}]")
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
        wrote_password = any(looks_secret(key, value) for key, value in table.items())
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

"""The profiles loader: the built-in example, a folder of bad files with their exact messages, and fuzzing."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netaudit.assess import missing_rules
from netaudit.errors import ExitCode, ProfileError
from netaudit.hours import parse_window
from netaudit.model import AccessLevel, Enforcement, Organization, PolicySet, Profile, Rules
from netaudit.policy import (
    InvalidProfilesError,
    effective_access,
    load_policy,
    validate_policy,
)
from netaudit.resources import builtin_profiles_dir

PLATFORMS = ("facebook", "instagram", "linkedin", "x", "youtube", "tiktok", "pinterest", "reddit")
KNOWN = {platform: platform for platform in PLATFORMS} | {"twitter": "x"}
EXAMPLE = builtin_profiles_dir() / "example-corp.toml"
INVALID = Path(__file__).parent / "data" / "profiles-invalid"
KNOWN_LIST = "facebook, instagram, linkedin, pinterest, reddit, tiktok, x, youtube"
NO_PASSWORD = (
    "never write a password in a profiles file: put it in an environment variable "
    "and name that variable in proxy_password_env"
)
DAYS_HINT = "use mon, tue, wed, thu, fri, sat, sun or daily"
FORM = "expected 'DAYS HH:MM-HH:MM', e.g. 'mon-fri 12:00-13:00' or 'daily 00:00-24:00'"

# Every entry of tests/data/profiles-invalid/ (a file, or a folder loaded as a whole) and the exact
# lines validation gives for it; "@/" stands for the folder's path.
EXPECTED: dict[str, list[str]] = {
    "syntax.toml": ["@/syntax.toml:8: invalid TOML: Unclosed inline table (column 30)"],
    "unknown-key.toml": ["@/unknown-key.toml:8: profiles.staff.proxy_usr: unknown key; did you mean 'proxy_user'?"],
    "unknown-platform.toml": [
        f"@/unknown-platform.toml:8: profiles.staff.access.myspace: unknown platform 'myspace' (known: {KNOWN_LIST})"
    ],
    "bad-level.toml": [
        "@/bad-level.toml:8: profiles.staff.access.facebook: unknown access level 'write'; use none, read or post"
    ],
    "hour-25.toml": [
        "@/hour-25.toml:10: profiles.staff.rules.hours: 'mon-fri 23:00-25:00': "
        "bad time '25:00': hours go from 00 to 23 (24:00 only as the end)"
    ],
    "bad-day.toml": [
        f"@/bad-day.toml:11: profiles.staff.rules.hours: 'mon-xyz 12:00-13:00': unknown day 'xyz'; {DAYS_HINT}"
    ],
    "empty-window.toml": [
        "@/empty-window.toml:10: profiles.staff.rules.hours: 'mon-fri 12:00-12:00': "
        "empty window: it starts when it ends; for a whole day write 00:00-24:00"
    ],
    "missing-time.toml": [f"@/missing-time.toml:10: profiles.staff.rules.hours: 'mon-fri': missing time range; {FORM}"],
    "garbage-hours.toml": [
        f"@/garbage-hours.toml:10: profiles.staff.rules.hours: 'at lunchtime': bad time range 'lunchtime'; {FORM}"
    ],
    "unknown-timezone.toml": [
        "@/unknown-timezone.toml:4: organization.timezone: unknown timezone 'Europe/Londn'; "
        "did you mean 'Europe/London'?"
    ],
    "duplicate-profile": [
        "@/duplicate-profile/b.toml:2: profiles.staff: defined again "
        "(first in @/duplicate-profile/a.toml:6); profile names must be unique"
    ],
    "duplicate-organization": [
        "@/duplicate-organization/b.toml:1: organization: defined again "
        "(first in @/duplicate-organization/a.toml:1); exactly one file may have an [organization] table"
    ],
    "password-in-file.toml": [
        f"@/password-in-file.toml:9: profiles.staff.proxy_password: looks like a password; {NO_PASSWORD}"
    ],
    "secret-in-rules.toml": [
        f"@/secret-in-rules.toml:11: profiles.staff.rules.api_token: looks like a password; {NO_PASSWORD}"
    ],
    "password-in-proxy-url.toml": [
        f"@/password-in-proxy-url.toml:8: profiles.guests.proxy: the URL carries a password; {NO_PASSWORD}, "
        "and the user in proxy_user"
    ],
    "user-in-proxy-url.toml": [
        "@/user-in-proxy-url.toml:8: profiles.guests.proxy: the URL carries a user name; put it in proxy_user instead"
    ],
    "user-with-password.toml": [
        f"@/user-with-password.toml:7: profiles.staff.proxy_user: must be the user name alone (no ':'); {NO_PASSWORD}"
    ],
    "proxy-https.toml": [
        "@/proxy-https.toml:8: profiles.guests.proxy: https:// proxies (TLS to the proxy itself) are not supported; "
        "give the proxy's plain http:// port (the tunnel to each site is TLS all the same)"
    ],
    "proxy-not-http.toml": [
        "@/proxy-not-http.toml:8: profiles.guests.proxy: unsupported proxy scheme 'socks5' in "
        "socks5://proxy.example.corp:1080 (netaudit speaks to http:// proxies)"
    ],
    "bad-env-name.toml": [
        "@/bad-env-name.toml:8: profiles.staff.proxy_password_env: "
        "must be the name of an environment variable (letters, digits and '_', not starting with a digit, "
        "e.g. NETAUDIT_PROXY_PASSWORD_STAFF), never the password itself"
    ],
    "user-without-env.toml": [
        "@/user-without-env.toml:6: profiles.staff.proxy_password_env: missing: proxy_user needs "
        "proxy_password_env, the name of the environment variable that holds its password"
    ],
    "bad-enforced-by.toml": [
        '@/bad-enforced-by.toml:11: profiles.staff.rules.hours_enforced_by: must be "firewall" '
        "(the network enforces them) or \"policy\" (a written rule), not 'manager'"
    ],
    "enforcement-missing.toml": [
        "@/enforcement-missing.toml:9: profiles.staff.rules.hours_enforced_by: "
        'missing: say who enforces the hours, "firewall" or "policy"'
    ],
    "alias-twice.toml": [
        "@/alias-twice.toml:7: profiles.marketing.access.twitter: the same platform as 'x': list each platform once"
    ],
    "members-not-list.toml": [
        "@/members-not-list.toml:7: profiles.staff.members: must be a list of strings "
        '(e.g. ["AD group Marketing", "10.20.0.0/16"]), not a string'
    ],
    "bad-profile-name.toml": [
        '@/bad-profile-name.toml:6: profiles."all staff": '
        "a profile name uses letters, digits, '-' and '_', starting with a letter or digit"
    ],
    "no-organization.toml": [
        "@/no-organization.toml: organization: missing: exactly one file must have an [organization] table "
        "(name, owner, timezone)"
    ],
    "not-utf8.toml": ["@/not-utf8.toml:7: not UTF-8 text (byte 0xe9); save it as UTF-8"],
    "several-problems.toml": [
        "@/several-problems.toml:4: organization.timezone: unknown timezone 'Mars/Olympus_Mons'; "
        "use an IANA name such as 'Europe/London' or 'UTC'",
        f"@/several-problems.toml:10: profiles.staff.access.myspace: unknown platform 'myspace' (known: {KNOWN_LIST})",
        "@/several-problems.toml:10: profiles.staff.access.linkedin: unknown access level 'admin'; "
        "use none, read or post",
        "@/several-problems.toml:14: profiles.staff.rules.hours: "
        f"'sun-fun 09:00-10:00': unknown day 'fun'; {DAYS_HINT}",
        "@/several-problems.toml:17: profiles.staff.rules.colour: unknown key; "
        "allowed here: hours, hours_enforced_by, posting, content",
    ],
}


def _expected(name: str) -> list[str]:
    return [line.replace("@/", f"{INVALID}/") for line in EXPECTED[name]]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


ORG = '[organization]\nname = "Example Corp"\nowner = "Corporate Communications"\ntimezone = "Europe/London"\n'


# --- the built-in example ---------------------------------------------------------------------


def test_example_loads() -> None:
    policy = load_policy([EXAMPLE], KNOWN)
    assert isinstance(policy, PolicySet)
    assert policy.organization == Organization(
        name="Example Corp", owner="Corporate Communications", timezone="Europe/London", source=str(EXAMPLE)
    )
    assert list(policy.profiles) == ["communications", "marketing", "staff", "guests", "volunteers"]
    assert policy.sources == (str(EXAMPLE),)
    comms, marketing, staff, guests, volunteers = policy.profiles.values()
    assert {comms.access_to(p) for p in PLATFORMS} == {AccessLevel.POST}
    assert comms.rules.hours_text == ("mon-sun 00:00-24:00",)
    assert comms.rules.hours_enforced_by is Enforcement.POLICY
    assert {p for p in PLATFORMS if marketing.access_to(p) == AccessLevel.POST} == {
        "linkedin",
        "x",
        "facebook",
    }
    assert marketing.access_to("youtube") == AccessLevel.READ
    assert {staff.access_to(p) for p in PLATFORMS} == {AccessLevel.READ}
    assert staff.rules.hours_enforced_by is Enforcement.FIREWALL
    assert staff.rules.hours == (
        parse_window("mon-fri 10:30-10:45"),
        parse_window("mon-fri 12:00-13:00"),
        parse_window("mon-fri 15:30-15:45"),
    )
    assert staff.rules.posting == "Staff do not post on behalf of the company"
    assert staff.proxy_user == "staff-audit"
    assert staff.proxy_password_env == "NETAUDIT_PROXY_PASSWORD_STAFF"
    assert guests.proxy == "http://proxy.example.corp:3129"
    assert guests.proxy_user is None and guests.max_access == AccessLevel.NONE
    assert {p for p in PLATFORMS if volunteers.access_to(p) == AccessLevel.POST} == {"facebook", "instagram"}
    for profile in policy.profiles.values():
        assert profile.members and profile.description and profile.source == str(EXAMPLE)
        assert missing_rules(profile, policy.organization) == []


def test_example_folder_loads_and_the_same_file_twice_counts_once() -> None:
    policy = load_policy([builtin_profiles_dir(), EXAMPLE], KNOWN)
    assert len(policy.profiles) == 5


# --- the folder of bad files ------------------------------------------------------------------


def test_every_bad_file_has_its_expected_message() -> None:
    assert {entry.name for entry in INVALID.iterdir()} == set(EXPECTED)
    assert len(EXPECTED) >= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_its_exact_lines(name: str) -> None:
    assert validate_policy([INVALID / name], KNOWN) == _expected(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_raises_a_profile_error(name: str) -> None:
    expected = _expected(name)
    with pytest.raises(ProfileError) as caught:
        load_policy([INVALID / name], KNOWN)
    error = caught.value
    assert isinstance(error, InvalidProfilesError)
    assert error.exit_code is ExitCode.USAGE and int(error.exit_code) == 2
    assert error.problems == expected
    more = len(expected) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    assert str(error) == expected[0] + suffix


def test_several_problems_are_all_reported() -> None:
    with pytest.raises(InvalidProfilesError) as caught:
        load_policy([INVALID / "several-problems.toml"], KNOWN)
    assert len(caught.value.problems) == 5
    assert str(caught.value).endswith(" (and 4 more problems)")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_message_repeats_a_secret(name: str) -> None:
    for line in validate_policy([INVALID / name], KNOWN):
        assert "hunter2" not in line and "abc123" not in line


# --- loading rules ----------------------------------------------------------------------------


def test_files_of_a_folder_merge(tmp_path: Path) -> None:
    _write(tmp_path, "00-organization.toml", ORG)
    _write(tmp_path, "staff.toml", '[profiles.staff]\naccess = { twitter = "read", Facebook = "post" }\n')
    _write(tmp_path, "guests.toml", "[profiles.guests]\n")
    _write(tmp_path, "notes.txt", "not a profiles file")
    policy = load_policy([tmp_path], KNOWN)
    assert set(policy.profiles) == {"staff", "guests"}
    staff = policy.profiles["staff"]
    # Aliases and capitals resolve to the catalog's ids.
    assert staff.access == {"x": AccessLevel.READ, "facebook": AccessLevel.POST}
    assert staff.source == str(tmp_path / "staff.toml")
    assert policy.profiles["guests"] == Profile(name="guests", source=str(tmp_path / "guests.toml"))
    assert len(policy.sources) == 3


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (ORG + "[profiles.staff]\n").encode())
    assert set(load_policy([path], KNOWN).profiles) == {"staff"}


def test_paths_that_cannot_be_read(tmp_path: Path) -> None:
    assert validate_policy([], KNOWN) == ["profiles: no profiles file or folder given"]
    assert validate_policy([tmp_path / "nope.toml"], KNOWN) == [f"{tmp_path / 'nope.toml'}: no such file or folder"]
    assert validate_policy([tmp_path], KNOWN) == [f"{tmp_path}: no *.toml files in this folder"]


def test_no_profiles_at_all(tmp_path: Path) -> None:
    path = _write(tmp_path, "org.toml", ORG)
    assert validate_policy([path], KNOWN) == [f"{path}: no profiles: add at least one [profiles.NAME] table"]


def test_lines_are_found_past_strings_that_look_like_keys(tmp_path: Path) -> None:
    text = (
        ORG
        + "\n[profiles.staff]\n"
        + 'description = """\n[profiles.fake]\nproxy_usr = "in a string"\n"""""\n'  # ends with two quotes
        + "members = [\n  'a # not a comment',\n  \"b ] c\",\n]\n"
        + "rules.posting = 'dotted key'\n"
        + "proxy_usr = 'here'  # line 16\n"
    )
    path = _write(tmp_path, "tricky.toml", text)
    assert validate_policy([path], KNOWN) == [
        f"{path}:16: profiles.staff.proxy_usr: unknown key; did you mean 'proxy_user'?"
    ]


def test_a_multi_line_hours_list_names_the_line_of_the_bad_entry(tmp_path: Path) -> None:
    text = ORG + (
        '[profiles.staff]\ndefault = "read"\n[profiles.staff.rules]\nhours_enforced_by = "policy"\n'
        'hours = [\n  "mon-fri 12:00-13:00",\n  "tue 09:00-9:60",\n]\n'
    )
    path = _write(tmp_path, "hours.toml", text)
    assert validate_policy([path], KNOWN) == [
        f"{path}:11: profiles.staff.rules.hours: 'tue 09:00-9:60': bad time '9:60': minutes go from 00 to 59"
    ]


def test_enforcement_without_hours_and_wrong_types(tmp_path: Path) -> None:
    text = ORG + (
        "[profiles.staff]\nmembers = ['ok', 3]\ndefault = 1\nproxy = 'http://proxy:99999'\n"
        "[profiles.staff.rules]\nhours_enforced_by = 'policy'\nposting = true\n"
    )
    path = _write(tmp_path, "types.toml", text)
    assert validate_policy([path], KNOWN) == [
        f"{path}:6: profiles.staff.members: item 2 is a number; members are non-empty strings "
        '(e.g. ["AD group Marketing", "10.20.0.0/16"])',
        f'{path}:7: profiles.staff.default: must be "none", "read" or "post", not a number',
        f"{path}:8: profiles.staff.proxy: bad port '99999' in http://proxy:99999 (1-65535)",
        f"{path}:10: profiles.staff.rules.hours_enforced_by: set, but there are no hours to enforce",
        f"{path}:11: profiles.staff.rules.posting: must be a string, not true/false",
    ]


def test_top_level_unknown_key_and_secret_outside_profiles(tmp_path: Path) -> None:
    text = ORG + 'token = "abc123"\n[profiles.staff]\n[profile.typo]\n'
    path = _write(tmp_path, "top.toml", text)
    # A secret at the top of the file sits in the [organization] table (line 5).
    assert validate_policy([path], KNOWN) == [
        f"{path}:5: organization.token: looks like a password; {NO_PASSWORD}",
        f"{path}:7: profile: unknown key; did you mean 'profiles'?",
    ]


# --- levels and rules -------------------------------------------------------------------------


def test_access_levels_are_ordered() -> None:
    assert AccessLevel.NONE < AccessLevel.READ < AccessLevel.POST
    assert AccessLevel.POST > AccessLevel.READ >= AccessLevel.READ > AccessLevel.NONE
    assert [level.rank for level in AccessLevel] == [0, 1, 2]
    assert sorted([AccessLevel.POST, AccessLevel.NONE, AccessLevel.READ]) == list(AccessLevel)
    assert max(AccessLevel.READ, AccessLevel.POST, AccessLevel.NONE) is AccessLevel.POST
    assert AccessLevel.READ < "post" and AccessLevel.POST > "read"  # never alphabetical
    assert str(AccessLevel.POST) == "post" and AccessLevel("post") is AccessLevel.POST


def test_effective_access_uses_the_default() -> None:
    profile = Profile(name="p", access={"x": AccessLevel.POST}, default=AccessLevel.READ)
    assert effective_access(profile, "x") == AccessLevel.POST
    assert effective_access(profile, "reddit") == AccessLevel.READ


ORGANIZATION = Organization(name="Example Corp", owner="Corporate Communications", timezone="Europe/London")
HOURS = (parse_window("mon-fri 12:00-13:00"),)


@pytest.mark.parametrize(
    ("profile", "organization", "missing"),
    [
        # No social media at all: nothing to govern, only the organisation's owner counts.
        (Profile(name="guests"), ORGANIZATION, []),
        (Profile(name="guests"), Organization("Example Corp", "", "Europe/London"), ["owner"]),
        # May read: when, and whether they may post.
        (Profile(name="staff", default=AccessLevel.READ), ORGANIZATION, ["hours", "posting"]),
        (
            Profile(name="staff", default=AccessLevel.READ, rules=Rules(hours=HOURS, posting="Do not post")),
            ORGANIZATION,
            [],
        ),
        # May post somewhere: also what may be posted.
        (
            Profile(name="mkt", access={"x": AccessLevel.POST}),
            Organization("Example Corp", "  ", "UTC"),
            ["owner", "hours", "posting", "content"],
        ),
        (
            Profile(
                name="mkt",
                access={"x": AccessLevel.POST},
                rules=Rules(hours=HOURS, posting="ok", content=" "),
            ),
            ORGANIZATION,
            ["content"],
        ),
    ],
)
def test_missing_rules(profile: Profile, organization: Organization, missing: list[str]) -> None:
    assert missing_rules(profile, organization) == missing


# --- fuzzing: a clean error or a valid result, never a traceback --------------------------------

EXAMPLE_LINES = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
FRAGMENTS = st.sampled_from(
    [
        "[",
        "]",
        "[[",
        "=",
        '"',
        "'",
        "'''",
        '"""',
        "{",
        "}",
        ",",
        "#",
        "\n",
        "\\",
        ".",
        "\x00",
        "\ufeff",
        "é",
        "25:00",
        "mon-xyz",
        "12:00-12:00",
        "fri-mon 22:00-02:00",
        "24:00-00:00",
        "post",
        "read",
        "none",
        "admin",
        'password = "hunter2"',
        "[profiles.staff]",
        "[profiles.staff.rules]",
        "[organization]",
        "[[profiles]]",
        'access = { myspace = "post" }',
        'access = { twitter = "read", x = "post" }',
        "hours = [1]",
        'hours = "mon 09:00-10:00"',
        'timezone = "Mars/Base"',
        'timezone = "../../etc/passwd"',
        'proxy = "http://u:p@h:1"',
        'proxy = "http://[::1"',
        'proxy_password_env = "1X"',
        "default = 3",
        'hours_enforced_by = "firewall"',
        "rules = 5",
        "profiles = []",
        'members = [""]',
        "x.y.z = 1",
    ]
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated_example(draw: st.DrawFn) -> bytes:
    lines = list(EXAMPLE_LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        lines = lines or ["\n"]
        where = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        change = draw(st.sampled_from(["delete", "duplicate", "replace", "swap", "char", "insert"]))
        if change == "delete":
            del lines[where]
        elif change == "duplicate":
            lines.insert(where, lines[where])
        elif change == "replace":
            lines[where] = draw(FRAGMENTS | st.text(max_size=30)) + "\n"
        elif change == "swap":
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[where], lines[other] = lines[other], lines[where]
        else:
            line = lines[where]
            at = draw(st.integers(min_value=0, max_value=len(line)))
            new = draw(FRAGMENTS | st.text(max_size=3))
            cut = 1 if change == "char" else 0
            lines[where] = line[:at] + new + line[at + cut :]
    data = "".join(lines).encode("utf-8")
    if draw(st.integers(min_value=0, max_value=19)) == 0:  # now and then, bytes that are not UTF-8
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


SECRET = "S3cr3t-Value"
SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.floats(),
    st.sampled_from(
        [
            "none",
            "read",
            "post",
            "firewall",
            "policy",
            "Europe/London",
            "UTC",
            "Europe",
            "",
            "mon-fri 12:00-13:00",
            "fri 22:00-02:00",
            "daily 00:00-24:00",
            "mon-xyz 1:00-2:00",
            "sun 24:00-01:00",
            "http://proxy.example.corp:3128",
            "https://[::1]:8080/",
            "ftp://p",
            "http://p:0",
            "NETAUDIT_X",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
)
LEVELS = st.sampled_from(["none", "read", "post", "write", "Read"]) | VALUES
PLATFORM_NAMES = st.sampled_from([*KNOWN, "myspace", "Facebook", "token"]) | st.text(max_size=8)
RULES = st.fixed_dictionaries(
    {},
    optional={
        "hours": st.lists(SCALARS, max_size=4) | VALUES,
        "hours_enforced_by": st.sampled_from(["firewall", "policy", "manager"]) | VALUES,
        "posting": VALUES,
        "content": VALUES,
        "secret": st.just(SECRET),
        "colour": VALUES,
    },
)
PROFILE = st.fixed_dictionaries(
    {},
    optional={
        "description": VALUES,
        "members": st.lists(SCALARS, max_size=3) | VALUES,
        "proxy_user": st.sampled_from(["audit", f"audit:{SECRET}", ""]) | VALUES,
        "proxy_password_env": st.sampled_from(["NETAUDIT_P", f"{SECRET}!", "9X"]) | VALUES,
        "proxy": st.sampled_from([f"http://u:{SECRET}@proxy:3128", f"u:{SECRET}@proxy:3128"]) | VALUES,
        "proxy_password": st.just(SECRET),
        "access": st.dictionaries(PLATFORM_NAMES, LEVELS, max_size=4) | VALUES,
        "default": LEVELS,
        "rules": RULES | VALUES,
    },
)
ORGANIZATION_TABLE = st.fixed_dictionaries(
    {},
    optional={
        "name": VALUES,
        "owner": VALUES,
        "timezone": st.sampled_from(["Europe/London", "UTC", "Mars/Base", "/etc/passwd", "leapseconds"]) | VALUES,
        "passwd": st.just(SECRET),
    },
)
PROFILE_NAMES = st.sampled_from(["staff", "guests", "all staff", "-x"]) | st.text(max_size=6)
DOCUMENTS = st.fixed_dictionaries(
    {
        # Mostly the right shapes, so that the fuzzing reaches the checks of every field.
        "organization": st.one_of(ORGANIZATION_TABLE, ORGANIZATION_TABLE, ORGANIZATION_TABLE, VALUES),
        "profiles": st.one_of(*[st.dictionaries(PROFILE_NAMES, PROFILE, min_size=1, max_size=3)] * 3, VALUES),
    },
    optional={"extra": VALUES},
)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


@st.composite
def random_document(draw: st.DrawFn) -> bytes:
    document = draw(DOCUMENTS)
    lines, tables = [], []
    for key, value in document.items():
        if isinstance(value, dict) and draw(st.booleans()):  # as a [table] (after the plain keys)
            tables.append(f"[{_toml_key(key)}]")
            tables += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines + tables).encode("utf-8")


def _load_bytes(data: bytes) -> tuple[PolicySet | None, list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profiles.toml"
        path.write_bytes(data)
        problems = validate_policy([path], KNOWN)
        try:
            policy: PolicySet | None = load_policy([path], KNOWN)
        except ProfileError as error:
            assert isinstance(error, InvalidProfilesError)
            assert error.problems == problems and problems
            assert str(error).startswith(problems[0])
            policy = None
        else:
            assert isinstance(policy, PolicySet) and problems == []
    for line in problems:
        assert line.startswith(str(path)) and "\n" not in line and "\r" not in line
    return policy, problems


@FUZZ
@given(mutated_example())
def test_mutated_example_never_gives_a_traceback(data: bytes) -> None:
    _load_bytes(data)


@FUZZ
@given(random_document())
def test_random_documents_never_give_a_traceback_nor_a_secret(data: bytes) -> None:
    policy, problems = _load_bytes(data)
    assert all(SECRET not in line for line in problems)
    if policy is not None:
        assert policy.profiles

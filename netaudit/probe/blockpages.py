"""Block and warning pages: fingerprints kept as data, matched against one HTTP answer.

The fingerprints live in ``netaudit/data/blockpages.toml`` (hand-written, each with its source) and
``netaudit/data/ooni-fingerprints.toml`` (generated from ooni/blocking-fingerprints by
``scripts/import_ooni_fingerprints.py``). Each names a product, where to look (the body, the page
title, or one header), how to compare (contains, prefix, full, regexp), the pattern, and
optionally the HTTP statuses it applies to.
`match_block_page` returns the first fingerprint, in file order, that an answer matches.

Matching is built for volume: a fingerprint set is compiled once, its body "contains" patterns
(about a thousand) are found in one Aho-Corasick pass, and body fingerprints look at the first
`BODY_WINDOW` characters only (block pages are small; a real site's 256 KiB page costs one pass
over 64 KiB, not a thousand).
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ahocorasick_rs import AhoCorasick, Implementation

from netaudit.errors import InputError
from netaudit.probe.fingerprintfile import EntryLabel, read_entries
from netaudit.resources import load_once, package_data
from netaudit.tomlschema import each_entry

BODY_WINDOW = 64 * 1024
"""Body fingerprints are matched against this many leading characters of the body."""

DFA_AFTER = 8 * 1024 * 1024
"""Characters of body windows searched with the quick-to-build automaton before the faster one is built."""

TITLE_MAX = 512
"""Longest title returned by `page_title` (characters, after collapsing whitespace)."""

LOCATIONS = ("body", "title")
"""Locations besides ``header.<name>``."""

MATCHES = ("contains", "prefix", "full", "regexp")
"""How a fingerprint's pattern is compared with the value at its location."""

DEFAULT_FILES = ("blockpages.toml", "ooni-fingerprints.toml")
DNS_FILES = ("blockpages.toml", "ooni-dns.toml")
"""The built-in files whose ``[[dns]]`` tables name filters' block addresses (read by sinkhole.py)."""
"""The built-in fingerprint files under ``netaudit/data``: the hand-written entries first, then the
import of OONI's fingerprints (``scripts/import_ooni_fingerprints.py``); the first match wins."""

_FINGERPRINT_KEYS = {"name", "product", "location", "match", "pattern", "statuses", "source"}
_REQUIRED_KEYS = ("name", "product", "location", "match", "pattern")
_NAME = re.compile(r"[a-z0-9_.-]+")
_HEADER_NAME = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")


@dataclass(frozen=True)
class Fingerprint:
    """One way to recognise a block page: `pattern` compared (`match`) with the value at `location`."""

    product: str
    location: str
    match: str
    pattern: str
    statuses: tuple[int, ...] = ()
    name: str = ""
    source: str = ""

    def describe(self) -> str:
        """E.g. ``Squid (header x-squid-error starts with 'ERR_ACCESS_DENIED')`` for evidence."""
        where = self.location.replace(".", " ", 1)
        verb = {"contains": "contains", "prefix": "starts with", "full": "is", "regexp": "matches"}[self.match]
        return f"{self.product} ({where} {verb} {self.pattern!r})"


# --- loading ----------------------------------------------------------------------------------


def _string(entry: Mapping[str, Any], key: str, label: EntryLabel) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{label}: '{key}' must be a non-empty string")
    return value


def _parse_fingerprint(entry: Any, label: EntryLabel) -> Fingerprint:
    if not isinstance(entry, dict):
        raise InputError(f"{label}: must be a table")
    for key in entry:
        if key not in _FINGERPRINT_KEYS:
            raise InputError(f"{label}: unknown key '{key}' (allowed: {', '.join(sorted(_FINGERPRINT_KEYS))})")
    for key in _REQUIRED_KEYS:
        if key not in entry:
            raise InputError(f"{label}: missing '{key}'")
    name = _string(entry, "name", label)
    if not _NAME.fullmatch(name):
        raise InputError(f"{label}: name '{name}' may use only a-z, 0-9, '_', '.' and '-'")
    product = _string(entry, "product", label)
    location = _string(entry, "location", label).strip().lower()
    if location.startswith("header."):
        if not _HEADER_NAME.fullmatch(location[7:]):
            raise InputError(f"{label}: location '{location}' does not name a header")
    elif location not in LOCATIONS:
        raise InputError(f"{label}: location '{location}' is not body, title or header.<name>")
    match = _string(entry, "match", label).strip().lower()
    if match not in MATCHES:
        raise InputError(f"{label}: match '{match}' is not one of {', '.join(MATCHES)}")
    pattern = entry.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise InputError(f"{label}: 'pattern' must be a non-empty string")
    if match == "regexp":
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(f"{label}: pattern is not a valid regexp: {exc}") from None
    statuses = entry.get("statuses", [])
    if not isinstance(statuses, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in statuses
    ):
        raise InputError(f"{label}: 'statuses' must be a list of HTTP status codes (100-599)")
    source = entry.get("source", "")
    if not isinstance(source, str):
        raise InputError(f"{label}: 'source' must be a string")
    return Fingerprint(product, location, match, pattern, tuple(statuses), name, source)


@load_once
def _load(path: Path) -> tuple[Fingerprint, ...]:
    toml, entries = read_entries(path, "fingerprint")
    seen: set[str] = set()

    def read(index: int, entry: Any) -> Fingerprint:
        name = entry.get("name", "") if isinstance(entry, dict) else ""
        label = EntryLabel(toml, index, "fingerprint", name if isinstance(name, str) else "")
        fingerprint = _parse_fingerprint(entry, label)
        if fingerprint.name in seen:
            raise InputError(f"{label}: name '{fingerprint.name}' is used twice")
        seen.add(fingerprint.name)
        return fingerprint

    return tuple(each_entry(entries, read))


def default_files() -> tuple[Path, ...]:
    """The built-in fingerprint files, in the order they are matched (`DEFAULT_FILES`)."""
    return tuple(package_data(name) for name in DEFAULT_FILES)


def default_dns_files() -> tuple[Path, ...]:
    """The built-in files of known filters' block addresses, in the order they are read (`DNS_FILES`)."""
    return tuple(package_data(name) for name in DNS_FILES)


@load_once
def _load_default() -> tuple[Fingerprint, ...]:
    combined: list[Fingerprint] = []
    seen: dict[str, Path] = {}
    for path in default_files():
        for fingerprint in _load(path):
            if fingerprint.name in seen:
                raise InputError(
                    f"{path}: fingerprint name '{fingerprint.name}' is also used in {seen[fingerprint.name]}"
                )
            seen[fingerprint.name] = path
            combined.append(fingerprint)
    return tuple(combined)


def load_fingerprints(path: Path | None = None) -> tuple[Fingerprint, ...]:
    """The fingerprints of `path` (default: the built-in files, `default_files`), loaded once and cached.

    Strict: an unknown key, location or match kind, a missing field, a duplicate name or a regexp
    that does not compile raises `InputError` naming the file and the entry's line.
    """
    return _load(Path(path)) if path is not None else _load_default()


# --- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    index: int  # the fingerprint's place in file order: the lowest matching index wins
    fingerprint: Fingerprint
    statuses: frozenset[int]
    check: Callable[[str], bool]

    def applies(self, status: int) -> bool:
        return not self.statuses or status in self.statuses


def _checker(fingerprint: Fingerprint) -> Callable[[str], bool]:
    pattern = fingerprint.pattern
    if fingerprint.match == "contains":
        return lambda value: pattern in value
    if fingerprint.match == "prefix":
        return lambda value: value.startswith(pattern)
    if fingerprint.match == "full":
        return lambda value: value.strip() == pattern
    compiled = re.compile(pattern)
    return lambda value: compiled.search(value) is not None


_REGEX_META = frozenset(".^$*+?{}[]|()\\")
_GATE_MIN = 4


def literal_prefix(pattern: str) -> str:
    """The literal text every match of the regexp `pattern` starts with ("" if there is none).

    Used to skip a regexp on a body that lacks its prefix (found in the same Aho-Corasick pass as
    the "contains" patterns). Conservative: it stops at the first construct it does not read as
    one plain character, and leaves out a character that a quantifier follows.
    """
    if pattern.startswith("(?"):  # flags such as (?i) change what the text must look like
        return ""
    text = pattern[1:] if pattern.startswith("^") else pattern
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1].isalnum():
                break
            char, step = text[i + 1], 2
        elif char in _REGEX_META:
            break
        else:
            step = 1
        following = text[i + step : i + step + 1]
        if following and following in "*?{":
            break
        out.append(char)
        if following == "+":
            break
        i += step
    return "".join(out)


class _Matcher:
    """A fingerprint set compiled for matching.

    Header rules are grouped by header name (a header the answer lacks costs nothing); the body's
    "contains" patterns, most of the set, and the literal prefixes of body regexps are found in one
    Aho-Corasick pass over the window (a regexp runs only when its prefix is there); the few other
    body and title rules are tried one by one. The lowest file index among the matches wins, so
    the result is the first match in file order, as if every rule were tried in turn.
    """

    def __init__(self, fingerprints: Iterable[Fingerprint]) -> None:
        rules = [_Rule(i, fp, frozenset(fp.statuses), _checker(fp)) for i, fp in enumerate(fingerprints)]
        self.headers: dict[str, list[_Rule]] = {}
        self.titles: list[_Rule] = []
        self.bodies: list[_Rule] = []
        self.by_pattern: list[list[_Rule]] = []
        patterns: dict[str, int] = {}
        for rule in rules:
            location, match = rule.fingerprint.location, rule.fingerprint.match
            if location.startswith("header."):
                self.headers.setdefault(location[7:], []).append(rule)
            elif location == "title":
                self.titles.append(rule)
            elif match == "contains" or (
                match == "regexp" and len(literal_prefix(rule.fingerprint.pattern)) >= _GATE_MIN
            ):
                key = rule.fingerprint.pattern if match == "contains" else literal_prefix(rule.fingerprint.pattern)
                slot = patterns.setdefault(key, len(patterns))
                if slot == len(self.by_pattern):
                    self.by_pattern.append([])
                self.by_pattern[slot].append(rule)
            else:
                self.bodies.append(rule)
        self._patterns = list(patterns)
        self.automaton = AhoCorasick(self._patterns, implementation=Implementation.ContiguousNFA) if patterns else None
        self._scanned = 0  # characters of body windows searched with the NFA
        self._upgrade = threading.Lock()

    def match(self, status: int, headers: Mapping[str, str], body: str, title: str) -> Fingerprint | None:
        if any(not key.islower() for key in headers):
            headers = {key.lower(): value for key, value in headers.items()}
        window = body[:BODY_WINDOW]
        best: _Rule | None = None

        def first(candidates: Iterable[_Rule], value: str) -> None:
            nonlocal best
            for rule in candidates:
                if best is not None and rule.index > best.index:
                    return
                if rule.applies(status) and rule.check(value):
                    best = rule
                    return

        for name, value in headers.items():
            first(self.headers.get(name, ()), value)
        if self.automaton is not None and window:
            self._count(len(window))
            for slot in {found[0] for found in self.automaton.find_matches_as_indexes(window, overlapping=True)}:
                for rule in self.by_pattern[slot]:
                    if best is not None and rule.index > best.index:
                        break
                    if rule.applies(status) and (rule.fingerprint.match == "contains" or rule.check(window)):
                        best = rule
                        break
        for rule in self.bodies:
            first((rule,), body if rule.fingerprint.match == "full" else window)
        if self.titles:
            first(self.titles, title or page_title(window))
        return best.fingerprint if best is not None else None

    def _count(self, characters: int) -> None:
        """Swap the NFA for a DFA once the pages searched make up for building it.

        For the thousand "contains" patterns the DFA takes ~30 ms and ~36 MB of memory to build
        against the NFA's ~3 ms and ~2 MB, and searches a large page about twice as fast (~2.7 ns a
        character less). Building it after `DFA_AFTER` characters (about where it starts paying)
        keeps a small run from waiting for it or holding its memory, and costs a large run at most
        what the DFA then saves.
        """
        if self._scanned >= DFA_AFTER:
            return
        self._scanned += characters  # a count lost to a race only delays the swap
        if self._scanned >= DFA_AFTER:
            with self._upgrade:
                if self.automaton is not None and self._patterns:
                    self.automaton = AhoCorasick(self._patterns, implementation=Implementation.DFA)
                    self._patterns = []


@load_once
def _matcher(fingerprints: tuple[Fingerprint, ...]) -> _Matcher:
    return _Matcher(fingerprints)


@load_once
def _default_matcher() -> _Matcher:
    return _Matcher(load_fingerprints())


def match_block_page(
    status: int,
    headers: Mapping[str, str],
    body: str,
    title: str = "",
    *,
    fingerprints: tuple[Fingerprint, ...] | None = None,
) -> Fingerprint | None:
    """The first fingerprint (in file order) this HTTP answer matches, or None.

    `headers` are keyed by lower-case name (other keys are lowered here); `body` is the decoded
    text (the first 256 KiB at most; body fingerprints see its first `BODY_WINDOW` characters);
    `title` is the page title if the caller has it (else it is taken from the body when a title
    fingerprint needs it). `fingerprints` defaults to the built-in set.
    """
    matcher = _default_matcher() if fingerprints is None else _matcher(tuple(fingerprints))
    return matcher.match(status, headers, body, title)


# --- the page title ---------------------------------------------------------------------------

_TITLE_OPEN = re.compile(r"<title(?=[\s/>])", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
_TITLE_ATTEMPTS = 8
_TITLE_TAG_MAX = 1024
_TITLE_TEXT_MAX = 16 * 1024


def page_title(body: str) -> str:
    """The text of the page's first ``<title>``: entities unescaped, whitespace collapsed, "" if none.

    Bounded work on any input: only the first few ``<title`` candidates are tried, the opening
    tag may be `_TITLE_TAG_MAX` characters long and the title text `_TITLE_TEXT_MAX`; the result
    is cut to `TITLE_MAX` characters.
    """
    position = 0
    for _ in range(_TITLE_ATTEMPTS):
        opening = _TITLE_OPEN.search(body, position)
        if opening is None:
            return ""
        end_of_tag = body.find(">", opening.end(), opening.end() + _TITLE_TAG_MAX)
        if end_of_tag < 0:
            position = opening.end()
            continue
        start = end_of_tag + 1
        closing = _TITLE_CLOSE.search(body, start, start + _TITLE_TEXT_MAX)
        if closing is None:
            return ""
        text = " ".join(html.unescape(body[start : closing.start()]).split())
        return text[:TITLE_MAX]
    return ""

"""The config file (``netaudit.toml``): the defaults of an unattended netaudit, checked as strictly as the catalog.

One flat table of settings, each the value an option would take (``proxy``, ``site``, ``keep``,
``alert_on``...). Paths are read relative to the file's folder, so a cron job finds them whatever
its working folder. A password never goes in the file (a key that looks like one, or a proxy URL
with one, is refused): passwords come from environment variables, named by the profiles.

Which file: ``--config FILE``, else the ``NETAUDIT_CONFIG`` variable, else ``netaudit.toml`` in the
working folder, else none (`locate`). Command-line options and environment variables win over the
file; the CLI hands its settings to click as defaults (README "Config file").

`load_config` collects every problem (tomlschema.py) and raises one `InputError` naming them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from netaudit.errors import InputError
from netaudit.tomlschema import Problems, Schema, describe, summary
from netaudit.tomlsource import TomlFileError, TomlSource

__all__ = ["CONFIG_ENV", "CONFIG_NAME", "PARAMETERS", "Config", "Setting", "load_config", "locate"]

CONFIG_NAME = "netaudit.toml"
CONFIG_ENV = "NETAUDIT_CONFIG"


class ConfigError(InputError):
    """A config file is malformed; `problems` lists every problem, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(summary(problems))
        self.problems = problems


@dataclass(frozen=True)
class Setting:
    """One setting of the file: its value (paths made absolute) and the line it is written on."""

    key: str
    value: Any
    line: int | None


@dataclass(frozen=True)
class Config:
    """A loaded config file (or none: `path` None, no settings)."""

    path: Path | None
    settings: Mapping[str, Setting]
    found_by: str = ""
    """How the file was chosen: ``--config``, ``NETAUDIT_CONFIG`` or ``netaudit.toml in the working folder``."""

    def where(self, key: str) -> str:
        """``FILE:LINE`` of a setting."""
        setting = self.settings[key]
        return f"{self.path}:{setting.line}" if setting.line else str(self.path)

    def defaults_for(self, parameters: Mapping[str, str]) -> dict[str, Any]:
        """The file's values keyed by click parameter name, for the parameters a command has (name -> key)."""
        found: dict[str, Any] = {}
        for name, key in parameters.items():
            if key in self.settings:
                value = self.settings[key].value
                found[name] = list(value) if isinstance(value, tuple) else value
        return found


# --- What the file may hold --------------------------------------------------------------------

Check = Callable[[Any, Path], "tuple[Any, str | None]"]
"""(raw value, the file's folder) -> (the value, or None and what is wrong)."""


def _text(value: Any, _folder: Path) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"expected a string, got {describe(value)}"
    if not value.strip():
        return None, "must not be empty"
    return value, None


def _path(value: Any, folder: Path) -> tuple[Any, str | None]:
    text, problem = _text(value, folder)
    return (None, problem) if problem else (folder / Path(text).expanduser(), None)


def _paths(value: Any, folder: Path) -> tuple[Any, str | None]:
    items = value if isinstance(value, list) else [value]
    found = []
    for n, item in enumerate(items, start=1):
        path, problem = _path(item, folder)
        if problem:
            return None, problem if not isinstance(value, list) else f"item {n}: {problem}"
        found.append(path)
    return tuple(found), None


def _flag(value: Any, _folder: Path) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, bool) else (None, f"expected true or false, got {describe(value)}")


def _number(low: float, high: float, *, integer: bool = False) -> Check:
    def check(value: Any, _folder: Path) -> tuple[Any, str | None]:
        kinds = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and isinstance(value, float)):
            return None, f"expected {kinds}, got {describe(value)}"
        if not math.isfinite(value) or not low <= value <= high:
            return None, f"{value} is out of range ({_bound(low)} to {_bound(high)})"
        return value, None

    return check


def _bound(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _choice(*choices: str) -> Check:
    def check(value: Any, folder: Path) -> tuple[Any, str | None]:
        text, problem = _text(value, folder)
        if problem:
            return None, problem
        if text not in choices:
            return None, f"{text!r} is not one of {', '.join(choices)}"
        return text, None

    return check


def _url(*schemes: str, allow_user: bool = True) -> Check:
    def check(value: Any, folder: Path) -> tuple[Any, str | None]:
        text, problem = _text(value, folder)
        if problem:
            return None, problem
        parts = urlsplit(text if "://" in text else f"http://{text}")
        if parts.scheme not in schemes or not parts.hostname:
            return None, f"{text!r} is not a {' or '.join(schemes)} URL with a host"
        if parts.password is not None:
            return None, "a password never goes in the config file: leave it out of the URL (see proxy_user)"
        if parts.username and not allow_user:
            return None, "no user name here"
        return text, None

    return check


def _site(value: Any, folder: Path) -> tuple[Any, str | None]:
    from netaudit.runnames import check_site

    text, problem = _text(value, folder)
    if problem:
        return None, problem
    try:
        return check_site(text), None
    except InputError as exc:
        return None, str(exc).replace("--site ", "")


def _pac(value: Any, folder: Path) -> tuple[Any, str | None]:
    text, problem = _text(value, folder)
    if problem:
        return None, problem
    return (text if "://" in text else str(folder / text)), None


KEYS: dict[str, Check] = {
    "profiles": _paths,
    "catalog": _paths,
    "proxy": _url("http", "https"),
    "proxy_user": _text,
    "pac": _pac,
    "no_proxy": _flag,
    "resolver": _text,
    "ca_bundle": _path,
    "public_roots": _path,
    "timeout": _number(0.1, 600),
    "concurrency": _number(1, 1024, integer=True),
    "control": _text,
    "fail_on": _choice("never", "gap", "any"),
    "site": _site,
    "output_dir": _path,
    "format": _text,
    "quiet": _flag,
    "keep": _number(1, 1_000_000, integer=True),
    "keep_days": _number(0.001, 100_000),
    "alert_on": _choice("change", "gap", "never"),
    "prometheus_textfile": _path,
    "pushgateway": _url("http", "https", allow_user=False),
    "every": _text,
    "env_file": _path,
    "bypass": _flag,
    "doh_resolvers": _path,
}
"""Every key the file may hold, with its check."""

PARAMETERS: dict[str, str] = {
    "profile_paths": "profiles",
    "catalog_dirs": "catalog",
    "fmt": "format",
    **{key: key for key in KEYS if key not in ("profiles", "catalog", "format")},
}
"""click parameter name -> the config key that gives its default (a command takes those it has)."""

_PASSWORD_HINT = (
    "passwords never go in the config file: netaudit reads them from environment variables "
    "(NETAUDIT_PROXY_PASSWORD, or the variable a profile names in proxy_password_env)"
)


# --- Finding and loading -----------------------------------------------------------------------


def locate(explicit: Path | None, from_environment: str | None, folder: Path) -> tuple[Path | None, str]:
    """The config file to read and how it was chosen: `--config`, then NETAUDIT_CONFIG, then ./netaudit.toml."""
    if explicit is not None:
        return explicit, "--config"
    if from_environment:
        return Path(from_environment), CONFIG_ENV
    candidate = folder / CONFIG_NAME
    if candidate.is_file():
        return candidate, f"{CONFIG_NAME} in the working folder"
    return None, ""


def load_config(path: Path | None, found_by: str = "") -> Config:
    """Read and check a config file (None: no file, no settings); ConfigError naming every problem."""
    if path is None:
        return Config(None, {})
    problems = Problems()
    try:
        source = TomlSource.read(path)
        document = source.parse()
    except TomlFileError as exc:
        problems.add_at(exc.path, exc.line, "", _message(exc), exc.column)
        raise ConfigError(problems.lines()) from None
    schema = Schema(source, problems)
    folder = path.parent if str(path.parent) else Path(".")
    folder = folder.absolute()
    settings: dict[str, Setting] = {}
    for key, raw in document.items():
        if "password" in key.lower() or "secret" in key.lower():
            schema.problem(key, _PASSWORD_HINT, (key,))
            continue
        check = KEYS.get(key)
        if check is None:
            schema.problem(key, f"unknown key '{key}' (allowed: {', '.join(KEYS)})", (key,))
            continue
        value, problem = check(raw, folder)
        if problem:
            schema.problem(key, problem, (key,))
            continue
        settings[key] = Setting(key, value, source.line_of((key,)))
    if len(problems):
        raise ConfigError(problems.lines())
    return Config(path, settings, found_by)


def _message(exc: TomlFileError) -> str:
    """The message of a file error without its ``path:line:column:`` prefix."""
    place = ":".join(str(part) for part in (exc.path, exc.line, exc.column) if part is not None)
    return str(exc)[len(place) + 2 :]

"""A profile as a network identity: the route it takes, the proxy user it is, and where its password comes from.

One place turns a profile into the settings it is probed with, for the audit, its plan and its
report. The password comes from one injected source (the environment, or a prompt the CLI adds),
never from a file and never shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netaudit.model import Profile

if TYPE_CHECKING:
    from netaudit.net.config import NetConfig

PASSWORD_ENV = "NETAUDIT_PROXY_PASSWORD"
"""The variable for the password of `--proxy-user`, and of a profile's proxy_user without its own variable."""

PasswordSource = Callable[[str, str], "str | None"]
"""(variable, user) -> the password, or None when there is none."""


def environment_passwords(environ: Mapping[str, str]) -> PasswordSource:
    """Passwords read from these environment variables (read once by the caller, passed as values)."""
    values = dict(environ)
    return lambda variable, _user: values.get(variable)


def password_variable(profile: Profile) -> str:
    """The variable that holds a profile's proxy password."""
    return profile.proxy_password_env or PASSWORD_ENV


@dataclass(frozen=True)
class IdentityKey:
    """What makes two profiles the same on the network: their own proxy (or the run's route) and their user."""

    proxy: str
    user: str


@dataclass(frozen=True)
class Identity:
    """Who a profile is on the network: its settings, route (masked) and user, or why it cannot be probed."""

    key: IdentityKey
    config: NetConfig | None
    via: str
    user: str | None = None
    note: str = ""
    problem: str = ""


def identity_for(profile: Profile, base: NetConfig, passwords: PasswordSource) -> Identity:
    """The network identity a profile is audited as.

    The profile's own proxy URL replaces the route; its proxy_user (with the password from the
    variable proxy_password_env names) replaces the user. A profile with neither, or one that
    differs only by its proxy user while this run uses no proxy at all, is audited as this
    workstation, with the command's own network options: no password is asked for then.
    """
    own_proxy = profile.proxy or ""
    if not own_proxy and (not profile.proxy_user or not base.uses_proxy()):
        note = ""
        if profile.proxy_user:
            note = (
                f"probed as this workstation: no proxy is in use, so proxy user {profile.proxy_user} "
                "makes no difference here"
            )
        return Identity(IdentityKey("", ""), base, route_of(base), note=note)
    key = IdentityKey(own_proxy, profile.proxy_user or "")
    password: str | None = None
    if profile.proxy_user:
        variable = password_variable(profile)
        password = passwords(variable, profile.proxy_user)
        if password is None:
            via = own_proxy or route_of(base)
            return Identity(
                key,
                None,
                via,
                profile.proxy_user,
                problem=f"set {variable} to the proxy password of user {profile.proxy_user} "
                f"to audit profile {profile.name}",
            )
    if own_proxy:
        config = base.with_proxy(own_proxy, profile.proxy_user, password)
    else:
        config = base.with_credentials(profile.proxy_user, password)
    return Identity(key, config, route_of(config), profile.proxy_user)


def route_of(config: NetConfig) -> str:
    """How these settings leave the machine, for people: "direct", or the proxy (masked) or its source."""
    return config.describe()["proxy"] if config.uses_proxy() else "direct"

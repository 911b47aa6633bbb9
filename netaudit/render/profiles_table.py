"""Profiles as terminal text: the list, and one profile's effective access and rules."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

_CAPABILITIES = ("read", "media", "login", "post")
_NEEDS = {"read": "read", "media": "read", "login": "read", "post": "post"}
_RANK = {"none": 0, "read": 1, "post": 2}


def render_profiles(document: dict[str, Any]) -> str:
    """One row per profile: who, as which identity, how much access, which rules."""
    organization = document["organization"]
    rows = []
    for profile in document["profiles"]:
        levels = profile["access"].values()
        summary = ", ".join(f"{sum(1 for v in levels if v == level)} {level}" for level in ("post", "read"))
        identity = profile["proxy_user"] or profile["proxy"] or "this workstation"
        rows.append([profile["name"], profile["description"], identity, summary, "; ".join(profile["rules"]["hours"])])
    table = tabulate(rows, headers=["profile", "description", "audited as", "platforms", "hours"], tablefmt="simple")
    return f"{organization['name']} (owner: {organization['owner'] or '-'}, {organization['timezone']})\n\n{table}\n"


def render_profile(document: dict[str, Any]) -> str:
    """One profile: members, identity, effective access per platform and capability, and its rules."""
    (profile,) = document["profiles"]
    rules = profile["rules"]
    rows = [
        [platform, level, *["yes" if _RANK[level] >= _RANK[_NEEDS[c]] else "-" for c in _CAPABILITIES]]
        for platform, level in profile["access"].items()
    ]
    enforced = f" (enforced by {rules['hours_enforced_by']})" if rules["hours_enforced_by"] else ""
    lines = [
        f"{profile['name']}: {profile['description']}",
        f"members:  {', '.join(profile['members']) or '-'}",
        f"identity: proxy user {profile['proxy_user'] or '-'} (password in ${profile['proxy_password_env'] or '-'}), "
        f"proxy {profile['proxy'] or 'as the command says'}",
        "",
        tabulate(rows, headers=["platform", "level", *_CAPABILITIES], tablefmt="simple"),
        "",
        f"hours:    {'; '.join(rules['hours_described'])}{enforced}",
        f"posting:  {rules['posting'] or '-'}",
        f"content:  {rules['content'] or '-'}",
    ]
    return "\n".join(lines) + "\n"

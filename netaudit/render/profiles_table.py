"""Profiles as terminal text: the list, and one profile's effective access and rules."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from tabulate import tabulate

from netaudit.assess import required_level
from netaudit.hours import describe_hours
from netaudit.model import AccessLevel, Capability
from netaudit.render import PolicyListing
from netaudit.secrets import mask_url


def render_profiles(listing: PolicyListing) -> str:
    """One row per profile: who, as which identity, how much access, which rules."""
    organization = listing.policy.organization
    rows = []
    for profile in listing.policy.profiles.values():
        levels = [profile.access_to(platform) for platform in listing.platforms]
        summary = ", ".join(f"{levels.count(level)} {level}" for level in (AccessLevel.POST, AccessLevel.READ))
        identity = profile.proxy_user or (mask_url(profile.proxy) if profile.proxy else "this workstation")
        rows.append([profile.name, profile.description, identity, summary, "; ".join(profile.rules.hours_text)])
    table = tabulate(rows, headers=["profile", "description", "audited as", "platforms", "hours"], tablefmt="simple")
    return f"{organization.name} (owner: {organization.owner or '-'}, {organization.timezone})\n\n{table}\n"


def render_profile(listing: PolicyListing) -> str:
    """One profile: members, identity, effective access per platform and capability, and its rules."""
    (profile,) = listing.policy.profiles.values()
    rules = profile.rules
    rows = []
    for platform in listing.platforms:
        level = profile.access_to(platform)
        rows.append([platform, level.value, *["yes" if level >= required_level(c) else "-" for c in Capability]])
    enforced = f" (enforced by {rules.hours_enforced_by})" if rules.hours_enforced_by else ""
    hours = describe_hours(rules, ZoneInfo(listing.policy.organization.timezone))
    proxy = mask_url(profile.proxy) if profile.proxy else "as the command says"
    lines = [
        f"{profile.name}: {profile.description}",
        f"members:  {', '.join(profile.members) or '-'}",
        f"identity: proxy user {profile.proxy_user or '-'} (password in ${profile.proxy_password_env or '-'}), "
        f"proxy {proxy}",
        "",
        tabulate(rows, headers=["platform", "level", *[c.value for c in Capability]], tablefmt="simple"),
        "",
        f"hours:    {'; '.join(hours)}{enforced}",
        f"posting:  {rules.posting or '-'}",
        f"content:  {rules.content or '-'}",
    ]
    return "\n".join(lines) + "\n"

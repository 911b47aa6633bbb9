"""`netaudit catalog`, `netaudit profiles` and `netaudit init`: what netaudit knows and what the profiles say."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from netaudit import render
from netaudit.errors import ExitCode

if TYPE_CHECKING:
    pass

from netaudit.cli.app import cli
from netaudit.cli.common import _emit, _load_catalog, _load_policy, _split_paths
from netaudit.cli.options import (
    ConfiguredCommand,
    catalog_option,
    config_option,
    output_options,
    profiles_option,
    reports_errors,
)


@cli.group()
def catalog() -> None:
    """Show the site catalog: the platforms and endpoints netaudit probes."""


@catalog.command(
    "list",
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit catalog list
  netaudit catalog list --catalog ./my-checks --format json
""",
)
@config_option
@catalog_option
@output_options(render.CATALOG)
@reports_errors
def catalog_list(catalog_dirs: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """List the platforms, with their endpoints per capability."""
    loaded = _load_catalog(catalog_dirs)
    _emit(render.CATALOG.render(fmt, tuple(loaded.platforms.values())), output)


@catalog.command(
    "show",
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit catalog show linkedin
  netaudit catalog show twitter --format json
""",
)
@config_option
@click.argument("platform")
@catalog_option
@output_options(render.PLATFORM)
@reports_errors
def catalog_show(platform: str, catalog_dirs: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """Show one platform's endpoints (by id or alias)."""
    loaded = _load_catalog(catalog_dirs)
    _emit(render.PLATFORM.render(fmt, loaded.platform(platform)), output)


@cli.group()
def profiles() -> None:
    """Show and check the access profiles: who should reach which platforms, under which rules."""


@profiles.command(
    "list",
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit profiles list
  netaudit profiles list --profiles ./profiles --format json
""",
)
@config_option
@profiles_option
@catalog_option
@output_options(render.PROFILES)
@reports_errors
def profiles_list(
    profile_paths: tuple[Path, ...], catalog_dirs: tuple[Path, ...], fmt: str, output: Path | None
) -> None:
    """List the profiles with their identity, access and hours."""
    sites = _load_catalog(catalog_dirs)
    policy = _load_policy(profile_paths, sites)
    _emit(render.PROFILES.render(fmt, render.PolicyListing(policy, tuple(sites.ids()))), output)


@profiles.command(
    "show",
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit profiles show staff
  netaudit profiles show marketing --profiles ./profiles --format json
""",
)
@config_option
@click.argument("name")
@profiles_option
@catalog_option
@output_options(render.PROFILE)
@reports_errors
def profiles_show(
    name: str, profile_paths: tuple[Path, ...], catalog_dirs: tuple[Path, ...], fmt: str, output: Path | None
) -> None:
    """Show one profile: effective access per platform and capability, hours and rules."""
    from netaudit.audit import select_profiles
    from netaudit.model import PolicySet

    sites = _load_catalog(catalog_dirs)
    policy = _load_policy(profile_paths, sites)
    (profile,) = select_profiles(policy, [name])
    one = PolicySet(organization=policy.organization, profiles={name: profile}, sources=policy.sources)
    _emit(render.PROFILE.render(fmt, render.PolicyListing(one, tuple(sites.ids()))), output)


@profiles.command(
    "validate",
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit profiles validate
  netaudit profiles validate ./profiles/corp.toml ./profiles/branch.toml
  netaudit profiles validate --profiles ./profiles
""",
)
@config_option
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@profiles_option
@catalog_option
@reports_errors
def profiles_validate(paths: tuple[Path, ...], profile_paths: tuple[Path, ...], catalog_dirs: tuple[Path, ...]) -> None:
    """Check profiles files (PATHS, else --profiles / NETAUDIT_PROFILES, else the example): one line per problem
    (file, line, profile, field); exit 2 if any."""
    from netaudit.policy import load_policy, validate_policy
    from netaudit.resources import builtin_profiles_dir

    sites = _load_catalog(catalog_dirs)
    chosen = list(paths) or _split_paths(profile_paths) or [builtin_profiles_dir()]
    problems = validate_policy(chosen, sites.names())
    if problems:
        for problem in problems:
            click.echo(f"netaudit: error: {problem}", err=True)
        sys.exit(ExitCode.USAGE)
    policy = load_policy(chosen, sites.names())
    names = ", ".join(policy.profiles)
    _emit(f"ok: {len(policy.profiles)} profiles ({names}) of {policy.organization.name}\n", None)


@cli.command(
    epilog="""\b
Examples:
  netaudit init
  netaudit init ./profiles
"""
)
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@catalog_option
@reports_errors
def init(folder: Path, catalog_dirs: tuple[Path, ...]) -> None:
    """Write a starter profiles file listing every catalog platform (never over an existing file)."""
    from netaudit.starter import write_starter

    path = write_starter(folder, _load_catalog(catalog_dirs))
    _emit(f"wrote {path}; edit it, then: netaudit profiles validate {path}\n", None)

"""`netaudit config show`: the effective settings and where each came from."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from netaudit.errors import NetauditError

if TYPE_CHECKING:
    pass

from netaudit.cli.app import cli
from netaudit.cli.audit_cmd import audit
from netaudit.cli.common import _load_catalog, _load_policy
from netaudit.cli.options import CONFIG_META, ConfiguredCommand, config_option, reports_errors


@cli.group("config")
def config_group() -> None:
    """Show the settings netaudit runs with: config file, environment and defaults."""


@config_group.command(
    "show",
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit config show
  netaudit config show --config /etc/netaudit/netaudit.toml
  NETAUDIT_SITE=leeds netaudit config show
""",
)
@config_option
@reports_errors
def config_show() -> None:
    """Print the effective settings of `netaudit audit`, each with where it came from.

    Sources: the command line, an environment variable (named), the config file (FILE:LINE) or the
    default. Passwords are never shown: only whether the variables that hold them are set.
    """
    from netaudit.config import CONFIG_ENV

    ctx = click.get_current_context()
    config = ctx.meta[CONFIG_META]
    args = ["--config", str(config.path)] if config.found_by == "--config" else []
    audit_ctx = audit.make_context("audit", args, parent=ctx, resilient_parsing=True)
    shown = "none" if config.path is None else f"{config.path} (from {config.found_by})"
    click.echo(f"config file: {shown}")
    if config.path is None:
        click.echo(f"  (looked for --config, {CONFIG_ENV}, ./netaudit.toml)")
    click.echo(_settings_table(_effective_settings(audit_ctx, config)))
    for variable, is_set in _password_variables(audit_ctx.params):
        click.echo(f"password variable {variable}: {'set' if is_set else 'not set'}")


def _effective_settings(ctx: click.Context, config: Any) -> list[tuple[str, str, str]]:
    """(option, value shown, where it came from) for each option of the command in `ctx`."""
    from click.core import ParameterSource

    from netaudit.config import PARAMETERS

    rows = []
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name is None or not param.expose_value:
            continue
        source = ctx.get_parameter_source(param.name)
        if source is ParameterSource.COMMANDLINE:
            where = "command line"
        elif source is ParameterSource.ENVIRONMENT:
            where = f"environment {param.envvar}"
        elif source is ParameterSource.DEFAULT_MAP and PARAMETERS.get(param.name, "") in config.settings:
            where = f"config {config.where(PARAMETERS[param.name])}"
        else:
            where = "default"
        rows.append((max(param.opts, key=len), _shown(ctx.params.get(param.name)), where))
    return rows


def _shown(value: Any) -> str:
    from netaudit.secrets import mask_url

    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(item) for item in value)
    text = str(value)
    return mask_url(text) if "@" in text else text


def _settings_table(rows: Sequence[tuple[str, str, str]]) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=["setting", "value", "from"], tablefmt="simple")


def _password_variables(params: dict[str, Any]) -> list[tuple[str, bool]]:
    """The variables the passwords of this run would come from, and whether each is set (never its value)."""
    from netaudit.schedule import password_variables

    try:
        sites = _load_catalog(params.get("catalog_dirs") or ())
        policy = _load_policy(params.get("profile_paths") or (), sites)
    except NetauditError:
        policy = None
    wants_user = bool(params.get("proxy_user")) or "@" in (params.get("proxy") or "")
    return [(name, name in os.environ) for name in password_variables(policy, wants_user)]

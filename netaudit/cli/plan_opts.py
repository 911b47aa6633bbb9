"""`--plan`, `--bypass` and `--doh-resolvers` of `probe` and `audit`: the traffic plan, the paths around the policy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from netaudit.cli.options import F
from netaudit.errors import InputError

if TYPE_CHECKING:
    from netaudit.bypass.doh import DohResolver
    from netaudit.bypass.run import BypassSettings


def bypass_options(command: F) -> F:
    """`--plan` (what the run would touch, sending nothing), `--bypass` and its DoH resolver list."""
    command = click.option(
        "--bypass/--no-bypass",
        default=False,
        show_default=True,
        envvar="NETAUDIT_BYPASS",
        show_envvar=True,
        help="Also try the paths around the policy for what must stay blocked: IPv6 on its own, "
        "DNS-over-HTTPS, QUIC (HTTP/3).",
    )(command)
    command = click.option(
        "--doh-resolvers",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The DNS-over-HTTPS resolvers --bypass asks (TOML, as netaudit/data/doh-resolvers.toml). "
        "Default: the built-in list of public resolvers.",
    )(command)
    return click.option(
        "--plan",
        "show_plan",
        is_flag=True,
        help="Print every host, port and protocol the run would use, the DNS servers and the count of probes "
        "(table or json), and send nothing.",
    )(command)


def plan_format(fmt: str) -> str:
    """The form of the plan: a table or JSON; InputError for any other."""
    from netaudit.render.plan import PLAN_FORMATS

    if fmt not in PLAN_FORMATS:
        raise InputError(f"--plan prints {' or '.join(PLAN_FORMATS)}, not {fmt}")
    return fmt


def doh_list(path: Path | None) -> tuple[DohResolver, ...]:
    """The DoH resolvers of `--doh-resolvers FILE`, else the built-in list."""
    from netaudit.bypass.doh import load_resolvers

    return tuple(load_resolvers(path))


def bypass_settings(enabled: bool, doh_resolvers: Path | None) -> BypassSettings | None:
    """What `--bypass` tries, or None without it."""
    from netaudit.bypass.run import BypassSettings

    return BypassSettings(doh=doh_list(doh_resolvers)) if enabled else None


def plan_text(plan: Any, fmt: str) -> str:
    """A traffic plan (netaudit.plan.TrafficPlan) in the form asked for."""
    from netaudit.render.plan import render_plan

    return render_plan(plan, plan_format(fmt))

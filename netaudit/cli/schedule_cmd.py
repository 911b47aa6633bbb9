"""`netaudit schedule`: crontab lines or systemd units, with runs on both sides of enforced hours."""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from netaudit.errors import InputError
from netaudit.identity import PASSWORD_ENV

if TYPE_CHECKING:
    pass

from netaudit.cli.app import cli
from netaudit.cli.audit_cmd import audit
from netaudit.cli.common import _load_catalog, _load_policy
from netaudit.cli.options import (
    CONFIG_META,
    ConfiguredCommand,
    catalog_option,
    config_option,
    profiles_option,
    reports_errors,
    unattended_options,
)


@cli.command(
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit schedule --site leeds --keep 30 --alert-on change
  netaudit schedule --every hourly --config /etc/netaudit/netaudit.toml
  netaudit schedule --every "30 6 * * 1-5" --systemd
""",
)
@click.option(
    "--every",
    default="daily",
    show_default=True,
    help="hourly, daily, weekly or five cron fields in quotes ('30 6 * * 1-5').",
)
@click.option("--systemd", is_flag=True, help="Print systemd service and timer pairs instead of crontab lines.")
@click.option(
    "--env-file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file (NAME=value lines, readable only by the job's user) the job reads the password variables from. "
    "Default: netaudit.env in the working folder.",
)
@click.option("--no-windows", is_flag=True, help="Leave out the runs on both sides of firewall-enforced hours.")
@config_option
@profiles_option
@catalog_option
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="NETAUDIT_OUTPUT_DIR",
    show_envvar=True,
    help="Where the job saves its runs (default: the audit's, reports/ in the working folder).",
)
@unattended_options
@reports_errors
def schedule(every: str, systemd: bool, env_file: Path | None, no_windows: bool, **settings: Any) -> None:
    """Print a ready crontab line (or systemd units) that audits unattended: save, label, prune, alert.

    The job runs `netaudit audit --save --quiet` with this command's --site, --keep, --keep-days,
    --alert-on and Prometheus options, from the working folder, reading the proxy passwords'
    variables (listed by name, never by value) from --env-file. For profiles whose hours the
    firewall enforces it adds one run inside and one outside each window, on the organisation's
    clock, so the open and the closed side are both verified.
    """
    from zoneinfo import ZoneInfo

    from netaudit.schedule import Job, crontab, password_variables, systemd_units
    from netaudit.windows import plan_sides

    ctx = click.get_current_context()
    config = ctx.meta[CONFIG_META]
    workdir = Path.cwd()
    argv = [*_netaudit_argv(), "audit"]
    if config.path is not None:
        argv += ["--config", str(config.path.absolute())]
    argv += ["--save", "--quiet"]
    argv += _explicit_arguments(ctx, settings, skip={"quiet"})
    audit_args = ["--config", str(config.path)] if config.path is not None else []
    audit_ctx = audit.make_context("audit", audit_args, parent=ctx, resilient_parsing=True)
    argv += _explicit_arguments(audit_ctx, audit_ctx.params, skip=set(settings) | {"save", "quiet", "fmt", "output"})
    sites = _load_catalog(settings["catalog_dirs"])
    policy = _load_policy(settings["profile_paths"], sites)
    wants_user = bool(audit_ctx.params.get("proxy_user")) or "@" in (audit_ctx.params.get("proxy") or "")
    job = Job(
        argv=tuple(argv),
        workdir=workdir,
        env_file=(env_file or workdir / "netaudit.env").absolute(),
        variables=password_variables(policy, wants_user),
        name=f"netaudit-{settings['site']}" if settings["site"] else "netaudit",
    )
    sides = [] if no_windows else plan_sides(policy)
    zone = policy.organization.timezone
    if systemd:
        for name, text in systemd_units(job, every, sides, zone=zone).items():
            click.echo(f"# --- {name} ---\n{text}")
        return
    click.echo(
        crontab(job, every, sides, org_zone=ZoneInfo(zone), host_zone=_host_zone(), now=datetime.now(UTC)), nl=False
    )


def _netaudit_argv() -> list[str]:
    """How a job calls this netaudit: the installed script, else this Python with -m netaudit."""
    import shutil

    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if running is not None and running.name == "netaudit" and running.is_file():
        return [str(running.absolute())]
    if running is not None and running.name == "__main__.py":  # python -m netaudit: the same interpreter
        return [sys.executable, "-m", "netaudit"]
    found = shutil.which("netaudit")
    return [str(Path(found).absolute())] if found else [sys.executable, "-m", "netaudit"]


def _explicit_arguments(ctx: click.Context, values: dict[str, Any], skip: set[str] | None = None) -> list[str]:
    """The options set on the command line or in the environment, as arguments (the config file gives the rest)."""
    from click.core import ParameterSource

    from netaudit.secrets import mask_url

    args: list[str] = []
    for param in ctx.command.params:
        name = param.name
        if not isinstance(param, click.Option) or name is None or name not in values or name in (skip or set()):
            continue
        if ctx.get_parameter_source(name) not in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            continue
        value, flag = values[name], max(param.opts, key=len)
        if param.is_flag:
            args += [flag] if value else []
        elif isinstance(value, (list, tuple)):
            for item in value:
                args += [flag, str(Path(item).absolute()) if isinstance(item, Path) else str(item)]
        elif value not in (None, ""):
            if isinstance(value, str) and mask_url(value) != value:
                raise InputError(
                    f"{flag} {mask_url(value)} carries a password, which a printed job would show: give the "
                    f"user only, and the password in the job's --env-file ({PASSWORD_ENV}=...)"
                )
            args += [flag, str(value.absolute()) if isinstance(value, Path) else str(value)]
    return args


def _host_zone() -> Any:
    """This host's timezone as an IANA zone (TZ, else /etc/localtime's target, else /etc/timezone), else UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).partition("zoneinfo/")[2])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")

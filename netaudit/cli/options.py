"""The options commands share (catalog, profiles, output, network, unattended runs, config file), and errors."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from netaudit import render
from netaudit.errors import NetauditError
from netaudit.identity import PASSWORD_ENV
from netaudit.render.formats import Format

if TYPE_CHECKING:
    pass


F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """A library error shown as one line, with the exit code the error names."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(f"netaudit: error: {self.format_message()}", err=True)


def reports_errors(command: F) -> F:
    """Turn netaudit's own errors into one line on stderr and their exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NetauditError as exc:
            # A loader that collects every problem (catalog, profiles) has them all shown, one per line.
            problems = [str(line) for line in getattr(exc, "problems", None) or [str(exc)]]
            for line in problems[:-1]:
                click.echo(f"netaudit: error: {line}", err=True)
            raise CliError(problems[-1], int(exc.exit_code)) from exc

    return wrapper  # type: ignore[return-value]


class ConfiguredCommand(click.Command):
    """A command whose defaults come from the config file (config.py): command line and environment win.

    The file is found before the options are parsed (`--config`, NETAUDIT_CONFIG, ./netaudit.toml),
    and its settings become click's default map, so each option's source stays known (`config show`).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from netaudit.config import CONFIG_ENV, PARAMETERS, load_config, locate

        path, found_by = locate(_config_argument(args), os.environ.get(CONFIG_ENV) or None, Path.cwd())
        try:
            config = load_config(path, found_by)
        except NetauditError as exc:
            if any(arg in ("-h", "--help") for arg in args):
                return super().parse_args(ctx, args)
            problems = [str(line) for line in getattr(exc, "problems", None) or [str(exc)]]
            for line in problems[:-1]:
                click.echo(f"netaudit: error: {line}", err=True)
            raise CliError(problems[-1], int(exc.exit_code)) from exc
        ctx.meta[CONFIG_META] = config
        names = {param.name for param in self.params}
        defaults = config.defaults_for({name: key for name, key in PARAMETERS.items() if name in names})
        for param in self.params:  # a form another command offers (format = "html" for probe) is not this one's
            choice = param.type if isinstance(param.type, click.Choice) else None
            if choice is not None and param.name in defaults and str(defaults[param.name]) not in choice.choices:
                del defaults[param.name]
        ctx.default_map = {**(ctx.default_map or {}), **_click_values(defaults)}
        return super().parse_args(ctx, args)


CONFIG_META = "netaudit.config"


def _config_argument(args: Sequence[str]) -> Path | None:
    """The value of `--config` among the raw arguments (before click parses them), if any."""
    for n, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--config" and n + 1 < len(args):
            return Path(args[n + 1])
        if arg.startswith("--config="):
            return Path(arg.split("=", 1)[1])
    return None


def _click_values(values: dict[str, Any]) -> dict[str, Any]:
    return {name: [str(v) for v in value] if isinstance(value, list) else value for name, value in values.items()}


def config_option(command: F) -> F:
    return click.option(
        "--config",
        "config_file",
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        expose_value=False,
        help="Read defaults from this config file (else NETAUDIT_CONFIG, else ./netaudit.toml if there is one); "
        "options and environment variables win over it.",
    )(command)


def unattended_options(command: F) -> F:
    """The options of an unattended run that `audit` takes and `schedule` writes into the job it prints."""
    options = [
        click.option(
            "--site",
            metavar="NAME",
            default="",
            envvar="NETAUDIT_SITE",
            show_envvar=True,
            help="Label the run with this vantage point (office, VLAN, guest Wi-Fi): every form shows it, "
            "saved names carry it, retention and drift compare runs of the same site.",
        ),
        click.option(
            "--keep",
            type=click.IntRange(min=1),
            envvar="NETAUDIT_KEEP",
            show_envvar=True,
            help="With --save: keep only the newest N saved runs of this site (the newest is never deleted).",
        ),
        click.option(
            "--keep-days",
            type=click.FloatRange(min=0, min_open=True),
            envvar="NETAUDIT_KEEP_DAYS",
            show_envvar=True,
            help="With --save: delete saved runs of this site older than D days before the newest.",
        ),
        click.option(
            "--alert-on",
            type=click.Choice(["change", "gap", "never"]),
            envvar="NETAUDIT_ALERT_ON",
            show_envvar=True,
            help="With --save: exit 1 and print a short message (fit for cron mail) when... change: a finding "
            "changed since the site's previous run; gap: the run has a gap, leak or degraded finding; "
            "never: only errors. Replaces --fail-on.",
        ),
        click.option(
            "--prometheus-textfile",
            metavar="PATH",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="NETAUDIT_PROMETHEUS_TEXTFILE",
            show_envvar=True,
            help="Also write the Prometheus form here, atomically, for node_exporter's textfile collector "
            "(a *.prom file in its --collector.textfile.directory).",
        ),
        click.option(
            "--pushgateway",
            metavar="URL",
            envvar="NETAUDIT_PUSHGATEWAY",
            show_envvar=True,
            help="Also push the Prometheus form to this Pushgateway (job netaudit, grouped by site and instance).",
        ),
        click.option(
            "--quiet",
            is_flag=True,
            envvar="NETAUDIT_QUIET",
            show_envvar=True,
            help="Nothing on standard output unless there is something to act on (then a short message, "
            "fit for cron mail); -o and --save still write their files.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


class _PathList(click.Path):
    """A path option whose variable holds a ':'-separated list; an empty entry is ignored (not ".")."""

    def split_envvar_value(self, rv: str) -> Sequence[str]:
        return [part for part in super().split_envvar_value(rv) if part.strip()]


def catalog_option(command: F) -> F:
    return click.option(
        "--catalog",
        "catalog_dirs",
        multiple=True,
        type=_PathList(file_okay=False, path_type=Path),
        envvar="NETAUDIT_CATALOG",
        show_envvar=True,
        help="A folder of platform files (*.toml) added to the built-in catalog; a platform with a built-in id "
        "replaces it. Repeatable; in the variable, separate folders with ':'.",
    )(command)


def profiles_option(command: F) -> F:
    return click.option(
        "--profiles",
        "profile_paths",
        multiple=True,
        type=_PathList(path_type=Path),
        envvar="NETAUDIT_PROFILES",
        show_envvar=True,
        help="A profiles file or folder (repeatable; in the variable, separate with ':'). "
        "Default: the built-in example organisation.",
    )(command)


def output_options(kind: render.Kind[Any]) -> Callable[[F], F]:
    """`--format` (the forms the registry offers for this kind of document) and `-o FILE`."""

    def decorate(command: F) -> F:
        command = click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write to FILE (atomically, once the work is done) instead of standard output.",
        )(command)
        return click.option(
            "--format",
            "fmt",
            type=click.Choice([f.value for f in kind.formats()]),
            default=Format.TABLE.value,
            show_default=True,
            envvar="NETAUDIT_FORMAT",
            show_envvar=True,
            help="Output form.",
        )(command)

    return decorate


def network_options(command: F) -> F:
    """The options that say how traffic leaves this machine; `probe` and `audit` share them."""
    options = [
        click.option(
            "--proxy",
            metavar="URL",
            envvar="NETAUDIT_PROXY",
            show_envvar=True,
            help="Use this proxy: http://[user@]host:port. Default: HTTPS_PROXY / HTTP_PROXY / NO_PROXY.",
        ),
        click.option(
            "--proxy-user",
            metavar="USER",
            envvar="NETAUDIT_PROXY_USER",
            show_envvar=True,
            help=f"Authenticate to the proxy as USER; the password comes from {PASSWORD_ENV} "
            "or, on a terminal, a prompt.",
        ),
        click.option(
            "--pac",
            metavar="URL|FILE",
            envvar="NETAUDIT_PAC",
            show_envvar=True,
            help="Choose the proxy with this proxy auto-config file.",
        ),
        click.option("--no-proxy", is_flag=True, help="Go direct, ignoring proxy environment variables."),
        click.option(
            "--resolver",
            metavar="IP[:PORT]",
            envvar="NETAUDIT_RESOLVER",
            show_envvar=True,
            help="Ask this DNS server. Default: the system's resolver configuration.",
        ),
        click.option(
            "--ca-bundle",
            metavar="FILE",
            envvar="NETAUDIT_CA_BUNDLE",
            show_envvar=True,
            help="What this workstation trusts. Default: REQUESTS_CA_BUNDLE / SSL_CERT_FILE, "
            "else the operating system's store.",
        ),
        click.option(
            "--public-roots",
            metavar="FILE",
            envvar="NETAUDIT_PUBLIC_ROOTS",
            show_envvar=True,
            help="The public web's roots, to spot TLS inspection. Default: the Mozilla bundle (certifi).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1, max=600),
            default=10.0,
            show_default=True,
            envvar="NETAUDIT_TIMEOUT",
            show_envvar=True,
            help="Deadline of each probe, in seconds.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 1024),
            default=32,
            show_default=True,
            envvar="NETAUDIT_CONCURRENCY",
            show_envvar=True,
            help="Probes run at once.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command

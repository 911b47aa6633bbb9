"""The `netaudit` command: parse options, build the objects, call the library, pick a renderer, exit.

This is the only module that knows click, prints, or exits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from netaudit import __version__, render
from netaudit.errors import EnvironmentProblem, ExitCode, InputError, NetauditError
from netaudit.failon import FailOn
from netaudit.identity import PASSWORD_ENV
from netaudit.render.formats import Format

if TYPE_CHECKING:
    from netaudit.catalog import Catalog
    from netaudit.model import PolicySet
    from netaudit.net.config import NetConfig
    from netaudit.probe.engine import Prober

# The library is imported inside the commands, so `netaudit --version`, `--help` and shell
# completion start fast (the probe engine pulls in dnspython, cryptography and pyspnego).

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


def _split_paths(entries: Sequence[Path]) -> list[Path]:
    expanded: list[Path] = []
    for entry in entries:
        expanded += [Path(part) for part in str(entry).split(os.pathsep) if part.strip()]
    return expanded


def _load_policy(paths: Sequence[Path], sites: Catalog) -> PolicySet:
    from netaudit.policy import load_policy
    from netaudit.resources import builtin_profiles_dir

    return load_policy(_split_paths(paths) or [builtin_profiles_dir()], sites.names())


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


def bypass_options(command: F) -> F:
    """`--plan` and `--bypass`: what `probe` and `audit` would touch, and the paths around the policy."""
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


def _plan_format(fmt: str) -> str:
    from netaudit.render.plan import PLAN_FORMATS

    if fmt not in PLAN_FORMATS:
        raise InputError(f"--plan prints {' or '.join(PLAN_FORMATS)}, not {fmt}")
    return fmt


def _netconfig(options: dict[str, Any]) -> NetConfig:
    from netaudit.net.config import build_netconfig

    user = options["proxy_user"]
    password = os.environ.get(PASSWORD_ENV)
    wants_user = user or ("@" in (options["proxy"] or ""))
    if wants_user and password is None and sys.stdin.isatty() and sys.stderr.isatty():
        password = click.prompt("Proxy password", hide_input=True, err=True, default="", show_default=False) or None
    return build_netconfig(
        proxy=options["proxy"],
        proxy_user=user,
        proxy_password=password,
        pac=options["pac"],
        no_proxy=options["no_proxy"],
        resolver=options["resolver"],
        ca_bundle=options["ca_bundle"],
        public_roots=options["public_roots"],
        timeout=options["timeout"],
        environ=os.environ,
    )


def _prober(config: NetConfig) -> Prober:
    """The engine for these settings; with the system's resolver, names in the hosts file are answered from it."""
    from netaudit.probe.dns import load_hosts, system_hosts_path
    from netaudit.probe.engine import Prober

    hosts = load_hosts(system_hosts_path()) if config.resolver is None else None
    return Prober(config, hosts=hosts)


def _doh_list(path: Path | None) -> tuple[Any, ...]:
    from netaudit.bypass.doh import load_resolvers

    return tuple(load_resolvers(path))


def _bypass_settings(doh_resolvers: Path | None) -> Any:
    from netaudit.bypass.run import BypassSettings

    return BypassSettings(doh=_doh_list(doh_resolvers))


def _route_words(via: str) -> str:
    return "directly" if via == "direct" else f"through {via}"


def _control_url(url: str) -> str:
    from netaudit.catalog import Catalog
    from netaudit.targets import parse_target

    return parse_target(url, Catalog(), "--control").url


def _load_catalog(dirs: Sequence[Path]) -> Catalog:
    from netaudit.catalog import load_catalog

    return load_catalog(_split_paths(dirs))


def _emit(text: str, output: Path | None) -> None:
    from netaudit.store import write_atomic

    if output is None:
        try:
            click.echo(text, nl=False)
            sys.stdout.flush()
        except BrokenPipeError:
            _discard_stdout()  # the reader went away (`| head`): no error, and the exit code stays the run's
        except OSError as exc:
            _discard_stdout()
            raise EnvironmentProblem(f"cannot write to standard output: {exc.strerror or exc}") from None
    else:
        write_atomic(output, text)


def _discard_stdout() -> None:
    """Point standard output at the null device, so the exit does not try (and fail) to flush it again."""
    try:
        descriptor = sys.stdout.fileno()
    except (OSError, ValueError):
        return  # not a real file (e.g. click's CliRunner)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


def _emit_stream(produce: Callable[[Callable[[str], object]], None], output: Path | None) -> None:
    """Like _emit for text written piece by piece; a file still appears only once it is complete."""
    from netaudit.store import atomic_file

    if output is None:
        try:
            produce(sys.stdout.write)
            sys.stdout.flush()
        except BrokenPipeError:
            _discard_stdout()
        except OSError as exc:
            _discard_stdout()
            raise EnvironmentProblem(f"cannot write to standard output: {exc.strerror or exc}") from None
    else:
        with atomic_file(output) as handle:
            produce(handle.write)


def _progress_sink(total: int) -> tuple[Callable[[Any], None], Callable[[], None]]:
    """A progress bar on stderr when it is a terminal; nothing in a pipe or under cron."""
    if not sys.stderr.isatty() or total == 0:
        return (lambda _result: None), (lambda: None)
    bar = click.progressbar(length=total, label="probing", file=sys.stderr, show_pos=True)
    bar.__enter__()

    def finish() -> None:
        bar.__exit__(None, None, None)

    return (lambda _result: bar.update(1)), finish


EPILOG_MAIN = """\b
Examples:
  netaudit audit                          audit the example profiles against this network
  netaudit init ./profiles                write a starter profiles file to edit
  netaudit probe                          probe the whole built-in catalog
  netaudit probe --platform linkedin      only LinkedIn's endpoints
  netaudit catalog list                   what the catalog covers

Exit codes: 0 ran, 1 findings (audit), 2 usage or input error,
3 network settings unusable or output not writable, 129/143 hangup/terminated,
130 interrupted.
"""


@click.group(epilog=EPILOG_MAIN, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="netaudit", message="%(prog)s %(version)s")
def cli() -> None:
    """Audit whether social-media sites are reachable through this network's firewall and proxy."""


@cli.command(
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit probe
  netaudit probe www.linkedin.com https://x.com/
  netaudit probe --platform facebook --platform x --format json -o probe.json
  netaudit probe --input hosts.txt --proxy http://proxy.corp:3128 --proxy-user audit
  NETAUDIT_PROXY_PASSWORD=... netaudit probe --proxy http://audit@proxy.corp:3128
  netaudit probe --resolver 10.0.0.53 --timeout 5 --concurrency 64
  netaudit probe --platform whatsapp --bypass --plan   what it would touch, and send nothing
"""
)
@click.argument("targets", nargs=-1, metavar="[URL|HOST]...")
@config_option
@click.option(
    "--input",
    "input_file",
    metavar="FILE",
    help="Read targets from FILE, one URL or host per line ('#' comments; '-' for standard input).",
)
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    metavar="ID",
    help="Probe this catalog platform's endpoints (repeatable).",
)
@catalog_option
@network_options
@bypass_options
@output_options(render.PROBE)
@reports_errors
def probe(
    targets: tuple[str, ...],
    input_file: str | None,
    platforms: tuple[str, ...],
    catalog_dirs: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    concurrency: int,
    show_plan: bool,
    bypass: bool,
    doh_resolvers: Path | None,
    **network: Any,
) -> None:
    """Probe URLs, hosts or the catalog and tell, for each, which layer blocks it.

    With no targets, every endpoint of the catalog is probed. Each result has exactly one
    status: reachable, inspected, dns_nxdomain, dns_sinkhole, dns_error, tcp_timeout,
    tcp_refused, proxy_denied, proxy_auth_required, proxy_error, tls_reset, tls_untrusted,
    block_page, http_error or timeout.
    """
    from netaudit.model import ProbeRun
    from netaudit.render import json as json_render
    from netaudit.render.document import plain, probe_head
    from netaudit.runner import probe_in_order
    from netaudit.targets import build_targets, load_input_file, read_input

    sites = _load_catalog(catalog_dirs)
    entries = None
    if input_file == "-":
        entries = read_input("<stdin>", sys.stdin.read())
    elif input_file is not None:
        entries = load_input_file(input_file)
    target_list = build_targets(sites, targets, entries, platforms)
    if not target_list:
        raise InputError("nothing to probe: the input named no targets")
    config = _netconfig(network)
    prober = _prober(config)
    if show_plan:
        from netaudit.plan import probe_plan
        from netaudit.render.plan import render_plan

        doh = _doh_list(doh_resolvers) if bypass else ()
        _emit(render_plan(probe_plan(prober, target_list, bypass, doh), _plan_format(fmt)), output)
        return
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    environment = {**config.describe(), "host": socket.gethostname()}
    on_result, finish = _progress_sink(len(target_list))
    try:
        results = probe_in_order(prober, target_list, concurrency, on_result)
        if Format(fmt) is Format.JSON and not bypass:  # streamed: a run of any size holds one result's text at a time
            head = probe_head(generated_at, __version__, environment)
            _emit_stream(lambda write: json_render.stream(head, "results", map(plain, results), write), output)
            return
        collected = tuple(results)
    finally:
        finish()
    if bypass:  # after the ordinary probes: which paths to try depends on what they saw
        from netaudit.bypass.run import canary, probe_bypasses

        settings = _bypass_settings(doh_resolvers)
        collected += tuple(probe_bypasses(prober, target_list, list(collected), settings, concurrency))
        environment.update(canary(prober))
    run = ProbeRun(generated_at=generated_at, version=__version__, environment=environment, results=collected)
    _emit(render.PROBE.render(fmt, run), output)


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


@cli.command(
    cls=ConfiguredCommand,
    epilog="""\b
Examples:
  netaudit audit
  netaudit audit --profiles ./profiles --profile staff --profile guests
  NETAUDIT_PROXY_PASSWORD_STAFF=... netaudit audit --proxy http://proxy.corp:3128
  netaudit audit --format json -o reports/audit.json --fail-on never
  netaudit audit --plan --bypass --format json     every host, port and protocol, before any packet
  netaudit audit --bypass                          also try IPv6, DNS-over-HTTPS and QUIC around blocks
"""
)
@config_option
@profiles_option
@click.option("--profile", "profile_names", multiple=True, metavar="NAME", help="Audit only this profile (repeatable).")
@click.option("--platform", "platforms", multiple=True, metavar="ID", help="Audit only this platform (repeatable).")
@catalog_option
@network_options
@bypass_options
@output_options(render.AUDIT)
@unattended_options
@click.option(
    "--control",
    metavar="URL",
    default="https://www.gstatic.com/generate_204",
    show_default=True,
    envvar="NETAUDIT_CONTROL",
    show_envvar=True,
    help="A neutral endpoint no social-media policy blocks, probed on every route first: when it fails too, "
    "that route's findings are unknown and the audit exits 3. 'none' skips it.",
)
@click.option(
    "--save",
    is_flag=True,
    help="Also keep the run: its JSON and the --format form (unless table or json) under dated names in "
    "--output-dir, never over an earlier report, and latest.json.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    envvar="NETAUDIT_OUTPUT_DIR",
    show_envvar=True,
    help="Where --save keeps runs.",
)
@click.option(
    "--fail-on",
    type=click.Choice([level.value for level in FailOn]),
    default=FailOn.GAP.value,
    show_default=True,
    envvar="NETAUDIT_FAIL_ON",
    show_envvar=True,
    help="Exit 1 when... gap: a gap, leak or degraded finding or missing rules (not ready); "
    "any: also unknown or inspected; never: only errors change the exit code.",
)
@reports_errors
def audit(
    profile_paths: tuple[Path, ...],
    profile_names: tuple[str, ...],
    platforms: tuple[str, ...],
    catalog_dirs: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    concurrency: int,
    control: str,
    save: bool,
    output_dir: Path,
    fail_on: str,
    show_plan: bool,
    bypass: bool,
    doh_resolvers: Path | None,
    **network: Any,
) -> None:
    """Hold the access profiles against what the firewall and proxy really do.

    Every catalog endpoint is probed once per identity (each profile's proxy user or proxy),
    then each profile, platform and capability gets a finding: ok, gap (should work, is
    blocked), leak (should be blocked, works), degraded, inspected or unknown. The report
    answers who has access, what blocks it, and which rules are written down.
    """
    from netaudit.audit import control_target, plan_audit, run_audit
    from netaudit.identity import environment_passwords

    unattended = _unattended(network, save, output_dir)
    sites = _load_catalog(catalog_dirs)
    policy = _load_policy(profile_paths, sites)
    audited = sites.only(platforms) if platforms else sites
    config = _netconfig(network)
    prober = _prober(config)
    plan = plan_audit(
        policy,
        audited,
        config,
        prober.with_config,
        profile_names=profile_names,
        passwords=environment_passwords(os.environ),
        control=None if control.strip().lower() == "none" else control_target(_control_url(control)),
        bypass=_bypass_settings(doh_resolvers) if bypass else None,
    )
    if show_plan:
        from netaudit.plan import audit_plan
        from netaudit.render.plan import render_plan

        doh = _doh_list(doh_resolvers) if bypass else ()
        _emit(render_plan(audit_plan(plan, bypass, doh), _plan_format(fmt)), output)
        return
    on_result, finish = _progress_sink(len(plan.jobs))
    try:
        run = run_audit(
            plan, concurrency=concurrency, on_result=on_result, host=socket.gethostname(), site=unattended.site
        )
    finally:
        finish()
    saved = _save_run(run, fmt, output_dir, unattended.store) if unattended.store else None
    if (not save or output is not None or fmt == Format.TABLE) and not (unattended.quiet and output is None):
        _emit(_render_audit(fmt, run, output), output)
    _publish_metrics(run, unattended)
    cut_off = [route for route in run.routes if route.control_failed]
    if cut_off:
        first = cut_off[0]
        assert first.control is not None
        raise CliError(
            f"this vantage point cannot reach the internet {_route_words(first.via)}: the control "
            f"{first.control.url} gave {first.control.status} ({first.control.detail}); "
            f"the findings of {', '.join(route.profile for route in cut_off)} are unknown",
            ExitCode.ENVIRONMENT,
        )
    _finish_unattended(run, saved, unattended, FailOn(fail_on))


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


@cli.command(
    epilog="""\b
Examples:
  netaudit merge leeds/latest.json york/latest.json paris/latest.json
  netaudit merge reports/*/*.json --format json -o merged.json

Runs of the same site: the newest one stands for the site; all of them together show
which sides of the firewall-enforced hours were seen.
""",
)
@click.argument(
    "run_files", nargs=-1, required=True, metavar="RUN.json...", type=click.Path(dir_okay=False, path_type=Path)
)
@output_options(render.MERGE)
@reports_errors
def merge(run_files: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """Combine the saved runs of several sites (offices, VLANs, guest networks) into one report.

    The matrices gain a site column each; the summary says where each profile is ready and where
    not; for each window the firewall enforces, which side each site has verified and when.
    Different organisations, catalog versions or profile texts are named at the top, not mixed.
    """
    from netaudit.merge import merge_runs
    from netaudit.runfile import load_audit

    merged = merge_runs([(str(path), load_audit(path)) for path in run_files])
    _emit(render.MERGE.render(fmt, merged), output)
    for conflict in merged.conflicts:
        click.echo(f"netaudit: warning: {conflict.describe()}", err=True)


@dataclasses.dataclass(frozen=True)
class _Unattended:
    """The options of an unattended audit (unattended_options), checked, and the store a saving run holds locked."""

    site: str
    quiet: bool
    alert_on: str | None
    prometheus_textfile: Path | None
    pushgateway: str | None
    store: Any


def _unattended(options: dict[str, Any], save: bool, output_dir: Path) -> _Unattended:
    """Take the unattended options out of `options`; with --save, lock the output folder for the whole run.

    The lock is released when the command ends (click closes the context), however it ends.
    """
    from netaudit.retention import Retention
    from netaudit.runnames import check_site
    from netaudit.store import RunStore

    site = check_site(options.pop("site") or "")
    keep, keep_days, alert_on = options.pop("keep"), options.pop("keep_days"), options.pop("alert_on")
    unattended = _Unattended(
        site=site,
        quiet=options.pop("quiet"),
        alert_on=alert_on,
        prometheus_textfile=options.pop("prometheus_textfile"),
        pushgateway=options.pop("pushgateway"),
        store=RunStore(output_dir, Retention(keep, keep_days)) if save else None,
    )
    if not save and (keep is not None or keep_days is not None or alert_on == "change"):
        given = "--keep" if keep is not None else "--keep-days" if keep_days is not None else "--alert-on change"
        raise InputError(f"{given} works on saved runs: add --save (and --output-dir DIR)")
    if unattended.store is not None:
        click.get_current_context().with_resource(unattended.store.lock())
    return unattended


def _publish_metrics(run: Any, unattended: _Unattended) -> None:
    """The Prometheus form to node_exporter's textfile and/or a Pushgateway, when asked."""
    if unattended.prometheus_textfile is None and not unattended.pushgateway:
        return
    from netaudit.metrics_push import push, write_textfile

    text = render.AUDIT.render(Format.PROMETHEUS, run)
    if unattended.prometheus_textfile is not None:
        write_textfile(unattended.prometheus_textfile, text)
    if unattended.pushgateway:
        push(unattended.pushgateway, text, site=run.site, instance=run.host or socket.gethostname())


def _finish_unattended(run: Any, saved: Any, unattended: _Unattended, fail_on: FailOn) -> None:
    """Exit 1 when the run needs someone: by --alert-on (with its message) or else by --fail-on."""
    from netaudit.drift import AlertOn, Drift, alert, drift

    if unattended.alert_on is None:
        if fail_on.fails(run):
            if unattended.quiet:
                click.echo(alert(AlertOn.GAP, run, Drift((), False)) or _not_ready_line(run), nl=False)
            sys.exit(ExitCode.FINDINGS)
        return
    alert_on = AlertOn(unattended.alert_on)
    found = Drift((), False)
    if alert_on is AlertOn.CHANGE and saved is not None:
        found = drift(run, _earlier_runs(unattended.store, saved))
    message = alert(alert_on, run, found, str(saved.path) if saved is not None else "")
    if message:
        click.echo(message, nl=False)
        sys.exit(ExitCode.FINDINGS)


def _not_ready_line(run: Any) -> str:
    names = [p.profile for p in run.readiness.profiles if not p.ready]
    where = run.site or run.host or "this vantage point"
    return f"netaudit: {where}: not ready: {', '.join(names)}\n"


def _earlier_runs(store: Any, saved: Any, limit: int = 30) -> list[tuple[str, Any]]:
    """The site's runs saved before this one (label, run), oldest first; unreadable ones are skipped."""
    from netaudit.runfile import load_audit

    earlier = [path for path in store.runs_of(saved.site) if path != saved.path][-limit:]
    loaded = []
    for path in earlier:
        try:
            loaded.append((path.stem, load_audit(path)))
        except NetauditError:
            continue
    return loaded


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


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C (a BaseException, so no `except Exception` stops it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, _frame: object) -> None:
    raise Terminated(signum)


_SIGNAL_EXITS = {"SIGTERM": ExitCode.TERMINATED, "SIGHUP": ExitCode.HANGUP}


def _say_stopped(what: str) -> None:
    with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP): then there is no one to tell
        click.echo(f"netaudit: {what}; nothing was written", err=True)


def _wants_colour(output: Path | None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _render_audit(fmt: str, run: Any, output: Path | None) -> str:
    return render.AUDIT.render(fmt, run, colour=_wants_colour(output))


def _save_run(run: Any, fmt: str, folder: Path, store: Any = None) -> Any:
    """Keep the run's JSON and its chosen form under a dated name (store.py); say where on a terminal."""
    from netaudit.render.formats import SUFFIXES
    from netaudit.runfile import dump
    from netaudit.store import RunStore

    forms = {} if fmt in (Format.TABLE, Format.JSON) else {SUFFIXES[Format(fmt)]: render.AUDIT.render(fmt, run)}
    when = datetime.fromisoformat(run.started_at) if run.started_at else datetime.now(UTC)
    saved = (store or RunStore(folder)).save(dump(run), when, forms, site=run.site)
    if sys.stderr.isatty():
        shown = ", ".join(str(path) for path in (saved.path, *saved.forms.values()))
        click.echo(f"saved {shown}", err=True)
        if saved.pruned:
            click.echo(f"deleted {len(saved.pruned)} older run(s) of this site (retention)", err=True)
    return saved


@cli.command(
    epilog="""\b
Examples:
  netaudit report reports/latest.json
  netaudit report reports/2026-11-30T101500Z.json --format html -o readiness.html
  netaudit report reports/latest.json --format prometheus -o /var/lib/node_exporter/netaudit.prom
"""
)
@click.argument("run_file", metavar="RUN.json", type=click.Path(dir_okay=False, path_type=Path))
@output_options(render.AUDIT)
@reports_errors
def report(run_file: Path, fmt: str, output: Path | None) -> None:
    """Render a saved audit run (netaudit/audit/1) again, in any form.

    The JSON a run saved (audit --save, or --format json) holds everything every other form
    shows; a run of a schema this netaudit does not read is one line and exit 2.
    """
    from netaudit.runfile import load_audit

    run = load_audit(run_file)
    _emit(_render_audit(fmt, run, output), output)


@cli.command(
    epilog="""\b
Examples:
  netaudit diff reports/2026-11-23T101500Z.json reports/latest.json
  netaudit diff old.json new.json --format markdown -o changes.md

Exit codes: 0 nothing changed, 1 something changed, 2 a file is not an audit run.
"""
)
@click.argument("old", metavar="OLD.json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", metavar="NEW.json", type=click.Path(dir_okay=False, path_type=Path))
@output_options(render.DIFF)
@reports_errors
def diff(old: Path, new: Path, fmt: str, output: Path | None) -> None:
    """Show what changed between two saved audit runs.

    New and resolved gaps and leaks, other findings that changed, and probe results whose status
    changed, per profile, platform and endpoint id. Exits 1 when anything changed, so cron can alert.
    """
    from netaudit.diff import diff_runs
    from netaudit.runfile import load_audit

    changes = diff_runs(load_audit(old), load_audit(new))
    _emit(render.DIFF.render(fmt, changes), output)
    if changes.changed:
        sys.exit(ExitCode.FINDINGS)


def main() -> None:
    """Entry point of the console script."""
    exits: dict[int, ExitCode] = {}
    for name, code in _SIGNAL_EXITS.items():
        number = getattr(signal, name, None)  # Windows has no SIGHUP
        if number is not None:
            signal.signal(number, _terminate)
            exits[int(number)] = code
    try:
        cli.main(prog_name="netaudit", standalone_mode=False)
    except Terminated as exc:
        _say_stopped("terminated")
        sys.exit(exits[exc.signum])
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _say_stopped("interrupted")
        sys.exit(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a traceback.
        sys.stderr.close()
        sys.exit(ExitCode.OK)

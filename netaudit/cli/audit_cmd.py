"""`netaudit audit`: hold the profiles against the network, and save, prune, alert and publish when unattended."""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from netaudit import render
from netaudit.errors import ExitCode, InputError, NetauditError
from netaudit.failon import FailOn
from netaudit.render.formats import Format

if TYPE_CHECKING:
    pass

from netaudit.cli.app import cli
from netaudit.cli.common import (
    _control_url,
    _emit,
    _load_catalog,
    _load_policy,
    _netconfig,
    _prober,
    _progress_sink,
    _route_words,
)
from netaudit.cli.options import (
    CliError,
    ConfiguredCommand,
    catalog_option,
    config_option,
    network_options,
    output_options,
    profiles_option,
    reports_errors,
    unattended_options,
)
from netaudit.cli.plan_opts import bypass_options, bypass_settings, doh_list, plan_text


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
""",
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
        bypass=bypass_settings(bypass, doh_resolvers),
    )
    if show_plan:
        from netaudit.plan import audit_plan

        _emit(plan_text(audit_plan(plan, bypass, doh_list(doh_resolvers) if bypass else ()), fmt), output)
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

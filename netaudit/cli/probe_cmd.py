"""`netaudit probe`: probe URLs, hosts or the catalog."""

from __future__ import annotations

import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from netaudit import __version__, render
from netaudit.errors import InputError
from netaudit.render.formats import Format

if TYPE_CHECKING:
    pass

from netaudit.cli.app import cli
from netaudit.cli.common import _emit, _emit_stream, _load_catalog, _netconfig, _prober, _progress_sink
from netaudit.cli.options import (
    ConfiguredCommand,
    catalog_option,
    config_option,
    network_options,
    output_options,
    reports_errors,
)
from netaudit.cli.plan_opts import bypass_options, bypass_settings, doh_list, plan_text


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
""",
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

        planned = probe_plan(prober, target_list, bypass, doh_list(doh_resolvers) if bypass else ())
        _emit(plan_text(planned, fmt), output)
        return
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    environment = {**config.describe(), "host": socket.gethostname()}
    on_result, finish = _progress_sink(len(target_list))
    try:
        results = probe_in_order(prober, target_list, concurrency, on_result)
        if Format(fmt) is Format.JSON and not bypass:  # streamed: a run of any size holds one result at a time
            head = probe_head(generated_at, __version__, environment)
            _emit_stream(lambda write: json_render.stream(head, "results", map(plain, results), write), output)
            return
        collected = tuple(results)
    finally:
        finish()
    settings = bypass_settings(bypass, doh_resolvers)
    if settings is not None:  # after the ordinary probes: which paths to try depends on what they saw
        from netaudit.bypass.run import canary, probe_bypasses

        collected += tuple(probe_bypasses(prober, target_list, list(collected), settings, concurrency))
        environment.update(canary(prober))
    run = ProbeRun(generated_at=generated_at, version=__version__, environment=environment, results=collected)
    _emit(render.PROBE.render(fmt, run), output)

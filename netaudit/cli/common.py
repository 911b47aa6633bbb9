"""What every command does the same way: load the catalog and profiles, build the network settings, write output."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from netaudit.errors import EnvironmentProblem
from netaudit.identity import PASSWORD_ENV

if TYPE_CHECKING:
    from netaudit.catalog import Catalog
    from netaudit.model import PolicySet
    from netaudit.net.config import NetConfig
    from netaudit.probe.engine import Prober


def _split_paths(entries: Sequence[Path]) -> list[Path]:
    expanded: list[Path] = []
    for entry in entries:
        expanded += [Path(part) for part in str(entry).split(os.pathsep) if part.strip()]
    return expanded


def _load_policy(paths: Sequence[Path], sites: Catalog) -> PolicySet:
    from netaudit.policy import load_policy
    from netaudit.resources import builtin_profiles_dir

    return load_policy(_split_paths(paths) or [builtin_profiles_dir()], sites.names())


def _netconfig(options: dict[str, Any]) -> NetConfig:
    from netaudit.net.resolver import plain_dnspython

    plain_dnspython()  # before anything imports dnspython (a --resolver, the system's name servers)
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
    from netaudit.net.resolver import plain_dnspython

    plain_dnspython()
    from netaudit.probe.dns import load_hosts, system_hosts_path
    from netaudit.probe.engine import Prober

    hosts = load_hosts(system_hosts_path()) if config.resolver is None else None
    return Prober(config, hosts=hosts)


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

"""The `netaudit` group, the entry point, and how a signal stops a run."""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import TYPE_CHECKING

import click

from netaudit import __version__
from netaudit.errors import ExitCode

if TYPE_CHECKING:
    pass


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

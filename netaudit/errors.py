"""netaudit's own exceptions and its exit codes (one IntEnum, documented in README.md)."""

from __future__ import annotations

import enum
import errno


class ExitCode(enum.IntEnum):
    """Exit codes of the `netaudit` command."""

    OK = 0
    """The command ran; for `probe`, whatever the probes found."""
    FINDINGS = 1
    """`audit` found gaps, leaks or other findings at or above `--fail-on`; `diff`: the runs differ."""
    USAGE = 2
    """A wrong option, a bad catalog/profile/input file, or an unusable argument."""
    ENVIRONMENT = 3
    """The network settings cannot be used (e.g. an unreachable PAC file), or the output cannot be written."""
    HANGUP = 129
    """Stopped by SIGHUP (128 + 1: the terminal went away); nothing was written."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C; nothing was written."""
    TERMINATED = 143
    """Stopped by SIGTERM (128 + 15, e.g. `kill`, a service manager or a CI timeout); nothing was written."""


class NetauditError(Exception):
    """Base of every error netaudit reports to its user; the message is one line a person can act on."""

    exit_code: ExitCode = ExitCode.USAGE


class InputError(NetauditError):
    """A file or argument the user gave is wrong; the message says where (file, field, line)."""

    exit_code = ExitCode.USAGE


class CatalogError(InputError):
    """A catalog file is malformed."""


class ProfileError(InputError):
    """A profiles file is malformed."""


class EnvironmentProblem(NetauditError):
    """The machine's network settings cannot be used as given."""

    exit_code = ExitCode.ENVIRONMENT


class LocalResourceError(EnvironmentProblem):
    """This machine ran out of something every probe needs (file descriptors, socket buffers): a local
    problem, never a verdict about the network."""


_LOCAL_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def local_resource_error(exc: BaseException) -> LocalResourceError | None:
    """The LocalResourceError `exc` stands for, or None when it is not one (e.g. a refused connection)."""
    if isinstance(exc, OSError) and exc.errno in _LOCAL_ERRNOS:
        limit = " (raise the limit with `ulimit -n`, or lower --concurrency)" if exc.errno == errno.EMFILE else ""
        return LocalResourceError(f"this machine ran out of resources for probing: {exc.strerror or exc}{limit}")
    return None


class ProxyLookupError(NetauditError):
    """The proxy for one URL could not be determined (e.g. the PAC's FindProxyForURL failed).

    Raised by `NetConfig.proxy_for`; the engine records the probe as ``proxy_error`` with this
    message as its detail instead of stopping the run.
    """

    exit_code = ExitCode.ENVIRONMENT


class ProxyUnsupported(ProxyLookupError):
    """The PAC file sends the URL only to proxies netaudit cannot speak to (SOCKS, or HTTPS: TLS to the proxy)."""

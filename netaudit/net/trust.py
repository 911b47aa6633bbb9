"""What the workstation trusts: ``--ca-bundle`` > ``REQUESTS_CA_BUNDLE`` > ``SSL_CERT_FILE`` > the system store.

The variables are read from a mapping the caller passes in, never from ``os.environ``.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path

from netaudit.errors import InputError


def certificate_file(value: str, source: str) -> Path:
    """A readable PEM file with at least one certificate, else InputError naming `source`."""
    path = Path(value).expanduser()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if path.is_dir():
        raise InputError(f"{source} {value}: no certificates found (a folder; give a PEM file)")
    try:
        context.load_verify_locations(cafile=str(path))
    except FileNotFoundError:
        raise InputError(f"{source} {value}: no certificates found (no such file)") from None
    except PermissionError:
        raise InputError(f"{source} {value}: no certificates found (permission denied)") from None
    except (ssl.SSLError, ValueError):
        raise InputError(f"{source} {value}: no certificates found") from None
    except OSError as exc:
        raise InputError(f"{source} {value}: no certificates found ({exc.strerror or exc})") from None
    if context.cert_store_stats().get("x509", 0) == 0:
        raise InputError(f"{source} {value}: no certificates found")
    return path


def resolve_trust(ca_bundle: str | None, environ: Mapping[str, str]) -> tuple[Path | None, str]:
    """The trust file and where it came from (the option or the variable), or (None, "system")."""
    if ca_bundle is not None:
        return certificate_file(ca_bundle, "--ca-bundle"), "--ca-bundle"
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        value = environ.get(variable, "").strip()
        if value:
            return certificate_file(value, variable), variable
    return None, "system"

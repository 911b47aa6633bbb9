"""Turn what the user asked to probe (URLs, host names, an input file, platforms) into targets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from netaudit.catalog import Catalog
from netaudit.errors import InputError
from netaudit.hostname import ascii_url
from netaudit.model import Target

_HOST = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?)+$|^\[?[0-9A-Fa-f:.]+\]?$")


def parse_target(text: str, catalog: Catalog, where: str) -> Target:
    """A URL (http/https) or a bare host name; a catalog endpoint's URL keeps its id and expectations.

    An international host name is accepted and becomes its IDNA form (``bücher.example`` ->
    ``xn--bcher-kva.example``), which is what is probed and reported."""
    text = text.strip()
    url = text if "://" in text else f"https://{text}/"
    try:
        url = ascii_url(url)  # an international name is probed in its IDNA form
        parts = urlsplit(url)
    except ValueError:
        raise InputError(f"{where}: '{text}' is not an http(s) URL or a host name") from None
    try:
        port = parts.port
    except ValueError:
        port = None
        parts = parts._replace(netloc="")
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or not host
        or not _HOST.match(host)
        or (port is not None and not 0 < port < 65536)
    ):
        raise InputError(f"{where}: '{text}' is not an http(s) URL or a host name")
    if parts.username or parts.password:
        raise InputError(f"{where}: '{parts.scheme}://…@{host}': credentials do not belong in a target URL")
    endpoint = catalog.by_url(url)
    if endpoint is not None:
        return Target.from_endpoint(endpoint)
    owners = catalog.find_by_host(host)
    return Target(id=url, url=url, platform=owners[0].platform if owners else None)


def read_input(path: str, text: str) -> list[tuple[str, str]]:
    """Lines of an input file as (where, target text); blank lines and `#` comments skipped."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.split("#", 1)[0].strip()
        if stripped:
            entries.append((f"{path}:{number}", stripped))
    return entries


def load_input_file(path: str) -> list[tuple[str, str]]:
    """Read an --input file ('-' is standard input is handled by the caller)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--input {path}: cannot read it ({exc.__class__.__name__}: {exc})") from exc
    return read_input(path, text)


def build_targets(
    catalog: Catalog,
    arguments: Sequence[str],
    input_entries: Iterable[tuple[str, str]] | None,
    platforms: Sequence[str],
) -> list[Target]:
    """Targets from arguments, input lines and platforms; the whole catalog when none of them is given."""
    if not arguments and input_entries is None and not platforms:
        return [Target.from_endpoint(endpoint) for endpoint in catalog.endpoints()]
    targets = [parse_target(text, catalog, f"argument {index}") for index, text in enumerate(arguments, start=1)]
    targets += [parse_target(text, catalog, where) for where, text in input_entries or ()]
    if platforms:
        ids = [catalog.platform(name).id for name in platforms]
        targets += [Target.from_endpoint(endpoint) for endpoint in catalog.endpoints(ids)]
    unique: dict[str, Target] = {}
    for target in targets:
        unique.setdefault(target.id, target)
    return list(unique.values())

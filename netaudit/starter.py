"""The starter profiles file `netaudit init` writes: every catalog platform listed, ready to edit."""

from __future__ import annotations

import os
from pathlib import Path

from netaudit.catalog import Catalog
from netaudit.errors import EnvironmentProblem, InputError

STARTER_NAME = "profiles.toml"


def starter_text(catalog: Catalog) -> str:
    """A valid profiles file with two profiles to adapt; every platform of the catalog is listed."""
    width = max(len(pid) for pid in catalog.ids())
    staff = "\n".join(f'{pid.ljust(width)} = "read"' for pid in catalog.ids())
    comms = "\n".join(f'{pid.ljust(width)} = "post"' for pid in catalog.ids())
    return f"""\
# Access profiles: who should reach which social-media sites, and under which rules.
# Edit the names, members, identities and rules, then check with `netaudit profiles validate`
# and hold them against the network with `netaudit audit --profiles {STARTER_NAME}`.
# Levels: "none" < "read" < "post". Never write a password here: proxy_password_env names the
# environment variable that holds it. Hours are "DAYS HH:MM-HH:MM" in the timezone below.

[organization]
name = "Your organisation"
owner = "The team that owns social media"
timezone = "UTC"

[profiles.communications]
description = "The team that runs the organisation's accounts"
members = ["Directory group of the social media team"]
proxy_user = "comms-audit"
proxy_password_env = "NETAUDIT_PROXY_PASSWORD_COMMS"
default = "none"

[profiles.communications.access]
{comms}

[profiles.communications.rules]
hours = ["mon-sun 00:00-24:00"]
hours_enforced_by = "policy"
posting = "Approved messages only"
content = "What may and may not be posted on the organisation's behalf"

[profiles.staff]
description = "Everyone else"
members = ["All staff"]
proxy_user = "staff-audit"
proxy_password_env = "NETAUDIT_PROXY_PASSWORD_STAFF"
default = "none"

[profiles.staff.access]
{staff}

[profiles.staff.rules]
hours = ["mon-fri 12:00-13:00"]
hours_enforced_by = "firewall"
posting = "Staff do not post on behalf of the organisation"
"""


def write_starter(folder: Path, catalog: Catalog) -> Path:
    """Write the starter file into `folder`; never over an existing file."""
    path = folder / STARTER_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError as exc:
        raise InputError(f"{path} already exists; netaudit init never overwrites a file") from exc
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {path}: {exc.strerror or exc}") from exc
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(starter_text(catalog))
    return path

"""The loaded site catalog: its platforms by id, lookups by name, endpoint id, host and URL, and its version.

catalog.py loads it from the catalog files; the planner, the assessor and the CLI query it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from netaudit.errors import CatalogError
from netaudit.model import Endpoint, Platform

__all__ = ["Catalog"]


# --- The catalog -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """Every known platform (built-in and the user's), ordered by id, with lookups by name and id."""

    platforms: Mapping[str, Platform] = field(default_factory=dict)
    _names: dict[str, str] = field(init=False, repr=False, compare=False)
    _endpoints: dict[str, Endpoint] = field(init=False, repr=False, compare=False)
    _by_host: dict[str, list[Endpoint]] = field(init=False, repr=False, compare=False)
    _by_url: dict[str, Endpoint] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = {pid: self.platforms[pid] for pid in sorted(self.platforms)}
        names: dict[str, str] = {}
        endpoints: dict[str, Endpoint] = {}
        for pid, platform in ordered.items():
            for name in (pid, *platform.aliases):
                names.setdefault(name.lower(), pid)
            for endpoint in platform.endpoints:
                endpoints[endpoint.id] = endpoint
        object.__setattr__(self, "platforms", ordered)
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_endpoints", endpoints)
        by_host: dict[str, list[Endpoint]] = {}
        for endpoint in endpoints.values():
            by_host.setdefault(_url_host(endpoint.url), []).append(endpoint)
        object.__setattr__(self, "_by_host", by_host)
        object.__setattr__(self, "_by_url", {e.url: e for e in reversed(endpoints.values())})

    @property
    def version(self) -> str:
        """A short digest of what the catalog files say (platforms, endpoints, ids, expectations).

        Two runs with the same version probed the same endpoints the same way. Comments, layout, the
        order of the endpoints and where the files live do not count, so moving, reformatting or
        reordering a file keeps the version.
        """
        described = [
            {
                **dataclasses.asdict(platform),
                "source": "",
                "endpoints": sorted((dataclasses.asdict(e) for e in platform.endpoints), key=lambda e: e["id"]),
            }
            for platform in self.platforms.values()
        ]
        text = json.dumps(described, sort_keys=True, ensure_ascii=False, default=str)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def ids(self) -> list[str]:
        """The platform ids, sorted."""
        return list(self.platforms)

    def only(self, names: Iterable[str]) -> Catalog:
        """A catalog of just the named platforms (ids or aliases); CatalogError for an unknown one."""
        chosen = [self.platform(name) for name in names]
        return Catalog(platforms={platform.id: platform for platform in chosen})

    def names(self) -> dict[str, str]:
        """Every accepted platform name (ids and aliases, lowercase) mapped to its id."""
        return dict(self._names)

    def endpoint_ids(self) -> list[str]:
        """Every endpoint id, platform by platform, in file order."""
        return [e.id for e in self.endpoints()]

    def platform(self, name: str) -> Platform:
        """The platform with this id or alias (case-insensitive); CatalogError if there is none."""
        pid = self._names.get(name.strip().lower())
        if pid is None:
            known = ", ".join(self.platforms) or "none"
            raise CatalogError(f"unknown platform '{name}' (known: {known})")
        return self.platforms[pid]

    def endpoints(self, platform_ids: Iterable[str] | None = None) -> list[Endpoint]:
        """The endpoints of the named platforms (ids or aliases, each once), or of every platform."""
        if platform_ids is None:
            chosen = list(self.platforms.values())
        else:
            chosen = list({p.id: p for p in map(self.platform, platform_ids)}.values())
        return [endpoint for platform in chosen for endpoint in platform.endpoints]

    def endpoint(self, endpoint_id: str) -> Endpoint:
        """The endpoint with this id (its platform part may be an alias); CatalogError if unknown."""
        wanted = endpoint_id.strip().lower()
        prefix, dot, rest = wanted.partition(".")
        pid = self._names.get(prefix)
        if pid is not None and dot:
            found = self._endpoints.get(f"{pid}.{rest}")
            if found is not None:
                return found
            known = ", ".join(e.id for e in self.platforms[pid].endpoints)
            raise CatalogError(f"unknown endpoint '{endpoint_id}' (known for {pid}: {known})")
        raise CatalogError(
            f"unknown endpoint '{endpoint_id}' (endpoint ids look like 'facebook.media.1'; "
            f"platforms: {', '.join(self.platforms) or 'none'})"
        )

    def find_by_host(self, host: str) -> list[Endpoint]:
        """The endpoints whose URL has exactly this host name (case-insensitive; give no port).

        Used to tag an ad-hoc URL with the platform and capability it belongs to."""
        return list(self._by_host.get(host.strip().lower().rstrip("."), ()))

    def by_url(self, url: str) -> Endpoint | None:
        """The endpoint with exactly this URL, if any."""
        return self._by_url.get(url)


def _url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".")

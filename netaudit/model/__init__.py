"""The data every part of netaudit shares: frozen dataclasses and the one status vocabulary.

Nothing here imports another netaudit module; every other module may import this one. `probe.py`
holds what a probe finds (statuses, endpoints, evidence, results, proxies); `policy.py` who should
reach what (profiles, hours, rules); `audit.py` what an audit concludes (findings, routes, readiness).
"""

from __future__ import annotations

from netaudit.model.audit import (
    AuditRun,
    Finding,
    FindingKind,
    ProfileReadiness,
    ProfileRoute,
    Readiness,
)
from netaudit.model.policy import (
    AccessLevel,
    Enforcement,
    Organization,
    PolicySet,
    Profile,
    Rules,
    TimeWindow,
)
from netaudit.model.probe import (
    Capability,
    DnsEvidence,
    Endpoint,
    HttpEvidence,
    Layer,
    Platform,
    ProbePath,
    ProbeResult,
    ProbeRun,
    ProxyMode,
    ProxySpec,
    Route,
    Status,
    Target,
    TlsEvidence,
)

__all__ = [
    "AccessLevel",
    "AuditRun",
    "Capability",
    "DnsEvidence",
    "Endpoint",
    "Enforcement",
    "Finding",
    "FindingKind",
    "HttpEvidence",
    "Layer",
    "Organization",
    "Platform",
    "PolicySet",
    "ProbePath",
    "ProbeResult",
    "ProbeRun",
    "Profile",
    "ProfileReadiness",
    "ProfileRoute",
    "ProxyMode",
    "ProxySpec",
    "Readiness",
    "Route",
    "Rules",
    "Status",
    "Target",
    "TimeWindow",
    "TlsEvidence",
]

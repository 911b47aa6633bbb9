"""`--fail-on`: which audits end with exit code 1, as an enum the library owns and the CLI offers.

The rule lives here, not in the CLI, so that cron jobs, CI wrappers and the tests ask one place
whether a run "failed".
"""

from __future__ import annotations

import enum

from netaudit.model import AuditRun, FindingKind


class FailOn(enum.StrEnum):
    """How strict an audit's exit code is: `never`, `gap` (the default) or `any`."""

    NEVER = "never"
    """Only errors change the exit code."""
    GAP = "gap"
    """A gap, leak or degraded finding, or a profile that is not ready (e.g. missing rules)."""
    ANY = "any"
    """Also an inspected or unknown finding."""

    @property
    def failing_kinds(self) -> frozenset[FindingKind]:
        """The finding kinds that make a run fail at this level."""
        if self is FailOn.NEVER:
            return frozenset()
        blocking = frozenset({FindingKind.GAP, FindingKind.LEAK, FindingKind.DEGRADED})
        if self is FailOn.GAP:
            return blocking
        return blocking | {FindingKind.INSPECTED, FindingKind.UNKNOWN}

    def fails(self, run: AuditRun) -> bool:
        """True when the run has a finding of a failing kind or, unless `never`, a profile that is not ready."""
        if self is FailOn.NEVER:
            return False
        failing = self.failing_kinds
        return not run.readiness.ready or any(finding.finding in failing for finding in run.findings)

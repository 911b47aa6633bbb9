"""`--fail-on`: the FailOn rule in the library, and the exit codes `audit` gives for it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from netaudit import __version__
from netaudit import audit as audit_module
from netaudit.assess import NOT_READY, readiness
from netaudit.audit import AuditPlan
from netaudit.cli import cli
from netaudit.errors import ExitCode
from netaudit.failon import FailOn
from netaudit.model import AccessLevel, AuditRun, Capability, Finding, FindingKind


def test_gap_fails_on_exactly_what_makes_a_profile_not_ready() -> None:
    assert FailOn.GAP.failing_kinds == frozenset(NOT_READY)
    assert FailOn.NEVER.failing_kinds == frozenset()
    assert FailOn.ANY.failing_kinds == frozenset(FindingKind) - {FindingKind.OK}


def _finding(profile: str, capability: Capability, kind: FindingKind) -> Finding:
    return Finding(
        id=f"{profile}.linkedin.{capability.value}",
        profile=profile,
        platform="linkedin",
        capability=capability,
        finding=kind,
        expected=AccessLevel.READ,
        observed="untested" if kind is FindingKind.UNKNOWN else "reachable",
        endpoints=(f"linkedin.{capability.value}.1",),
        detail="not probed" if kind is FindingKind.UNKNOWN else "",
    )


def _run_with(plan: AuditPlan, kinds: dict[Capability, FindingKind]) -> AuditRun:
    findings = [_finding(name, capability, kind) for name in plan.policy.profiles for capability, kind in kinds.items()]
    return AuditRun(
        version=__version__,
        started_at="2026-11-30T10:15:00+00:00",
        finished_at="2026-11-30T10:15:09+00:00",
        policy=plan.policy,
        environment={},
        observations=(),
        observation_profiles=(),
        findings=tuple(findings),
        readiness=readiness(plan.policy, findings),
    )


@pytest.fixture
def unknown_but_no_gap(monkeypatch: pytest.MonkeyPatch) -> list[AuditRun]:
    """`audit` made to return a run with an ok and an unknown finding per profile, and every profile ready."""
    runs: list[AuditRun] = []

    def fake_run_audit(plan: AuditPlan, **_: Any) -> AuditRun:
        run = _run_with(plan, {Capability.READ: FindingKind.OK, Capability.MEDIA: FindingKind.UNKNOWN})
        runs.append(run)
        return run

    monkeypatch.setattr(audit_module, "run_audit", fake_run_audit)
    return runs


ARGS = ["audit", "--no-proxy", "--profile", "communications", "--platform", "linkedin", "--format", "json"]


@pytest.mark.parametrize(("level", "code"), [("never", ExitCode.OK), ("gap", ExitCode.OK), ("any", ExitCode.FINDINGS)])
def test_an_unknown_without_a_gap_fails_only_fail_on_any(
    unknown_but_no_gap: list[AuditRun], level: str, code: ExitCode
) -> None:
    result = CliRunner().invoke(cli, [*ARGS, "--fail-on", level])
    assert result.exit_code == code, result.output
    (run,) = unknown_but_no_gap
    assert run.readiness.ready  # the premise: nothing but the unknown finding could fail the run
    kinds = {finding["finding"] for finding in json.loads(result.stdout)["findings"]}
    assert kinds == {"ok", "unknown"}


def test_gap_is_the_default(unknown_but_no_gap: list[AuditRun]) -> None:
    assert CliRunner().invoke(cli, ARGS).exit_code == ExitCode.OK


def test_fails_follows_readiness_and_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[AuditRun] = []

    def gap_run(plan: AuditPlan, **_: Any) -> AuditRun:
        runs.append(_run_with(plan, {Capability.READ: FindingKind.GAP}))
        return runs[-1]

    monkeypatch.setattr(audit_module, "run_audit", gap_run)
    assert CliRunner().invoke(cli, [*ARGS, "--fail-on", "gap"]).exit_code == ExitCode.FINDINGS
    (run,) = runs
    assert not run.readiness.ready
    assert [FailOn(level).fails(run) for level in ("never", "gap", "any")] == [False, True, True]

"""diff.py: how a finding's move between two runs is named, and that a run compared with itself has no change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from netaudit.diff import Change, classify, diff_runs
from netaudit.model import FindingKind, Readiness
from tests.fixtures.later import later_run
from tests.fixtures.run import fixture_run

K = FindingKind


@pytest.mark.parametrize(
    ("old", "new", "change"),
    [
        (K.OK, K.GAP, Change.NEW),
        (K.UNKNOWN, K.LEAK, Change.NEW),
        (K.GAP, K.LEAK, Change.NEW),  # a new leak (the gap is gone with it)
        (None, K.GAP, Change.NEW),  # a check the old run did not have
        (K.GAP, K.OK, Change.RESOLVED),
        (K.LEAK, K.UNKNOWN, Change.RESOLVED),
        (K.LEAK, None, Change.RESOLVED),
        (K.OK, K.DEGRADED, Change.CHANGED),
        (K.INSPECTED, K.OK, Change.CHANGED),
        (None, K.OK, Change.CHANGED),
        (K.GAP, K.GAP, None),
        (K.OK, K.OK, None),
    ],
)
def test_classify(old: FindingKind | None, new: FindingKind | None, change: Change | None) -> None:
    assert classify(old, new) is change


def test_a_run_compared_with_itself_has_no_change() -> None:
    same = diff_runs(fixture_run(), fixture_run())
    assert not same.changed and same.findings == () and same.statuses == ()


def test_readiness_alone_is_a_change() -> None:
    run = fixture_run()
    flipped = replace(run, readiness=Readiness(ready=not run.readiness.ready, profiles=run.readiness.profiles))
    assert diff_runs(run, flipped).changed


def test_changes_are_sorted_by_sort_and_kind() -> None:
    diff = diff_runs(fixture_run(), later_run())
    assert [c.id for c in diff.of(Change.NEW, K.LEAK)] == ["marketing.linkedin.read"]
    assert diff.of(Change.NEW, K.GAP) == ()
    assert [c.id for c in diff.of(Change.RESOLVED, K.GAP)] == ["communications.facebook.post"]
    (resolved,) = diff.of(Change.RESOLVED)
    assert resolved.remediation == "" and "refused CONNECT" in resolved.detail

"""Runs to JSON and back: the shared fixture run survives a round trip whole, the saved fixture is in
step with the code that builds it, and every file that is not a run this netaudit reads gets one line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from netaudit import render
from netaudit.errors import ExitCode, InputError
from netaudit.model import AuditRun, FindingKind, ProbeRun, Status
from netaudit.render.document import audit_document as rendered_audit_document
from netaudit.render.formats import Format
from netaudit.runfile import (
    AUDIT_SCHEMA,
    audit_document,
    dump,
    from_document,
    load,
    load_audit,
    load_probe,
    loads,
)
from tests.fixtures.run import FORMULA, IMG_DESCRIPTION, SAVED, SCRIPT_TITLE, fixture_run


@pytest.fixture(scope="module")
def run() -> AuditRun:
    return fixture_run()


def _probe_run(run: AuditRun) -> ProbeRun:
    return ProbeRun(
        generated_at=run.started_at, version=run.version, environment=run.environment, results=run.observations
    )


# --- The fixture -------------------------------------------------------------------------------


def test_the_saved_fixture_is_in_step_with_the_code() -> None:
    assert SAVED.read_text(encoding="utf-8") == dump(fixture_run()), (
        "tests/data/fixture-run.json is stale: run `.venv/bin/python -m tests.fixtures.run`"
    )


def test_the_fixture_has_every_finding_status_and_route(run: AuditRun) -> None:
    assert {finding.finding for finding in run.findings} == set(FindingKind)
    assert {result.status for result in run.observations} == set(Status)
    routes = {route.profile: route for route in run.routes}
    assert routes["staff"].via == "direct" and not routes["staff"].control_failed
    assert routes["communications"].identity == "comms-audit" and routes["communications"].control is not None
    assert routes["guests"].problem and routes["guests"].control is None
    assert routes["branch"].control_failed
    assert {p.profile for p in run.readiness.profiles if p.ready} == {"marketing"}
    assert ("staff", "volunteers") in run.observation_profiles


def test_the_fixture_carries_hostile_strings(run: AuditRun) -> None:
    text = SAVED.read_text(encoding="utf-8")
    for hostile in (SCRIPT_TITLE, IMG_DESCRIPTION, FORMULA):
        assert json.dumps(hostile, ensure_ascii=False)[1:-1] in text


# --- Round trips -------------------------------------------------------------------------------


def test_an_audit_run_comes_back_whole(run: AuditRun) -> None:
    loaded = load_audit(SAVED)
    assert loaded == run
    for field in dataclasses.fields(AuditRun):
        assert getattr(loaded, field.name) == getattr(run, field.name), field.name
    assert dump(loaded) == dump(run)


def test_nested_types_are_restored(run: AuditRun) -> None:
    loaded = load_audit(SAVED)
    result = next(r for r in loaded.observations if r.status is Status.INSPECTED)
    assert result.tls is not None and result.tls.inspector == "Example Inspector"
    sinkholed = next(r for r in loaded.observations if r.status is Status.DNS_SINKHOLE)
    assert sinkholed.dns is not None and sinkholed.dns.note == FORMULA
    assert any(r.notes for r in loaded.observations)
    branch = next(route for route in loaded.routes if route.profile == "branch")
    assert branch.control is not None and branch.control.status is Status.PROXY_ERROR
    staff = loaded.policy.profiles["staff"]
    assert staff.rules.hours == run.policy.profiles["staff"].rules.hours and staff.rules.hours
    assert loaded.platforms[0].endpoints[0].capability.value == "read"


def test_a_loaded_run_renders_the_same_table(run: AuditRun) -> None:
    table = render.AUDIT.render(Format.TABLE, load_audit(SAVED))
    assert table == render.AUDIT.render(Format.TABLE, run)
    assert "Readiness:" in table


def test_a_probe_run_comes_back_whole(run: AuditRun, tmp_path: Path) -> None:
    probe = _probe_run(run)
    path = tmp_path / "probe.json"
    path.write_text(dump(probe), encoding="utf-8")
    loaded = load_probe(path)
    assert loaded == probe
    assert render.PROBE.render(Format.TABLE, loaded) == render.PROBE.render(Format.TABLE, probe)


def test_render_document_delegates_to_runfile(run: AuditRun) -> None:
    ids = [platform.id for platform in run.platforms]
    assert rendered_audit_document(run, ids) == audit_document(run)


def test_the_audit_document_only_adds_fields(run: AuditRun) -> None:
    document = audit_document(run)
    assert document["schema"] == AUDIT_SCHEMA
    before = [  # the audit/1 keys before host, site, catalog version, platforms and routes came
        "schema", "tool", "started_at", "finished_at", "organization", "profiles",
        "environment", "observations", "findings", "readiness",
    ]  # fmt: skip
    assert set(before) <= set(document)
    added = {"host", "site", "catalog_version", "platforms", "routes", "profile_sources"}
    assert set(document) - set(before) == added
    profile = document["profiles"][0]
    assert {"access", "default", "rules", "proxy"} <= set(profile)
    assert document["host"] == "ws-17" and document["catalog_version"].startswith("sha256:")


def test_a_document_without_the_new_fields_still_loads(run: AuditRun) -> None:
    document = audit_document(run)
    for key in ("host", "site", "catalog_version", "platforms", "routes", "profile_sources"):
        del document[key]
    for profile in document["profiles"]:
        del profile["access_listed"], profile["source"]
    loaded = from_document(document, "old.json")
    assert isinstance(loaded, AuditRun)
    assert (loaded.findings, loaded.observations, loaded.readiness) == (run.findings, run.observations, run.readiness)
    staff = loaded.policy.profiles["staff"]
    assert [staff.access_to(p) for p in ("facebook", "linkedin")] == [
        run.policy.profiles["staff"].access_to(p) for p in ("facebook", "linkedin")
    ]


def test_fields_a_newer_writer_adds_are_ignored(run: AuditRun) -> None:
    document = audit_document(run)
    document["merged_from"] = ["a.json"]
    document["observations"][0]["hop_limit"] = 3
    assert from_document(document, "newer.json") == run


# --- What is not a run -------------------------------------------------------------------------


def _problem(tmp_path: Path, content: str | bytes, name: str = "run.json") -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load(path)
    assert info.value.exit_code == ExitCode.USAGE
    message = str(info.value)
    assert "\n" not in message
    return message.replace(str(path), "FILE")


def _with(change: dict[str, Any]) -> str:
    document = audit_document(fixture_run())
    document.update(change)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"schema": "netaudit/audit/9"}',
            "FILE: schema 'netaudit/audit/9' is newer than this netaudit understands (netaudit/audit/1); "
            "upgrade netaudit",
        ),
        (
            '{"schema": "netaudit/probe/2", "results": []}',
            "FILE: schema 'netaudit/probe/2' is newer than this netaudit understands (netaudit/probe/1); "
            "upgrade netaudit",
        ),
        ('{"schema": "netaudit/audit/0"}', "FILE: schema 'netaudit/audit/0' is older than any this netaudit reads "
         "(netaudit/audit/1)"),
        (
            '{"schema": "netaudit/catalog/1", "platforms": []}',
            "FILE: schema 'netaudit/catalog/1' is not a netaudit run (runs are netaudit/audit/1, netaudit/probe/1)",
        ),
        ('{"findings": []}', 'FILE: not a netaudit run (no "schema" field such as "netaudit/audit/1")'),
        ("[1, 2]", 'FILE: not a netaudit run (no "schema" field such as "netaudit/audit/1")'),
        ('{\n  "schema": "netaudit/audit/1",\n  "tool" {}\n}', "FILE:3: not valid JSON: Expecting ':' delimiter "
         "(column 10)"),
        ("", "FILE:1: not valid JSON: Expecting value (column 1)"),
        (b'{"schema": "netaudit/audit/1", "site": "caf\xe9"}', "FILE: not a netaudit run (not UTF-8 text, byte 0xe9)"),
        ('{"schema": "netaudit/audit/1"}', "FILE: top level: missing field 'organization'"),
        (_with({"tool": []}), "FILE: tool: expected an object, got a list"),
        (
            _with({"readiness": {"ready": "yes", "profiles": []}}),
            "FILE: readiness.ready: expected true or false, got a string ('yes')",
        ),
    ],
)  # fmt: skip
def test_one_line_for_what_is_not_a_run(tmp_path: Path, content: str | bytes, message: str) -> None:
    assert _problem(tmp_path, content) == message


def test_a_bad_field_deep_inside_names_its_path(tmp_path: Path) -> None:
    document = audit_document(fixture_run())
    document["observations"][3]["status"] = "bogus"
    document["findings"][1]["capability"] = 7
    message = _problem(tmp_path, json.dumps(document))
    known = ", ".join(status.value for status in Status)
    assert message == f"FILE: observations[3].status: unknown value 'bogus' (known: {known})"
    del document["observations"][3]["status"]
    assert _problem(tmp_path, json.dumps(document)) == "FILE: observations[3]: missing field 'status'"


def test_the_wrong_kind_of_run(tmp_path: Path, run: AuditRun) -> None:
    path = tmp_path / "probe.json"
    path.write_text(dump(_probe_run(run)), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_audit(path)
    assert str(info.value) == f"{path}: a netaudit/probe/1 run, not a netaudit/audit/1 document"
    with pytest.raises(InputError, match="cannot read the file"):
        load(tmp_path / "missing.json")
    assert isinstance(loads(dump(run), "x.json"), AuditRun)

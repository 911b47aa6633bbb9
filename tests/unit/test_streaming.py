"""Streamed output: the JSON probe document written result by result is the one `render` builds whole,
results stay in input order, and an output file appears only once complete."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netaudit.errors import EnvironmentProblem
from netaudit.model import DnsEvidence, Layer, ProbeResult, ProbeRun, Route, Status, Target, TlsEvidence
from netaudit.render import json as json_render
from netaudit.render.document import plain, probe_document, probe_head
from netaudit.runner import probe_in_order
from netaudit.store import atomic_file


def _result(n: int) -> ProbeResult:
    return ProbeResult(
        id=f"https://t{n}.test/",
        url=f"https://t{n}.test/",
        platform="x" if n % 2 else None,
        capability=None,
        status=Status.REACHABLE if n % 3 else Status.TCP_TIMEOUT,
        layer=Layer.HTTP,
        detail=f"détail «{n}»\nwith a newline",
        route=Route.DIRECT,
        dns=DnsEvidence(name=f"t{n}.test", resolver="192.0.2.53", answers=("192.0.2.1", "192.0.2.2")),
        tls=TlsEvidence(issuer="CN=CA", verified_trusted=True) if n % 3 else None,
        timings_ms={"dns": 1.5, "tcp": 0.2},
        elapsed_ms=2.0,
        notes=("a note",) if n == 2 else (),
    )


@pytest.mark.parametrize("count", [0, 1, 5])
def test_streamed_document_is_the_rendered_one(count: int) -> None:
    run = ProbeRun(
        generated_at="2026-11-30T08:00:00+00:00",
        version="9.9",
        environment={"proxy": "none", "host": "h"},
        results=tuple(_result(n) for n in range(count)),
    )
    pieces: list[str] = []
    head = probe_head(run.generated_at, run.version, run.environment)
    json_render.stream(head, "results", map(plain, run.results), pieces.append)
    assert "".join(pieces) == json_render.render(probe_document(run))
    assert len(json.loads("".join(pieces))["results"]) == count


def test_streamed_document_is_what_json_dumps_writes() -> None:
    run = ProbeRun("2026-11-30T08:00:00+00:00", "9.9", {"proxy": "none"}, tuple(_result(n) for n in range(4)))
    pieces: list[str] = []
    json_render.stream(probe_head(run.generated_at, run.version, run.environment), "results",
                       map(plain, run.results), pieces.append)  # fmt: skip
    assert "".join(pieces) == json.dumps(probe_document(run), indent=2, ensure_ascii=False) + "\n"


_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text()
    | st.sampled_from(["", "\u2028", "\x00", "é", "\ud800", '"\\/', "\U0001f600"])
)  # fmt: skip
_KEYS = st.text() | st.integers() | st.floats() | st.booleans() | st.none()
_JSONISH = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=30,
)


@given(value=_JSONISH, indent=st.sampled_from(["", "    "]))
def test_indented_is_json_dumps_with_indent_2(value: object, indent: str) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)
    assert json_render.indented(value, indent) == expected


def test_indented_refuses_what_json_refuses() -> None:
    for bad in ({"a": {1, 2}}, [object()], {(1, 2): "tuple key"}):
        with pytest.raises(TypeError):
            json.dumps(bad)
        with pytest.raises(TypeError):
            json_render.indented(bad)


class _Sleepy:
    """Earlier targets take longer, so results finish in reverse order."""

    def probe(self, target: Target) -> ProbeResult:
        time.sleep(0.02 * (10 - int(target.id)))
        return _result(int(target.id))


def test_results_come_in_input_order_as_soon_as_due() -> None:
    targets = [Target(id=str(n), url=f"https://t{n}.test/") for n in range(10)]
    finished: list[str] = []
    got = [r.url for r in probe_in_order(_Sleepy(), targets, 10, lambda r: finished.append(r.url))]
    assert got == [_result(n).url for n in range(10)]
    assert finished != got  # they did finish out of order; the iterator put them back


def test_an_interrupted_stream_leaves_no_file_and_the_earlier_one_alone(tmp_path: Path) -> None:
    target = tmp_path / "probe.json"
    target.write_text("earlier report")
    with pytest.raises(KeyboardInterrupt), atomic_file(target) as handle:
        handle.write('{"results": [')
        raise KeyboardInterrupt
    assert target.read_text() == "earlier report"
    assert [p.name for p in tmp_path.iterdir()] == ["probe.json"]


def test_a_streamed_file_appears_complete(tmp_path: Path) -> None:
    target = tmp_path / "out" / "probe.json"
    seen_during: list[bool] = []
    with atomic_file(target) as handle:
        handle.write("{}")
        seen_during.append(target.exists())
    assert seen_during == [False] and target.read_text() == "{}"


def test_an_unwritable_folder_is_an_environment_problem(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(EnvironmentProblem, match="cannot write"), atomic_file(blocker / "probe.json"):
        pass


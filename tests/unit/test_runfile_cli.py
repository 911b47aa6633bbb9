"""What `netaudit probe --format json` really writes loads back as the same run (an engine run on loopback)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from netaudit.cli import cli
from netaudit.model import Status
from netaudit.runfile import load_probe, probe_document
from tests.unit.test_cli import _probe_args, origin, runner  # noqa: F401 - fixtures


def test_a_saved_probe_run_loads_back(
    runner: CliRunner,  # noqa: F811 - the fixture imported above
    origin: tuple[str, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    target = tmp_path / "probe.json"
    result = runner.invoke(cli, _probe_args(origin, "--format", "json", "-o", str(target)))
    assert result.exit_code == 0, result.output
    loaded = load_probe(target)
    (probe,) = loaded.results
    assert probe.status is Status.REACHABLE and probe.tls is not None and probe.http is not None
    assert probe_document(loaded) == json.loads(target.read_text(encoding="utf-8"))

"""The README keeps up with the code: every command, exit code, status, finding and option variable."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from netaudit.cli import cli
from netaudit.errors import ExitCode
from netaudit.model import FindingKind, Status

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "netaudit") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += _commands(command, path)
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_has_help_and_a_readme_entry(path: str, command: click.Command) -> None:
    assert (command.help or "").strip(), f"{path} has no help text"
    assert f"`{path}" in README, f"{path} is missing from README.md"
    if not isinstance(command, click.Group):
        assert "Examples:" in (command.epilog or ""), f"{path} --help shows no examples"


def test_every_option_variable_is_documented() -> None:
    for path, command in COMMANDS:
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            if isinstance(envvar, str):
                assert envvar in README, f"{envvar} ({path}) is missing from README.md"


@pytest.mark.parametrize("code", list(ExitCode))
def test_every_exit_code_is_documented(code: ExitCode) -> None:
    assert f"| {int(code)} |" in README


@pytest.mark.parametrize("status", list(Status))
def test_every_status_is_documented(status: Status) -> None:
    assert f"| `{status.value}` |" in README


@pytest.mark.parametrize("finding", list(FindingKind))
def test_every_finding_is_documented(finding: FindingKind) -> None:
    assert f"| `{finding.value}` |" in README


PACKAGE = Path(__file__).resolve().parents[2] / "netaudit"
MODULES = sorted(
    str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py") if path.name not in ("__init__.py", "__main__.py")
)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_in_the_readme_layout(module: str) -> None:
    layout = README[README.index("## Layout") :]
    assert f"| `{module}` |" in layout, f"README's Layout section does not name netaudit/{module}"


def test_the_readme_layout_names_no_module_that_is_gone() -> None:
    layout = README[README.index("## Layout") :]
    named = {line.split("`")[1] for line in layout.splitlines() if line.startswith("| `")}
    gone = [name for name in named if not (PACKAGE / name).exists()]
    assert not gone, f"README's Layout names modules that do not exist: {gone}"

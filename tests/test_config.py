"""The config file: strict checks (every problem, FILE:LINE: field: what), where it is found, what wins
over it (options, then environment variables), `netaudit config show` and `netaudit schedule` reading it."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from croniter import croniter

from netaudit.cli import cli
from netaudit.config import CONFIG_NAME, load_config, locate
from netaudit.errors import ExitCode, InputError
from netaudit.resources import builtin_profiles_dir

CLEAN_ENV = {
    name: None
    for name in (
        "NETAUDIT_CONFIG",
        "NETAUDIT_PROXY",
        "NETAUDIT_SITE",
        "NETAUDIT_TIMEOUT",
        "NETAUDIT_KEEP",
        "NETAUDIT_PROFILES",
        "NETAUDIT_PROXY_PASSWORD",
        "NETAUDIT_PROXY_PASSWORD_STAFF",
        "HTTPS_PROXY",
        "HTTP_PROXY",
    )
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=CLEAN_ENV)


def _write(folder: Path, text: str, name: str = CONFIG_NAME) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_a_good_file_reads_paths_against_its_own_folder(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'profiles = ["profiles", "/etc/netaudit/more.toml"]\nsite = "leeds"\nkeep = 30\nkeep_days = 7.5\n'
        'proxy = "http://audit@proxy.corp:3128"\noutput_dir = "reports"\nquiet = true\nalert_on = "change"\n',
    )
    config = load_config(path)
    assert config.settings["profiles"].value == (tmp_path / "profiles", Path("/etc/netaudit/more.toml"))
    assert config.settings["output_dir"].value == tmp_path / "reports"
    assert (config.settings["keep"].value, config.settings["keep_days"].value) == (30, 7.5)
    assert config.where("keep") == f"{path}:3"
    assert config.defaults_for({"profile_paths": "profiles", "site": "site", "nothing": "timeout"}) == {
        "profile_paths": [tmp_path / "profiles", Path("/etc/netaudit/more.toml")],
        "site": "leeds",
    }


def test_every_problem_is_named_with_file_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "\n".join(
            [
                'site = "leeds office"',  # 1
                "keep = 0",  # 2
                "timeout = 'fast'",  # 3
                'proxy = "http://audit:hunter2@proxy:3128"',  # 4
                'proxy_password = "hunter2"',  # 5
                'alert_on = "sometimes"',  # 6
                "colour = true",  # 7
                "concurrency = 2.5",  # 8
                "quiet = 'yes'",  # 9
            ]
        )
        + "\n",
    )
    with pytest.raises(InputError) as caught:
        load_config(path)
    lines = caught.value.problems  # type: ignore[attr-defined]
    assert lines == [
        f"{path}:1: site: 'leeds office': use 1 to 63 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit",
        f"{path}:2: keep: 0 is out of range (1 to 1000000)",
        f"{path}:3: timeout: expected a number, got a string ('fast')",
        f"{path}:4: proxy: a password never goes in the config file: leave it out of the URL (see proxy_user)",
        f"{path}:5: proxy_password: passwords never go in the config file: netaudit reads them from environment "
        "variables (NETAUDIT_PROXY_PASSWORD, or the variable a profile names in proxy_password_env)",
        f"{path}:6: alert_on: 'sometimes' is not one of change, gap, never",
        f"{path}:7: colour: unknown key 'colour' (allowed: {', '.join(__import__('netaudit.config').config.KEYS)})",
        f"{path}:8: concurrency: expected an integer, got a float (2.5)",
        f"{path}:9: quiet: expected true or false, got a string ('yes')",
    ]
    assert "hunter2" not in " ".join(lines)


def test_a_broken_file_is_one_line_with_its_position(tmp_path: Path) -> None:
    path = _write(tmp_path, 'site = "leeds"\nkeep = \n')
    with pytest.raises(InputError, match=rf"^{path}:2:8: invalid TOML: "):
        load_config(path)


def test_which_file_is_read(tmp_path: Path) -> None:
    assert locate(None, None, tmp_path) == (None, "")
    _write(tmp_path, "")
    assert locate(None, None, tmp_path) == (tmp_path / CONFIG_NAME, "netaudit.toml in the working folder")
    assert locate(None, "/etc/n.toml", tmp_path) == (Path("/etc/n.toml"), "NETAUDIT_CONFIG")
    assert locate(Path("x.toml"), "/etc/n.toml", tmp_path) == (Path("x.toml"), "--config")


# --- through the command line ------------------------------------------------------------------


def _settings(output: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in output.splitlines():
        if line.startswith("--"):
            parts = [part for part in line.split("  ") if part.strip()]
            if len(parts) == 3:
                rows[parts[0].strip()] = (parts[1].strip(), parts[2].strip())
            else:
                rows[parts[0].strip()] = ("", parts[-1].strip())
    return rows


def test_options_and_variables_win_over_the_file(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, 'timeout = 5\nconcurrency = 4\nproxy = "http://audit@proxy.corp:3128"\n', "n.toml")
    env = {"NETAUDIT_CONFIG": str(path), "NETAUDIT_TIMEOUT": "7", "NETAUDIT_PROXY_PASSWORD": "hunter2"}
    result = runner.invoke(cli, ["config", "show"], env=env)
    assert result.exit_code == 0, result.output
    rows = _settings(result.output)
    assert rows["--timeout"] == ("7.0", "environment NETAUDIT_TIMEOUT")
    assert rows["--concurrency"] == ("4", f"config {path}:2")
    assert rows["--proxy"] == ("http://audit@proxy.corp:3128", f"config {path}:3")
    assert rows["--fail-on"] == ("gap", "default")
    assert f"config file: {path} (from NETAUDIT_CONFIG)" in result.output
    assert "password variable NETAUDIT_PROXY_PASSWORD: set" in result.output
    assert "hunter2" not in result.output

    # On the command line of the audit itself, an option beats both.
    result = runner.invoke(cli, ["config", "show", "--config", str(path)], env={"NETAUDIT_CONCURRENCY": "9"})
    rows = _settings(result.output)
    assert rows["--concurrency"] == ("9", "environment NETAUDIT_CONCURRENCY")
    assert f"config file: {path} (from --config)" in result.output


def test_a_bad_config_stops_every_command_with_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "keep = -1\ncolour = 1\n")
    result = runner.invoke(cli, ["audit", "--config", str(path)])
    assert result.exit_code == ExitCode.USAGE
    assert f"netaudit: error: {path}:1: keep: -1 is out of range" in result.output
    assert f"{path}:2: colour: unknown key" in result.output
    assert "Traceback" not in result.output
    assert runner.invoke(cli, ["audit", "--config", str(path), "--help"]).exit_code == 0


def test_schedule_prints_a_crontab_from_the_config(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    example = builtin_profiles_dir() / "example-corp.toml"
    _write(tmp_path, f'profiles = "{example}"\nsite = "leeds"\nevery = "hourly"\nkeep = 30\n')
    env = {"NETAUDIT_PROXY": "http://p.corp:3128", "TZ": "Europe/London"}  # a host on the organisation's clock
    result = runner.invoke(cli, ["schedule", "--alert-on", "change"], env=env)
    assert result.exit_code == 0, result.output
    jobs = [line for line in result.output.splitlines() if line and not line.startswith("#")]
    assert len(jobs) == 1 + 2 * 3  # hourly, plus both sides of staff's three windows
    fields, command = jobs[0].split(" cd ", 1)
    assert fields == "7 * * * *" and croniter.is_valid(fields)
    argv = shlex.split(command.split(" && ")[-1])
    assert argv[argv.index("audit") :] == [
        "audit",
        "--config",
        str(tmp_path / CONFIG_NAME),
        "--save",
        "--quiet",
        "--alert-on",
        "change",
        "--proxy",
        "http://p.corp:3128",
    ]  # the site, retention and profiles stay in the config file the job reads
    assert f"set -a && . {tmp_path}/netaudit.env && set +a" in jobs[0]
    assert "NETAUDIT_PROXY_PASSWORD_STAFF" in result.output
    for line in jobs:
        assert croniter.is_valid(" ".join(line.split()[:5]))
    assert all(line.endswith("--profile staff") for line in jobs[1:])


def test_schedule_systemd_units(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["schedule", "--systemd", "--site", "york", "--no-windows", "--every", "0 7 * * 1-5"])
    assert result.exit_code == 0, result.output
    assert "# --- netaudit-york.service ---" in result.output and "# --- netaudit-york.timer ---" in result.output
    assert "OnCalendar=Mon..Fri *-*-* 7:0:00" in result.output
    assert "--site york" in result.output


def test_schedule_refuses_a_bad_every(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["schedule", "--every", "often"])
    assert result.exit_code == ExitCode.USAGE
    assert "--every 'often': expected hourly, daily, weekly or five cron fields" in result.output


def test_a_form_only_some_commands_have_applies_to_those(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, 'format = "html"\n')
    rows = _settings(runner.invoke(cli, ["config", "show", "--config", str(path)]).output)
    assert rows["--format"] == ("html", f"config {path}:1")
    result = runner.invoke(cli, ["probe", "--config", str(path), "--help"])
    assert result.exit_code == 0
    result = runner.invoke(cli, ["catalog", "list", "--format", "json"])
    assert result.exit_code == 0
    result = runner.invoke(cli, ["probe", "--config", str(path), "--input", str(tmp_path / "none.txt")])
    assert "Invalid value for '--format'" not in result.output


def test_the_profiles_commands_read_the_config_too(runner: CliRunner, tmp_path: Path) -> None:
    profiles = tmp_path / "corp.toml"
    profiles.write_text(
        '[organization]\nname = "Config Corp"\nowner = "IT"\ntimezone = "UTC"\n\n'
        '[profiles.guests]\ndescription = "visitors"\naccess = {}\ndefault = "none"\n'
    )
    path = _write(tmp_path, 'profiles = "corp.toml"\n')
    result = runner.invoke(cli, ["profiles", "validate", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok: 1 profiles (guests) of Config Corp" in result.output
    listed = runner.invoke(cli, ["profiles", "list", "--config", str(path)], env={"NETAUDIT_PROFILES": None})
    assert "Config Corp" in listed.output


def test_schedule_never_prints_a_password(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["schedule", "--no-windows"], env={"NETAUDIT_PROXY": "http://audit:hunter2@p.corp:3128"})
    assert result.exit_code == ExitCode.USAGE
    assert "--proxy http://audit:***@p.corp:3128 carries a password" in result.output
    assert "hunter2" not in result.output

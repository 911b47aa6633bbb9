"""The `netaudit` command: parse options, build the objects, call the library, pick a renderer, exit.

This package is the only part of netaudit that knows click, prints, or exits. `app.py` holds the
group and the entry point; each `*_cmd.py` one command or group of commands; `options.py` and
`common.py` what they share. The library is imported inside the commands, so `netaudit --version`,
`--help` and shell completion start fast.
"""

from __future__ import annotations

from netaudit.cli import audit_cmd, config_cmd, info_cmd, probe_cmd, runs_cmd, schedule_cmd
from netaudit.cli.app import cli, main

__all__ = ["audit_cmd", "cli", "config_cmd", "info_cmd", "main", "probe_cmd", "runs_cmd", "schedule_cmd"]

"""The audit table of a real run, through the CLI: nothing resolves (DNS goes to a closed loopback port)."""

from __future__ import annotations

import json
import socket

from click.testing import CliRunner

from netaudit.cli import cli


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_audit_table_and_json_of_one_real_run() -> None:
    runner = CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})
    # The run's own route is a proxy whose name does not resolve; --control none: no vantage-point check.
    args = ["audit", "--proxy", "http://proxy.example.corp:3128", "--resolver", f"127.0.0.1:{_closed_port()}"]
    args += ["--timeout", "1", "--platform", "linkedin", "--profile", "staff", "--profile", "guests"]
    args += ["--fail-on", "never", "--control", "none"]
    table = runner.invoke(cli, [*args, "--format", "table"])
    assert table.exit_code == 0, table.output
    document = json.loads(runner.invoke(cli, [*args, "--format", "json"]).stdout)
    text = table.stdout
    for heading in ("1. Who will have access", "2. Are there firewalls", "3. What are the rules", "Readiness:"):
        assert f"\n{heading}" in text
    assert f"{len(document['findings'])} checks: " in text
    # staff's password variable is unset: not probed, and the table says which variable to set.
    staff = next(line for line in text.splitlines() if line.startswith("staff "))
    assert "not probed" in staff
    assert "- staff (" in text and "NETAUDIT_PROXY_PASSWORD_STAFF" in text
    # guests go through their own proxy, whose name does not resolve: unknown, with the reason.
    guests = next(line for line in text.splitlines() if line.startswith("guests "))
    assert "http://proxy.example.corp:3129" in guests and guests.split()[-1] == "none"
    assert "- guests (4 checks): proxy_error: cannot resolve the proxy" in text
    # Not probed, so neither side of staff's firewall hours was seen.
    assert "enforced by firewall\n" in text


def test_a_failed_control_is_said_at_the_top_of_the_table() -> None:
    runner = CliRunner(env={"HTTPS_PROXY": None, "HTTP_PROXY": None, "https_proxy": None, "http_proxy": None})
    args = ["audit", "--no-proxy", "--resolver", f"127.0.0.1:{_closed_port()}", "--timeout", "1"]
    args += ["--platform", "linkedin", "--profile", "staff", "--control", "https://status.example.net/"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 3, result.output
    heading = result.stdout.split("\n\n", 1)[0]
    assert "THIS AUDIT COULD NOT RUN for staff: this vantage point cannot reach the internet directly" in heading
    assert "(control https://status.example.net/: dns_error" in heading

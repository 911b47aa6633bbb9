"""Unattended audits in the lab: the job `netaudit schedule` prints, run as cron would run it, against a
Squid of this test's own (one port, Basic auth, a time ACL and a blocklist file), so the shared lab's
proxy is never reconfigured.

The story: a run inside staff's window (open side), a run after it (closed side) that changes
nothing, then the proxy is reconfigured to block the upload host and the next run alerts (exit 1,
a short message naming what changed, for whom, since which run). An overlapping run stops with
exit 3 naming the holder, a run killed mid-way leaves earlier reports intact, and `netaudit merge`
of the site's runs says both sides of staff's window were verified.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.netlab import HOSTS, Lab
from tests.netlab.namespaces import ns_argv, run, tcp_connects
from tests.netlab.plan import GATEWAY_ADDR
from tests.netlab.procs import Service, start_service
from tests.netlab.squid import HELPERS, SQUID, SQUID_USER, write_passwd

pytestmark = pytest.mark.integration

CATALOG = Path(__file__).resolve().parent.parent / "data" / "lab-catalog"
OFFICE_PORT = 3141
PASSWORDS = {"alice": "alice-office-pw", "bob": "bob-office-pw"}
FACADE = (HOSTS.denied, HOSTS.api)
"""The lab catalog's other platform, which no profile here may use: blocked from the start."""


@dataclass
class Office:
    """This test's proxy: where its files are and how to reconfigure it."""

    service: Service
    folder: Path
    blocked: Path
    window: tuple[datetime, datetime]
    """The staff window (UTC, minute precision): it contains the first run, not the later ones."""

    def block(self, *hosts: str) -> None:
        """Add to the blocklist and have Squid re-read its configuration (SIGHUP, as `squid -k reconfigure`)."""
        self.blocked.write_text("".join(f"{host}\n" for host in (*FACADE, *hosts)))
        self.service.signal(signal.SIGHUP)


def _squid_conf(folder: Path, blocked: Path, window: tuple[datetime, datetime]) -> str:
    start, end = (moment.astimezone() for moment in window)  # Squid's time ACL reads the local clock
    last = end - timedelta(minutes=1)  # Squid's end minute is inclusive, the profile's is not
    return textwrap.dedent(
        f"""\
        http_port {GATEWAY_ADDR}:{OFFICE_PORT} name=office
        pid_filename {folder / "squid.pid"}
        cache_log {folder / "cache.log"}
        access_log stdio:{folder / "access.log"}
        cache_store_log none
        coredump_dir {folder}
        logfile_rotate 0
        cache deny all
        cache_mem 8 MB
        cache_effective_user {SQUID_USER}
        visible_hostname office.corp.test
        dns_nameservers {GATEWAY_ADDR}
        hosts_file none
        pinger_enable off
        netdb_filename none
        shutdown_lifetime 1 seconds
        connect_timeout 5 seconds
        tcp_outgoing_address {GATEWAY_ADDR}
        connect_retries 0
        auth_param basic program {HELPERS / "basic_ncsa_auth"} {folder / "passwd"}
        auth_param basic children 3 startup=1 idle=1
        auth_param basic realm office proxy
        acl SSL_ports port 443
        acl Safe_ports port 80 443
        acl CONNECT method CONNECT
        acl authenticated proxy_auth REQUIRED
        acl staff proxy_auth bob
        acl neutral dstdomain {HOSTS.control}
        acl lunch time {start:%H:%M}-{last:%H:%M}
        acl blocked dstdomain "{blocked}"
        acl upload dstdomain {HOSTS.upload}
        http_access deny !Safe_ports
        http_access deny CONNECT !SSL_ports
        http_access deny !authenticated
        http_access allow neutral
        http_access deny blocked
        http_access deny staff upload
        http_access deny staff !lunch
        http_access allow all
        """
    )


def _window() -> tuple[datetime, datetime]:
    """From two minutes ago to the next minute boundary at least 25 s away (the first run ends before it)."""
    now = datetime.now(UTC)
    end = (now + timedelta(seconds=25)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return now.replace(second=0, microsecond=0) - timedelta(minutes=2), end


@pytest.fixture(scope="module")
def office(lab: Lab) -> Iterator[Office]:
    folder = lab.workdir / "office-squid"
    folder.mkdir()
    blocked = folder / "blocked.txt"
    blocked.write_text("".join(f"{host}\n" for host in FACADE))
    write_passwd(folder / "passwd", PASSWORDS)
    window = _window()
    conf = folder / "squid.conf"
    conf.write_text(_squid_conf(folder, blocked, window))
    entry = pwd.getpwnam(SQUID_USER)
    for path in (folder, *folder.iterdir()):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    run([SQUID, "-k", "parse", "-f", str(conf)])
    service = start_service(
        "office-squid", ns_argv(lab.net_ns, [SQUID, "-N", "-f", str(conf)]), folder / "squid.out",
        extra_logs=[folder / "cache.log"], stop_signal=signal.SIGINT,
    )  # fmt: skip
    try:
        service.wait_ready(lambda: tcp_connects(lab.client_ns, GATEWAY_ADDR, OFFICE_PORT, 0.5), 30)
        yield Office(service, folder, blocked, window)
    finally:
        service.stop()


def _profiles(lab: Lab, window: tuple[datetime, datetime]) -> str:
    proxy = lab.proxy_url(OFFICE_PORT)
    start, end = window
    return f"""
[organization]
name = "Lab Corp"
owner = "Communications"
timezone = "UTC"

[profiles.comms]
proxy = "{proxy}"
proxy_user = "alice"
proxy_password_env = "PW_OFFICE_ALICE"
access = {{ chirp = "post" }}
[profiles.comms.rules]
hours = ["daily 00:00-24:00"]
hours_enforced_by = "policy"
posting = "approved messages"
content = "brand guide"

[profiles.staff]
proxy = "{proxy}"
proxy_user = "bob"
proxy_password_env = "PW_OFFICE_BOB"
access = {{ chirp = "read" }}
[profiles.staff.rules]
hours = ["daily {start:%H:%M}-{end:%H:%M}"]
hours_enforced_by = "firewall"
posting = "staff do not post"
"""


@pytest.fixture(scope="module")
def job(lab: Lab, office: Office) -> tuple[Path, str]:
    """The working folder with its config, and the job line `netaudit schedule` printed for it."""
    workdir = lab.workdir / "office-job"
    workdir.mkdir()
    (workdir / "profiles.toml").write_text(_profiles(lab, office.window))
    (workdir / "netaudit.toml").write_text(
        textwrap.dedent(
            f"""\
            profiles = "profiles.toml"
            catalog = "{CATALOG}"
            resolver = "{lab.resolver}"
            ca_bundle = "{lab.workstation_trust}"
            public_roots = "{lab.public_roots}"
            timeout = 4
            control = "{lab.url(HOSTS.control)}"
            site = "lab-office"
            output_dir = "reports"
            keep = 10
            alert_on = "change"
            """
        )
    )
    env_file = workdir / "netaudit.env"
    env_file.write_text(f"PW_OFFICE_ALICE={PASSWORDS['alice']}\nPW_OFFICE_BOB={PASSWORDS['bob']}\n")
    env_file.chmod(0o600)
    printed = subprocess.run(
        [sys.executable, "-m", "netaudit", "schedule", "--no-windows"],
        capture_output=True, text=True, cwd=workdir, check=False, env={**os.environ, "NETAUDIT_CONFIG": ""},
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    (line,) = [entry for entry in printed.stdout.splitlines() if entry and not entry.startswith("#")]
    assert "PW_OFFICE_ALICE, PW_OFFICE_BOB" in printed.stdout
    assert PASSWORDS["alice"] not in printed.stdout
    return workdir, line.split(" ", 5)[5]  # the command after the five cron fields


def _cron(lab: Lab, command: str) -> subprocess.CompletedProcess[str]:
    """The job's command as cron runs it: /bin/sh -c, with cron's bare environment, in the client namespace."""
    return lab.exec_in_client(["/bin/sh", "-c", command], env={"SHELL": "/bin/sh"}, timeout=180)


def _saved(workdir: Path) -> list[str]:
    return sorted(p.name for p in (workdir / "reports").glob("lab-office_*.json"))


def test_a_scheduled_job_alerts_on_a_proxy_change_and_merges_both_sides(
    lab: Lab, office: Office, job: tuple[Path, str]
) -> None:
    workdir, command = job
    # 1. Inside staff's window: the open side. The first run has nothing to compare with: silent.
    first = _cron(lab, command)
    assert (first.returncode, first.stdout) == (0, ""), first.stderr
    assert len(_saved(workdir)) == 1

    # 2. After the window closes: the closed side. Nothing changed on the network: silent again.
    wait = (office.window[1] - datetime.now(UTC)).total_seconds() + 2
    time.sleep(max(wait, 0))
    second = _cron(lab, command)
    assert (second.returncode, second.stdout) == (0, ""), second.stdout + second.stderr

    # 3. Someone blocks the upload host on the proxy: the next run tells cron's mail.
    office.block(HOSTS.upload)
    _wait_denied(lab)
    third = _cron(lab, command)
    assert third.returncode == 1, third.stdout + third.stderr
    message = third.stdout
    earlier = _saved(workdir)[1].removesuffix(".json")
    assert message.startswith("netaudit: lab-office: 1 finding changed since ")
    assert "comms chirp post: ok -> gap (new gap)" in message
    assert earlier.split("_", 1)[1][:10] in message.splitlines()[0]
    assert len(_saved(workdir)) == 3

    # 4. The merged report of the site's runs: both sides of staff's window verified.
    runs = [str(workdir / "reports" / name) for name in _saved(workdir)]
    merged = subprocess.run(
        [sys.executable, "-m", "netaudit", "merge", *runs, "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert merged.returncode == 0, merged.stderr
    (window,) = json.loads(merged.stdout)["windows"]
    assert window["profile"] == "staff"
    assert window["open"]["held"] is True and window["closed"]["held"] is True, window
    assert window["open"]["at"] < window["closed"]["at"]


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from netaudit.folderlock import FolderLock

    FolderLock(Path(sys.argv[1])).acquire()
    print("locked", flush=True)
    time.sleep(120)
    """
)


def test_an_overlapping_run_stops_and_a_killed_one_damages_nothing(
    lab: Lab, office: Office, job: tuple[Path, str]
) -> None:
    workdir, command = job
    (workdir / "reports").mkdir(exist_ok=True)
    before = {p.name: p.read_bytes() for p in (workdir / "reports").iterdir() if not p.name.startswith(".")}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workdir / "reports")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        overlapping = _cron(lab, command)
        assert overlapping.returncode == 3, overlapping.stderr
        assert f"is in use by netaudit pid {holder.pid}, started " in overlapping.stderr
        assert overlapping.stdout == ""
    finally:
        holder.kill()
        holder.wait(timeout=30)
        if holder.stdout:
            holder.stdout.close()
    # A run killed while it probes (its whole process group: the shell cron starts, and netaudit):
    # nothing of it is saved, every earlier report is as it was.
    killed = subprocess.Popen(
        ns_argv(lab.client_ns, ["/bin/sh", "-c", command]), env=lab.client_env({}), cwd=workdir, start_new_session=True
    )
    time.sleep(0.8)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    after = {p.name: p.read_bytes() for p in (workdir / "reports").iterdir() if not p.name.startswith(".")}
    dated = {name: data for name, data in before.items() if not name.startswith("latest")}
    assert {name: data for name, data in after.items() if name in dated} == dated
    # Whatever is there is whole: latest.json is one of the dated runs, every run file parses.
    assert after["latest.json"] in [data for name, data in after.items() if not name.startswith("latest")]
    assert all(json.loads(data)["schema"] == "netaudit/audit/1" for data in after.values())
    # The lock the killed run held is gone with it: the next run goes ahead.
    assert _cron(lab, command).returncode in (0, 1)


def _wait_denied(lab: Lab) -> None:
    """Until the reconfigured Squid refuses the upload host (it re-reads its ACL files on SIGHUP)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = lab.curl(
            "--proxy", lab.proxy_url(OFFICE_PORT), "--proxy-user", f"alice:{PASSWORDS['alice']}",
            "--max-time", "5", "--output", "/dev/null", "--write-out", "%{http_connect}",
            lab.url(HOSTS.upload),
        )  # fmt: skip
        if answer.stdout.strip() == "403":
            return
        time.sleep(0.3)
    pytest.fail("the office Squid did not apply the new blocklist within 30 s")

"""The audit's plan: each (identity, endpoint) pair probed exactly once, counted with a stand-in prober."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from netaudit.audit import plan_audit, run_audit
from netaudit.catalog import load_catalog
from netaudit.identity import environment_passwords
from netaudit.model import FindingKind, Layer, ProbeResult, Route, Status, Target
from netaudit.net.config import NetConfig, build_netconfig
from netaudit.policy import load_policy
from netaudit.resources import builtin_profiles_dir

PASSWORDS = {
    "NETAUDIT_PROXY_PASSWORD_COMMS": "c",
    "NETAUDIT_PROXY_PASSWORD_MARKETING": "m",
    "NETAUDIT_PROXY_PASSWORD_STAFF": "s",
    "NETAUDIT_PROXY_PASSWORD_VOLUNTEERS": "v",
}


class CountingProbers:
    """Makes one stand-in prober per identity and counts every probe by (identity, endpoint)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.probes: Counter[tuple[str, str, str]] = Counter()

    def __call__(self, config: NetConfig) -> _Prober:
        return _Prober(self, config)


class _Prober:
    def __init__(self, counter: CountingProbers, config: NetConfig) -> None:
        self.counter = counter
        self.config = config

    def probe(self, target: Target) -> ProbeResult:
        proxy = self.config.proxy_for(target.url)
        with self.counter.lock:
            self.counter.probes[
                (proxy.masked() if proxy else "direct", proxy.username or "" if proxy else "", target.id)
            ] += 1
        return ProbeResult(
            id=target.id,
            url=target.url,
            platform=target.platform,
            capability=target.capability,
            status=Status.PROXY_DENIED,
            layer=Layer.PROXY,
            detail="denied",
            route=Route.PROXY,
            started_at="2026-11-26T12:30:00+00:00",
        )


def _base() -> NetConfig:
    return build_netconfig(proxy="http://proxy.example.corp:3128", environ={})


def test_five_profiles_over_the_builtin_catalog_probe_each_pair_once() -> None:
    catalog = load_catalog()
    policy = load_policy([builtin_profiles_dir()], catalog.names())
    assert len(policy.profiles) == 5
    probers = CountingProbers()
    run = run_audit(
        plan_audit(policy, catalog, _base(), probers, passwords=environment_passwords(PASSWORDS)), concurrency=8
    )
    endpoints = len(catalog.endpoints())
    assert set(probers.probes.values()) == {1}
    assert len(probers.probes) == 5 * endpoints  # five distinct identities
    assert len(run.observations) == 5 * endpoints
    assert len(run.findings) == 5 * sum(len({e.capability for e in p.endpoints}) for p in catalog.platforms.values())


def test_profiles_with_the_same_identity_share_probes(tmp_path: Path) -> None:
    catalog = load_catalog()
    text = (builtin_profiles_dir() / "example-corp.toml").read_text()
    text = text.replace('proxy_user = "mkt-audit"', 'proxy_user = "comms-audit"').replace(
        "NETAUDIT_PROXY_PASSWORD_MARKETING", "NETAUDIT_PROXY_PASSWORD_COMMS"
    )
    (tmp_path / "corp.toml").write_text(text)
    policy = load_policy([tmp_path], catalog.names())
    probers = CountingProbers()
    run = run_audit(
        plan_audit(policy, catalog, _base(), probers, passwords=environment_passwords(PASSWORDS)), concurrency=8
    )
    assert set(probers.probes.values()) == {1}
    assert len(probers.probes) == 4 * len(catalog.endpoints())
    shared = {names for names in run.observation_profiles if "communications" in names}
    assert shared == {("communications", "marketing")}


def test_a_profile_without_its_password_is_unknown_and_not_probed() -> None:
    catalog = load_catalog()
    policy = load_policy([builtin_profiles_dir()], catalog.names())
    environ = {k: v for k, v in PASSWORDS.items() if k != "NETAUDIT_PROXY_PASSWORD_STAFF"}
    probers = CountingProbers()
    run = run_audit(
        plan_audit(policy, catalog, _base(), probers, passwords=environment_passwords(environ)), concurrency=8
    )
    assert not any(user == "staff-audit" for _, user, _ in probers.probes)
    staff = [f for f in run.findings if f.profile == "staff"]
    assert staff and all(f.finding is FindingKind.UNKNOWN for f in staff)
    assert all("NETAUDIT_PROXY_PASSWORD_STAFF" in f.detail for f in staff)
    assert not any(f.finding is FindingKind.GAP for f in staff)

"""A remote target over SSH: a real OpenSSH server on a loopback port, serving the simulated
stack, reached as an operator's laptop reaches a server — an alias in ``~/.ssh/config``, the
host key in ``known_hosts``, a key file.

Every source goes through the one connection (the stack's database is MariaDB: SQLite cannot
be read through a link), and gives what a local run gives on the same stack.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from blazz_tui.collect import Collector
from blazz_tui.config import load_config
from blazz_tui.judge import Judge
from blazz_tui.sim.layout import Layout
from blazz_tui.snapshot import Snapshot
from blazz_tui.transport import make_transport
from tests.actions.support import accounts, audit, changed, pids
from tests.fixtures.mysql import TestDatabase
from tests.fixtures.sshd import SshSetup, keygen, ssh_setup
from tests.fixtures.stack import StackFactory, sim

pytestmark = pytest.mark.slow


def with_remote(layout: Layout, destination: str = "blazz-test", extra: str = "") -> Path:
    """The stack's config with a second target, ``remote``: the same stack through SSH."""
    text = layout.config_path.read_text()
    demo = text[text.index("[targets.demo]"):]
    remote = demo.replace("targets.demo", "targets.remote").replace(
        'transport = "local"', f'transport = "ssh"\nssh = "{destination}"{extra}')
    path = layout.path / "with-remote.toml"
    path.write_text(text + "\n" + remote)
    return path


@pytest.fixture
def mysql_stack(stack_factory: StackFactory, mysql_db: TestDatabase) -> Layout:
    return stack_factory(database=mysql_db.url)


def blazz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blazz_tui", *args], capture_output=True,
                          text=True, timeout=90, stdin=subprocess.DEVNULL)


def check_json(config: Path, target: str, *extra: str) -> tuple[int, dict[str, Any]]:
    result = blazz("-c", str(config), "--target", target, "--check", "--format", "json", *extra)
    return result.returncode, json.loads(result.stdout)


def snapshot_json(config: Path, target: str) -> dict[str, Any]:
    result = blazz("-c", str(config), "--target", target, "--snapshot", "-")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


async def read_all(config: Path, target: str) -> Snapshot:
    cfg = load_config(str(config))
    t = cfg.target(target)
    collector = Collector(t, make_transport(t), cfg.thresholds)
    try:
        readings = await asyncio.gather(*(collector.read(n) for n in collector.sources))
        for name, reading in zip(collector.sources, readings, strict=True):
            collector.store(name, reading)
        return collector.snapshot()
    finally:
        await collector.close()


def figures(s: Snapshot) -> dict[str, Any]:
    """What must read the same through the link as on the server itself."""
    assert s.supervisor and s.instances and s.database and s.redis and s.host and s.logs
    assert s.ports
    return {
        "programs": sorted((p.full_name, p.state, p.pid) for e in s.supervisor.endpoints
                           for p in e.processes),
        "instances": sorted((i.name, i.status, tuple(sorted(x.session_id for x in i.sessions
                                                            or ())))
                            for i in s.instances.instances),
        "accounts": sorted((a.uuid, a.session_id, a.assigned_instance_url)
                           for a in s.database.accounts),
        "failed": s.database.failed_total,
        "redis": (s.redis.run_id, s.redis.instance_url_keys),
        "host": (s.host.stats.cpu_count, s.host.stats.memory_total, s.host.stats.disk_total,
                 s.host.stats.boot_time) if s.host.stats else None,
        "logs": sorted(f.path for f in s.logs.files),
        "ports": sorted((p.name, p.open) for p in s.ports.ports),
        "errors": {n: r.error for n, r in s.readings().items() if r.error},
    }


def test_every_source_reads_the_same_through_ssh_as_on_the_server(
        sshd: SshSetup, mysql_stack: Layout) -> None:
    config = with_remote(mysql_stack)
    # The stack's traffic moves sessions now and then: three tries at reading both alike.
    for _ in range(3):
        local = figures(asyncio.run(read_all(config, "demo")))
        remote = figures(asyncio.run(read_all(config, "remote")))
        if local == remote:
            break
    assert remote == local
    assert local["errors"] == {} and local["programs"] and local["accounts"]


def test_check_over_ssh_says_what_a_local_check_says_and_names_the_link(
        sshd: SshSetup, mysql_stack: Layout) -> None:
    config = with_remote(mysql_stack)
    sim(mysql_stack, "fault", "kill-instance", str(mysql_stack.instance_ports[1]))
    time.sleep(1.0)

    local_code, local = check_json(config, "demo")
    remote_code, remote = check_json(config, "remote")

    statuses = {c["name"]: c["status"] for c in local["checks"]}
    over_ssh = {c["name"]: c["status"] for c in remote["checks"]}
    assert over_ssh.pop("link") == "OK"
    killed = f"instance:wa-{mysql_stack.instance_ports[1]}"
    assert over_ssh[killed] == statuses[killed] == "CRITICAL"
    assert remote_code == local_code
    snapshot = snapshot_json(config, "remote")
    assert snapshot["transport"] == "ssh://blazz-test"
    assert snapshot["link"]["up"] is True and snapshot["link"]["rtt"] > 0


def test_a_restart_and_a_sync_work_over_ssh_and_the_audit_names_the_host(
        sshd: SshSetup, mysql_stack: Layout) -> None:
    config = with_remote(mysql_stack)
    before_pids = pids(mysql_stack)
    reverb = next(name for name in before_pids if name.endswith("blazz-reverb"))
    restart = blazz("restart", "blazz-reverb", "--yes", "-c", str(config), "--target", "remote")
    assert restart.returncode == 0, restart.stdout + restart.stderr
    assert pids(mysql_stack)[reverb] != before_pids[reverb]

    # The scheduler's own sync (every 30 s) would race the test's on a loaded machine.
    sim(mysql_stack, "fault", "stop-worker", "blazz-scheduler")
    before = accounts(mysql_stack)
    sim(mysql_stack, "fault", "drift", "4")
    drifted = changed(before, accounts(mysql_stack))
    sync = blazz("sync", "--yes", "-c", str(config), "--target", "remote")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert "4 accounts to point at their instance" in sync.stdout
    assert changed(before, accounts(mysql_stack)) <= drifted

    sim(mysql_stack, "fault", "drift", "2")
    artisan = blazz("sync", "--mode", "artisan", "--yes", "-c", str(config), "--target", "remote")
    assert artisan.returncode == 0, artisan.stdout + artisan.stderr
    assert "Summary: 2 updated" in artisan.stdout  # the app's own command, run on the server

    entries = audit(mysql_stack)
    assert [(e["action"], e["target"], e["where"]) for e in entries] == [
        ("restart", "remote", "ssh://blazz-test"), ("sync", "remote", "ssh://blazz-test"),
        ("sync", "remote", "ssh://blazz-test")]


def test_a_link_lost_mid_restart_is_read_again_once_back_not_reported_failed(
        sshd: SshSetup, mysql_stack: Layout) -> None:
    """The link dies while the restarted program is STARTING (supervisord got both
    requests): the restart happened, and that is what the result and the audit say."""
    from blazz_tui.sim.programs import supervisor_for

    config = with_remote(mysql_stack)
    rpc = supervisor_for(mysql_stack).rpc()
    name = next(f"{p['group']}:{p['name']}" for p in rpc.supervisor.getAllProcessInfo()
                if p["name"] == "blazz-reverb")
    started_before = rpc.supervisor.getProcessInfo(name)["start"]
    proc = subprocess.Popen([sys.executable, "-m", "blazz_tui", "restart", "blazz-reverb",
                             "--yes", "-c", str(config), "--target", "remote"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while rpc.supervisor.getProcessInfo(name)["statename"] != "STARTING":
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    assert sshd.server.kill_sessions() >= 1  # mid-action: started, not yet settled
    out, _ = proc.communicate(timeout=60)
    info = rpc.supervisor.getProcessInfo(name)
    assert info["statename"] == "RUNNING" and info["start"] != started_before
    assert proc.returncode == 0, out
    assert f"✓ {name}: RUNNING, pid {info['pid']} (read again after:" in out
    [entry] = audit(mysql_stack)
    assert entry["result"]["outcome"] == "DONE"


def minimal_config(tmp_path: Path, ssh: str) -> Path:
    """A remote target whose every source is reached through the link."""
    path = tmp_path / "remote.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n'
                    f'[targets.remote]\ntransport = "ssh"\n{ssh}\n'
                    f'[targets.remote.database]\nurl = "mysql://root@127.0.0.1:3306/mysql"\n')
    return path


def test_an_unknown_host_key_is_refused_with_its_fingerprint(
        sshd: SshSetup, tmp_path: Path) -> None:
    known = sshd.server.ssh_dir / "known_hosts"
    known.write_text("")
    code, doc = check_json(minimal_config(tmp_path, 'ssh = "blazz-test"'), "remote")

    assert code == 3
    assert [c["name"] for c in doc["checks"]] == ["link"]  # one line, not a line per source
    summary = doc["checks"][0]["summary"]
    assert "host key of blazz-test is unknown" in summary
    assert sshd.server.fingerprint() in summary
    assert known.read_text() == ""


async def test_the_links_state_outlives_closing_it_for_the_last_snapshot(
        sshd: SshSetup, tmp_path: Path) -> None:
    (sshd.server.ssh_dir / "known_hosts").write_text("")
    cfg = load_config(str(minimal_config(tmp_path, 'ssh = "blazz-test"')))
    target = cfg.target("remote")
    collector = Collector(target, make_transport(target), cfg.thresholds)
    await collector.read("database")
    await collector.close()  # a one-shot takes its last snapshot while this runs

    link = collector.snapshot().link
    assert link is not None and link.error is not None and "is unknown" in link.error


def test_a_new_host_key_is_accepted_and_recorded_when_the_config_says_so(
        sshd: SshSetup, tmp_path: Path) -> None:
    known = sshd.server.ssh_dir / "known_hosts"
    known.write_text("")
    config = minimal_config(tmp_path, '[targets.remote.ssh]\nhost = "blazz-test"\n'
                                      'accept_new_host_key = true')

    code, doc = check_json(config, "remote")

    assert {c["name"]: c["status"] for c in doc["checks"]}["link"] == "OK", doc["checks"]
    assert known.read_text() == sshd.server.host_key_line() + "\n"


def test_a_changed_host_key_is_refused_even_when_new_keys_are_accepted(
        sshd: SshSetup, tmp_path: Path) -> None:
    other = tmp_path / "other_host_key"
    kind, key = keygen(other).split()[:2]
    known = sshd.server.ssh_dir / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.server.port} {kind} {key}\n")
    config = minimal_config(tmp_path, '[targets.remote.ssh]\nhost = "blazz-test"\n'
                                      'accept_new_host_key = true')

    code, doc = check_json(config, "remote")

    assert code == 3
    summary = {c["name"]: c["summary"] for c in doc["checks"]}["link"]
    assert summary.startswith("ssh link to blazz-test down")
    assert "HOST KEY CHANGED" in summary and sshd.server.fingerprint() in summary
    assert f"ssh-keygen -R '[127.0.0.1]:{sshd.server.port}'" in summary


def test_a_user_without_a_key_gets_a_clear_authentication_error(
        sshd: SshSetup, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger_key"
    keygen(stranger)
    config = minimal_config(tmp_path, f'[targets.remote.ssh]\nhost = "blazz-test"\n'
                                      f'key_file = "{stranger}"')

    code, doc = check_json(config, "remote")

    assert code == 3
    summary = {c["name"]: c["summary"] for c in doc["checks"]}["link"]
    assert "authentication refused by blazz-test" in summary


def test_an_unreachable_server_is_unknown_with_the_reason(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from blazz_tui.sim.layout import free_port

    monkeypatch.setenv("HOME", str(tmp_path))
    config = minimal_config(tmp_path, f'ssh = "root@127.0.0.1:{free_port()}"')

    code, doc = check_json(config, "remote", "-t", "5")

    assert code == 3
    summary = {c["name"]: c["summary"] for c in doc["checks"]}["link"]
    assert "cannot reach" in summary and "connection refused" in summary


async def test_a_proxyjump_through_a_second_sshd_reaches_the_target(
        sshd: SshSetup, tmp_path: Path) -> None:
    jump = ssh_setup(tmp_path, "jump")
    try:
        jump.write_client_config(alias="jumphost")
        sshd.write_client_config(extra="    ProxyJump jumphost", alias="behind-jump")
        cfg = load_config(str(minimal_config(tmp_path, 'ssh = "behind-jump"')))
        target = cfg.target("remote")
        collector = Collector(target, make_transport(target), cfg.thresholds)
        reading = await collector.read("database")
        through_jump = jump.server.sessions()

        assert reading.error is None
        assert collector.snapshot().link.up  # type: ignore[union-attr]
        assert through_jump, "the jump host carries the connection"
        await collector.close()
    finally:
        jump.server.stop()


async def test_a_dropped_link_is_one_line_the_panels_keep_their_data_and_it_recovers(
        sshd: SshSetup, tmp_path: Path) -> None:
    cfg = load_config(str(minimal_config(tmp_path, 'ssh = "blazz-test"')))
    target = cfg.target("remote")
    transport = make_transport(target)
    collector = Collector(target, transport, cfg.thresholds)
    judge = Judge(cfg.thresholds)

    async def poll() -> Snapshot:
        readings = await asyncio.gather(*(collector.read(n) for n in collector.sources))
        for name, reading in zip(collector.sources, readings, strict=True):
            collector.store(name, reading)
        return collector.snapshot()

    try:
        assert (await poll()).link.up  # type: ignore[union-attr]
        during = asyncio.ensure_future(poll())
        await asyncio.sleep(0.005)
        assert sshd.server.kill_sessions() >= 1  # the server side dies mid-poll
        await during
        for _ in range(200):
            if transport.link is not None and not transport.link.up:
                break
            await asyncio.sleep(0.01)
        down = collector.snapshot()
        frame = judge.frame(down)

        assert down.link is not None and not down.link.up
        link = [c for c in frame.checks if c.name == "link"]
        assert link and "down since" in link[0].summary and "connection lost" in link[0].summary
        # The machine's own load is not the target's health (other tests may load it).
        assert [c for c in frame.checks if c.status.value != "OK"
                and not c.name.startswith("host-")] == link
        assert down.database is not None and down.database.has_data

        for _ in range(40):  # it reconnects by itself, backing off while it cannot
            up = await poll()
            if up.link and up.link.up and up.database and up.database.error is None:
                break
            await asyncio.sleep(0.25)
        assert up.link is not None and up.link.up
        assert up.database is not None and up.database.error is None
    finally:
        await collector.close()


def test_an_alias_and_the_app_dir_are_enough_the_rest_comes_from_the_servers_env(
        sshd: SshSetup, mysql_stack: Layout, tmp_path: Path) -> None:
    config = tmp_path / "zero.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n[targets.prod]\ntransport = "ssh"\n'
                      f'ssh = "blazz-test"\napp_dir = "{mysql_stack.app_dir}"\n')

    snapshot = snapshot_json(config, "prod")

    assert snapshot["database"]["error"] is None and snapshot["database"]["accounts"]
    assert snapshot["redis"]["error"] is None
    # No instance list in the .env: the seeds' four on 3001-3004, each answering where the
    # stack got that port (another run on this machine may hold one of them).
    read = {i["name"]: i["error"] for i in snapshot["instances"]["instances"]}
    assert list(read) == ["wa-3001", "wa-3002", "wa-3003", "wa-3004"]
    ours = [f"wa-{p}" for p in mysql_stack.instance_ports if 3001 <= p <= 3004]
    if not ours:
        pytest.skip("the stack got none of the seeds' ports 3001-3004: nothing to compare")
    assert {name: read[name] for name in ours} == dict.fromkeys(ours)
    assert snapshot["logs"]["files"], "storage/logs of the server's app"


@pytest.mark.skipif(shutil.which("pm2") is None, reason="pm2 is not installed")
def test_pm2_over_ssh_reads_and_restarts_what_it_does_on_the_server(
        sshd: SshSetup, stack_factory: StackFactory, mysql_db: TestDatabase) -> None:
    stack = stack_factory(database=mysql_db.url, pm2=True)
    config = with_remote(stack)
    name = stack.pm2_name(stack.instance_ports[0])

    def pm2_checks(target: str) -> dict[str, str]:
        return {c["name"]: c["status"] for c in check_json(config, target)[1]["checks"]
                if c["name"].startswith("pm2:")}

    assert pm2_checks("remote") == pm2_checks("demo") == {
        f"pm2:{stack.pm2_name(p)}": "OK" for p in stack.instance_ports}
    restarted = blazz("restart", f"pm2:{name}", "-c", str(config), "--target", "remote",
                      "--yes")
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    summary = next(c["summary"] for c in check_json(config, "remote")[1]["checks"]
                   if c["name"] == f"pm2:{name}")
    assert summary.endswith(", 1 restart")

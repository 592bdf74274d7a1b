"""Pm2Source against a real PM2 daemon running simulated instances."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import psutil

from blazz_tui.collect import Collector
from blazz_tui.judge import Judge
from blazz_tui.rules import Status
from blazz_tui.settings import InstanceConfig, LogsConfig, Pm2Config, TargetConfig, Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.instances import InstancesSource
from blazz_tui.sources.pm2 import Pm2Reading, Pm2Source
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.pm2 import Pm2


def read(config: Pm2Config | None = None) -> Pm2Reading:
    return asyncio.run(Pm2Source(config or Pm2Config(), LocalTransport(), 10.0).read())


def test_processes_are_listed_with_their_port_pid_and_uptime(pm2: Pm2) -> None:
    name, port = pm2.start_instance()
    pm2.wait(name, lambda p: p["pm2_env"]["status"] == "online")
    time.sleep(1.0)

    reading = read()

    assert reading.error is None and reading.absent is None
    [proc] = reading.processes
    assert (proc.name, proc.status, proc.port) == (name, "online", port)
    assert proc.pid == next(p["pid"] for p in pm2.processes())
    assert proc.uptime is not None and 0.5 < proc.uptime < 60
    assert proc.memory > 0 and proc.restarts == 0


def test_a_killed_process_restarted_by_pm2_is_counted(pm2: Pm2) -> None:
    name, _ = pm2.start_instance()
    first = pm2.wait(name, lambda p: p["pm2_env"]["status"] == "online" and p["pid"])
    time.sleep(1.5)  # past PM2's min_uptime: the restart is not an unstable one
    psutil.Process(first["pid"]).kill()
    pm2.wait(name, lambda p: p["pm2_env"]["restart_time"] >= 1 and p["pid"])

    [proc] = read().processes

    assert proc.restarts == 1 and proc.pid != first["pid"]


def test_a_crash_looping_process_is_errored_and_critical(pm2: Pm2) -> None:
    name = pm2.start_crasher()
    pm2.wait(name, lambda p: p["pm2_env"]["status"] == "errored")

    reading = read()
    snap = Snapshot(target="t", transport="local", taken_at=time.time(), supervisor=None,
                    instances=None, database=None, redis=None, host=None, ports=None,
                    logs=None, pm2=reading)
    checks = {c.name: c for c in Judge(Thresholds()).frame(snap).checks}

    assert checks[f"pm2:{name}"].status is Status.CRITICAL
    assert checks[f"pm2:{name}"].summary.startswith("errored, ")
    assert "0 restarts" not in checks[f"pm2:{name}"].summary


def test_without_a_daemon_it_says_so_and_starts_none(tmp_path: Path) -> None:
    home = tmp_path / "no-pm2-here"
    home.mkdir()

    reading = read(Pm2Config(home=str(home)))

    assert reading.error is None and reading.processes == ()
    assert reading.absent is not None and f"no PM2 daemon runs with {home}" in reading.absent
    assert not (home / "pm2.pid").exists() and os.listdir(home) == []


def test_a_required_pm2_without_daemon_is_critical(tmp_path: Path) -> None:
    reading = read(Pm2Config(home=str(tmp_path), required=True))
    snap = Snapshot(target="t", transport="local", taken_at=time.time(), supervisor=None,
                    instances=None, database=None, redis=None, host=None, ports=None,
                    logs=None, pm2=reading)
    checks = {c.name: c for c in Judge(Thresholds()).frame(snap).checks}
    assert checks["pm2"].status is Status.CRITICAL


def test_a_down_instance_names_the_pm2_process_that_runs_it(pm2: Pm2) -> None:
    name, port = pm2.start_instance()
    pm2.wait(name, lambda p: p["pm2_env"]["status"] == "online")
    pm2.run("stop", name)

    instance = InstanceConfig(name=f"wa-{port}", url=f"http://127.0.0.1:{port}", api_key="k")
    instances = asyncio.run(InstancesSource((instance,), LocalTransport(), 2.0).read())
    snap = Snapshot(target="t", transport="local", taken_at=time.time(), supervisor=None,
                    instances=instances, database=None, redis=None, host=None, ports=None,
                    logs=None, pm2=read())
    checks = {c.name: c for c in Judge(Thresholds()).frame(snap).checks}

    check = checks[f"instance:wa-{port}"]
    assert check.status is Status.CRITICAL
    assert check.summary.endswith(f"; PM2 process {name} is stopped (0 restarts)")
    assert checks[f"pm2:{name}"].status is Status.WARNING


def test_an_instances_uptime_counts_the_restarts_pm2_made_between_two_reads(pm2: Pm2) -> None:
    name, port = pm2.start_instance()
    first = pm2.wait(name, lambda p: p["pm2_env"]["status"] == "online" and p["pid"])
    instance = InstanceConfig(name=f"wa-{port}", url=f"http://127.0.0.1:{port}", api_key="k")
    target = TargetConfig(instances=(instance,), database=None, redis=None, supervisor=(),
                          ports=(), logs=LogsConfig(files=()))
    collector = Collector(target, LocalTransport(), Thresholds())

    async def poll() -> None:
        for source in ("instances", "pm2"):
            collector.store(source, await collector.read(source))

    asyncio.run(poll())
    time.sleep(1.5)  # past PM2's min_uptime
    psutil.Process(first["pid"]).kill()
    pm2.wait(name, lambda p: p["pm2_env"]["restart_time"] >= 1 and p["pid"])
    asyncio.run(poll())  # the instance may well answer both reads: PM2's count says it restarted

    [uptime] = collector.snapshot().uptime
    assert (uptime.program, uptime.restarts_hour) == (f"pm2/{name}", 1)


def test_a_daemon_of_another_user_is_said_so(tmp_path: Path) -> None:
    """A mock: as root (CI) every PM2 home is readable, so the refusal a non-root monitor gets
    from another user's daemon cannot be produced here; pm2's own words are replayed."""
    from blazz_tui.transport.base import CommandResult

    home = tmp_path / "deploy-pm2"
    home.mkdir()
    (home / "pm2.pid").write_text(str(os.getpid()))  # a running process

    class Refused(LocalTransport):
        async def run(self, argv: list[str], timeout: float) -> CommandResult:
            return CommandResult(1, f"{home}\n", "Error: EACCES: permission denied, connect "
                                                 f"'{home}/rpc.sock'\n")

    reading = asyncio.run(Pm2Source(Pm2Config(home=str(home)), Refused(), 5.0).read())

    assert reading.error is not None
    assert reading.error.startswith(f"the PM2 daemon in {home} belongs to another user")

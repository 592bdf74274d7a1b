"""On a real Laravel app (Debian's Laravel 8.83, real ``queue:work`` workers under supervisord,
Laravel's own tables and its Redis cache store), blazz-tui tells the truth: the framework's
own cache reads are not the app's cache failing, another app's workers serve none of this
app's queues, workers are recognised as an operator reads their command lines and the
config, and a stopped worker is a problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis

from blazz_tui.check import CheckResult, run_check
from blazz_tui.laravel_env import target_from_env
from blazz_tui.settings import Config, LogsConfig, TargetConfig, WorkerConfig
from blazz_tui.sim.supervisord import ProgramSpec
from blazz_tui.sources.logs import LogsSource
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.laravel_app import Factory, LaravelApp, wait_for
from tests.fixtures.sshd import SshSetup

pytestmark = pytest.mark.slow


def target_of(app: LaravelApp, **changes: Any) -> TargetConfig:
    """The target zero-config reads from the app's .env, with its own supervisord and no
    WhatsApp instances (this app has none)."""
    assert app.supervisor is not None
    target = target_from_env(app.directory, {})
    return replace(target, supervisor=(app.supervisor.endpoint(),), supervisor_required=True,
                   instances=(), ports=(), pm2=None, **changes)


def check(app: LaravelApp, state: Path, **changes: Any) -> CheckResult:
    target = target_of(app, **changes)
    config = Config(targets=(target,), default_target=target.name, state_dir=str(state))
    return run_check(config)


def by_name(result: CheckResult) -> dict[str, tuple[str, str]]:
    return {c.name: (c.status.value, c.summary) for c in result.checks}


def stop(app: LaravelApp, *processes: str) -> None:
    assert app.supervisor is not None
    rpc = app.supervisor.rpc()
    for name in processes:
        rpc.supervisor.stopProcess(name)
    app.supervisor.wait_states({name: "STOPPED" for name in processes})


# -- 1. the cache hit rate -------------------------------------------------------------------

def test_an_idle_real_app_is_not_judged_by_its_workers_restart_signal_reads(
        laravel_app: LaravelApp, tmp_path: Path) -> None:
    check(laravel_app, tmp_path)  # the first run starts the window
    time.sleep(20)  # four idle workers read the unset restart signal every 3 s meanwhile
    status, summary = by_name(check(laravel_app, tmp_path))["cache-hit-rate"]
    assert status == "OK", summary
    assert summary.startswith("not judged: ") and "0.0 % over the last" in summary
    assert "illuminate:queue:restart not set" in summary
    assert "server-wide: every database and client of this Redis" in summary


def test_a_storm_of_missed_instance_url_lookups_on_a_real_app_is_critical(
        laravel_app: LaravelApp, tmp_path: Path) -> None:
    check(laravel_app, tmp_path)
    time.sleep(16)
    cache = redis.Redis(port=laravel_app.redis_port, db=laravel_app.cache_db)
    pipe = cache.pipeline(transaction=False)
    for _ in range(2_000):  # Laravel looking up accounts' instance URLs, none cached
        pipe.get(laravel_app.cache_key(f"whatsapp_instance_url_{uuid.uuid4()}"))
    pipe.execute()
    status, summary = by_name(check(laravel_app, tmp_path))["cache-hit-rate"]
    assert status == "CRITICAL", summary
    assert summary.startswith("0.0 % over the last")


# -- 2. only this app's workers --------------------------------------------------------------

def test_another_apps_workers_never_serve_this_apps_queue(
        laravel_app_factory: Factory, tmp_path: Path) -> None:
    blazz = laravel_app_factory("blazz")
    # Staging beside it: the same queue names, `php artisan` relative to its own directory.
    laravel_app_factory("staging", redis_port=blazz.redis_port, relative_artisan=True)
    stop(blazz, "blazz:blazz-queue-default_00", "blazz:blazz-queue-default_01")
    blazz.dispatch("SendWhatsAppMessage", 20, queue="default")
    home = tmp_path / "home"
    home.mkdir()
    # Zero configuration, inside the app: no supervisord socket where the .env would say,
    # so the workers are read from the process table.
    env = {k: v for k, v in os.environ.items() if k not in blazz.env()} | {"HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "blazz_tui", "--check", "--format", "json"],
                          cwd=blazz.directory, env=env, capture_output=True, text=True,
                          timeout=120)
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    queue = checks["queue:default"]
    assert queue["status"] == "CRITICAL", queue
    assert queue["summary"].startswith("20 pending")
    # Staging's two (and any other app's on this host) are said, and serve nothing here.
    assert "no running worker serves it; " in queue["summary"]
    assert "workers of other apps serve a queue of that name, not this app's" in queue["summary"]
    assert checks["unserved-queues"]["status"] == "CRITICAL"
    # The app's own campaign workers still serve their queues.
    assert "2 workers" in checks["queue:whatsapp-campaign"]["summary"]


def test_over_ssh_too_another_apps_workers_serve_none_of_its_queues(
        laravel_app_factory: Factory, sshd: SshSetup, tmp_path: Path) -> None:
    blazz = laravel_app_factory("blazz")
    laravel_app_factory("staging", redis_port=blazz.redis_port, relative_artisan=True)
    stop(blazz, "blazz:blazz-queue-default_00", "blazz:blazz-queue-default_01")
    blazz.dispatch("SendWhatsAppMessage", 5, queue="default")
    config = tmp_path / "remote.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n[targets.prod]\n'
                      f'transport = "ssh"\nssh = "blazz-test"\napp_dir = "{blazz.directory}"\n')
    # The link and the app directory only: the server's .env names the rest, and its process
    # table (with each worker's working directory, read through the link) the workers.
    proc = subprocess.run([sys.executable, "-m", "blazz_tui", "-c", str(config), "--check",
                           "--format", "json"], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["queue:default"]["status"] == "CRITICAL", checks["queue:default"]
    assert "workers of other apps serve a queue of that name" in checks["queue:default"][
        "summary"]
    assert "2 workers" in checks["queue:whatsapp-campaign"]["summary"]


# -- 3. workers recognised as an operator would ------------------------------------------------

def test_a_workers_entry_names_every_process_of_its_program(
        laravel_app: LaravelApp, tmp_path: Path) -> None:
    result = check(laravel_app, tmp_path, workers=(
        WorkerConfig("blazz-queue-default", ("messaging", "default")),))
    checks = by_name(result)
    assert checks["queue:messaging"][1].endswith("2 workers")
    assert "workers-config" not in checks


def test_a_workers_entry_that_names_no_program_is_a_warning(
        laravel_app: LaravelApp, tmp_path: Path) -> None:
    result = check(laravel_app, tmp_path, workers=(
        WorkerConfig("blazz-queue-defualt", ("messaging",)),))
    status, summary = by_name(result)["workers-config"]
    assert status == "WARNING"
    assert summary.startswith("[[workers]] program 'blazz-queue-defualt' names no running or "
                              "stopped program (programs: blazz-queue-campaign, "
                              "blazz-queue-default)")


def test_workers_run_by_a_wrapper_or_nice_are_recognised_by_their_queues(
        laravel_app_factory: Factory, tmp_path: Path) -> None:
    app = laravel_app_factory("wrapped", workers=False)
    wrapper = app.directory / "run-worker.sh"
    wrapper.write_text(f'#!/bin/sh\ncd {app.directory}\nexec php artisan queue:work "$@"\n')
    wrapper.chmod(0o755)
    app.start_workers()
    assert app.supervisor is not None
    app.supervisor.set_programs([*app.supervisor.programs,
        ProgramSpec("urgent", f"{wrapper} --queue=whatsapp-urgent --sleep=3", startsecs=1),
        ProgramSpec("high", f"nice -n 5 php {app.artisan_path} queue:work "
                            "--queue=whatsapp-high", startsecs=1)], app.supervisor.groups)
    app.supervisor.wait_states({"urgent": "RUNNING", "high": "RUNNING"})
    checks = by_name(check(app, tmp_path))
    assert checks["queue:whatsapp-urgent"][1].endswith("1 worker")
    assert checks["queue:whatsapp-high"][1].endswith("1 worker")


# -- 9. the workers' own errors ------------------------------------------------------------------

async def test_a_real_workers_failed_line_is_an_error_counted_in_the_last_minute(
        laravel_app_factory: Factory) -> None:
    app = laravel_app_factory("failing")
    worker_log = app.log_dir / "queue-default.log"
    app.dispatch("FailingJob", 1, queue="default")
    wait_for(lambda: "Failed:" in worker_log.read_text(), "the worker's Failed: line", 60)
    reading = await LogsSource(LogsConfig(files=("storage/logs/queue-default.log",)),
                               LocalTransport(), str(app.directory)).read()
    worker = [(e.level, e.message) for e in reading.entries]
    assert ("ERROR", "Failed: App\\Jobs\\FailingJob") in worker, worker
    assert ("INFO", "Processing: App\\Jobs\\FailingJob") in worker, worker
    assert reading.errors_last_minute == 1


# -- 10. a stopped worker is a problem ----------------------------------------------------------

def test_a_stopped_worker_program_is_a_problem_and_critical_with_jobs_waiting(
        laravel_app_factory: Factory, tmp_path: Path) -> None:
    app = laravel_app_factory("stopped")
    stop(app, "blazz:blazz-queue-campaign_00", "blazz:blazz-queue-campaign_01")
    idle = check(app, tmp_path / "idle")
    [first, *_] = [f"{p.status.value} {p.text}" for p in idle_problems(idle)]
    assert first == "WARNING blazz-queue-campaign STOPPED (2 processes)"
    app.dispatch("SendWhatsAppMessage", 3, queue="campaign-stats")
    wait_for(lambda: app.pending_jobs("campaign-stats") == 3, "three jobs waiting")
    waiting = check(app, tmp_path / "waiting")
    [first, *_] = [f"{p.status.value} {p.text}" for p in idle_problems(waiting)]
    assert first.startswith("CRITICAL blazz-queue-campaign STOPPED (2 processes) → 3 jobs "
                            "waiting")
    assert first.endswith("unserved: campaign-stats")


def idle_problems(result: CheckResult) -> list[Any]:
    from blazz_tui.causes import problems

    return problems(result.checks, result.snapshot)

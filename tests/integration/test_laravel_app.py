"""The Laravel fixture is the real thing: artisan workers under supervisord, jobs in MySQL, the
restart-signal reads in Redis. Every wait is a bounded poll on the state, never on the clock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import redis

from tests.fixtures.laravel_app import WORKERS, Factory, LaravelApp, wait_for

pytestmark = pytest.mark.slow


def worker_argv(app: LaravelApp, queues: tuple[str, ...], artisan: str | None = None) -> list[str]:
    return ["php", artisan or str(app.artisan_path), "queue:work", "database",
            f"--queue={','.join(queues)}", "--sleep=3", "--tries=3"]


def expected_argvs(app: LaravelApp, artisan: str | None = None) -> dict[str, list[str]]:
    prefix = app.prefix or "blazz"
    return {f"{prefix}:{prefix}-{w.suffix}_{n:02d}": worker_argv(app, w.queues, artisan)
            for w in WORKERS for n in range(w.numprocs)}


def keyspace(client: redis.Redis) -> tuple[int, int]:
    stats = client.info("stats")
    return int(stats["keyspace_hits"]), int(stats["keyspace_misses"])


def count_in(path: Path, text: str) -> int:
    return path.read_text(errors="replace").count(text) if path.exists() else 0


def test_workers_are_running_in_supervisorctl_in_the_app_directory(
        laravel_app: LaravelApp) -> None:
    assert laravel_app.supervisor is not None
    status = subprocess.run(
        [sys.executable, "-m", "supervisor.supervisorctl", "-s", laravel_app.supervisor.url,
         "status"], capture_output=True, text=True, timeout=30)
    assert status.returncode == 0, status.stdout + status.stderr
    states = dict(line.split()[:2] for line in status.stdout.splitlines())
    assert states == {name: "RUNNING" for name in laravel_app.worker_names()}
    pids = laravel_app.worker_pids()
    assert {name: psutil.Process(pid).cmdline() for name, pid in pids.items()} \
        == expected_argvs(laravel_app)
    assert {Path(psutil.Process(pid).cwd()) for pid in pids.values()} == {laravel_app.directory}


def test_a_dispatched_message_is_processed_and_the_jobs_table_drains(
        laravel_app: LaravelApp) -> None:
    worker_log = laravel_app.log_dir / "queue-default.log"
    processed = count_in(worker_log, "Processed:  App\\Jobs\\SendWhatsAppMessage")
    sent = count_in(laravel_app.laravel_log, "local.INFO: Message sent")
    laravel_app.dispatch("SendWhatsAppMessage", 3, queue="default")
    wait_for(lambda: count_in(worker_log, "Processed:  App\\Jobs\\SendWhatsAppMessage")
             >= processed + 3, "three Processed: lines in queue-default.log")
    wait_for(lambda: laravel_app.pending_jobs("default") == 0, "the jobs table to drain")
    assert count_in(laravel_app.laravel_log, "local.INFO: Message sent") == sent + 3


def test_a_failing_job_ends_in_failed_jobs_after_its_tries(laravel_app: LaravelApp) -> None:
    queue = "whatsapp-campaign"
    failed = laravel_app.failed_jobs(queue)
    laravel_app.dispatch("FailingJob", queue=queue)
    wait_for(lambda: laravel_app.failed_jobs(queue) == failed + 1, "a row in failed_jobs")
    wait_for(lambda: laravel_app.pending_jobs(queue) == 0, "the job to leave the jobs table")
    connection, exception = laravel_app.query(
        "SELECT connection, exception FROM failed_jobs WHERE queue = %s "
        "ORDER BY id DESC LIMIT 1", (queue,))[0]
    assert connection == "database"
    assert exception.startswith("RuntimeException: FailingJob always fails")


def test_idle_workers_get_the_prefixed_restart_key_in_the_cache_database(
        laravel_app: LaravelApp) -> None:
    assert laravel_app.restart_key == "blazz_database_blazz_cache:illuminate:queue:restart"
    client = redis.Redis(port=laravel_app.redis_port, socket_timeout=15)
    seen: dict[int, set[tuple[int, str]]] = {}  # client port -> {(db, command)}
    deadline = time.monotonic() + 60
    # each next_command() waits at most socket_timeout; redis-py leaves monitor() unannotated
    with client.monitor() as monitor:  # type: ignore[no-untyped-call]
        while len(seen) < 4 and time.monotonic() < deadline:
            command = monitor.next_command()
            seen.setdefault(int(command["client_port"]), set()).add(
                (int(command["db"]), str(command["command"])))
    assert len(seen) == 4, f"commands from {len(seen)} workers within 60 s: {seen}"
    assert set().union(*seen.values()) == {
        (laravel_app.cache_db, f"GET {laravel_app.restart_key}")}


def test_on_an_idle_app_the_only_cache_lookups_are_misses(laravel_app: LaravelApp) -> None:
    wait_for(lambda: laravel_app.pending_jobs() == 0, "an idle app")
    client = redis.Redis(port=laravel_app.redis_port, db=laravel_app.cache_db)
    assert client.keys("*") == []  # KEYS counts neither a hit nor a miss
    hits, misses = keyspace(client)
    wait_for(lambda: keyspace(client)[1] >= misses + 8, "eight more misses", timeout=60)
    assert keyspace(client)[0] == hits


def test_after_queue_restart_the_reads_are_hits_and_supervisord_restarts_the_workers(
        laravel_app_factory: Factory) -> None:
    app: LaravelApp = laravel_app_factory("restarted")
    client = redis.Redis(port=app.redis_port, db=app.cache_db)
    before = app.worker_pids()
    _, misses = keyspace(client)
    wait_for(lambda: keyspace(client)[1] >= misses + 4, "misses before the restart")

    app.queue_restart()
    assert client.keys("*") == [app.restart_key.encode()]
    hits, misses = keyspace(client)
    wait_for(lambda: keyspace(client)[0] >= hits + 8, "hits after the restart", timeout=60)
    assert keyspace(client)[1] == misses
    wait_for(lambda: _all_replaced(app, before), "every worker to exit and be started again",
             timeout=60)


def _all_replaced(app: LaravelApp, before: dict[str, int]) -> bool:
    now = app.worker_pids()
    return now.keys() == before.keys() and not set(now.values()) & set(before.values()) \
        and all(_running(app, name) for name in now)


def _running(app: LaravelApp, name: str) -> bool:
    assert app.supervisor is not None
    return bool(app.supervisor.rpc().supervisor.getProcessInfo(name)["statename"] == "RUNNING")


def test_workers_of_another_app_serve_the_same_queues_from_another_directory(
        laravel_app: LaravelApp, laravel_app_factory: Factory) -> None:
    staging: LaravelApp = laravel_app_factory(
        "staging", supervisor=laravel_app.supervisor, prefix="staging", relative_artisan=True)
    ours, theirs = laravel_app.worker_pids(), staging.worker_pids()
    assert len(ours) == len(theirs) == 4
    assert {name: psutil.Process(pid).cmdline() for name, pid in theirs.items()} \
        == expected_argvs(staging, artisan="artisan")
    assert {Path(psutil.Process(pid).cwd()) for pid in theirs.values()} == {staging.directory}
    assert {Path(psutil.Process(pid).cwd()) for pid in ours.values()} == {laravel_app.directory}

    staging.dispatch("SendWhatsAppMessage", 2)
    wait_for(lambda: count_in(staging.laravel_log, "Message sent") == 2,
             "the staging workers to process the staging jobs")
    wait_for(lambda: staging.pending_jobs() == 0, "the staging jobs table to drain")

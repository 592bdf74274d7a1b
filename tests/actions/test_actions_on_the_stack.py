"""The actions against the simulated stack, through the command line as a script runs them:
each fault taken back to healthy, each refusal changing nothing, each step audited."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from blazz_tui.dbconn import connect, parse_database_url
from blazz_tui.sim.layout import Layout
from tests.fixtures.stack import check, checks_by_name, sim


def act(layout: Layout, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blazz_tui", *args, "-c", str(config or layout.config_path)],
        capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)


def wait_for(layout: Layout, predicate: Any, timeout: float = 30.0) -> dict[str, dict[str, str]]:
    deadline = time.monotonic() + timeout
    while True:
        checks = checks_by_name(check(layout)[1])
        if predicate(checks) or time.monotonic() > deadline:
            return checks
        time.sleep(0.5)


def audit(layout: Layout) -> list[dict[str, Any]]:
    path = layout.path / "state" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def accounts(layout: Layout) -> dict[str, tuple[str, str]]:
    """uuid → (session id, assigned_instance_url) of the connected accounts."""
    conn = connect(parse_database_url(layout.database_url))
    try:
        cur = conn.cursor()
        cur.execute("SELECT uuid, session_id, assigned_instance_url FROM whatsapp_accounts "
                    "WHERE status = 'connected'")
        return {u: (s, url) for u, s, url in cur.fetchall()}
    finally:
        conn.close()


def cached_urls(layout: Layout, uuids: list[str]) -> int:
    import redis

    client = redis.Redis(port=layout.redis_port, db=1)
    return sum(client.exists(k) for u in uuids
               for k in (f"blazz_database_blazz_cache_:whatsapp_instance_url_{u}",
                         f"blazz_database_blazz_cache_whatsapp_instance_url_{u}"))


def test_restarting_a_fatal_worker_brings_its_queue_back_to_served(stack: Layout) -> None:
    sim(stack, "fault", "break-worker", "blazz-queue-default")
    sim(stack, "fault", "flood-queue", "default", "20")
    wait_for(stack, lambda c: "FATAL" in c["program:blazz:blazz-queue-default_00"]["summary"])

    result = act(stack, "restart", "blazz-queue-default", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "blazz:blazz-queue-default_00: RUNNING" in result.stdout
    checks = wait_for(stack, lambda c: c["unserved-queues"]["status"] == "OK")
    assert checks["program:blazz:blazz-queue-default_00"]["status"] == "OK"
    assert checks["unserved-queues"]["status"] == "OK"
    entry = audit(stack)[-1]
    assert (entry["action"], entry["result"]["outcome"]) == ("restart", "DONE")
    assert entry["user"] and entry["target"] == "demo"


def test_a_restart_that_fails_again_is_reported_with_the_end_of_its_output(
        stack: Layout) -> None:
    sim(stack, "fault", "break-worker", "blazz-queue-campaign", "always")
    wait_for(stack, lambda c: "FATAL" in c["program:blazz:blazz-queue-campaign_00"]["summary"])

    result = act(stack, "restart", "blazz:blazz-queue-campaign_00", "--yes")

    assert result.returncode == 2
    assert "✗ blazz:blazz-queue-campaign_00: " in result.stdout
    assert "after restart" in result.stdout
    assert "Worker cannot boot" in result.stdout
    assert audit(stack)[-1]["result"]["outcome"] == "FAILED"


def test_a_stopped_worker_is_started_by_queue(stack: Layout) -> None:
    sim(stack, "fault", "stop-worker", "blazz-queue-worker")

    result = act(stack, "start", "--queue", "whatsapp-high", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": RUNNING") == 2


def test_sync_after_drift_leaves_no_drift_and_no_cached_url_and_lost_sessions_alone(
        stack: Layout) -> None:
    sim(stack, "fault", "lose-sessions", "2")
    before = accounts(stack)
    sim(stack, "fault", "drift", "10")
    drifted = [u for u, row in accounts(stack).items() if row != before[u]]
    assert len(drifted) == 10
    lost_rows = {u: row for u, row in accounts(stack).items() if u not in drifted}

    result = act(stack, "sync", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 accounts to point at their instance" in result.stdout
    assert "2 hosted by no instance: left alone" in result.stdout
    after = accounts(stack)
    assert {u: after[u] for u in lost_rows} == lost_rows  # the lost ones untouched
    assert cached_urls(stack, drifted) == 0
    checks = wait_for(stack, lambda c: c["session-drift"]["status"] == "OK")
    assert checks["session-drift"]["status"] == "OK"
    assert act(stack, "sync", "--dry-run").stdout.startswith(
        "Sync instance URLs: 0 accounts to point at their instance")


def test_sync_refuses_while_an_instance_cannot_say_which_sessions_it_hosts(
        stack: Layout) -> None:
    sim(stack, "fault", "drift", "5")
    port = stack.instance_ports[2]
    sim(stack, "fault", "kill-instance", str(port))
    before = accounts(stack)

    result = act(stack, "sync", "--yes")

    assert result.returncode == 3
    assert f"the session list of wa-{port}" in result.stdout
    assert "would look lost" in result.stdout
    assert accounts(stack) == before


@pytest.mark.parametrize("args", [("restart", "blazz-reverb"), ("stop", "blazz-scheduler"),
                                  ("start", "--queue", "default"), ("sync",)])
def test_every_action_is_refused_under_read_only(stack: Layout, args: tuple[str, ...]) -> None:
    sim(stack, "fault", "drift", "3")
    before_rows, before_pids = accounts(stack), sim(stack, "status")

    result = act(stack, *args, "--read-only", "--yes")

    assert result.returncode == 3
    assert "--read-only" in result.stdout
    assert accounts(stack) == before_rows
    assert sim(stack, "status").split("uptime")[0] == before_pids.split("uptime")[0]
    assert audit(stack)[-1]["result"]["outcome"] == "REFUSED"


def test_a_read_only_target_refuses_before_connecting(stack: Layout, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(stack.config_path.read_text().replace(
        'transport = "local"', 'transport = "local"\nread_only = true'))

    result = act(stack, "restart", "blazz-reverb", "--yes", config=config)

    assert result.returncode == 3
    assert "read_only = true" in result.stdout


def test_without_a_terminal_or_yes_nothing_is_done(stack: Layout) -> None:
    result = act(stack, "restart", "blazz-reverb")

    assert result.returncode == 3
    assert "pass --yes" in result.stderr
    assert "Restart blazz:blazz-reverb" in result.stdout  # the plan was shown


def test_the_audit_log_is_private_and_records_each_action(stack: Layout) -> None:
    act(stack, "restart", "blazz-reverb", "--yes")
    act(stack, "restart", "no-such-program", "--yes")

    path = stack.path / "state" / "audit.jsonl"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    entries = audit(stack)
    assert [e["result"]["outcome"] for e in entries] == ["DONE", "REFUSED"]
    assert "no program 'no-such-program'" in entries[1]["error"]
    assert stack.api_key not in path.read_text()


def test_json_output_is_one_document_with_the_plan_and_the_result(stack: Layout) -> None:
    result = act(stack, "restart", "blazz-reverb", "--yes", "--format", "json")

    document = json.loads(result.stdout)
    assert document["plan"]["changes"][0]["subject"] == "blazz:blazz-reverb"
    assert document["result"]["outcome"] == "DONE"


def test_sync_in_artisan_mode_runs_the_apps_own_command_dry_run_first(stack: Layout) -> None:
    sim(stack, "fault", "drift", "3")

    preview = act(stack, "sync", "--mode", "artisan", "--dry-run")
    result = act(stack, "sync", "--mode", "artisan", "--yes")

    assert preview.returncode == 0 and ": 3 to fix" in preview.stdout
    assert "(Summary: 3 updated" in preview.stdout and "dry run" in preview.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Summary: 3 updated" in result.stdout
    assert act(stack, "sync", "--dry-run").stdout.startswith(
        "Sync instance URLs: 0 accounts to point at their instance")

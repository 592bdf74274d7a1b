"""The actions against the simulated stack, through the command line as a script runs them:
each fault taken back to healthy, each refusal changing nothing, each step audited."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from blazz_tui.sim.faults import rpc
from blazz_tui.sim.layout import Layout
from tests.actions.support import (
    accounts,
    act,
    audit,
    cached_urls,
    changed,
    hosting,
    pids,
    wait_for,
)
from tests.fixtures.stack import sim


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
    # The simulated app's traffic caches every account's URL again within a second (a
    # busy app would): stopped, so that what the sync deleted is seen deleted.
    rpc(stack).supervisor.stopProcess("sim:traffic")
    before = accounts(stack)
    sim(stack, "fault", "drift", "10")
    drifted = changed(before, accounts(stack))
    assert len(drifted) == 10
    sim(stack, "fault", "lose-sessions", "2")  # a drifted one may be among them
    hosted = set(hosting(stack))
    lost = {u for u, (sid, _) in accounts(stack).items() if sid not in hosted}
    others = {u: row for u, row in accounts(stack).items() if u not in drifted - lost}

    result = act(stack, "sync", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(drifted - lost)} accounts to point at their instance" in result.stdout
    assert f"{len(lost)} hosted by no instance: left alone, they need a QR rescan" \
        in result.stdout
    assert changed(others, accounts(stack)) == set()  # the lost ones untouched
    assert changed(before, accounts(stack)) <= drifted
    assert cached_urls(stack, sorted(drifted - lost)) == 0
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
    assert changed(before, accounts(stack)) == set()


@pytest.mark.parametrize("args", [("restart", "blazz-reverb"), ("stop", "blazz-scheduler"),
                                  ("start", "--queue", "default"), ("sync",)])
def test_every_action_is_refused_under_read_only(stack: Layout, args: tuple[str, ...]) -> None:
    # The scheduler's own sync (every 30 s) would point the drifted rows back meanwhile.
    sim(stack, "fault", "stop-worker", "blazz-scheduler")
    sim(stack, "fault", "drift", "3")
    before_rows, before_pids = accounts(stack), pids(stack)

    result = act(stack, *args, "--read-only", "--yes")

    assert result.returncode == 3
    assert "--read-only" in result.stdout
    assert changed(before_rows, accounts(stack)) == set()
    assert pids(stack) == before_pids
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


def test_a_plan_not_confirmed_is_audited_as_refused(stack: Layout) -> None:
    act(stack, "restart", "blazz-reverb")  # no --yes, no terminal

    entry = audit(stack, started=True)[-1]
    assert (entry["phase"], entry["result"]["outcome"]) == ("refused", "REFUSED")
    assert entry["error"] == ("not confirmed (no terminal to confirm on and no --yes): "
                              "nothing changed")
    assert entry["plan"]["changes"][0]["subject"] == "blazz:blazz-reverb"


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


def test_an_action_whose_audit_record_cannot_be_written_is_refused(stack: Layout) -> None:
    # /dev/full: every write fails with "No space left on device", as on a full disk.
    config = stack.path / "full-disk.toml"
    config.write_text(stack.config_path.read_text().replace(
        "[actions]", '[actions]\naudit_log = "/dev/full"', 1)
        if "[actions]" in stack.config_path.read_text()
        else stack.config_path.read_text() + '\n[actions]\naudit_log = "/dev/full"\n')
    before = pids(stack)

    result = act(stack, "restart", "blazz-reverb", "--yes", config=config)

    assert result.returncode == 3, result.stdout + result.stderr
    assert "cannot write the audit log /dev/full: No space left on device" in result.stdout \
        + result.stderr
    assert pids(stack) == before  # nothing done


def test_the_audit_log_is_never_written_through_a_symbolic_link(stack: Layout,
                                                                 tmp_path: Path) -> None:
    elsewhere = tmp_path / "not-the-audit-log"
    elsewhere.write_text("")
    log = stack.path / "state" / "audit.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    log.symlink_to(elsewhere)

    result = act(stack, "restart", "blazz-reverb", "--yes")

    assert result.returncode == 3
    assert "is a symbolic link" in result.stdout + result.stderr
    assert elsewhere.read_text() == ""


def test_an_action_is_in_the_audit_log_before_it_starts(stack: Layout) -> None:
    act(stack, "restart", "blazz-reverb", "--yes")
    started, finished = audit(stack, started=True)[-2:]
    assert (started["phase"], finished["phase"]) == ("started", "done")
    assert started["plan"] == finished["plan"] and "result" not in started

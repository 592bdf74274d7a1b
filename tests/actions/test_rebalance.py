"""Rebalance on the simulated stack: a skewed distribution evened out with no session logged
out, lost or hosted twice — also when an instance dies and when the rebalance is killed."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

from blazz_tui.actions import rebalance
from blazz_tui.actions.cli import read_snapshot
from blazz_tui.actions.run import ActionEnv
from blazz_tui.config import load_config
from blazz_tui.sim.layout import Layout
from blazz_tui.transport.local import LocalTransport
from tests.actions.support import accounts, act, hosting, wait_for
from tests.fixtures.stack import sim


def exactly_once(layout: Layout, sessions: set[str], timeout: float = 20.0) -> None:
    """Every session hosted by exactly one instance, CONNECTED (restores take a moment) —
    those of them the stack's traffic has not ended meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        found = hosting(layout)
        live = {sid for sid, _ in accounts(layout).values()}
        wrong = {sid: found.get(sid) for sid in sessions & live
                 if [status for _, status in found.get(sid, [])] != ["CONNECTED"]}
        if not wrong or time.monotonic() > deadline:
            assert wrong == {}
            return
        time.sleep(0.3)


def skewed(layout: Layout, count: str) -> set[str]:
    """Sessions moved onto one instance, once every session is CONNECTED again."""
    sim(layout, "fault", "skew", count)
    sessions = set(hosting(layout))
    exactly_once(layout, sessions)
    return sessions


def test_a_skewed_distribution_ends_inside_the_band(stack: Layout) -> None:
    before = skewed(stack, "20")

    result = act(stack, "rebalance", "--yes")

    assert result.returncode == 0, result.stdout + result.stderr
    exactly_once(stack, before)
    checks = wait_for(stack, lambda c: c["sessions-balance"]["status"] == "OK")
    for name in ("sessions-balance", "session-drift", "sessions-lost"):
        assert checks[name]["status"] == "OK", checks[name]
    assert act(stack, "rebalance", "--dry-run").stdout.startswith(
        "Rebalance sessions: move 0 sessions")


def test_an_instance_that_cannot_stop_a_session_keeping_its_auth_makes_it_refuse(
        stack: Layout, tmp_path: Path) -> None:
    skewed(stack, "20")
    config = tmp_path / "config.toml"
    config.write_text(stack.config_path.read_text() + '\n[targets.demo.rebalance]\n'
                      'stop_route = "POST /api/sessions/{id}/pause"\n')
    before = hosting(stack)

    result = act(stack, "rebalance", "--yes", config=config)

    assert result.returncode == 3, result.stdout + result.stderr
    assert "answered HTTP 404 to POST /api/sessions/{id}/pause" in result.stdout
    assert "must provide a stop that keeps the session's auth" in result.stdout
    after = hosting(stack)
    assert {sid: after[sid] for sid in before.keys() & after.keys()} == {
        sid: before[sid] for sid in before.keys() & after.keys()}


def test_a_destination_that_dies_gets_nothing_and_loses_nothing(stack: Layout) -> None:
    skewed(stack, "20")
    config = load_config(str(stack.config_path))
    target = config.target()
    env = ActionEnv(target, LocalTransport(), config.actions, thresholds=config.thresholds)
    snapshot = asyncio.run(read_snapshot(env, config, ("instances", "database")))
    plan = rebalance.plan(snapshot, target, config.thresholds)
    dead = plan.changes[0].data.target
    sim(stack, "fault", "kill-instance", dead.removeprefix("wa-"))
    sessions = set(hosting(stack))

    result = asyncio.run(rebalance.execute(plan, env, lambda line: None))

    assert any(f"→ {dead}: " in line and "started back on" in line for line in result.failed)
    exactly_once(stack, sessions)


def test_killed_mid_batch_every_session_is_hosted_once_and_a_sync_repairs_the_rows(
        stack: Layout) -> None:
    sessions = skewed(stack, "30")
    proc = subprocess.Popen(
        [sys.executable, "-m", "blazz_tui", "rebalance", "--yes", "-c", str(stack.config_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:  # the first batch has been sent: kill it in the middle of the next
        if line.startswith("  … moved "):
            time.sleep(2.0)  # the next batch is under way in its own process
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    exactly_once(stack, sessions, timeout=40)  # the moves in flight finished
    assert act(stack, "sync", "--yes").returncode == 0
    assert act(stack, "sync", "--dry-run").stdout.startswith(
        "Sync instance URLs: 0 accounts to point at their instance")

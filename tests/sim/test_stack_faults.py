"""The simulated stack as the fixture for the rest of the suite: healthy when started, and
each fault shows up in --check as the right check at the right level."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import cast

import pytest

from blazz_tui.sim.layout import Layout
from tests.fixtures.stack import check, checks_by_name, sim


def wait_for(layout: Layout, predicate: Callable[[dict[str, dict[str, str]]], bool],
             timeout: float = 20.0) -> dict[str, dict[str, str]]:
    """Run --check until ``predicate(checks)`` holds; return the last checks."""
    deadline = time.monotonic() + timeout
    while True:
        _, document = check(layout)
        checks = checks_by_name(document)
        if predicate(checks) or time.monotonic() > deadline:
            return checks
        time.sleep(0.5)


def test_a_fresh_stack_is_healthy(stack: Layout) -> None:
    code, document = check(stack)
    # The machine's own load is not the stack's health (other tests may load this machine).
    bad = {c["name"]: c["summary"] for c in cast("list[dict[str, str]]", document["checks"])
           if c["status"] != "OK" and not c["name"].startswith("host-")}
    assert bad == {}
    # The exit code is the worst status, the host's own then (WARNING or CRITICAL at load).
    host = {c["status"] for c in cast("list[dict[str, str]]", document["checks"])
            if c["name"].startswith("host-")}
    assert document["status"] == "OK" or document["status"] in host
    assert code == {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}[document["status"]]


def test_killed_instance_is_down_and_its_sessions_unreachable_not_lost(stack: Layout) -> None:
    port = stack.instance_ports[1]
    sim(stack, "fault", "kill-instance", str(port))
    checks = wait_for(stack, lambda c: c[f"instance:wa-{port}"]["status"] == "CRITICAL")
    assert checks[f"instance:wa-{port}"]["summary"].startswith(
        f"http://127.0.0.1:{port} down: connection refused; ")
    assert "still point at it" in checks[f"instance:wa-{port}"]["summary"]
    lost = checks["sessions-lost"]
    assert lost["status"] == "UNKNOWN"
    assert lost["summary"].startswith(f"unknown while the session list of wa-{port} cannot be "
                                      "read (down: connection refused); ")
    assert f"unreachable on wa-{port}" in lost["summary"]


def test_broken_worker_goes_fatal_and_its_queue_is_unserved(stack: Layout) -> None:
    sim(stack, "fault", "break-worker", "blazz-queue-default")
    sim(stack, "fault", "flood-queue", "default", "50")
    checks = wait_for(stack, lambda c: "FATAL" in c.get("program:blazz:blazz-queue-default_00",
                                                        {}).get("summary", "")
                      and c["unserved-queues"]["status"] == "CRITICAL", timeout=30)
    assert checks["program:blazz:blazz-queue-default_00"]["status"] == "CRITICAL"
    assert "FATAL" in checks["program:blazz:blazz-queue-default_00"]["summary"]
    assert "default" in checks["unserved-queues"]["summary"]


def test_flooded_queue_is_critical_by_depth(stack: Layout) -> None:
    sim(stack, "fault", "stop-worker", "blazz-queue-worker")
    sim(stack, "fault", "flood-queue", "whatsapp-high", "6000")
    checks = wait_for(stack, lambda c: c["queue:whatsapp-high"]["status"] == "CRITICAL")
    assert checks["queue:whatsapp-high"]["summary"].startswith("6,0")


def test_drift_is_detected(stack: Layout) -> None:
    # The scheduler's sync points drifted accounts back every 30 s: stopped, the drift stays
    # while a loaded machine runs --check (a 5 s wait raced it).
    sim(stack, "fault", "stop-worker", "blazz-scheduler")
    sim(stack, "fault", "drift", "5")
    checks = wait_for(stack, lambda c: c["session-drift"]["status"] != "OK", timeout=60)
    assert checks["session-drift"]["status"] == "WARNING"
    assert checks["session-drift"]["summary"].startswith("5 accounts point at the wrong")


def test_lost_sessions_are_critical(stack: Layout) -> None:
    sim(stack, "fault", "lose-sessions", "2")
    checks = wait_for(stack, lambda c: c["sessions-lost"]["status"] == "CRITICAL")
    assert checks["sessions-lost"]["summary"].startswith("2 sessions connected in the database")


def test_redis_down_is_critical(stack: Layout) -> None:
    if stack.redis_port is None:
        pytest.skip("no redis-server binary: the stack runs without Redis")
    sim(stack, "fault", "redis-down")
    checks = wait_for(stack, lambda c: c["redis"]["status"] == "CRITICAL")
    assert checks["redis"]["summary"] == "unreachable: connection refused"


def test_a_slow_instance_is_not_answering_not_down_and_loses_no_session(stack: Layout) -> None:
    port = stack.instance_ports[2]
    sim(stack, "fault", "lose-sessions", "1")
    sim(stack, "fault", "slow-instance", str(port), "5")
    checks = wait_for(stack, lambda c: c[f"instance:wa-{port}"]["status"] == "CRITICAL")
    assert checks[f"instance:wa-{port}"]["summary"].startswith(
        f"http://127.0.0.1:{port} not answering: no answer within 1.5 s")
    lost = checks["sessions-lost"]
    assert lost["status"] == "UNKNOWN"  # the truly lost one cannot be told from its sessions
    assert f"unreachable on wa-{port}" in lost["summary"]
    assert checks["session-drift"]["status"] == "UNKNOWN"


def test_an_instance_answering_html_is_in_error_said_in_words(stack: Layout) -> None:
    port = stack.instance_ports[3]
    sim(stack, "fault", "garbage-instance", str(port))
    checks = wait_for(stack, lambda c: c[f"instance:wa-{port}"]["status"] == "CRITICAL")
    assert checks[f"instance:wa-{port}"]["summary"].startswith(
        f"http://127.0.0.1:{port} error: /health answered HTML instead of JSON (a proxy or "
        f"error page?)")
    assert "b'" not in checks[f"instance:wa-{port}"]["summary"]


def test_heal_brings_the_stack_back(stack: Layout) -> None:
    port = stack.instance_ports[0]
    sim(stack, "fault", "kill-instance", str(port))
    sim(stack, "heal")
    checks = wait_for(stack, lambda c: c[f"instance:wa-{port}"]["status"] == "OK")
    assert checks[f"instance:wa-{port}"]["status"] == "OK"


def test_failing_sends_show_in_the_message_checks(stack: Layout) -> None:
    sim(stack, "fault", "fail-sends", "100")
    check(stack)  # the first sample of the counters (kept in the state directory)
    # The traffic sends a few messages a second; 20 are needed before they are judged.
    checks = wait_for(stack, lambda c: c["failed-messages"]["status"] == "CRITICAL", timeout=60)

    assert checks["failed-messages"]["status"] == "CRITICAL"  # the app's rows in chats
    summary = checks["failed-messages"]["summary"]
    # The hour's trend holds the sends before the fault too: high, not necessarily 100 %.
    assert "from the chats table" in summary
    assert re.search(r"; trend \d+\.\d % over the last 1h00m$", summary), summary
    # every send failed, so the instances timed none: the latency is the table's delivered ones
    assert "from the chats table" in checks["message-latency"]["summary"]

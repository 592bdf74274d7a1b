"""Problems, cause first: what fails because of one thing is one line, the thing first."""

from __future__ import annotations

import time
from dataclasses import replace

from blazz_tui.causes import problems
from blazz_tui.correlation import InstanceSessions, QueueView, SessionsView
from blazz_tui.rules import by_severity, evaluate
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.database import DatabaseReading
from blazz_tui.sources.host import HostReading
from blazz_tui.sources.instances import InstanceReading, InstancesReading
from blazz_tui.sources.supervisor import EndpointReading, ProcessInfo, SupervisorReading
from blazz_tui.transport.base import HostStats

NOW = time.time()
WORKER_QUEUES = ("messaging", "whatsapp-high")


def proc(name: str, state: str, queues: tuple[str, ...] = ()) -> ProcessInfo:
    return ProcessInfo("main", "blazz", name, state, pid=0 if state != "RUNNING" else 10,
                       start=NOW - 60, uptime=60.0, queues=queues)


def snapshot(*procs: ProcessInfo, **parts: object) -> Snapshot:
    base = Snapshot(
        target="t", transport="local", taken_at=NOW, instances=None, redis=None, ports=None,
        logs=None, host=None, database=DatabaseReading(fetched_at=NOW),
        supervisor=SupervisorReading(fetched_at=NOW, endpoints=(EndpointReading(
            fetched_at=NOW, name="main", state="RUNNING", processes=procs),)))
    return replace(base, **parts)  # type: ignore[arg-type]


def strip(snap: Snapshot) -> list[str]:
    checks = by_severity(evaluate(snap, Thresholds()))
    return [f"{p.status.value} {p.text}" for p in problems(checks, snap)]


def test_a_stopped_worker_is_one_line_naming_it_then_the_queues_it_leaves_unserved() -> None:
    queues = tuple(QueueView(q, pending=p, oldest_pending_age=age, served=False)
                   for q, p, age in (("messaging", 40, 78.0), ("whatsapp-high", 23, 30.0)))
    snap = snapshot(proc("blazz-queue-worker_00", "STOPPED", WORKER_QUEUES),
                    proc("blazz-queue-worker_01", "STOPPED", WORKER_QUEUES),
                    proc("blazz-queue-default_00", "RUNNING", ("default",)), queues=queues)

    assert strip(snap) == [
        "CRITICAL blazz-queue-worker STOPPED (2 processes) → 63 jobs waiting, oldest 1m18s, "
        "unserved: messaging, whatsapp-high"]


def test_a_stopped_instance_program_comes_before_the_instance_and_its_sessions() -> None:
    down = InstanceReading(name="wa-3002", url="http://127.0.0.1:3002", failure="DOWN",
                           error="connection refused", attempted_at=NOW)
    up = InstanceReading(name="wa-3001", url="http://127.0.0.1:3001", fetched_at=NOW,
                         status="healthy", active_sessions=0, sessions=())
    sessions = SessionsView(instances=(
        InstanceSessions("wa-3001", up.url, True, 0, 0),
        InstanceSessions("wa-3002", down.url, False, None, 263, "down: connection refused")),
        unreachable=(("wa-3002", 263),))
    snap = snapshot(proc("blazz-whatsapp-3002", "STOPPED"),
                    instances=InstancesReading(fetched_at=NOW, instances=(up, down)),
                    sessions=sessions)

    [first, *rest] = strip(snap)

    assert first == ("CRITICAL blazz-whatsapp-3002 STOPPED → wa-3002 down, 263 sessions "
                     "unreachable")
    assert not any("wa-3002" in line for line in rest)


def test_a_busy_host_ranks_below_a_blazz_problem_of_the_same_severity() -> None:
    stats = HostStats(cpu_busy=0.0, cpu_total=1.0, cpu_count=2, memory_total=8 << 30,
                      memory_used=7_900 << 20, memory_percent=98.0, load=(0.1, 0.1, 0.1),
                      disk_path="/", disk_total=1, disk_used=0, disk_percent=10.0,
                      boot_time=NOW - 100)
    snap = snapshot(proc("blazz-scheduler", "FATAL"),
                    host=HostReading(fetched_at=NOW, cpu_percent=10.0, stats=stats))

    lines = strip(snap)

    assert lines[0].startswith("CRITICAL blazz-scheduler FATAL")
    assert lines[1].startswith("CRITICAL host-memory: ")


def test_a_critical_host_never_outranks_a_blazz_warning() -> None:
    stats = HostStats(cpu_busy=0.0, cpu_total=1.0, cpu_count=2, memory_total=8 << 30,
                      memory_used=7_900 << 20, memory_percent=98.0, load=(0.1, 0.1, 0.1),
                      disk_path="/", disk_total=1, disk_used=0, disk_percent=10.0,
                      boot_time=NOW - 100)
    snap = snapshot(proc("blazz-reverb", "RUNNING"), proc("blazz-reverb-old", "STOPPED"),
                    host=HostReading(fetched_at=NOW, cpu_percent=10.0, stats=stats))

    lines = strip(snap)

    assert lines[0].startswith("WARNING blazz-reverb-old STOPPED"), lines
    assert lines[-1].startswith("CRITICAL host-memory: ")


def test_a_narrow_line_gives_up_names_not_what_happens() -> None:
    from blazz_tui.causes import Effect, Problem
    from blazz_tui.rules.model import Status

    problem = Problem(Status.CRITICAL, "blazz-queue-worker FATAL (2 processes)", (
        Effect("2,397 jobs waiting, oldest 6m50s"),
        Effect("unserved: messaging, whatsapp-normal", "2 queues unserved")), ())

    assert problem.fitted(200) == ("blazz-queue-worker FATAL (2 processes)",
                                   "2,397 jobs waiting, oldest 6m50s, unserved: messaging, "
                                   "whatsapp-normal")
    cause, effects = problem.fitted(69)
    assert effects == "2,397 jobs waiting, oldest 6m50s, 2 queues unserved"
    assert cause.endswith(" FATAL") and len(cause) + 3 + len(effects) <= 69


def test_a_stopped_redis_server_is_the_cause_of_redis_unreachable() -> None:
    from blazz_tui.sources.redis import RedisReading

    snap = snapshot(proc("redis", "STOPPED"),
                    redis=RedisReading(error="connection refused",
                                       attempted_at=NOW))

    assert strip(snap)[0] == "CRITICAL redis STOPPED → redis unreachable: connection refused"


def _instance(name: str, port: int, hosted: int) -> InstanceReading:
    from blazz_tui.sources.instances import HostedSession

    return InstanceReading(name=name, url=f"http://127.0.0.1:{port}", fetched_at=NOW,
                           status="healthy", active_sessions=hosted,
                           sessions=tuple(HostedSession(f"{name}-{i}", "CONNECTED")
                                          for i in range(hosted)))


def test_an_instance_near_capacity_does_not_claim_a_drift_that_names_it() -> None:
    from blazz_tui.correlation import Drift

    busy, other = _instance("wa-3001", 3001, 265), _instance("wa-3002", 3002, 200)
    drift = tuple(Drift(f"u{i}", f"wa-3001-{i}", busy.url, "wa-3002", "wa-3001")
                  for i in range(30))
    sessions = SessionsView(instances=(
        InstanceSessions("wa-3001", busy.url, True, 265, 235),
        InstanceSessions("wa-3002", other.url, True, 200, 230)),
        drift_count=30, drift=drift, known=True)
    snap = snapshot(instances=InstancesReading(fetched_at=NOW, instances=(busy, other)),
                    sessions=sessions)

    lines = strip(snap)

    assert lines[0].startswith("CRITICAL session-drift: 30 accounts point at the wrong instance")
    assert "WARNING wa-3001: up, 0 ms, 265/300 sessions (88 %)" in lines


def test_a_stopped_program_does_not_swallow_the_flapping_of_another() -> None:
    from blazz_tui.history import ProgramRestarts

    restarts = tuple(ProgramRestarts(name, 4, 4, NOW - 5) for name in
                     ("blazz:blazz-queue-worker_00", "blazz:blazz-reverb"))
    snap = snapshot(proc("blazz-queue-worker_00", "STOPPED"), proc("blazz-reverb", "RUNNING"),
                    restarts=restarts)

    lines = strip(snap)

    assert any(line.startswith("WARNING flapping: restarting repeatedly") for line in lines)
    assert "WARNING blazz-queue-worker STOPPED" in lines


def test_a_queue_another_worker_still_serves_is_not_the_stopped_workers_effect() -> None:
    queues = (QueueView("default", pending=6_000, oldest_pending_age=30.0,
                        workers=("blazz:blazz-queue-default_01",), served=True),)
    snap = snapshot(proc("blazz-queue-default_00", "STOPPED", ("default",)),
                    proc("blazz-queue-default_01", "RUNNING", ("default",)), queues=queues)

    lines = strip(snap)

    assert lines[0].startswith("CRITICAL queue:default: 6,000 pending")
    assert "WARNING blazz-queue-default STOPPED (1 of 2 processes)" in lines


def test_the_json_snapshot_carries_the_problems_as_the_screen_shows_them() -> None:
    import json

    from blazz_tui.export import snapshot_json
    from blazz_tui.rules import Status
    from blazz_tui.settings import TargetConfig

    queues = (QueueView("messaging", pending=40, oldest_pending_age=78.0, served=False),)
    snap = snapshot(proc("blazz-queue-worker_00", "STOPPED", ("messaging",)), queues=queues)
    checks = by_severity(evaluate(snap, Thresholds()))

    document = json.loads(snapshot_json(snap, checks, Status.CRITICAL, TargetConfig(),
                                        Thresholds()))

    assert [f"{p['status']} {p['text']}" for p in document["problems"]] == strip(snap)
    assert document["problems"][0]["checks"] == [
        "program:blazz:blazz-queue-worker_00", "queue:messaging", "unserved-queues"]

"""Correlation: drift, lost and unreachable sessions, unserved queues."""

from __future__ import annotations

from dataclasses import replace

from blazz_tui.correlation import (
    SETTLE,
    InstanceMatcher,
    LostSessions,
    SessionsView,
    instance_program,
    queue_views,
    sessions_view,
)
from blazz_tui.settings import InstanceConfig
from blazz_tui.sources.accounts import Account
from blazz_tui.sources.database import DatabaseReading, QueueDepth
from blazz_tui.sources.instances import HostedSession, InstanceReading, InstancesReading
from blazz_tui.sources.supervisor import EndpointReading, ProcessInfo, SupervisorReading

NOW = 10_000.0
CFG = tuple(InstanceConfig(f"wa-{p}", f"http://127.0.0.1:{p}") for p in (3001, 3002))


def instance(name: str, *connected: str, up: bool = True,
             sessions_error: str | None = None) -> InstanceReading:
    if not up:
        return InstanceReading(name=name, error="no answer within 1.5 s", failure="NO ANSWER",
                               attempted_at=NOW)
    if sessions_error is not None:
        return InstanceReading(name=name, fetched_at=NOW, sessions_error=sessions_error)
    return InstanceReading(name=name, fetched_at=NOW,
                           sessions=tuple(HostedSession(s, "CONNECTED") for s in connected))


def accounts(*rows: tuple[str, str | None]) -> DatabaseReading:
    return DatabaseReading(fetched_at=NOW, accounts=tuple(
        Account(uuid=f"u-{sid}", session_id=sid, status="connected", assigned_instance_url=url)
        for sid, url in rows))


def test_localhost_and_loopback_urls_name_the_same_instance() -> None:
    matcher = InstanceMatcher(CFG)
    assert matcher.name_for("http://localhost:3002/") == "wa-3002"
    assert matcher.name_for("127.0.0.1:3001") == "wa-3001"
    assert matcher.name_for("http://10.1.1.1:3001") is None


def test_session_connected_elsewhere_than_assigned_is_drift() -> None:
    reading = InstancesReading(fetched_at=NOW, instances=(instance("wa-3001", "s1"),
                                                          instance("wa-3002", "s2")))
    view = sessions_view(CFG, reading, accounts(("s1", "http://localhost:3001"),
                                                ("s2", "http://localhost:3001")))
    assert view.drift_count == 1
    assert (view.drift[0].session_id, view.drift[0].assigned_instance,
            view.drift[0].actual_instance) == ("s2", "wa-3001", "wa-3002")
    assert [(i.name, i.hosted, i.assigned) for i in view.instances] == [
        ("wa-3001", 1, 2), ("wa-3002", 1, 0)]


def test_session_hosted_nowhere_with_all_instances_up_is_lost() -> None:
    reading = InstancesReading(fetched_at=NOW, instances=(instance("wa-3001"),
                                                          instance("wa-3002")))
    view = sessions_view(CFG, reading, accounts(("s9", "http://localhost:3002")))
    assert (view.lost_count, view.lost, view.complete) == (1, ("s9",), True)


def test_sessions_of_an_instance_not_answering_are_unreachable_not_lost() -> None:
    reading = InstancesReading(fetched_at=NOW, instances=(instance("wa-3001", "s1"),
                                                          instance("wa-3002", up=False)))
    view = sessions_view(CFG, reading, accounts(("s1", "http://localhost:3001"),
                                                ("s8", "http://localhost:3002"),
                                                ("s9", "http://localhost:3002"),
                                                ("s7", "http://localhost:3001")))
    assert (view.lost_count, view.unreachable, view.unplaced) == (0, (("wa-3002", 2),), 1)
    assert view.unreadable == (("wa-3002", "no answer: no answer within 1.5 s"),)
    assert not view.complete


def test_an_unreadable_session_list_makes_nothing_lost() -> None:
    refused = "/health/sessions refused the API key (HTTP 401) — check api_key"
    reading = InstancesReading(fetched_at=NOW, instances=(
        instance("wa-3001", sessions_error=refused), instance("wa-3002", sessions_error=refused)))
    view = sessions_view(CFG, reading, accounts(("s1", "http://localhost:3001"),
                                                ("s2", "http://localhost:3002")))
    assert (view.lost_count, view.drift_count) == (0, 0)
    assert view.unreadable == (("wa-3001", refused), ("wa-3002", refused))
    assert view.unreachable == (("wa-3001", 1), ("wa-3002", 1))


def test_accounts_without_assignment_are_counted() -> None:
    reading = InstancesReading(fetched_at=NOW, instances=(instance("wa-3001", "s1"),))
    view = sessions_view(CFG[:1], reading, accounts(("s1", None)))
    assert view.unassigned == 1
    assert view.drift_count == 1  # hosted on wa-3001, the database says nowhere


def missing_s9(at: float, db_at: float) -> tuple[SessionsView, float, float]:
    """s9 connected in the database (read at ``db_at``), hosted by no instance (read at
    ``at``)."""
    reading = InstancesReading(fetched_at=at, instances=(instance("wa-3001"),
                                                         instance("wa-3002")))
    return sessions_view(CFG, reading, accounts(("s9", "http://localhost:3002"))), at, db_at


def test_while_polling_a_session_just_gone_missing_is_not_yet_lost() -> None:
    settled = LostSessions().settle(*missing_s9(NOW, NOW - 4))
    assert (settled.lost_count, settled.lost, settled.unconfirmed) == (0, (), 1)


def test_a_session_still_missing_after_both_sources_are_read_again_is_lost() -> None:
    lost = LostSessions()
    lost.settle(*missing_s9(NOW, NOW - 4))
    assert lost.settle(*missing_s9(NOW + 1, NOW + 1)).unconfirmed == 1  # the db: too soon
    settled = lost.settle(*missing_s9(NOW + 2, NOW + SETTLE))
    assert (settled.lost_count, settled.lost, settled.unconfirmed) == (1, ("s9",), 0)


def test_an_instance_failing_and_recovering_does_not_restart_the_settling_of_others() -> None:
    lost = LostSessions()
    lost.settle(*missing_s9(NOW, NOW - 4))
    garbled = InstancesReading(fetched_at=NOW + 1, instances=(
        instance("wa-3001"), instance("wa-3002", sessions_error="answered HTML instead of JSON")))
    during = lost.settle(sessions_view(CFG, garbled, accounts(("s9", "http://localhost:3002"))),
                         NOW + 1, NOW + 1)
    assert during.lost == () and not during.complete
    after = lost.settle(*missing_s9(NOW + 2, NOW + SETTLE))  # healed: s9 still lost
    assert after.lost == ("s9",)


def test_a_session_the_database_catches_up_with_is_never_lost() -> None:
    lost = LostSessions()
    lost.settle(*missing_s9(NOW, NOW - 4))
    reading = InstancesReading(fetched_at=NOW + 3, instances=(instance("wa-3001"),
                                                              instance("wa-3002")))
    caught_up = DatabaseReading(fetched_at=NOW + 3)  # the account is no longer connected
    assert lost.settle(sessions_view(CFG, reading, caught_up), NOW + 3, NOW + 3).lost == ()
    assert lost.settle(*missing_s9(NOW + 6, NOW + 6)).unconfirmed == 1  # missing anew


def worker(name: str, queues: tuple[str, ...], state: str = "RUNNING",
           connection: str | None = "database") -> ProcessInfo:
    return ProcessInfo(endpoint="main", group=name, name=f"{name}_00", state=state, pid=1,
                       queue_connection=connection, queues=queues, worker=True)


def supervisor(*procs: ProcessInfo) -> SupervisorReading:
    return SupervisorReading(fetched_at=NOW, endpoints=(
        EndpointReading(name="main", fetched_at=NOW, processes=procs),))


def test_queue_with_pending_jobs_and_no_running_worker_is_unserved() -> None:
    db = DatabaseReading(fetched_at=NOW, queues=(QueueDepth("whatsapp-high", pending=4310),
                                                 QueueDepth("default", pending=3)))
    views = {q.name: q for q in queue_views(
        db, None, supervisor(worker("w-default", ("default",)),
                             worker("w-high", ("whatsapp-high",), state="FATAL")),
        "database", (), NOW)}
    assert views["whatsapp-high"].unserved
    assert views["whatsapp-high"].idle_workers == ("w-high:w-high_00",)
    assert not views["default"].unserved and views["default"].workers == ("w-default:w-default_00",)


def test_a_worker_on_another_connection_serves_nothing_here() -> None:
    db = DatabaseReading(fetched_at=NOW, queues=(QueueDepth("default", pending=1),))
    [view] = queue_views(db, None, supervisor(worker("w", ("default",), connection="redis")),
                         "database", (), NOW)
    assert view.unserved


def test_without_supervisor_data_no_queue_is_called_unserved() -> None:
    db = DatabaseReading(fetched_at=NOW, queues=(QueueDepth("default", pending=1),))
    [view] = queue_views(db, None, SupervisorReading(error="down", attempted_at=NOW),
                         "database", (), NOW)
    assert view.served is None and not view.unserved


def test_watched_and_worker_queues_appear_even_when_empty() -> None:
    views = queue_views(DatabaseReading(fetched_at=NOW), None,
                        supervisor(worker("w", ("messaging",))), "database", ("default",), NOW)
    assert [(q.name, q.pending) for q in views] == [("default", 0), ("messaging", 0)]


def test_a_running_worker_whose_queues_are_unknown_makes_a_queue_unknown_not_unserved() -> None:
    horizon = ProcessInfo(endpoint="main", group="horizon", name="horizon", state="RUNNING",
                          pid=1, worker=True)
    db = DatabaseReading(fetched_at=NOW, queues=(QueueDepth("whatsapp-high", pending=40),))
    [view] = queue_views(db, None, supervisor(horizon), "database", (), NOW)
    assert view.served is None and not view.unserved


def test_a_worker_starting_again_after_exiting_does_not_serve_yet() -> None:
    looping = worker("w", ("default",), state="STARTING")
    db = DatabaseReading(fetched_at=NOW, queues=(QueueDepth("default", pending=3),))
    [fresh] = queue_views(db, None, supervisor(looping), "database", (), NOW)
    [again] = queue_views(db, None, supervisor(looping), "database", (), NOW,
                          restarted=frozenset({"w:w_00"}))
    assert fresh.served and again.unserved and again.idle_workers == ("w:w_00",)


def test_an_unreachable_database_leaves_every_queue_unknown_not_empty() -> None:
    views = queue_views(DatabaseReading.failed("connection refused", NOW), None,
                        supervisor(worker("w", ("default",))), "database", ("whatsapp-high",),
                        NOW)
    assert [(q.name, q.pending, q.unserved) for q in views] == [
        ("default", None, False), ("whatsapp-high", None, False)]


def test_the_supervisor_program_behind_an_instance_is_the_one_naming_its_port() -> None:
    names = ("blazz-whatsapp-30010", "blazz-queue-worker", "blazz-whatsapp-3001")
    supervisor = SupervisorReading(fetched_at=1.0, endpoints=(EndpointReading(
        fetched_at=1.0, name="main", processes=tuple(
            ProcessInfo("main", n, n, "RUNNING") for n in names)),))
    wa = InstanceConfig(name="wa-1", url="http://localhost:3001")
    assert instance_program(wa, None, supervisor) == "blazz-whatsapp-3001:blazz-whatsapp-3001"
    other = InstanceConfig(name="wa-9", url="http://localhost:3009")
    assert instance_program(other, None, supervisor) is None


def test_past_the_accounts_read_assigned_is_exact_and_drift_and_lost_are_bounds() -> None:
    reading = InstancesReading(fetched_at=NOW, instances=(
        instance("wa-3001", "s1"), instance("wa-3002")))
    database = replace(accounts(("s1", "http://localhost:3002"), ("s9", "http://localhost:3002")),
                       accounts_truncated=True,
                       accounts_by_url=(("http://localhost:3001", 40_000),
                                        ("http://localhost:3002", 60_000)))
    view = sessions_view(CFG, reading, database)
    assert [(i.name, i.assigned) for i in view.instances] == [("wa-3001", 40_000),
                                                              ("wa-3002", 60_000)]
    assert view.bound and (view.drift_count, view.lost) == (1, ("s9",))


def test_the_oldest_jobs_age_is_its_age_when_the_table_was_read() -> None:
    from blazz_tui.correlation import queue_views

    database = DatabaseReading(fetched_at=NOW - 3.0, queues=(
        QueueDepth("default", pending=1, oldest_pending_at=NOW - 4.0),))
    [view] = queue_views(database, None, None, "database", (), NOW)
    assert view.oldest_pending_age == 1.0  # not 4: the frame came three seconds later

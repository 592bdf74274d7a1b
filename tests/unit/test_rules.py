"""Health rules on hand-built snapshots (the real-server tiers reach the same states for real)."""

from __future__ import annotations

import json
from dataclasses import replace

from blazz_tui.correlation import QueueView
from blazz_tui.history import CacheWindow, DatabaseRates, Uptime
from blazz_tui.judge import Judge, Retries
from blazz_tui.rules import Perf, Status, apply_retries, evaluate, worst
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.database import DatabaseReading, ServerLoad
from blazz_tui.sources.instances import InstanceReading, InstancesReading
from blazz_tui.sources.logs import LogsReading, SyncRun
from blazz_tui.sources.redis import RedisReading
from blazz_tui.sources.supervisor import EndpointReading, ProcessInfo, SupervisorReading
from blazz_tui.transport.base import LinkState

NOW = 50_000.0
T = Thresholds()


def snapshot(**parts: object) -> Snapshot:
    base = Snapshot(target="t", transport="local", taken_at=NOW, supervisor=None, instances=None,
                    database=None, redis=None, host=None, ports=None, logs=None)
    return replace(base, **parts)  # type: ignore[arg-type]


def by_name(snap: Snapshot) -> dict[str, tuple[Status, str]]:
    return {c.name: (c.status, c.summary) for c in evaluate(snap, T)}


def test_fatal_program_is_critical_with_its_spawn_error() -> None:
    proc = ProcessInfo(endpoint="main", group="blazz-queue-campaign",
                       name="blazz-queue-campaign_01", state="FATAL",
                       spawn_error="Exited too quickly (process log may have details)")
    snap = snapshot(supervisor=SupervisorReading(fetched_at=NOW, endpoints=(
        EndpointReading(name="main", fetched_at=NOW, state="RUNNING", processes=(proc,)),)))
    status, summary = by_name(snap)["program:blazz-queue-campaign:blazz-queue-campaign_01"]
    assert status is Status.CRITICAL
    assert summary == "FATAL: Exited too quickly (process log may have details)"


def test_unserved_queue_is_critical_and_names_the_depth() -> None:
    queue = QueueView("whatsapp-high", pending=4310, oldest_pending_age=420.0, served=False)
    snap = snapshot(database=DatabaseReading(fetched_at=NOW), queues=(queue,))
    checks = by_name(snap)
    assert checks["unserved-queues"] == (
        Status.CRITICAL, "pending jobs and no running worker: whatsapp-high (4,310)")
    assert checks["queue:whatsapp-high"] == (
        Status.CRITICAL, "4,310 pending, oldest 7m, no running worker serves it")


def test_queue_depth_and_age_thresholds() -> None:
    def status(pending: int, age: float) -> Status:
        queue = QueueView("q", pending=pending, oldest_pending_age=age, served=True,
                          workers=("w:w_00",))
        return by_name(snapshot(database=DatabaseReading(fetched_at=NOW),
                                queues=(queue,)))["queue:q"][0]

    assert status(10, 5.0) is Status.OK
    assert status(1500, 5.0) is Status.WARNING
    assert status(10, 700.0) is Status.CRITICAL


def test_windowed_cache_hit_rate_below_the_alert_is_critical() -> None:
    redis = RedisReading(fetched_at=NOW, keyspace_hits=990_000, keyspace_misses=10_000)
    snap = snapshot(redis=redis, cache=CacheWindow(62.0, 1000, 60.0, 0, False, 620, 380))
    status, summary = by_name(snap)["cache-hit-rate"]
    assert status is Status.CRITICAL
    assert summary == ("62.0 % over the last 1m (server-wide: every database and client of "
                       "this Redis); since start 99.0 %")


def test_too_few_lookups_are_shown_but_not_judged() -> None:
    redis = RedisReading(fetched_at=NOW, keyspace_hits=1, keyspace_misses=1)
    snap = snapshot(redis=redis, cache=CacheWindow(50.0, 2, 60.0, 0, False, 1, 1))
    assert by_name(snap)["cache-hit-rate"][0] is Status.OK


def test_a_window_of_a_few_seconds_is_shown_but_not_judged() -> None:
    redis = RedisReading(fetched_at=NOW, keyspace_hits=99, keyspace_misses=1)
    snap = snapshot(redis=redis, cache=CacheWindow(90.0, 1000, 3.0, 0, False, 900, 100))
    status, summary = by_name(snap)["cache-hit-rate"]
    assert status is Status.OK
    assert summary.startswith("judged once the window spans 15s (3s so far); 90.0 % over")


def test_sync_older_than_ten_minutes_is_critical() -> None:
    logs = LogsReading(fetched_at=NOW, last_sync=SyncRun(at=NOW - 14 * 60, updated=3,
                                                         verified=44, file="laravel.log"))
    checks = by_name(snapshot(logs=logs))
    assert checks["instance-url-sync"] == (
        Status.CRITICAL, "last sync 14m ago: 3 updated, 44 verified")
    assert checks["sync-verified"][0] is Status.OK


def test_no_sync_line_is_a_warning_naming_the_scheduler() -> None:
    status, summary = by_name(snapshot(logs=LogsReading(fetched_at=NOW)))["instance-url-sync"]
    assert status is Status.WARNING and "scheduler" in summary


def test_lifetime_rate_alone_is_never_judged() -> None:
    redis = RedisReading(fetched_at=NOW, keyspace_hits=50, keyspace_misses=50)
    snap = snapshot(redis=redis, cache=CacheWindow(None, 0, 0.0, 0, False))
    assert by_name(snap)["cache-hit-rate"] == (
        Status.OK, "window starts at the next poll; since start 50.0 %")


def test_unreachable_redis_is_critical_and_dependent_checks_are_absent() -> None:
    checks = by_name(snapshot(redis=RedisReading.failed("connection refused", NOW)))
    assert checks["redis"] == (Status.CRITICAL, "unreachable: connection refused")
    assert "cache-hit-rate" not in checks


def test_a_critical_check_is_a_warning_until_it_failed_retries_times() -> None:
    snap = snapshot(database=DatabaseReading.failed("connection refused", NOW))
    [first] = apply_retries(evaluate(snap, T), {"database": 1}, retries=2)
    assert first.status is Status.WARNING
    assert first.summary.endswith("(failing 1/2 before CRITICAL)")
    [second] = apply_retries(evaluate(snap, T), {"database": 2}, retries=2)
    assert second.status is Status.CRITICAL


def test_the_judge_counts_each_failed_attempt_once_however_often_it_judges() -> None:
    judge = Judge(replace(T, retries=2))
    snap = snapshot(database=DatabaseReading.failed("connection refused", NOW))
    assert [c.status for c in judge.frame(snap).checks] == [Status.WARNING]
    assert [c.status for c in judge.frame(snap).checks] == [Status.WARNING]  # same attempt
    later = snapshot(database=DatabaseReading.failed("connection refused", NOW + 5))
    assert [c.status for c in judge.frame(later).checks] == [Status.CRITICAL]


def test_worst_status_orders_critical_over_warning_over_unknown() -> None:
    from blazz_tui.rules import Check

    checks = [Check("a", Status.UNKNOWN, ""), Check("b", Status.WARNING, ""),
              Check("c", Status.OK, "")]
    assert worst(checks) is Status.WARNING
    assert worst(checks + [Check("d", Status.CRITICAL, "")]) is Status.CRITICAL


def test_perfdata_follows_the_monitoring_plugins_syntax() -> None:
    assert Perf("queue_default", 12, "", "1000", "5000", 0).render() == \
        "'queue_default'=12;1000;5000;0"
    assert Perf("cache_hit_rate", 99.25, "%", "99:", "95:", 0, 100).render() == \
        "'cache_hit_rate'=99.25%;99:;95:;0;100"
    assert Perf("it's", 1).render() == "'it''s'=1"


def test_a_latency_taken_while_the_monitor_lagged_is_shown_but_not_judged() -> None:
    def instance(latency: float, stall: float) -> tuple[Status, str]:
        reading = InstancesReading(fetched_at=NOW, monitor_stall=stall, instances=(
            InstanceReading(name="wa-3001", url="http://127.0.0.1:3001", fetched_at=NOW,
                            latency=latency, active_sessions=10, status="healthy"),))
        return by_name(snapshot(instances=reading))["instance:wa-3001"]

    assert instance(0.6, 0.0)[0] is Status.WARNING  # the instance's own 600 ms
    status, summary = instance(0.6, 0.5)
    assert status is Status.OK
    assert summary.endswith("latency not judged: blazz-tui itself lagged 500 ms")


def test_checks_on_the_last_good_data_of_a_failing_source_are_unknown_and_say_its_age() -> None:
    proc = ProcessInfo(endpoint="main", group="blazz", name="w_00", state="RUNNING", pid=7,
                       uptime=60)
    good = SupervisorReading(fetched_at=NOW - 10, endpoints=(
        EndpointReading(name="main", fetched_at=NOW - 10, state="RUNNING", processes=(proc,)),))
    snap = snapshot(supervisor=good.stale("supervisord at unix:///s.sock did not answer "
                                          "within 3 s", NOW))
    checks = {c.name: c for c in Judge(T).frame(snap).checks}
    assert checks["supervisor"].status is Status.CRITICAL  # the source itself: not stale
    program = checks["program:blazz:w_00"]
    assert program.status is Status.UNKNOWN and program.perf == ()
    assert program.summary == "last good 10s ago: RUNNING pid 7, up 1m"
    assert "supervisor:main" not in checks  # its last good state would read OK


def test_perfdata_numbers_are_plain_decimals_and_labels_cannot_break_the_line() -> None:
    assert Perf("a", 74.9999).render() == "'a'=74.9999"
    assert Perf("a", 0.0002, "s").render() == "'a'=0.0002s"
    assert Perf("a", 1e-05).render() == "'a'=0.00001"
    assert Perf("queue_x\nCRITICAL 'y'=1", 3).render() == "'queue_x\\nCRITICAL ''y''_1'=3"


def test_over_ssh_an_instances_latency_leaves_out_the_links_round_trip() -> None:
    reading = InstancesReading(fetched_at=NOW, instances=(
        InstanceReading(name="wa-3001", url="http://127.0.0.1:3001", fetched_at=NOW,
                        latency=0.42, active_sessions=10, status="healthy"),))
    link = LinkState("prod", up=True, since=NOW - 60, rtt=0.18)
    status, summary = by_name(snapshot(instances=reading, link=link))["instance:wa-3001"]
    assert status is Status.OK  # 240 ms of its own, under the 300 ms warning
    assert summary.startswith("up, 240 ms") and "+180 ms link round trip not counted" in summary


def stale_program(error: str, attempted: float) -> SupervisorReading:
    proc = ProcessInfo(endpoint="main", group="blazz", name="w_00", state="FATAL", pid=7)
    good = SupervisorReading(fetched_at=NOW - 10, endpoints=(
        EndpointReading(name="main", fetched_at=NOW - 10, state="RUNNING", processes=(proc,)),))
    return good.stale(error, attempted)


def test_a_link_down_is_one_unknown_line_whatever_the_sources_say() -> None:
    link = LinkState("prod", up=False, since=NOW - 40, attempts=2, error="connection lost",
                     retry_in=4.2)
    snap = snapshot(link=link, supervisor=stale_program("ssh link down", NOW))
    checks = Judge(T).frame(snap).checks
    assert [(c.name, c.status) for c in checks] == [("link", Status.UNKNOWN)]
    assert checks[0].summary.startswith("ssh link to prod down since ")
    assert checks[0].summary.endswith("(40s): connection lost — attempt 3 in 4 s")


def test_a_source_that_failed_before_the_link_came_back_waits_for_its_next_read() -> None:
    link = LinkState("prod", up=True, since=NOW - 1, rtt=0.01)
    before = snapshot(link=link, supervisor=stale_program("ssh link down", NOW - 2))
    after = snapshot(link=link, supervisor=stale_program("supervisord refused", NOW))
    assert [c.name for c in Judge(T).frame(before).checks] == ["link"]
    assert "supervisor" in {c.name for c in Judge(T).frame(after).checks}


def loaded(longest: float | None, qps: float | None) -> Snapshot:
    load = ServerLoad(questions=9_000, selects=8_000, slow_queries=0, threads_running=3,
                      uptime=86_400, longest_query=longest,
                      longest_query_text="SELECT * FROM chats WHERE message_status = 'failed'")
    rates = DatabaseRates(qps, 4.0, 0, 60.0, 12) if qps is not None \
        else DatabaseRates(unknown="needs a second sample")
    return snapshot(database=DatabaseReading(fetched_at=NOW, engine="mysql", load=load),
                    database_load=rates)


def test_database_load_is_shown_and_only_a_long_query_is_judged_by_default() -> None:
    status, summary = by_name(loaded(0.4, 12.5))["database-load"]
    assert status is Status.OK
    assert summary == ("12.5 queries/s (4.0 selects) over 1m, blazz-tui's own 12 left out; "
                       "3 threads running; longest query 0s")
    status, summary = by_name(loaded(75.0, 12.5))["database-load"]
    assert status is Status.CRITICAL  # over db_query_time_crit = 60 s
    assert "longest query 1m15s: SELECT * FROM chats WHERE message_status" in summary


def test_a_query_rate_threshold_judges_it_and_an_unknown_rate_says_why() -> None:
    judged = evaluate(loaded(None, 450.0), replace(T, db_queries_warn=100, db_queries_crit=400))
    check = {c.name: c for c in judged}["database-load"]
    assert check.status is Status.CRITICAL
    assert "'db_queries'=450;100;400;0" in [p.render() for p in check.perf]
    assert by_name(loaded(None, None))["database-load"][1].startswith(
        "queries/s unknown (needs a second sample)")


def test_the_worst_instances_uptime_is_judged_once_observed_long_enough() -> None:
    uptime = (Uptime("wa-3001", 100.0, 3_600, 100.0, 7_200),
              Uptime("wa-3002", 93.5, 3_600, 96.0, 7_200))
    status, summary = by_name(snapshot(uptime=uptime))["instance-uptime"]
    assert status is Status.CRITICAL  # under 95 % (seeds: alert < 95 %)
    assert summary == ("wa-3002 93.5 % over the last hour (observed 1h00m), 96.0 % over 2h00m of "
                       "the day; the others ≥ 100.0 %")
    young = (Uptime("wa-3001", 50.0, 120, 50.0, 120),)
    assert by_name(snapshot(uptime=young))["instance-uptime"] == (
        Status.OK, "judged once an hour's uptime spans 15m (2m observed so far)")


def test_restarts_the_reads_did_not_see_as_downtime_are_named_beside_the_uptime() -> None:
    uptime = (Uptime("wa-3001", 100.0, 3_600, 100.0, 3_600, "pm2/whatsapp-3001", 2),
              Uptime("wa-3002", 100.0, 3_600, 100.0, 3_600, "blazz-whatsapp-3002", 0))
    status, summary = by_name(snapshot(uptime=uptime))["instance-uptime"]
    assert status is Status.OK
    assert summary.endswith("; restarted in the hour: wa-3001 ×2 (pm2/whatsapp-3001)")


# -- the hit rate on a Laravel app: the framework's own reads of its restart signals ---------

def _workers(count: int = 4, sleep: float = 3.0) -> SupervisorReading:
    procs = tuple(ProcessInfo("main", "blazz", f"blazz-queue-default_{i:02d}", "RUNNING",
                              pid=100 + i, worker=True, queues=("default",), sleep=sleep,
                              command="php artisan queue:work --sleep=3")
                  for i in range(count))
    return SupervisorReading(fetched_at=NOW, endpoints=(EndpointReading(
        name="main", fetched_at=NOW, processes=procs),))


def _cache(hits: int, misses: int, jobs_done: int | None = 0) -> tuple[RedisReading, CacheWindow]:
    lookups = hits + misses
    return (RedisReading(fetched_at=NOW, keyspace_hits=hits, keyspace_misses=misses,
                         signals=(("illuminate:queue:restart", False),
                                  ("laravel:reverb:restart", False))),
            CacheWindow(100.0 * hits / lookups if lookups else None, lookups, 60.0, 0, False,
                        hits, misses, jobs_done))


def test_an_idle_app_whose_workers_read_an_unset_restart_signal_is_not_judged() -> None:
    redis, window = _cache(hits=0, misses=80)  # 4 workers, every 3 s, for a minute
    status, summary = by_name(snapshot(redis=redis, cache=window,
                                       supervisor=_workers()))["cache-hit-rate"]
    assert status is Status.OK
    assert summary.startswith("not judged: 80 lookups in the last 1m, no more than the 4 "
                              "workers' own reads of the restart signals")
    assert "illuminate:queue:restart not set" in summary and "php artisan queue:restart" in summary


def test_a_storm_of_misses_beyond_the_frameworks_reads_is_critical() -> None:
    redis, window = _cache(hits=100, misses=5_080)
    status, summary = by_name(snapshot(redis=redis, cache=window,
                                       supervisor=_workers()))["cache-hit-rate"]
    assert status is Status.CRITICAL
    assert summary.startswith("2.0 % over the last 1m, leaving out up to 84 misses")


def test_a_busy_app_is_judged_with_one_restart_read_a_job_left_out() -> None:
    # 600 jobs in the minute, each followed by a read of the unset signal; the app's own
    # lookups (1,200) all hit.
    redis, window = _cache(hits=1_200, misses=680, jobs_done=600)
    status, summary = by_name(snapshot(redis=redis, cache=window,
                                       supervisor=_workers()))["cache-hit-rate"]
    assert status is Status.OK and summary.startswith("100.0 % over the last 1m")


def test_while_the_jobs_done_are_unknown_an_unset_signal_leaves_the_rate_unjudged() -> None:
    redis, window = _cache(hits=1_200, misses=680, jobs_done=None)
    status, summary = by_name(snapshot(redis=redis, cache=window,
                                       supervisor=_workers()))["cache-hit-rate"]
    assert status is Status.OK and summary.startswith("not judged: the workers' reads")


def test_consecutive_failures_count_each_attempt_once() -> None:
    retries = Retries()
    assert retries.count("x", attempt=1.0, failing=True) == 1
    assert retries.count("x", attempt=1.0, failing=True) == 1  # the same poll, framed again
    assert retries.count("x", attempt=2.0, failing=True) == 2
    assert retries.count("x", attempt=3.0, failing=False) == 0


def test_the_retries_survive_a_round_trip_through_json_and_garbage_is_ignored() -> None:
    retries = Retries()
    retries.count("x", attempt=1.0, failing=True)
    restored, garbled = Retries(), Retries()
    restored.load_data(json.loads(json.dumps(retries.to_data())))
    garbled.load_data({"x": "no"})
    assert restored.count("x", attempt=2.0, failing=True) == 2
    assert garbled.count("x", attempt=2.0, failing=True) == 1

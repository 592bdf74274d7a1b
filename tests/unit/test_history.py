"""History across polls: restarts, flapping input, windowed hit rate, retries, persistence."""

from __future__ import annotations

import json

from blazz_tui.history import History
from blazz_tui.sources.instances import InstanceReading, InstancesReading
from blazz_tui.sources.pm2 import Pm2Process, Pm2Reading
from blazz_tui.sources.redis import RedisReading
from blazz_tui.sources.supervisor import EndpointReading, ProcessInfo, SupervisorReading


def supervisor(pid: int, start: float, at: float = 1000.0) -> SupervisorReading:
    proc = ProcessInfo(endpoint="main", group="blazz-queue-default",
                       name="blazz-queue-default_00", state="RUNNING", pid=pid, start=start)
    endpoint = EndpointReading(name="main", processes=(proc,), fetched_at=at)
    return SupervisorReading(endpoints=(endpoint,), fetched_at=at)


def redis(at: float, hits: int, misses: int, run_id: str = "a") -> RedisReading:
    at += 5000.0  # epoch seconds; 0 would mean "never fetched"
    return RedisReading(fetched_at=at, attempted_at=at, run_id=run_id, keyspace_hits=hits,
                        keyspace_misses=misses)


def test_a_new_start_time_counts_as_a_restart() -> None:
    history = History()
    history.programs.observe_supervisor(supervisor(100, 1000.0))
    history.programs.observe_supervisor(supervisor(100, 1000.0))
    history.programs.observe_supervisor(supervisor(200, 1100.0))
    [restarts] = history.programs.restarts(now=1100.0)
    assert (restarts.name, restarts.restarts, restarts.recent) == (
        "blazz-queue-default:blazz-queue-default_00", 1, 1)


def test_restarts_outside_the_flap_window_are_not_recent() -> None:
    history = History(flap_window=60)
    history.programs.observe_supervisor(supervisor(1, 1000.0))
    history.programs.observe_supervisor(supervisor(2, 1010.0))
    history.programs.observe_supervisor(supervisor(3, 1020.0))
    [restarts] = history.programs.restarts(now=1075.0)
    assert (restarts.restarts, restarts.recent) == (2, 1)


def test_first_sight_of_a_program_is_not_a_restart() -> None:
    history = History()
    history.programs.observe_supervisor(supervisor(100, 1000.0))
    assert history.programs.restarts(now=1000.0) == ()


def test_windowed_hit_rate_comes_from_counter_deltas() -> None:
    history = History(cache_window=60)
    history.cache.observe(redis(0.0, hits=1_000_000, misses=10))
    history.cache.observe(redis(60.0, hits=1_000_062, misses=48))
    window = history.cache.window()
    assert window.lookups == 100
    assert window.hit_rate == 62.0
    assert window.seconds == 60.0


def test_counters_going_down_restart_the_window_instead_of_a_negative_rate() -> None:
    history = History()
    history.cache.observe(redis(0.0, hits=500, misses=5))
    history.cache.observe(redis(10.0, hits=3, misses=1))  # CONFIG RESETSTAT
    window = history.cache.window()
    assert window.hit_rate is None and window.reset_seen
    history.cache.observe(redis(20.0, hits=13, misses=1))
    assert history.cache.window().hit_rate == 100.0


def test_a_new_run_id_restarts_the_window() -> None:
    history = History()
    history.cache.observe(redis(0.0, hits=5, misses=5, run_id="a"))
    history.cache.observe(redis(10.0, hits=50, misses=5, run_id="b"))
    assert history.cache.window().hit_rate is None


def through_json(history: History) -> History:
    """What the next --check run restores of ``history`` from its state file."""
    restored = History()
    restored.load_data(json.loads(json.dumps(history.to_data())))
    return restored


def test_state_survives_a_round_trip_through_json() -> None:
    history = History()
    history.programs.observe_supervisor(supervisor(1, 1000.0))
    history.cache.observe(redis(0.0, hits=10, misses=0))
    restored = through_json(history)
    restored.programs.observe_supervisor(supervisor(2, 1050.0))
    restored.cache.observe(redis(60.0, hits=19, misses=1))
    assert restored.programs.restarts(now=1050.0)[0].restarts == 1
    assert restored.cache.window().hit_rate == 90.0


def test_garbled_state_is_ignored() -> None:
    history = History()
    history.load_data("{not json")
    history.load_data({"programs": 5})
    history.load_data(None)
    assert history.programs.restarts(now=0.0) == ()


T0 = 1_800_000_000.0


def answers(history: History, at: float, up: bool, name: str = "wa-3002") -> None:
    inst = InstanceReading(name=name, url="http://127.0.0.1:3002", fetched_at=at if up else 0.0,
                           attempted_at=at, error=None if up else "connection refused")
    history.uptime.observe(InstancesReading(instances=(inst,), fetched_at=at,
                                               attempted_at=at))


def test_uptime_is_the_observed_share_of_the_hour_answering() -> None:
    history = History()
    for second in range(0, 3_000, 2):
        answers(history, T0 + second, up=True)
    for second in range(3_000, 3_600, 2):
        answers(history, T0 + second, up=False)
    [uptime] = history.uptime.shares(now=T0 + 3_598)
    assert uptime.hour_observed == 3_598
    assert uptime.hour is not None and abs(uptime.hour - 100 * 2_999 / 3_598) < 0.01
    assert uptime.day == uptime.hour


def test_a_gap_longer_than_ten_minutes_is_not_observed_time() -> None:
    history = History()
    answers(history, T0, up=True)
    answers(history, T0 + 1_200, up=False)  # twenty minutes later: what happened between?
    answers(history, T0 + 1_500, up=False)
    [uptime] = history.uptime.shares(now=T0 + 1_500)
    assert (uptime.hour, uptime.hour_observed) == (0.0, 300.0)


def test_cron_checks_five_minutes_apart_keep_the_uptime_in_the_state_file() -> None:
    up_at = [True, True, True, False, True]  # one check found it down
    history = History()
    for i, up in enumerate(up_at):
        restored = through_json(history)  # each --check run is a new process
        answers(restored, T0 + 300 * i, up)
        history = restored
    [uptime] = history.uptime.shares(now=T0 + 1_200)
    assert uptime.hour_observed == 1_200
    assert uptime.hour == 75.0  # down from halfway before that check to halfway after


def test_pm2s_restart_count_rising_is_a_restart_and_a_reset_is_not() -> None:
    def pm2(restarts: int, at: float) -> Pm2Reading:
        return Pm2Reading(fetched_at=at, processes=(Pm2Process(
            "whatsapp-3001", 0, "online", 10, 5.0, restarts, 0, 0.0, 0, 3001, "server.js",
            "blazz"),))

    history = History()
    for restarts, at in ((4, 1000.0), (4, 1005.0), (6, 1010.0), (0, 1015.0), (1, 1020.0)):
        history.programs.observe_pm2(pm2(restarts, at))

    [seen] = history.programs.restarts(now=1020.0)
    assert (seen.name, seen.restarts, seen.last_hour) == ("pm2/whatsapp-3001", 3, 3)
    assert seen.last_restart_at == 1015.0  # the newest start: 5 s of uptime before 1020


def test_blazz_tuis_own_probes_are_left_out_of_the_window() -> None:
    from dataclasses import replace

    history = History(cache_window=60)
    # Each read probes the restart signals after its INFO: 2 misses, seen in the next INFO.
    history.cache.observe(replace(redis(0, 100, 10), own_misses=2))
    history.cache.observe(replace(redis(30, 100, 12), own_misses=2))
    history.cache.observe(replace(redis(60, 190, 14), own_misses=2))
    window = history.cache.window()
    assert (window.hits, window.misses, window.hit_rate) == (90, 0, 100.0)


def test_jobs_done_are_the_jobs_that_left_the_table() -> None:
    from blazz_tui.sources.database import DatabaseReading

    history = History()
    for at, next_id, rows in ((5000.0, 100, 10), (5030.0, 130, 12), (5060.0, 160, 5)):
        history.jobs.observe(DatabaseReading(fetched_at=at, jobs_next_id=next_id,
                                             jobs_rows=rows))
    assert history.jobs.done(5000.0, 5060.0) == 65  # 60 arrived, the table 5 shorter
    assert history.jobs.done(5030.0, 5060.0) == 37
    history.jobs.observe(DatabaseReading(fetched_at=5070.0, jobs_next_id=170, jobs_rows=None))
    assert history.jobs.done(5000.0, 5070.0) is None  # a queue over the cap: not known


def test_downtime_supervisords_log_records_counts_though_no_read_saw_it() -> None:
    history = History()
    for at in (1000.0, 1600.0):  # two reads ten minutes apart, both answered
        history.uptime.observe(InstancesReading(fetched_at=at, instances=(InstanceReading(
            name="wa-3001", fetched_at=at, attempted_at=at),)))
    [seen] = history.uptime.shares(1600.0)
    assert seen.hour == 100.0
    # The log: a minute down.
    [told] = history.uptime.shares(1600.0, {"wa-3001": [(1100.0, 1160.0)]})
    assert (told.hour, told.hour_observed) == (90.0, 600.0)


def test_a_restart_seen_in_the_log_and_as_a_new_start_time_is_counted_once() -> None:
    from dataclasses import replace

    from blazz_tui.sources.supervisor_log import ProcessLog, SupervisorLog

    history = History()
    history.programs.observe_supervisor(supervisor(100, 1000.0))
    history.programs.observe_supervisor(supervisor(200, 1100.0))  # a new start time: a restart
    reading = supervisor(200, 1100.0)
    logged = SupervisorLog({"blazz-queue-default_00": ProcessLog(restarts=(1100.4,))}, 900.0)
    endpoint = replace(reading.endpoints[0], log=logged)
    history.programs.observe_supervisor(replace(reading, endpoints=(endpoint,)))
    history.programs.observe_supervisor(replace(reading, endpoints=(endpoint,)))  # read again
    [restarts] = history.programs.restarts(now=1100.0)
    assert restarts.restarts == 1


def messages(at: float, sent: int, seconds: float) -> object:
    from blazz_tui.sources.messages import MessagesReading, SendCounters

    return MessagesReading(fetched_at=at, instances=(SendCounters(
        "wa-3001", sent=sent, failed=0, seconds_sum=seconds, seconds_count=sent),))


def test_sends_are_judged_over_the_last_minute_with_the_five_minutes_as_trend() -> None:
    history = History()
    sent, seconds = 0, 0.0
    for i in range(37):  # six minutes of reads 10 s apart, 100 sends each
        slow = i >= 31  # the last minute's sends take 0.5 s, before 0.05 s
        sent, seconds = sent + 100, seconds + 100 * (0.5 if slow else 0.05)
        history.messages.observe(messages(5000.0 + 10 * i, sent, seconds))  # type: ignore[arg-type]
    rates = history.messages.rates(60.0, 100)
    assert rates.recent is not None
    assert (rates.recent.seconds, rates.recent.latency) == (60.0, 0.5)
    assert rates.seconds == 300.0 and 0.1 < (rates.latency or 0) < 0.5


def test_a_quiet_target_is_judged_over_its_newest_sends() -> None:
    history = History()
    for i in range(31):  # five minutes, 5 sends every 10 s
        history.messages.observe(messages(5000.0 + 10 * i, 5 * i, 0.1 * 5 * i))  # type: ignore[arg-type]
    recent = history.messages.rates(60.0, 100).recent
    assert recent is not None and recent.sent == 100 and recent.seconds == 200.0

"""supervisord's main log as the record of restarts and downtime: put on the epoch by a
current run's spawn line, restarts only where a process ran before."""

from __future__ import annotations

import calendar
import time

from blazz_tui.sources.supervisor_log import parse

LOG = """\
ll exceed the maximum.  This is a cut first line
2026-12-03 20:48:04,331 INFO supervisord started with pid 30741
2026-12-03 20:48:04,365 INFO spawned: 'crashy_00' with pid 30742
2026-12-03 20:48:05,372 INFO success: crashy_00 entered RUNNING state, process has stayed up
2026-12-03 20:48:05,940 WARN exited: crashy_00 (exit status 1; not expected)
2026-12-03 20:48:05,946 INFO spawned: 'crashy_00' with pid 30744
2026-12-03 20:48:06,948 INFO success: crashy_00 entered RUNNING state, process has stayed up
2026-12-03 20:48:07,517 WARN exited: crashy_00 (exit status 1; not expected)
2026-12-03 20:48:08,516 INFO spawned: 'crashy_00' with pid 30747
2026-12-03 20:48:08,600 INFO spawned: 'steady_00' with pid 30750
"""
# supervisord wrote its local time; this host is 7 hours ahead of UTC (Asia/Jakarta).
LOCAL = 7 * 3600


def epoch(clock: str) -> float:
    return calendar.timegm(time.strptime(f"2026-12-03 {clock}", "%Y-%m-%d %H:%M:%S")) - LOCAL


def test_restarts_are_the_spawns_after_an_exit_on_the_epoch_of_the_current_run() -> None:
    log = parse(LOG, {"crashy_00": (30747, epoch("20:48:08")), "steady_00": (30750, 0.0)})
    assert log is not None
    crashy = log.processes["crashy_00"]
    assert [round(t - epoch("20:48:00"), 1) for t in crashy.restarts] == [5.9, 8.5]
    assert "steady_00" not in log.processes  # started once: never restarted
    assert round(log.since - epoch("20:48:04"), 1) == 0.3


def test_downtime_runs_from_an_exit_to_running_again() -> None:
    log = parse(LOG, {"crashy_00": (30747, epoch("20:48:08"))})
    assert log is not None
    [(first_from, first_to), (last_from, last_to)] = log.processes["crashy_00"].down
    assert first_to is not None
    assert round(first_to - first_from, 3) == 1.008  # 05.940 → 06.948
    assert last_to is None  # spawned, not yet RUNNING
    assert round(last_from - epoch("20:48:07"), 3) == 0.517


def test_a_log_whose_lines_cannot_be_placed_in_time_says_nothing() -> None:
    assert parse(LOG, {"crashy_00": (99999, epoch("20:48:08"))}) is None
    assert parse("garbage\n\x00\xff", {}) is None


def test_without_supervisords_start_in_view_a_spawn_is_a_restart() -> None:
    tail = "\n".join(LOG.splitlines()[3:])  # from RUNNING on: the first spawn is cut off
    log = parse(tail, {"crashy_00": (30747, epoch("20:48:08"))})
    assert log is not None and len(log.processes["crashy_00"].restarts) == 2

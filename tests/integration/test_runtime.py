"""The runtime's timer discipline, against real slow, failing and busy servers.

Counts are checked against upper bounds that a slower machine can only make smaller: reads
never overlap, so a source whose every answer takes ``d`` seconds is read at most ``W / d + 1``
times in ``W`` seconds, however often "poll now" and resume are asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from blazz_tui.collect import Collector
from blazz_tui.frame import Frame
from blazz_tui.judge import Judge
from blazz_tui.rules import Status
from blazz_tui.runtime import Runtime, backoff, one_shot
from blazz_tui.settings import (
    DatabaseConfig,
    InstanceConfig,
    LogsConfig,
    Poll,
    PollConfig,
    TargetConfig,
    Thresholds,
)
from blazz_tui.sources.base import Reading, Source
from blazz_tui.sources.database import DatabaseSource
from blazz_tui.sources.instances import InstancesReading, InstancesSource
from blazz_tui.sources.logs import LogsSource
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.hostile import closed_ports
from tests.fixtures.instances import InstanceFleet
from tests.fixtures.mysql import TestDatabase, insert_account


def target(instances: tuple[InstanceConfig, ...], poll: PollConfig,
           app_dir: str = ".") -> TargetConfig:
    return TargetConfig(name="t", supervisor=(), instances=instances, database=None, redis=None,
                        ports=(), logs=LogsConfig(files=()), poll=poll, app_dir=app_dir)


@contextmanager
def running(cfg: TargetConfig, sources: dict[str, Source[Reading]]) -> Iterator[Runtime]:
    collector = Collector(cfg, LocalTransport(), Thresholds(), sources=sources)
    runtime = Runtime(collector, Judge(Thresholds()), refresh=0.5)
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


def test_backoff_waits_the_interval_then_doubles_up_to_its_cap() -> None:
    assert [backoff(2.0, n) for n in range(6)] == [2.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff(10.0, 9) == 30.0
    assert backoff(60.0, 9) == 60.0  # never sooner than the interval


def test_poll_now_and_resume_never_add_a_read_to_one_under_way(
        instances: InstanceFleet) -> None:
    slow = instances[0]
    slow.fault(mode="slow", delay=1.0)  # every answer takes a second
    cfg = target((slow.config,), PollConfig(instances=Poll(0.1, 10.0)))
    source = InstancesSource(cfg.instances, LocalTransport(), 10.0)
    window = 5.0
    with running(cfg, {"instances": source}) as runtime:
        end = time.monotonic() + window
        while time.monotonic() < end:
            runtime.poll_now()
            runtime.pause()
            runtime.resume()
            time.sleep(0.2)
        reads = runtime.reads["instances"]
    assert 2 <= reads <= window / 1.0 + 1


def test_a_failing_source_is_read_less_often(tmp_path: Path) -> None:
    [port] = closed_ports(1)
    database = DatabaseConfig(url=f"mysql://root@127.0.0.1:{port}/blazz")
    cfg = target((), PollConfig(database=Poll(0.1, 1.0)))
    window = 3.0
    source = DatabaseSource(database, LocalTransport(), timeout=1.0)
    with running(cfg, {"database": source}) as runtime:
        time.sleep(window)
        reads = runtime.reads["database"]
        reading = runtime.collector.readings["database"]
    # every 0.1 s would be 30 reads; backing off: 0.1, 0.1, 0.2, 0.4, 0.4… s apart
    assert 3 <= reads <= 12
    assert reading.error is not None and "connection refused" in reading.error


class BrokenSource:
    """A fake: a source with a bug (its read raises), which no real server can produce."""

    name = "broken"

    async def read(self) -> InstancesReading:
        raise KeyError("uptime_in_seconds")

    def failed(self, error: str, attempted_at: float, latency: float) -> InstancesReading:
        return InstancesReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        pass


def test_a_source_that_raises_is_read_at_its_interval_and_shows_its_error() -> None:
    cfg = target((), PollConfig(instances=Poll(0.5, 1.0)))
    frames: list[Frame] = []
    with running(cfg, {"instances": BrokenSource()}) as runtime:
        runtime.on_frame = frames.append
        time.sleep(2.0)
        reads = runtime.reads["instances"]
    assert 1 <= reads <= 2.0 / 0.5 + 1
    reading = frames[-1].snapshot.instances
    assert reading is not None
    assert reading.error == "internal error in the instances source: KeyError: " \
                            "'uptime_in_seconds'"


def test_a_burst_of_log_lines_does_not_change_what_the_instances_show(
        instances: InstanceFleet, tmp_path: Path) -> None:
    log = tmp_path / "laravel.log"
    log.write_text("")
    cfg = target(instances.configs, PollConfig(instances=Poll(0.2, 2.0), logs=Poll(0.2, 3.0)),
                 app_dir=str(tmp_path))
    sources = {"instances": InstancesSource(cfg.instances, LocalTransport(), 2.0),
               "logs": LogsSource(LogsConfig(files=(str(log),)), LocalTransport(), ".")}
    errors: list[str] = []

    def watch(frame: Frame) -> None:
        reading = frame.snapshot.instances
        for inst in reading.instances if reading else ():
            if inst.error is not None:
                errors.append(f"{inst.name}: {inst.error}")

    def burst() -> None:
        line = "[2026-12-01 10:00:00] production.ERROR: Message sent failed {\"id\": %d}\n"
        with log.open("a") as f:
            for second in range(3):
                start = time.monotonic()
                f.write("".join(line % (second * 2000 + i) for i in range(2000)))
                f.flush()
                time.sleep(max(0.0, 1.0 - (time.monotonic() - start)))

    with running(cfg, sources) as runtime:  # type: ignore[arg-type]
        runtime.on_frame = watch
        writer = threading.Thread(target=burst)
        writer.start()
        writer.join()
        time.sleep(1.0)
        logs = runtime.collector.readings["logs"]
    assert errors == []
    assert logs.ok


def test_the_screen_is_not_complete_until_sessions_found_nowhere_were_read_again() -> None:
    from blazz_tui.sources.accounts import Account
    from blazz_tui.sources.database import DatabaseReading
    from blazz_tui.sources.instances import InstanceReading

    instance = InstanceConfig("wa-1", "http://127.0.0.1:3001")
    cfg = target((instance,), PollConfig())
    collector = Collector(cfg, LocalTransport(), Thresholds(),
                          sources={"instances": BrokenSource(), "database": BrokenSource()})
    runtime = Runtime(collector, Judge(Thresholds()))
    now = time.time()
    collector.store("instances", InstancesReading(fetched_at=now, instances=(
        InstanceReading(name="wa-1", url=instance.url, fetched_at=now, sessions=()),)))
    collector.store("database", DatabaseReading(fetched_at=now, accounts=(
        Account("u1", "s1", "connected", instance.url),)))
    frame = runtime.frame()
    assert frame.waiting == ("a second read of 1 sessions found nowhere",)


def test_a_one_shot_that_reads_again_for_lost_sessions_still_judges_latency(
        instances: InstanceFleet, sqlite_db: TestDatabase) -> None:
    # A session connected in the database and hosted nowhere makes the one-shot read the
    # instances a second time; the monitor's lag is measured then too, so a 0.4 s instance
    # is judged slow rather than "blazz-tui itself lagged".
    slow = instances[0]
    with sqlite_db.connection() as conn:
        insert_account(conn, session_id="gone", instance_url=slow.url)
    slow.fault(mode="slow", delay=0.4)
    cfg = replace(target((slow.config,), PollConfig()),
                  database=DatabaseConfig(url=sqlite_db.url))
    collector = Collector(cfg, LocalTransport(), Thresholds())
    shot = one_shot(collector, Judge(Thresholds()))
    check = next(c for c in shot.frame.checks if c.name == f"instance:{slow.name}")
    assert "not judged" not in check.summary
    assert check.status is Status.WARNING and check.summary.startswith("up, 4")
    lost = next(c for c in shot.frame.checks if c.name == "sessions-lost")
    assert lost.status is Status.CRITICAL  # read again, and confirmed


def test_the_process_switch_interval_is_its_own_again_once_watching_stops() -> None:
    import sys

    before = sys.getswitchinterval()
    cfg = target((), PollConfig())
    with running(cfg, {}):
        assert sys.getswitchinterval() != before  # the runtime's, while it polls
    assert sys.getswitchinterval() == before
    one_shot(Collector(cfg, LocalTransport(), Thresholds(), sources={}), Judge(Thresholds()))
    assert sys.getswitchinterval() == before

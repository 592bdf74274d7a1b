"""Messages from the chats table, failed send jobs, send times from the log, and which source a
figure is taken from — against a real MariaDB, a real SQLite file and a real log file."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from blazz_tui import message_figures
from blazz_tui.history import MessageRates
from blazz_tui.settings import DatabaseConfig, FieldError, LogsConfig, MessagesConfig
from blazz_tui.sources.chats import MessageWindow
from blazz_tui.sources.database import DatabaseReading, DatabaseSource
from blazz_tui.sources.logs import LogsReading, LogsSource, SendTimes
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.mysql import TestDatabase, drop_table, execute, insert_chats

HOUR = 3600.0


async def poll(db: TestDatabase, messages: MessagesConfig | None = None,
               timezone: str = "UTC") -> DatabaseReading:
    source = DatabaseSource(DatabaseConfig(url=db.url), LocalTransport(),
                            messages=messages or MessagesConfig(), timezone=timezone)
    try:
        return await source.read()
    finally:
        await source.close()


async def test_the_hours_failed_share_and_delivery_time_are_read(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_chats(conn, 50, status="failed", sent_at=time.time() - 2 * HOUR, took=None)
        insert_chats(conn, 90, took=0.0, sent_at=time.time() - 600)
        insert_chats(conn, 10, took=2.0, sent_at=time.time() - 600)
        insert_chats(conn, 6, status="failed", took=None)

    reading = await poll(blazz_db)

    chats = reading.chats
    assert reading.chats_error is None and chats is not None
    assert (chats.messages, chats.failed, chats.delivered) == (106, 6, 100)  # not 2 h ago
    assert chats.delivery_seconds == pytest.approx(20.0) and not chats.capped
    latency = message_figures.latency(None, None, reading)
    failed = message_figures.failed(None, reading)
    # The hour is the trend; the newest 100 messages (the last minute holds fewer) are judged.
    assert latency is not None and latency.trend is not None
    assert latency.trend.value == pytest.approx(0.2)
    assert failed is not None and failed.trend is not None
    assert failed.trend.value == pytest.approx(100 * 6 / 106)
    assert failed.trend.window == "over the last 1h00m, from the chats table"
    assert failed.messages == 100 and failed.value == pytest.approx(6.0)


async def test_sends_are_judged_over_the_last_minute_when_it_holds_enough(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_chats(conn, 300, took=0.0, sent_at=time.time() - 1800)
        insert_chats(conn, 96, took=1.0, sent_at=time.time() - 10)  # slower and failing now
        insert_chats(conn, 24, status="failed", took=None, sent_at=time.time() - 10)

    reading = await poll(blazz_db)

    failed = message_figures.failed(None, reading)
    latency = message_figures.latency(None, None, reading)
    assert failed is not None and failed.trend is not None
    assert (failed.messages, failed.value, failed.seconds) == (120, 20.0, 60.0)
    assert failed.trend.value == pytest.approx(100 * 24 / 420)
    assert latency is not None and latency.value == pytest.approx(1.0)


async def test_a_busier_hour_is_figured_over_its_newest_rows_and_says_so(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_chats(conn, 30, status="failed", took=None, sent_at=time.time() - 1800)
        insert_chats(conn, 40, took=0.0, sent_at=time.time() - 300)

    reading = await poll(blazz_db, MessagesConfig(scan_limit=40))

    chats = reading.chats
    assert chats is not None and chats.capped
    assert (chats.messages, chats.failed) == (40, 0)
    assert 295 <= chats.seconds <= 320  # the newest 40 rows cover five minutes, not the hour
    failed = message_figures.failed(None, reading)
    assert failed is not None and failed.window.startswith(
        "over the newest messages of the last 5m")


async def test_timestamps_are_read_in_the_apps_timezone(mysql_db: TestDatabase) -> None:
    with mysql_db.connection() as conn:  # Jakarta is UTC+7: read as UTC, all would be future
        insert_chats(conn, 5, status="failed", took=None, sent_at=time.time() - 2 * HOUR,
                     zone="Asia/Jakarta")
        insert_chats(conn, 20, took=1.0, zone="Asia/Jakarta")

    reading = await poll(mysql_db, timezone="Asia/Jakarta")

    assert reading.chats is not None and (reading.chats.messages, reading.chats.failed) == (20, 0)


async def test_a_target_without_a_chats_table_has_no_figure_from_it(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        drop_table(conn, "chats")

    reading = await poll(blazz_db)

    assert reading.ok and reading.chats is None and "not found" in str(reading.chats_error)
    assert message_figures.failed(None, reading) is None
    assert message_figures.latency(None, None, reading) is None


async def test_a_missing_column_makes_the_figures_unknown_naming_it(
        blazz_db: TestDatabase) -> None:
    reading = await poll(blazz_db, MessagesConfig(delivered_column="delivered_on"))

    failed = message_figures.failed(None, reading)
    assert failed is not None and failed.value is None
    assert failed.unknown == (f"table `chats` has no column `delivered_on` in "
                              f"{Path(blazz_db.name).name}")


async def test_failed_send_jobs_of_the_last_hour_are_counted_by_job_class(
        blazz_db: TestDatabase) -> None:
    def payload(job: str) -> str:
        return json.dumps({"uuid": "u", "displayName": job, "job": "Illuminate\\Queue\\"
                                                                  "CallQueuedHandler@call"})

    with blazz_db.connection() as conn:
        for n, job in enumerate(["App\\Jobs\\SendWhatsAppMessage"] * 3
                                + ["App\\Jobs\\SendCampaignMessage", "App\\Jobs\\ProcessWebhook"]):
            execute(conn, "INSERT INTO failed_jobs (uuid, connection, queue, payload, exception) "
                          "VALUES (?, 'database', 'messaging', ?, 'x')", (f"u{n}", payload(job)))

    reading = await poll(blazz_db)

    assert reading.failed_sends_last_hour == 4


def test_send_times_logged_by_the_app_give_the_latency_when_the_instances_do_not(
        tmp_path: Path) -> None:
    log = tmp_path / "laravel.log"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    log.write_text("".join(
        f'[{stamp}] production.INFO: Message sent successfully {{"account_id":{n},'
        f'"duration_ms":{ms}}}\n' for n, ms in enumerate((100, 200, 300)))
        + f"[{stamp}] production.INFO: Message sent successfully\n"
        + f'[{stamp}] production.INFO: Message sent {{"duration_ms":"nan"}}\n')
    source = LogsSource(LogsConfig(files=(str(log),)), LocalTransport(), str(tmp_path),
                        MessagesConfig().log_pattern)
    reading = asyncio.run(source.read())
    no_metrics = MessageRates(unknown="its /metrics has no send counters", available=False)

    latency = message_figures.latency(no_metrics, reading, None)

    assert latency is not None and latency.source == "the Laravel log"
    assert latency.value == pytest.approx(0.2) and latency.messages == 3


def test_the_instances_timings_come_before_the_log_and_the_log_before_the_table() -> None:
    metrics = MessageRates(latency=0.05, failed_percent=0.0, sent=30, seconds=300)
    logs = LogsReading(send_times=SendTimes(10, 1.0, seen=True), fetched_at=time.time())
    table = DatabaseReading(chats=MessageWindow(100, 1, 100, 30.0, HOUR),
                            fetched_at=time.time())

    def source(*parts: object) -> str | None:
        figure = message_figures.latency(*parts)  # type: ignore[arg-type]
        return None if figure is None else figure.source

    assert source(metrics, logs, table) == "the instances' /metrics"
    assert source(None, logs, table) == "the Laravel log"
    assert source(None, None, table) == "the chats table"
    silent = MessageRates(latency=None, sent=0, seconds=300)  # nothing sent through them
    assert source(silent, None, table) == "the chats table"
    assert message_figures.failed(metrics, table).source == "the chats table"  # type: ignore


@pytest.mark.parametrize(("field", "value", "message"), [
    ("table", "chats; DROP TABLE jobs", "is not a table or column name"),
    ("sent_column", "1st", "is not a table or column name"),
    ("log_pattern", r"Message sent (\d+)", "must capture the duration as (?P<ms>...)"),
    ("log_pattern", "Message sent (", "not a regular expression"),
    ("failed_statuses", (), "must name at least one status"),
])
def test_a_bad_messages_setting_is_refused_naming_it(field: str, value: object,
                                                     message: str) -> None:
    with pytest.raises(FieldError) as caught:
        MessagesConfig(**{field: value})  # type: ignore[arg-type]
    assert caught.value.key == field and message in str(caught.value)


async def test_a_quiet_hour_is_nothing_to_judge_not_unknown(blazz_db: TestDatabase) -> None:
    from blazz_tui.rules import Status, evaluate
    from blazz_tui.settings import Thresholds
    from blazz_tui.snapshot import Snapshot

    reading = await poll(blazz_db)  # an empty chats table
    snap = Snapshot(target="t", transport="local", taken_at=time.time(), supervisor=None,
                    instances=None, database=reading, redis=None, host=None, ports=None,
                    logs=None, failed_messages=message_figures.failed(None, reading))
    [check] = [c for c in evaluate(snap, Thresholds()) if c.name == "failed-messages"]
    assert (check.status, check.summary) == (
        Status.OK, "no message over the last 1h00m, from the chats table")

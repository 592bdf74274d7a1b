"""DatabaseSource against a real MariaDB and a real SQLite file."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from blazz_tui.fmt import count
from blazz_tui.settings import DatabaseConfig, FieldError
from blazz_tui.sources import database
from blazz_tui.sources.database import DatabaseReading, DatabaseSource, QueueDepth
from blazz_tui.sources.queue_jobs import QueueJobs
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.mysql import (
    SERVER,
    TestDatabase,
    drop_table,
    execute,
    insert_account,
    insert_accounts,
    insert_failed_jobs,
    insert_jobs,
)


class Limits(TypedDict, total=False):
    """The DatabaseConfig fields a test sets beside the URL."""

    accounts_limit: int
    count_cap: int


async def poll(url: str, watch: tuple[str, ...] = (), **config: Unpack[Limits]) -> DatabaseReading:
    source = DatabaseSource(DatabaseConfig(url=url, **config), LocalTransport(), watch=watch)
    try:
        return await source.read()
    finally:
        await source.close()


def steady_few(db: TestDatabase) -> int:
    """A steady poll's statements: queue names, the jobs table's next id, queue heads,
    failed_jobs id range, accounts; on MySQL also the server's status and its longest running
    statement."""
    return 5 + (2 if db.engine == "mysql" else 0)


def queue(reading: DatabaseReading, name: str) -> QueueDepth:
    return {q.name: q for q in reading.queues}[name]


# -- queues ---------------------------------------------------------------------------------


async def test_pending_reserved_and_delayed_are_counted_separately(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_jobs(conn, "whatsapp-high", 2, reserved=True)
        insert_jobs(conn, "whatsapp-high", 5)
        insert_jobs(conn, "whatsapp-high", 3, delay=600)
        insert_jobs(conn, "whatsapp-high", 1, delay=-30)  # was delayed, ready now
    reading = await poll(blazz_db.url)
    assert reading.error is None and reading.ok
    assert reading.engine == blazz_db.engine
    q = queue(reading, "whatsapp-high")
    assert (q.pending, q.reserved, q.delayed, q.capped) == (6, 2, 3, False)


async def test_queues_are_discovered_from_the_jobs_table(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        for name in ("default", "messaging", "whatsapp-urgent"):
            insert_jobs(conn, name)
    reading = await poll(blazz_db.url)
    assert [q.name for q in reading.queues] == ["default", "messaging", "whatsapp-urgent"]


async def test_watched_queue_without_jobs_appears_with_zeros(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_jobs(conn, "default")
    reading = await poll(blazz_db.url, watch=("whatsapp-high",))
    assert [q.name for q in reading.queues] == ["whatsapp-high", "default"]
    assert queue(reading, "whatsapp-high") == QueueDepth("whatsapp-high")


async def test_oldest_pending_is_the_creation_time_of_the_oldest_ready_job(
        blazz_db: TestDatabase) -> None:
    now = time.time()
    with blazz_db.connection() as conn:
        insert_jobs(conn, "default", reserved=True, created_at=now - 900)
        insert_jobs(conn, "default", delay=600, created_at=now - 800)
        insert_jobs(conn, "default", created_at=now - 420)
        insert_jobs(conn, "default", created_at=now - 10)
    q = queue(await poll(blazz_db.url), "default")
    assert q.oldest_pending_at == pytest.approx(now - 420, abs=1)


async def test_queue_with_only_reserved_jobs_has_no_oldest_pending(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_jobs(conn, "default", 2, reserved=True)
    q = queue(await poll(blazz_db.url), "default")
    assert (q.pending, q.reserved, q.oldest_pending_at) == (0, 2, None)


async def test_counts_are_capped_and_flagged(blazz_db: TestDatabase,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "HEAD_WINDOW", 5)
    with blazz_db.connection() as conn:
        insert_jobs(conn, "campaign", 30)
        insert_jobs(conn, "small", 8)
    reading = await poll(blazz_db.url, count_cap=20)
    assert (queue(reading, "campaign").pending, queue(reading, "campaign").capped) == (20, True)
    assert (queue(reading, "small").pending, queue(reading, "small").capped) == (8, False)
    assert count(queue(reading, "campaign").pending, True) == "≥ 20"


async def test_figures_are_exact_in_any_mix_up_to_the_cap(
        blazz_db: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "HEAD_WINDOW", 5)  # no longer decides what is counted
    with blazz_db.connection() as conn:
        insert_jobs(conn, "default", 2, reserved=True)
        insert_jobs(conn, "default", 10)
        insert_jobs(conn, "default", 7, delay=3600)  # delayed, far behind the head
        insert_jobs(conn, "reminders", 40, delay=86_400)  # nothing ready at all
    reading = await poll(blazz_db.url, count_cap=100)
    q = queue(reading, "default")
    assert (q.pending, q.reserved, q.delayed, q.capped) == (10, 2, 7, False)
    r = queue(reading, "reminders")
    assert (r.pending, r.delayed, r.oldest_pending_at) == (0, 40, None)


async def test_oldest_pending_is_found_behind_a_block_of_delayed_jobs(
        blazz_db: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "HEAD_WINDOW", 5)
    now = time.time()
    with blazz_db.connection() as conn:
        insert_jobs(conn, "default", 8, delay=3600, created_at=now - 1000)
        insert_jobs(conn, "default", 3, created_at=now - 300)
    q = queue(await poll(blazz_db.url), "default")
    assert q.oldest_pending_at == pytest.approx(now - 300, abs=1)


async def capped_then_drained(db: TestDatabase, delete: str) -> list[DatabaseReading]:
    """Three polls of a 50-job queue with count_cap 20: before, again, after ``delete``."""
    with db.connection() as conn:
        insert_jobs(conn, "campaign", 50)
    source = DatabaseSource(DatabaseConfig(url=db.url, count_cap=20), LocalTransport())
    try:
        readings = [await source.read(), await source.read()]
        db.execute(f"DELETE FROM jobs WHERE {delete}")
        readings.append(await source.read())
    finally:
        await source.close()
    return readings


async def test_capped_queue_is_not_recounted_until_workers_pass_its_anchor(
        blazz_db: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "HEAD_WINDOW", 5)
    first, second, third = await capped_then_drained(blazz_db, "id <= 40")  # oldest first
    assert queue(first, "campaign").capped and queue(second, "campaign").capped
    assert second.queries == steady_few(blazz_db)  # no bounded count
    assert (queue(third, "campaign").pending, queue(third, "campaign").capped) == (10, False)


async def test_capped_queue_is_recounted_when_its_count_is_due(
        blazz_db: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "HEAD_WINDOW", 5)
    monkeypatch.setattr(database, "RECOUNT_EVERY", 0.0)
    *_, third = await capped_then_drained(blazz_db, "id > 10")  # not the way workers go
    assert (queue(third, "campaign").pending, queue(third, "campaign").capped) == (10, False)


async def test_a_steady_poll_sends_the_same_few_statements_for_any_number_of_queues(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        for i in range(12):
            insert_jobs(conn, f"queue-{i}", 3)
    source = DatabaseSource(DatabaseConfig(url=blazz_db.url), LocalTransport())
    try:
        await source.read()
        steady = await source.read()
    finally:
        await source.close()
    assert steady.queries == steady_few(blazz_db)


# -- failed jobs and accounts ---------------------------------------------------------------


async def test_failed_jobs_are_counted_in_total_and_per_queue_for_the_last_hour(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_jobs(conn, "default")
        insert_failed_jobs(conn, "default", 2, failed_at=time.time() - 7200)
        insert_failed_jobs(conn, "default", 3)
        insert_failed_jobs(conn, "whatsapp-high", 1, failed_at=time.time() - 60)
    reading = await poll(blazz_db.url)
    assert (reading.failed_total, reading.failed_total_capped) == (6, False)
    assert queue(reading, "default").failed_last_hour == 3
    # a queue whose jobs all failed still shows, so its failures count
    assert queue(reading, "whatsapp-high") == QueueDepth("whatsapp-high", failed_last_hour=1)


async def test_failures_between_polls_are_added_and_a_flush_is_noticed(
        blazz_db: TestDatabase) -> None:
    source = DatabaseSource(DatabaseConfig(url=blazz_db.url), LocalTransport())
    try:
        with blazz_db.connection() as conn:
            insert_failed_jobs(conn, "default", 2)
            first = await source.read()
            insert_failed_jobs(conn, "default", 1)
            insert_failed_jobs(conn, "whatsapp-high", 1, failed_at=time.time() - 5000)
            second = await source.read()
            execute(conn, "DELETE FROM failed_jobs")
            flushed = await source.read()
    finally:
        await source.close()
    assert (first.failed_total, queue(first, "default").failed_last_hour) == (2, 2)
    assert (second.failed_total, queue(second, "default").failed_last_hour) == (4, 3)
    assert "whatsapp-high" not in [q.name for q in second.queues]  # its failure is too old
    assert (flushed.failed_total, [q.name for q in flushed.queues]) == (0, [])


async def test_failed_jobs_retried_or_forgotten_leave_the_figures_at_once(
        blazz_db: TestDatabase) -> None:
    # queue:retry / queue:forget delete rows from the middle: what the source saw before is
    # not counted once the rows are gone — the figures are the rows in failed_jobs now.
    source = DatabaseSource(DatabaseConfig(url=blazz_db.url), LocalTransport())
    try:
        with blazz_db.connection() as conn:
            insert_failed_jobs(conn, "default", 30)
            before = await source.read()
            execute(conn, "DELETE FROM failed_jobs WHERE id IN (SELECT id FROM (SELECT id "
                          "FROM failed_jobs ORDER BY id DESC LIMIT 25) AS retried)")
            insert_failed_jobs(conn, "default", 2)
            after = await source.read()
            rows = execute(conn, "SELECT COUNT(*) FROM failed_jobs")[0][0]
    finally:
        await source.close()
    assert (before.failed_total, queue(before, "default").failed_last_hour) == (30, 30)
    assert (after.failed_total, queue(after, "default").failed_last_hour) == (rows, rows) \
        == (7, 7)


async def test_failed_total_is_capped_and_flagged(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_failed_jobs(conn, "default", 12)
    reading = await poll(blazz_db.url, count_cap=10)
    assert (reading.failed_total, reading.failed_total_capped) == (10, True)


async def test_connected_accounts_are_read_with_their_assigned_instance(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        kept = insert_account(conn, instance_url="http://127.0.0.1:3002", session_id="s1")
        insert_account(conn, instance_url=None)
        insert_account(conn, instance_url="")
        insert_account(conn, status="disconnected", instance_url="http://127.0.0.1:3001")
    reading = await poll(blazz_db.url)
    assert len(reading.accounts) == 3 and not reading.accounts_truncated
    assert reading.accounts[0].uuid == kept
    assert reading.accounts[0].session_id == "s1"
    assert reading.accounts[0].assigned_instance_url == "http://127.0.0.1:3002"
    assert reading.accounts_by_url == (("", 2), ("http://127.0.0.1:3002", 1))


async def test_accounts_beyond_the_limit_are_truncated(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_accounts(conn, 6)
    reading = await poll(blazz_db.url, accounts_limit=4)
    assert (len(reading.accounts), reading.accounts_truncated) == (4, True)


async def test_accounts_past_the_limit_are_still_counted_by_instance(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_accounts(conn, 5, instance_url="http://127.0.0.1:3001")
        insert_accounts(conn, 3, instance_url="http://127.0.0.1:3002")
        insert_accounts(conn, 1, instance_url=None)
    reading = await poll(blazz_db.url, accounts_limit=4)
    assert reading.accounts_truncated
    assert reading.accounts_by_url == (("", 1), ("http://127.0.0.1:3001", 5),
                                       ("http://127.0.0.1:3002", 3))


# -- schema problems --------------------------------------------------------------------------


async def test_missing_jobs_table_is_reported_not_raised(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        drop_table(conn, "jobs")
        insert_failed_jobs(conn, "default")
        insert_accounts(conn, 2)
    reading = await poll(blazz_db.url)
    name = blazz_db.name if blazz_db.engine == "mysql" else "database.sqlite"
    assert reading.error is None
    assert reading.jobs_error == f"table `jobs` not found in {name}"
    assert (reading.failed_total, len(reading.accounts)) == (1, 2)


async def test_missing_failed_jobs_and_accounts_tables_are_reported_not_raised(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        drop_table(conn, "failed_jobs")
        drop_table(conn, "whatsapp_accounts")
        insert_jobs(conn, "default", 2)
    reading = await poll(blazz_db.url)
    assert reading.error is None and queue(reading, "default").pending == 2
    assert reading.failed_error is not None and "`failed_jobs` not found" in reading.failed_error
    assert reading.accounts_error is not None
    assert "`whatsapp_accounts` not found" in reading.accounts_error


async def test_missing_column_is_reported_not_raised(blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        drop_table(conn, "whatsapp_accounts")
        execute(conn, "CREATE TABLE whatsapp_accounts (id INTEGER PRIMARY KEY, uuid VARCHAR(36), "
                      "status VARCHAR(32))")
    reading = await poll(blazz_db.url)
    assert reading.error is None
    assert reading.accounts_error is not None
    assert "has no column" in reading.accounts_error


# -- connection failures --------------------------------------------------------------------


async def test_wrong_password_gives_error_without_the_password(mysql_db: TestDatabase) -> None:
    password = "Hunter2-not-the-password"
    url = mysql_db.url.replace("://root@", f"://root:{password}@")
    reading = await poll(url)
    assert reading.error is not None and not reading.ok
    assert reading.error.startswith("access denied for user 'root'@")
    assert reading.error.endswith("check the database password")
    assert password not in repr(reading)


async def test_unknown_database_gives_error(mysql_db: TestDatabase) -> None:
    reading = await poll(f"{SERVER}/blazz_no_such_db")
    assert reading.error == "database `blazz_no_such_db` does not exist on 127.0.0.1:3306"


async def test_server_down_gives_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free, and nothing listens once closed
    reading = await poll(f"mysql://root@127.0.0.1:{port}/blazz")
    assert reading.error == f"cannot connect to MySQL at 127.0.0.1:{port}: connection refused"
    assert not reading.has_data


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A fake, named as such: a port that accepts connections and never says a word, as a
    hung server does (a real MariaDB cannot be made to hang on cue)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


async def test_silent_server_times_out_and_close_does_not_wait_for_it(
        silent_server: int) -> None:
    source = DatabaseSource(DatabaseConfig(url=f"mysql://root@127.0.0.1:{silent_server}/blazz"),
                            LocalTransport(), timeout=1)
    reading = await source.read()
    started = time.perf_counter()
    await source.close()
    assert reading.error == "the database did not answer within 1 s"
    assert time.perf_counter() - started < 0.9  # the close gives up before another timeout


async def test_a_silent_server_with_a_long_timeout_still_cannot_hold_a_close(
        silent_server: int) -> None:
    source = DatabaseSource(DatabaseConfig(url=f"mysql://root@127.0.0.1:{silent_server}/blazz"),
                            LocalTransport(), timeout=10)
    poll = asyncio.ensure_future(source.read())
    await asyncio.sleep(0.3)
    poll.cancel()  # as a deadline above the source would
    started = time.perf_counter()
    await source.close()
    assert time.perf_counter() - started < 5  # not the 10 s the handshake could wait


async def test_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "database.sqlite"
    reading = await poll(f"sqlite:///{path}")
    assert reading.error == f"SQLite database file not found: {path}"
    assert not path.exists()


def test_an_unsupported_url_is_refused_when_the_configuration_is_read() -> None:
    with pytest.raises(FieldError, match="must start with mysql://"):
        DatabaseConfig(url="postgres://root@127.0.0.1/blazz")


async def test_connection_is_kept_between_polls_and_closed_by_close(
        mysql_db: TestDatabase) -> None:
    source = DatabaseSource(DatabaseConfig(url=mysql_db.url), LocalTransport())
    try:
        await source.read()
        after_first = mysql_processes(mysql_db)
        await source.read()
        after_second = mysql_processes(mysql_db)
    finally:
        await source.close()
    assert len(after_first) == 1 and after_second == after_first
    assert mysql_processes(mysql_db) == []


async def test_lost_connection_recovers_on_the_next_poll(blazz_db: TestDatabase) -> None:
    source = DatabaseSource(DatabaseConfig(url=blazz_db.url), LocalTransport())
    try:
        assert (await source.read()).ok
        if blazz_db.engine == "mysql":
            for (pid,) in mysql_processes(blazz_db):
                blazz_db.execute(f"KILL {int(pid)}")
        else:
            source._conn.close()  # noqa: SLF001 - SQLite has no server to drop us
        broken = await source.read()
        recovered = await source.read()
    finally:
        await source.close()
    assert broken.error is not None
    assert recovered.ok


async def test_a_poll_still_running_is_not_overlapped(blazz_db: TestDatabase) -> None:
    source = DatabaseSource(DatabaseConfig(url=blazz_db.url), LocalTransport())
    try:
        first = asyncio.ensure_future(source.read())
        await asyncio.sleep(0)
        second = await source.read()
        assert (await first).ok
    finally:
        await source.close()
    assert second.error == "the previous poll is still running (database slow)"


def mysql_processes(db: TestDatabase) -> list[tuple[int]]:
    rows = db.execute("SELECT id FROM information_schema.processlist WHERE db = ? "
                      "AND id <> CONNECTION_ID()", (db.name,))
    return [(int(r[0]),) for r in rows]


# -- a queue's oldest jobs and recent failures (details screen) -------------------------------

async def jobs_of(url: str, name: str, limit: int = 20) -> QueueJobs:
    source = DatabaseSource(DatabaseConfig(url=url), LocalTransport())
    try:
        return await source.queue_jobs(name, limit)
    finally:
        await source.close()


async def test_queue_details_list_its_oldest_jobs_first_with_their_class(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_jobs(conn, "messaging", 3, created_at=time.time() - 300, attempts=2)
        insert_jobs(conn, "default", 5)
        insert_jobs(conn, "messaging", 30)
    jobs = await jobs_of(blazz_db.url, "messaging", limit=10)
    assert jobs.error is None and len(jobs.oldest) == 10
    assert [j.id for j in jobs.oldest] == sorted(j.id for j in jobs.oldest)
    first = jobs.oldest[0]
    assert first.name == "App\\Jobs\\SendWhatsAppMessage" and first.attempts == 2
    assert 290 < time.time() - first.created_at < 400


async def test_queue_details_list_only_that_queues_failures_newest_first(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_failed_jobs(conn, "messaging", 2, exception="RuntimeException: first\n#0 trace")
        insert_failed_jobs(conn, "default", 4)
        insert_failed_jobs(conn, "messaging", 1, exception="LogicException: newest")
    jobs = await jobs_of(blazz_db.url, "messaging")
    assert [f.exception for f in jobs.failed] == [
        "LogicException: newest", "RuntimeException: first", "RuntimeException: first"]
    assert jobs.failed[0].id > jobs.failed[1].id


async def test_queue_details_without_failed_jobs_table_still_list_jobs(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_jobs(conn, "default", 2)
        drop_table(conn, "failed_jobs")
    jobs = await jobs_of(blazz_db.url, "default")
    assert len(jobs.oldest) == 2 and jobs.error is None
    assert jobs.failed_error is not None and "failed_jobs" in jobs.failed_error


async def test_queue_details_of_an_unreachable_database_are_an_error_not_an_exception() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    jobs = await jobs_of(f"mysql://root@127.0.0.1:{port}/blazz", "default")
    assert jobs.oldest == () and jobs.error is not None and str(port) in jobs.error


# -- the server's load ----------------------------------------------------------------------


async def test_the_apps_longest_running_statement_is_seen_with_its_text(
        mysql_db: TestDatabase) -> None:
    import threading

    def sleeper() -> None:
        with mysql_db.connection() as conn:
            execute(conn, "SELECT SLEEP(3) AS blazz_long_one")

    thread = threading.Thread(target=sleeper)
    thread.start()
    try:
        await asyncio.sleep(1.5)
        reading = await poll(mysql_db.url)
    finally:
        thread.join()

    load = reading.load
    assert load is not None and reading.load_error is None
    assert load.longest_query is not None and 1 <= load.longest_query <= 3
    assert "SLEEP(3)" in load.longest_query_text
    assert load.threads_running >= 2 and load.questions > 0 and load.uptime > 0


async def test_the_query_rate_counts_the_apps_statements_and_leaves_out_our_own(
        mysql_db: TestDatabase) -> None:
    from blazz_tui.history import History

    # The server is shared: other clients' statements fall in every window, as many as they
    # like. So each poll is bracketed by readings of the server's counter on a connection of
    # the test's own: what lies between the brackets of two polls is surely in their window,
    # what lies between their outer brackets, less the polls' own statements, at most.
    history = History()
    source = DatabaseSource(DatabaseConfig(url=mysql_db.url), LocalTransport())
    polls: list[tuple[int, DatabaseReading, int]] = []
    with mysql_db.connection() as meter:
        def questions() -> int:
            return int(execute(meter, "SHOW GLOBAL STATUS LIKE 'Questions'")[0][1])

        async def read() -> None:
            before = questions()
            reading = await source.read()
            polls.append((before, reading, questions()))
            history.database.observe(reading)

        try:
            await read()
            await asyncio.sleep(1.1)
            await read()  # blazz-tui alone
            quiet = history.database.rates()
            with mysql_db.connection() as conn:
                for _ in range(200):
                    execute(conn, "SELECT 1")
            await asyncio.sleep(1.1)
            await read()
            busy = history.database.rates()
        finally:
            await source.close()

    def bounds(first: int) -> tuple[int, int]:
        (a1, r1, b1), (a2, r2, b2) = polls[first], polls[first + 1]
        return a2 - b1 - 2, b2 - a1 - r1.queries - r2.queries + 2

    assert quiet.queries_per_second is not None and quiet.own_statements >= 4
    low, high = bounds(0)
    assert low <= round(quiet.queries_per_second * quiet.seconds) <= high, (low, high)
    assert busy.queries_per_second is not None and busy.own_statements >= 4
    low, high = bounds(1)
    assert low >= 200  # the app's statements are surely in the window
    assert low <= round(busy.queries_per_second * busy.seconds) <= high, (low, high)


async def test_sqlite_has_no_server_load_and_no_check_for_it(sqlite_db: TestDatabase) -> None:
    from blazz_tui.history import DatabaseRates
    from blazz_tui.rules import evaluate
    from blazz_tui.settings import Thresholds
    from blazz_tui.snapshot import Snapshot

    reading = await poll(sqlite_db.url)
    snap = Snapshot(target="t", transport="local", taken_at=time.time(), supervisor=None,
                    instances=None, database=reading, redis=None, host=None, ports=None,
                    logs=None, database_load=DatabaseRates(unknown="needs a second sample"))
    assert reading.load is None and reading.load_error == "SQLite has no server to count queries"
    assert "database-load" not in {c.name for c in evaluate(snap, Thresholds())}


async def test_the_jobs_that_left_the_table_can_be_told_from_two_polls(
        blazz_db: TestDatabase) -> None:
    with blazz_db.connection() as conn:
        insert_jobs(conn, "default", 5)
    before = await poll(blazz_db.url)
    with blazz_db.connection() as conn:  # workers take two; three more arrive
        execute(conn, "DELETE FROM jobs WHERE id IN (SELECT id FROM (SELECT id FROM jobs "
                      "ORDER BY id LIMIT 2) AS done)")
        insert_jobs(conn, "messaging", 3)
    after = await poll(blazz_db.url)
    assert (before.jobs_rows, after.jobs_rows) == (5, 6)
    assert before.jobs_next_id is not None and after.jobs_next_id is not None
    assert before.jobs_rows is not None and after.jobs_rows is not None
    arrived = after.jobs_next_id - before.jobs_next_id
    assert (arrived, arrived - (after.jobs_rows - before.jobs_rows)) == (3, 2)

"""Benchmark: what one DatabaseSource poll costs the MariaDB it watches.

Run ``python bench/db_poll.py`` (MariaDB at 127.0.0.1:3306, user root, empty password; override
with ``BLAZZ_BENCH_URL=mysql://user:pass@host:port``). It builds ``blazz_bench`` once — 1,000,000
rows in Laravel's ``jobs`` schema over eight queues, with a few reserved jobs at the front of each
queue and delayed jobs scattered through them, plus failed jobs and accounts — and keeps it for
the next run. Then it compares one poll against the naive queries, each on a warm buffer pool:

* server time: the sum of ``SHOW PROFILES`` durations of the statements on that connection;
* rows touched: ``Handler_read_*`` session-status deltas (index and row reads by the engine);
* statements sent, and the wall time of the whole poll as the client sees it.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from blazz_tui.clients.dbconn import DatabaseUrl, connect, parse_database_url
from blazz_tui.fmt import count
from blazz_tui.settings import DatabaseConfig
from blazz_tui.sim.schema import statements
from blazz_tui.sources.database import DatabaseReading, DatabaseSource
from blazz_tui.transport.local import LocalTransport

SERVER = os.environ.get("BLAZZ_BENCH_URL", "mysql://root@127.0.0.1:3306")
DATABASE = "blazz_bench"
ROWS = 1_000_000
QUEUES = ("default", "messaging", "campaign-stats", "campaign-conflict", "whatsapp-urgent",
          "whatsapp-high", "whatsapp-normal", "whatsapp-campaign")
RUNS = 5

NAIVE_PER_QUEUE = """SELECT COUNT(*),
    SUM(reserved_at IS NULL AND available_at <= UNIX_TIMESTAMP()),
    SUM(reserved_at IS NOT NULL),
    SUM(reserved_at IS NULL AND available_at > UNIX_TIMESTAMP()),
    MIN(CASE WHEN reserved_at IS NULL AND available_at <= UNIX_TIMESTAMP() THEN created_at END)
    FROM jobs WHERE queue = %s"""
NAIVE_GROUP_BY = "SELECT queue, COUNT(*) FROM jobs GROUP BY queue"


def server_url(database: str = "") -> DatabaseUrl:
    return parse_database_url(f"{SERVER.rstrip('/')}/{database or 'mysql'}")


def populate() -> None:
    """Create and fill ``blazz_bench`` unless a previous run already did."""
    admin = connect(server_url(), timeout=900)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        cur.execute(f"USE {DATABASE}")
        for sql in statements("mysql"):
            cur.execute(sql)
        cur.execute("SELECT COUNT(*) FROM jobs")
        if cur.fetchone()[0] >= ROWS:
            admin.close()
            return
        print(f"building {DATABASE}: {ROWS:,} jobs (once; kept for later runs)...", flush=True)
        started = time.perf_counter()
        cur.execute("TRUNCATE jobs")
        cur.execute("TRUNCATE failed_jobs")
        cur.execute("TRUNCATE whatsapp_accounts")
        now = int(time.time())
        names = ", ".join(f"'{q}'" for q in QUEUES)
        # Jobs arrive ten a second over the last ~28 hours, round-robin over the queues.
        # The first 3 jobs of each queue are reserved (workers are busy with them); one job in
        # a thousand is delayed by an hour, wherever it sits in its queue.
        cur.execute(
            f"""INSERT INTO jobs (queue, payload, attempts, reserved_at, available_at, created_at)
            SELECT ELT(1 + seq % {len(QUEUES)}, {names}),
                   CONCAT('{{"uuid":"', UUID(), '","displayName":"App.Jobs.SendWhatsAppMessage",',
                          '"maxTries":3,"timeout":120,"data":{{"messageId":', seq, ',"body":"',
                          REPEAT('lorem ipsum ', 20), '"}}}}'),
                   IF(seq <= {3 * len(QUEUES)}, 1, 0),
                   IF(seq <= {3 * len(QUEUES)}, {now} - 30, NULL),
                   {now} - ({ROWS} - seq) DIV 10 + IF(seq % 1000 = 7, 3600, 0),
                   {now} - ({ROWS} - seq) DIV 10
            FROM seq_1_to_{ROWS}"""
        )
        cur.execute(
            """INSERT INTO failed_jobs (uuid, connection, queue, payload, exception, failed_at)
            SELECT UUID(), 'database', ELT(1 + seq % 3, 'whatsapp-high', 'default', 'messaging'),
                   '{}', CONCAT('RuntimeException: send failed #', seq, REPEAT(' at frame', 200)),
                   UTC_TIMESTAMP() - INTERVAL (20000 - seq) * 5 SECOND
            FROM seq_1_to_20000"""
        )
        cur.execute(
            """INSERT INTO whatsapp_accounts (uuid, workspace_id, session_id, status,
                   assigned_instance_url)
            SELECT UUID(), 1 + seq % 50, CONCAT('session_', seq),
                   IF(seq % 5 = 0, 'disconnected', 'connected'),
                   CONCAT('http://127.0.0.1:', 3001 + seq % 4)
            FROM seq_1_to_2000"""
        )
        cur.execute("ANALYZE TABLE jobs, failed_jobs, whatsapp_accounts")
        cur.fetchall()
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    admin.close()


@dataclass(frozen=True)
class Cost:
    label: str
    statements: int
    server_ms: float
    rows_read: int
    wall_ms: float


def handler_reads(cur: Any) -> int:
    cur.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
    return sum(int(value) for _, value in cur.fetchall())


def profiled(conn: Any, work: Any) -> tuple[float, int, int, float]:
    """Run ``work()`` with profiling on ``conn``: (server ms, statements, rows read, wall ms)."""
    with conn.cursor() as cur:
        cur.execute("SET SESSION profiling_history_size = 100")
        cur.execute("SET SESSION profiling = 1")
        cur.execute("SHOW PROFILES")
        first = max((int(r[0]) for r in cur.fetchall()), default=0)
        before = handler_reads(cur)
    started = time.perf_counter()
    work()
    wall = (time.perf_counter() - started) * 1000
    with conn.cursor() as cur:
        after = handler_reads(cur)
        cur.execute("SHOW PROFILES")
        rows = [r for r in cur.fetchall() if int(r[0]) > first + 1  # after SHOW STATUS
                and not str(r[2]).startswith("SHOW SESSION STATUS")]
        cur.execute("SET SESSION profiling = 0")
    return sum(float(r[1]) for r in rows) * 1000, len(rows), after - before, wall


def measure_naive(label: str, sqls: list[tuple[str, tuple[Any, ...]]]) -> Cost:
    conn = connect(server_url(DATABASE), timeout=120)

    def work() -> None:
        with conn.cursor() as cur:
            for sql, args in sqls:
                cur.execute(sql, args)
                cur.fetchall()

    work()  # warm the buffer pool
    runs = [profiled(conn, work) for _ in range(RUNS)]
    conn.close()
    return summarise(label, runs)


def measure_source() -> tuple[list[Cost], DatabaseReading]:
    """Three kinds of poll: steady (queues over the cap anchored), one queue's count due, and
    every queue counted (the first poll, or a poll after every anchor was passed)."""
    source = DatabaseSource(DatabaseConfig(url=f"{SERVER}/{DATABASE}"), LocalTransport(),
                            watch=("whatsapp-urgent",))
    loop = asyncio.new_event_loop()
    reading = loop.run_until_complete(source.read())  # connects; warms the buffer pool
    if reading.error:
        sys.exit(f"the source failed: {reading.error}")
    conn = source._conn  # the source's own connection: profile exactly what it sends
    readings: list[DatabaseReading] = []

    def poll() -> None:
        readings.append(loop.run_until_complete(source.read()))

    def one_count_due() -> None:
        next(iter(source._over.values())).at = 0.0
        poll()

    def all_counted() -> None:
        source._over.clear()
        poll()

    costs = [
        summarise("DatabaseSource.read(), steady", [profiled(conn, poll) for _ in range(RUNS)]),
        summarise("  ... one capped queue recounted",
                  [profiled(conn, one_count_due) for _ in range(RUNS)]),
        summarise("  ... every queue counted (1st)",
                  [profiled(conn, all_counted) for _ in range(RUNS)]),
    ]
    poll()
    loop.run_until_complete(source.close())
    loop.close()
    return costs, readings[-1]


def summarise(label: str, runs: list[tuple[float, int, int, float]]) -> Cost:
    return Cost(label, runs[0][1], statistics.median(r[0] for r in runs),
                int(statistics.median(r[2] for r in runs)), statistics.median(r[3] for r in runs))


def exact_counts() -> dict[str, tuple[int, int, int, int | None]]:
    conn = connect(server_url(DATABASE), timeout=120)
    out = {}
    with conn.cursor() as cur:
        for q in QUEUES:
            cur.execute(NAIVE_PER_QUEUE, (q,))
            total, pending, reserved, delayed, oldest = cur.fetchone()
            out[q] = (int(pending or 0), int(reserved or 0), int(delayed or 0), oldest)
    conn.close()
    return out


def main() -> None:
    populate()
    source_costs, reading = measure_source()
    costs = [
        *source_costs,
        measure_naive("naive COUNT/SUM/MIN per queue", [(NAIVE_PER_QUEUE, (q,)) for q in QUEUES]),
        measure_naive("bare COUNT(*) GROUP BY queue", [(NAIVE_GROUP_BY, ())]),
    ]
    print(f"\n{ROWS:,} jobs in {len(QUEUES)} queues; median of {RUNS} warm runs "
          f"(count_cap {DatabaseConfig().count_cap:,})\n")
    print(f"{'':34}{'statements':>11}{'server ms':>11}{'rows read':>12}{'wall ms':>10}")
    for c in costs:
        print(f"{c.label:34}{c.statements:>11}{c.server_ms:>11.2f}{c.rows_read:>12,}"
              f"{c.wall_ms:>10.2f}")
    exact = exact_counts()
    print("\nwhat the poll reports vs the exact figures (pending / reserved / delayed):")
    for q in reading.queues:
        p, r, d, oldest = exact.get(q.name, (0, 0, 0, None))
        figures = f"{count(q.pending, q.capped)} {count(q.reserved, q.capped)} " \
                  f"{count(q.delayed, q.capped)}"
        age = "" if q.oldest_pending_at is None else f"oldest {q.oldest_pending_at:.0f}"
        print(f"  {q.name:20} {figures:>22}   "
              f"exact {p:>7,} {r:>3} {d:>4}   {age} (exact {oldest})")
    conn = connect(server_url(DATABASE))
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM failed_jobs "
                    "WHERE failed_at >= UTC_TIMESTAMP() - INTERVAL 1 HOUR")
        exact_hour = cur.fetchone()[0]
    conn.close()
    print(f"  failed in the last hour: exact {exact_hour}")
    print(f"  failed_jobs: {reading.failed_total:,}{'+' if reading.failed_total_capped else ''}"
          f" total, last hour {sum(q.failed_last_hour for q in reading.queues)}; "
          f"{len(reading.accounts)} connected accounts")


if __name__ == "__main__":
    main()

"""Benchmark: what reading the last hour's messages from ``chats`` costs the MariaDB it watches.

Run ``python bench/chats.py`` (MariaDB at 127.0.0.1:3306, user root, empty password; override
with ``BLAZZ_BENCH_URL=mysql://user:pass@host:port``). It builds ``blazz_bench_chats`` once —
1,000,000 messages in seed 003's ``chats`` schema (its indexes, none on ``sent_at``), five a
second, so the last hour holds 18,000 — and keeps it for the next run. Then, on a warm buffer
pool, it times (median of 30, server side as the client sees it):

* the source's statement (the newest ``scan_limit`` rows by primary key) at 2,000 / 5,000
  (the default) / 20,000 rows;
* the anchor: the query an operator would write, ``WHERE sent_at >= NOW() - 1 hour`` over the
  whole table (no index: a full scan);
* a primary-key point lookup, the floor of any statement on this connection.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from blazz_tui.clients.dbconn import connect, parse_database_url
from blazz_tui.settings import MessagesConfig
from blazz_tui.sim.schema import statements
from blazz_tui.sources.chats import read_chats

SERVER = os.environ.get("BLAZZ_BENCH_URL", "mysql://root@127.0.0.1:3306").rstrip("/")
DATABASE = "blazz_bench_chats"
ROWS = 1_000_000
PER_SECOND = 5
RUNS = 30


class _Rows:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), args)
            return list(cur.fetchall())


def populate() -> None:
    conn = connect(parse_database_url(f"{SERVER}/mysql"), timeout=900)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        cur.execute(f"USE {DATABASE}")
        chats = next(s for s in statements("mysql") if "EXISTS chats" in s)
        cur.execute(chats)
        cur.execute("SELECT COUNT(*), MAX(sent_at) FROM chats")
        have, newest = cur.fetchone()
        if have >= ROWS and newest and (datetime.now(UTC).replace(tzinfo=None) - newest
                                        ).total_seconds() < 600:
            return
        cur.execute("TRUNCATE chats")
        now = time.time()
        print(f"filling {ROWS:,} messages (once; ~30 s)", flush=True)
        batch = []
        for i in range(ROWS):
            sent = now - (ROWS - i) / PER_SECOND

            def stamp(epoch: float) -> str:
                return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")

            failed = random.random() < 0.02
            batch.append((random.randint(1, 50), random.randint(1, 5000), f"+62812{i:07d}",
                          "hello, this is a message of some ordinary length " * 2,
                          "failed" if failed else "delivered", stamp(sent),
                          None if failed else stamp(sent + random.uniform(0.05, 0.3)),
                          stamp(sent)))
            if len(batch) == 10_000:
                cur.executemany(
                    "INSERT INTO chats (workspace_id, whatsapp_account_id, contact_phone, "
                    "last_message, message_status, sent_at, delivered_at, last_message_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", batch)
                batch = []
    conn.close()


def median_ms(fn: Any) -> float:
    fn()  # warm
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    populate()
    conn = connect(parse_database_url(f"{SERVER}/{DATABASE}"), timeout=60)
    s = _Rows(conn)
    zone = ZoneInfo("UTC")
    floor = median_ms(lambda: s.rows("SELECT id FROM chats WHERE id = 500000"))
    naive = median_ms(lambda: s.rows(
        "SELECT COUNT(*), SUM(message_status = 'failed') FROM chats "
        "WHERE sent_at >= UTC_TIMESTAMP() - INTERVAL 1 HOUR"))
    print(f"{'statement':<46}{'ms':>9}{'× lookup':>10}{'× naive':>9}")
    print(f"{'primary-key lookup (floor)':<46}{floor:9.2f}{1:10.1f}{floor / naive:9.3f}")
    print(f"{'naive: WHERE sent_at >= 1 hour ago (anchor)':<46}{naive:9.2f}"
          f"{naive / floor:10.1f}{1:9.3f}")
    for limit in (2_000, 5_000, 20_000):
        config = MessagesConfig(scan_limit=limit)
        window = read_chats(s, "mysql", config, zone, time.time())
        took = median_ms(lambda c=config: read_chats(s, "mysql", c, zone, time.time()))
        label = f"source, newest {limit:,} rows" + (" (default)" if limit == 5_000 else "")
        print(f"{label:<46}{took:9.2f}{took / floor:10.1f}{took / naive:9.3f}"
              f"   window {window.seconds / 60:.0f} min, {window.messages:,} messages, "
              f"{100 * window.failed / max(1, window.messages):.1f} % failed")
    conn.close()


if __name__ == "__main__":
    main()

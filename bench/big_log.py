"""Benchmark: opening a 2 GB Laravel log.

Run ``python bench/big_log.py [--gib 2]`` (needs ``pip install pyte``; writes the file in a
temporary directory and deletes it). Measured:

* the logs source's first read of the file, in process: time, bytes read (``rchar`` from
  /proc/self/io) and RSS growth — it must read the tail, not the file;
* the dashboard watching that file on the simulated stack, in a pty: time to the first
  complete screen, against the same stack with its ordinary logs.

The file has no sync line, so the source's bounded backwards search for the last
instance-URL sync runs to its limit: the worst case. Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import psutil
from _harness import Terminal, complete, config_with, demo_stack

from blazz_tui.settings import LogsConfig
from blazz_tui.sources.logs import LogsSource
from blazz_tui.transport.local import LocalTransport


def write_log(path: Path, gib: float) -> None:
    line = b"[2026-11-25 05:00:00] production.INFO: Message sent to account acc-00001 {}\n"
    block = line * (4 * 1024 * 1024 // len(line))
    with path.open("wb") as out:
        while out.tell() < gib * 2**30:
            out.write(block)


def rchar() -> int:
    for row in Path("/proc/self/io").read_text().splitlines():
        if row.startswith("rchar:"):
            return int(row.split()[1])
    return 0


async def first_read(path: Path) -> tuple[float, int, int, int]:
    source = LogsSource(LogsConfig(files=(str(path),)), LocalTransport(), str(path.parent))
    rss, read = psutil.Process().memory_info().rss, rchar()
    start = time.perf_counter()
    reading = await source.read()
    took = time.perf_counter() - start
    return (took, rchar() - read, psutil.Process().memory_info().rss - rss,
            len(reading.entries))


def first_screen(config: Path, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        term = Terminal(["blazz-tui", "-c", str(config)])
        took = term.wait_for(complete, timeout=60)
        times.append(took if took is not None else float("nan"))
        term.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="blazz-biglog-") as tmp:
        path = Path(tmp) / "laravel.log"
        start = time.perf_counter()
        write_log(path, args.gib)
        size = os.path.getsize(path)
        print(f"wrote {size / 2**30:.2f} GiB in {time.perf_counter() - start:.1f} s")
        took, read, grew, entries = asyncio.run(first_read(path))
        print(f"logs source, first read: {took * 1000:.0f} ms, read {read / 2**20:.1f} MiB "
              f"({read / size * 100:.2f} % of the file), RSS +{grew / 2**20:.1f} MiB, "
              f"{entries:,} entries kept")
        with demo_stack() as layout:
            ordinary = first_screen(layout.config_path)
            big = first_screen(config_with(layout, logs=[str(path)]))
            print(f"first complete screen: {big:.2f} s with the {size / 2**30:.1f} GiB log, "
                  f"{ordinary:.2f} s with the stack's own logs")


if __name__ == "__main__":
    main()

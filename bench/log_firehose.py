"""Benchmark: the logs panel against a fast writer.

Run ``python bench/log_firehose.py [--rate 5000] [--seconds 60]`` (needs ``pip install pyte``).
On the simulated stack, a writer appends Laravel-format lines (``… local.INFO: seq=N …``) to
a log the dashboard watches, at ``--rate`` lines per second. The dashboard runs in a pty
(120x40, 1 s refresh) read by a terminal emulator. Every second the newest ``seq=`` visible
on screen is compared with the writer's: the lag, in lines and seconds, must not grow. At the
middle, ``?`` is pressed and the time until the help screen shows is the input latency
under load. The dashboard's CPU and RSS over the run are printed too. Figures only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import statistics
import time
from pathlib import Path

from _harness import Terminal, Usage, complete, config_with, demo_stack

SEQ = re.compile(r"seq=(\d+)")


def writer(path: str, rate: int, seconds: float, current: multiprocessing.Value) -> None:
    tick = 0.01
    per_tick = max(1, int(rate * tick))
    seq = 0
    start = time.perf_counter()
    with open(path, "a", buffering=1 << 20) as log:
        while time.perf_counter() - start < seconds:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
            log.write("".join(f"[{stamp}] local.INFO: seq={seq + i} firehose message "
                              "for the logs panel benchmark\n" for i in range(per_tick)))
            log.flush()
            seq += per_tick
            current.value = seq
            next_tick = start + (seq / per_tick) * tick
            time.sleep(max(0.0, next_tick - time.perf_counter()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with demo_stack() as layout:
        log = Path(layout.app_dir) / "storage" / "logs" / "firehose.log"
        log.touch()
        config = config_with(layout, interval=1, logs=[str(log)])
        term = Terminal(["blazz-tui", "-c", str(config)])
        term.wait_for(complete, timeout=30)
        usage = Usage(term.proc.pid)
        current = multiprocessing.Value("q", 0)
        proc = multiprocessing.Process(target=writer, args=(str(log), args.rate, args.seconds,
                                                            current))
        proc.start()
        lags: list[tuple[float, int]] = []
        start = time.perf_counter()
        latency = None
        while proc.is_alive():
            time.sleep(1)
            usage.sample()
            if latency is None and time.perf_counter() - start > args.seconds / 2:
                term.send("?")  # a key under load: the help screen must open at once
                latency = term.wait_for(lambda lines: "blazz-tui keys" in "".join(lines), 10)
                term.send("\x1b")
                term.wait_for(lambda lines: "blazz-tui keys" not in "".join(lines), 10)
                continue
            shown = [int(m) for line in term.lines() for m in SEQ.findall(line)]
            if shown:
                lags.append((time.perf_counter() - start, current.value - max(shown)))
        proc.join()
        for at, lag in lags:
            if int(at) % 10 == 0 or at == lags[-1][0]:
                print(f"t={at:5.1f} s  lag {lag:7,d} lines = {lag / args.rate:5.2f} s")
        first = [lag for at, lag in lags if at <= 10]
        last = [lag for at, lag in lags if at >= args.seconds - 10]
        print(f"median lag, first 10 s: {statistics.median(first) / args.rate:.2f} s; "
              f"last 10 s: {statistics.median(last) / args.rate:.2f} s "
              f"({args.rate:,} lines/s for {args.seconds:g} s)")
        print(f"'?' to the help screen, mid-run: {latency:.2f} s" if latency is not None
              else "'?' did not open the help screen within 10 s")
        cpu, rss, rss_max = usage.result()
        print(f"dashboard during the run: {cpu:.1f} % of one core, RSS mean {rss:.0f} MiB, "
              f"max {rss_max:.0f} MiB")
        term.close()


if __name__ == "__main__":
    main()

"""Benchmark: what one `blazz-tui --check` costs on a local stack, against the seeds' anchor.

Run ``python bench/check_speed.py``. It starts the simulated stack (as `blazz-tui sim start`
does), then measures, each as the median of several runs:

* `blazz-tui --check` as a user runs it (a new process: interpreter start, imports, one
  concurrent collection, rules, output);
* one in-process collection (`run_check`) — the part a cron job cannot avoid;
* the anchor: nine shallow, sequential curls against the same stack, which is the shape of
  the seeds' `scripts/health-check.sh`;
* `--check` while one instance answers only after 5 s (instance timeout 1.5 s): the slow
  instance must cost its timeout once, not once per check.

It also prints what one collection sends: SQL statements, Redis commands, HTTP requests.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from blazz_tui.check import run_check
from blazz_tui.config import load_config
from blazz_tui.sim import faults
from blazz_tui.sim.cli import launch, stop

RUNS = 7


def median_time(fn: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="blazz-bench-"))
    try:
        started = time.perf_counter()
        layout = launch(root, accounts=300)
        print(f"stack ready in {time.perf_counter() - started:.2f} s "
              f"({len(layout.instance_ports)} instances, 300 accounts)\n")
        time.sleep(3)  # let traffic and the first sync run
        config_path = str(layout.config_path)
        cli = [sys.executable, "-m", "blazz_tui", "-c", config_path, "--check"]

        def run_cli() -> None:
            subprocess.run(cli, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        config = load_config(config_path)

        def in_process() -> None:
            asyncio.run(run_check(config, persist=False))

        curl = shutil.which("curl")
        urls = [f"{layout.instance_url(p)}/health" for p in layout.instance_ports]
        urls += [f"{layout.instance_url(p)}/health/sessions" for p in layout.instance_ports]
        urls.append(f"http://127.0.0.1:{layout.reverb_port}/")

        def nine_curls() -> None:
            for url in urls[:9]:
                subprocess.run([curl or "curl", "-s", "-o", "/dev/null", "-m", "2", url,
                                "-H", f"X-Api-Key: {layout.api_key}"])

        rows = [("blazz-tui --check (new process)", median_time(run_cli)),
                ("one collection in process (run_check)", median_time(in_process))]
        if curl:
            rows.append(("anchor: 9 sequential curls (health-check.sh shape)",
                         median_time(nine_curls)))
        result = asyncio.run(run_check(config, persist=False))
        snap = result.snapshot
        print(f"{'what':<55} {'median':>8}")
        for name, seconds in rows:
            print(f"{name:<55} {seconds * 1000:>6.0f} ms")
        print(f"\none collection: {len(result.checks)} checks; "
              f"SQL statements {snap.database.queries if snap.database else 0}; "
              f"Redis commands {snap.redis.commands if snap.redis else 0}; "
              f"HTTP requests {2 * len(layout.instance_ports)}; "
              f"supervisor RPC calls 1 (multicall)")
        for name, reading in snap.readings().items():
            print(f"  {name:<11} {reading.latency * 1000:7.1f} ms"
                  + (f"  error: {reading.error}" if reading.error else ""))

        slow = layout.instance_ports[1]
        faults.apply(layout, "slow-instance", [str(slow), "5"])
        slow_time = median_time(run_cli, runs=3)
        print(f"\nwith wa-{slow} answering after 5 s (instance timeout "
              f"{config.target().poll.instances.timeout:g} s): --check takes "
              f"{slow_time * 1000:.0f} ms")
        faults.heal(layout)
    finally:
        stop(root)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

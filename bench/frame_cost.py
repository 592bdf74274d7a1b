"""Benchmark: what one refresh costs the dashboard at scale.

Run ``python bench/frame_cost.py``. Frames come from ``blazz_tui.sim.synthetic`` at the issue's
scale: 10,000 WhatsApp sessions over 4 instances, 50 supervisor programs, and a log growing at
2,000 lines/s (each 1 s frame brings 2,000 new entries). Measured, as medians of the runs:

* *judge*: correlation (drift/lost over 10,000 accounts) and every rule — what ``--check`` and
  the dashboard do per poll;
* *refresh*: the running dashboard (Textual's headless driver, 120x40) receiving one new
  frame: every panel's view, table rebuild and log write, until the screen is idle again;
  CPU time of the process, so it is the cost a 1 s refresh puts on one core.

The same at the demo's scale (120 sessions, 12 programs, a few lines per second) is printed
for comparison. Figures only; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from blazz_tui.app import make_app
from blazz_tui.correlation import sessions_view
from blazz_tui.rules import evaluate
from blazz_tui.settings import Thresholds
from blazz_tui.sim.synthetic import FROZEN, Scenario, frame, target

RUNS = 15
SCALES = {
    "demo (120 sessions, 12 programs, 40 log lines/s)": Scenario(log_lines=40),
    "large (10,000 sessions, 50 programs, 2,000 log lines/s)":
        Scenario(programs=50, sessions=10_000, log_lines=2_000),
}


def judge_cost(scenario: Scenario) -> float:
    f = frame(scenario)
    cfg = target(scenario)
    times = []
    for _ in range(RUNS):
        start = time.process_time()
        sessions_view(cfg.instances, f.snapshot.instances, f.snapshot.database)
        evaluate(f.snapshot, Thresholds())
        times.append(time.process_time() - start)
    return statistics.median(times)


async def refresh_cost(scenario: Scenario) -> float:
    frames = [frame(scenario, FROZEN + i) for i in range(RUNS + 1)]
    app = make_app(target(scenario), frame=frames[0])
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for f in frames[1:]:
            start = time.process_time()
            app.show_frame(f)
            await pilot.pause()
            await app.animator.wait_until_complete()
            await pilot.pause()
            times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    print(f"{'scale':<58} {'judge':>9} {'refresh':>9}")
    for name, scenario in SCALES.items():
        judge = judge_cost(scenario)
        refresh = asyncio.run(refresh_cost(scenario))
        print(f"{name:<58} {judge * 1000:>7.1f} ms {refresh * 1000:>7.1f} ms")
    print("\njudge: correlation + rules per poll; refresh: one frame into the running "
          "dashboard (CPU time, median of", RUNS, "frames)")


if __name__ == "__main__":
    main()

"""Regenerate screenshots/ from the simulated stack: ``python scripts/screenshots.py``.

Starts the demo stack, lets traffic, workers and the scheduled sync run for a few seconds,
and renders the dashboard headless (the same code as ``--snapshot PATH.svg``, after a few
polls as the live dashboard has them): healthy at 120×40 and 80×24, then with instance 2
killed and a worker program broken, the details (Enter) of that instance and of the
flooded queue, and the actions menu (x) on two marked queues.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# In full colour whatever this terminal is (TERM=xterm, or none, would draw them in 16).
os.environ.update(TERM="xterm-256color", COLORTERM="truecolor")

from blazz_tui.collect import Collector
from blazz_tui.config import load_config
from blazz_tui.judge import Judge
from blazz_tui.runtime import Runtime
from blazz_tui.screen_export import render_dashboard
from blazz_tui.sim import faults
from blazz_tui.sim.cli import launch, stop
from blazz_tui.transport import make_transport

OUT = Path(__file__).resolve().parent.parent / "screenshots"


async def shoot(config_path: Path, name: str, size: tuple[int, int],
                panel: str | None = None, keys: tuple[str, ...] = ()) -> None:
    config = load_config(str(config_path))
    target = config.target()
    collector = Collector(target, make_transport(target), config.thresholds)
    runtime = Runtime(collector, Judge(config.thresholds))
    for _ in range(4):  # a few polls so windows, sparklines and events have data
        await runtime.read_all()
        await asyncio.sleep(1.0)
    await collector.close()
    svg = await render_dashboard(target, runtime.frame(), ".svg", size=size, panel=panel,
                                 keys=keys, title=f"blazz-tui --demo ({size[0]}×{size[1]})")
    (OUT / name).write_text(svg)
    print(f"wrote {OUT / name}", file=sys.stderr)


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="blazz-shots-"))
    try:
        layout = launch(root, accounts=160)
        time.sleep(6)
        await shoot(layout.config_path, "dashboard-healthy-120x40.svg", (120, 40))
        await shoot(layout.config_path, "dashboard-healthy-80x24.svg", (80, 24), "instances")
        faults.apply(layout, "kill-instance", [str(layout.instance_ports[1])])
        faults.apply(layout, "break-worker", ["blazz-queue-campaign"])
        faults.apply(layout, "flood-queue", ["campaign-conflict", "800"])
        time.sleep(8)
        await shoot(layout.config_path, "dashboard-incident-120x40.svg", (120, 40))
        await shoot(layout.config_path, "dashboard-incident-80x24.svg", (80, 24), "checks")
        await shoot(layout.config_path, "details-instance-down-120x40.svg", (120, 40),
                    keys=("3", "enter"))  # the broken instance is on top
        await shoot(layout.config_path, "details-queue-120x40.svg", (120, 40),
                    keys=("4", "enter"))
        await shoot(layout.config_path, "actions-menu-120x40.svg", (120, 40),
                    keys=("4", "space", "down", "space", "x"))
    finally:
        stop(root)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())

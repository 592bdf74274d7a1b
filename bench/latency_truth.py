"""Benchmark: is the latency blazz-tui reports the instance's, or the monitor's own?

Run ``python bench/latency_truth.py`` (needs ``pip install pyte`` and the machine's MariaDB).
On the simulated stack (4 instances, 1,000 accounts, a 1,000,000-row jobs table), the anchor
is ``curl -w %{time_total}`` on the same instance's ``/health``, taken right beside each figure
of blazz-tui's:

* ``--check``: the ``wa-N_latency`` perfdata of ``--check --format json``, each run paired
  with a curl;
* the dashboard (120x40 pty, every source each second): the latency column of the
  Instances panel as it is on screen — its first complete screen (start-up), idle, and while
  a writer appends 5,000 Laravel lines a second to a log it follows.

And why collection runs in a thread with a short GIL switch interval, not in the UI's event
loop: the same instances read beside a thread that keeps a core busy running Python (a
screen at full tilt), at Python's default 5 ms switch interval and at blazz-tui's 0.5 ms,
against the same read with nothing beside it (which is what a separate process would get).

Figures only; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import re
import statistics
import subprocess
import sys
import threading
import time

from _harness import Terminal, complete, config_with, scale_stack
from log_firehose import writer

from blazz_tui.settings import InstanceConfig
from blazz_tui.sim.layout import Layout
from blazz_tui.sources.instances import InstancesSource
from blazz_tui.transport.local import LocalTransport

ROW = re.compile(r"(wa-\d+)\s+UP\s+(\d+) ms")


def curl(layout: Layout, port: int) -> float:
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", "-H",
                          f"X-Api-Key: {layout.api_key}", f"{layout.instance_url(port)}/health"],
                         capture_output=True, text=True).stdout
    return float(out) * 1000


def check_runs(layout: Layout, runs: int = 10) -> tuple[list[float], list[float]]:
    port = layout.instance_ports[0]
    ours, anchor = [], []
    for _ in range(runs):
        anchor.append(curl(layout, port))
        out = subprocess.run(["blazz-tui", "-c", str(layout.config_path), "--check", "--format",
                              "json"], capture_output=True, text=True).stdout
        perf = [p for c in json.loads(out)["checks"] for p in c["perfdata"]
                if p.startswith(f"'{layout.instance_name(port)}_latency'=")]
        ours.append(float(perf[0].split("=")[1].split("s;")[0]) * 1000)
    return ours, anchor


def on_screen(term: Terminal, name: str) -> float | None:
    for line in term.lines():
        for found, ms in ROW.findall(line):
            if found == name:
                return float(ms)
    return None


def dashboard(layout: Layout, seconds: float) -> dict[str, tuple[list[float], list[float]]]:
    port = layout.instance_ports[0]
    name = layout.instance_name(port)
    log = layout.log_dir / "firehose.log"
    log.touch()
    config = config_with(layout, interval=1, logs=[str(layout.log_dir / "*.log")])
    term = Terminal(["blazz-tui", "-c", str(config)])
    results: dict[str, tuple[list[float], list[float]]] = {}
    try:
        term.wait_for(complete, timeout=30, step=0.005)
        first = on_screen(term, name)
        results["dashboard, first complete screen"] = ([first] if first else [],
                                                       [curl(layout, port)])
        for label, busy in (("dashboard, idle", False),
                            ("dashboard, 5,000 log lines/s being written", True)):
            proc = None
            if busy:
                proc = multiprocessing.Process(target=writer, args=(
                    str(log), 5000, seconds + 5, multiprocessing.Value("q", 0)))
                proc.start()
                time.sleep(2)
            ours, anchor = [], []
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                time.sleep(1.0)
                shown = on_screen(term, name)
                if shown is not None:
                    ours.append(shown)
                anchor.append(curl(layout, port))
            results[label] = (ours, anchor)
            if proc is not None:
                proc.join()
    finally:
        term.close()
    return results


def beside_a_busy_thread(layout: Layout, switch: float | None, runs: int = 20) -> float:
    """Median /health latency of the instances read while another thread spins in Python
    (``switch`` None: nothing beside it)."""
    stop = threading.Event()

    def spin() -> None:
        x = 0
        while not stop.is_set():
            for i in range(1000):
                x += i * i

    async def reads() -> list[float]:
        source = InstancesSource(tuple(InstanceConfig(layout.instance_name(p),
                                                      layout.instance_url(p), layout.api_key)
                                       for p in layout.instance_ports), LocalTransport(), 2.0)
        latencies: list[float] = []
        for _ in range(runs):
            reading = await source.read()
            latencies += [i.latency * 1000 for i in reading.instances if i.error is None]
            await asyncio.sleep(0.1)
        await source.close()
        return latencies

    spinner = threading.Thread(target=spin) if switch is not None else None
    before = sys.getswitchinterval()
    if switch is not None:
        sys.setswitchinterval(switch)
    if spinner:
        spinner.start()
    try:
        return statistics.median(asyncio.run(reads()))
    finally:
        stop.set()
        if spinner:
            spinner.join()
        sys.setswitchinterval(before)


def row(label: str, ours: list[float], anchor: list[float]) -> None:
    if not ours:
        print(f"{label:<48} not read")
        return
    a, b = statistics.median(ours), statistics.median(anchor)
    print(f"{label:<48} {a:7.1f} ms {b:7.1f} ms {a - b:+7.1f} ms   (max {max(ours):.0f} ms, "
          f"{len(ours)} readings)")


def main() -> None:
    with scale_stack(1000) as layout:
        time.sleep(3)
        print(f"{'instance latency, median':<48} {'blazz':>10} {'curl':>10} {'diff':>10}")
        row("--check (new process each)", *check_runs(layout))
        for label, (ours, anchor) in dashboard(layout, 30).items():
            row(label, ours, anchor)
        print("\nthe same instances read (median /health latency):")
        alone = beside_a_busy_thread(layout, None)
        print(f"  alone (as in a process of its own)            {alone:6.1f} ms")
        for switch in (0.005, 0.0005):
            busy = beside_a_busy_thread(layout, switch)
            print(f"  beside a busy thread, switch interval {switch * 1000:3.1f} ms  "
                  f"{busy:6.1f} ms")


if __name__ == "__main__":
    main()

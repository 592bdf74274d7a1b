"""Benchmark: the running dashboard on the simulated stack, as a user sees it.

Run ``python bench/dashboard_live.py [--seconds 60] [--accounts 1000 10000]`` (needs
``pip install pyte glances`` and the machine's MariaDB). For each number of accounts, the
simulated stack runs on MariaDB with a 1,000,000-row jobs table. The dashboard runs in a
pseudo-terminal (120x40) and its screen is read by a terminal emulator, so every figure is
about what is on screen:

* *first complete screen*: from starting ``blazz-tui -c CONFIG`` to the header saying how
  many checks pass (every source has answered once); 5 runs. Textual's own import time is
  printed beside it.
* *idle cost*: CPU (% of one core) and RSS over ``--seconds`` after a 10 s warm-up, with
  every source polled each second, and with the shipped poll intervals (config.toml: 1-5 s
  by source), side by side in the same window with glances (``glances -t 1``, its own 120x40
  pty) and ``watch -n1 supervisorctl status`` on the same supervisord.
* *killed instance visible*: from the kill (``sim fault kill-instance``) returning to its
  row saying DOWN on screen, 3 times (healed in between).

Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

from _harness import Terminal, Usage, complete, config_with, scale_stack

from blazz_tui.sim import faults
from blazz_tui.sim.layout import Layout


def first_screen(config: str, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        term = Terminal(["blazz-tui", "-c", config])
        took = term.wait_for(complete, timeout=30)
        times.append(took if took is not None else float("nan"))
        term.close()
    return times


def textual_import() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
    bare = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return (bare - start) - (time.perf_counter() - bare)


def idle_cost(layout: Layout, config: str, shipped: str,
              seconds: float) -> dict[str, tuple[float, float, float]]:
    programs = {"blazz-tui (1 s refresh)": Terminal(["blazz-tui", "-c", config]),
                "blazz-tui (shipped intervals)": Terminal(["blazz-tui", "-c", shipped])}
    if shutil.which("glances"):
        programs["glances -t 1"] = Terminal(["glances", "-t", "1"])
    conf = layout.supervisor_dir / "supervisord.conf"
    if shutil.which("supervisorctl") and conf.exists():
        programs["watch -n1 supervisorctl status"] = Terminal(
            ["watch", "-n1", f"supervisorctl -c {conf} status"])
    for name in ("blazz-tui (1 s refresh)", "blazz-tui (shipped intervals)"):
        programs[name].wait_for(complete, timeout=30)
    time.sleep(10)  # past start-up
    usage = {name: Usage(term.proc.pid) for name, term in programs.items()}
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        time.sleep(1)
        for u in usage.values():
            u.sample()
    results = {name: u.result() for name, u in usage.items()}
    for term in programs.values():
        term.close()
    return results


def instance_down(layout: Layout, config: str, runs: int = 3) -> list[float]:
    port = layout.instance_ports[1]
    name = layout.instance_name(port)
    term = Terminal(["blazz-tui", "-c", config])
    term.wait_for(complete, timeout=30)

    def row(state: str) -> bool:
        return any(name in line and f" {state} " in line for line in term.lines())

    times = []
    for _ in range(runs):
        term.wait_for(lambda _lines: row("UP"), timeout=30)
        faults.apply(layout, "kill-instance", [str(port)])
        took = term.wait_for(lambda _lines: row("DOWN"), timeout=15)
        times.append(took if took is not None else float("nan"))
        faults.heal(layout)
    term.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--accounts", type=int, nargs="*", default=[1000, 10000])
    args = parser.parse_args()
    for accounts in args.accounts:
        print(f"--- {accounts:,} accounts, 4 instances, 1,000,000 jobs")
        with scale_stack(accounts) as layout:
            default = str(layout.config_path)
            every_second = str(config_with(layout, interval=1))
            time.sleep(3)
            runs = first_screen(default)
            print(f"first complete screen: median {statistics.median(runs):.2f} s "
                  f"(min {min(runs):.2f}, max {max(runs):.2f}, {len(runs)} runs); "
                  f"Textual's own import: {textual_import():.2f} s")
            shipped = str(config_with(layout, shipped_intervals=True))
            for name, (cpu, rss, rss_max) in idle_cost(layout, every_second, shipped,
                                                       args.seconds).items():
                print(f"over {args.seconds:g} s: {name:<32} {cpu:5.1f} % of one core, "
                      f"RSS mean {rss:5.1f} MiB, max {rss_max:5.1f} MiB")
            took = instance_down(layout, every_second)
            print("killed instance DOWN on screen (1 s refresh): "
                  + ", ".join(f"{t:.2f} s" for t in took))


if __name__ == "__main__":
    main()

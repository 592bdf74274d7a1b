"""Benchmark: the dashboard for a long while on a stack that keeps breaking (a soak).

Run ``python bench/soak.py [--minutes 30]`` (needs ``pip install pyte``). It starts the
simulated stack with chaos on (a random fault every 25-55 s, healed 15-30 s later: killed,
slow or garbage-answering instances, broken or stopped workers, a flooded queue, drift,
Redis down) and the dashboard on it in a 120x40 pseudo-terminal, then every second reads the
screen's status badge and the dashboard's RSS. It prints:

* crashes (the dashboard's process gone) and tracebacks on screen;
* RSS after the first minute and at the end, and the spread over the run;
* each fault: when it was injected, how long until the badge left OK, and how long after
  the heal until it was OK again.

With ``--failing`` it watches no stack at all but a target whose every source fails
(closed ports, a missing supervisor socket): the figure is whether RSS stays flat while the
same errors repeat for half an hour.

Figures only; nothing is asserted. Not part of CI.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from pathlib import Path

from _harness import Terminal, Usage, complete

from blazz_tui.sim.cli import launch, stop

BADGE = re.compile(r"\b(OK|WARNING|CRITICAL|UNKNOWN)\b")


def badge(lines: list[str]) -> str:
    head = lines[0] if lines else ""
    found = BADGE.search(head.split(" via ", 1)[-1])
    return found.group(1) if found else "?"


def failing(minutes: float) -> None:
    from tests.fixtures.hostile import closed_ports

    root = Path(tempfile.mkdtemp(prefix="blazz-soak-"))
    db, redis, wa = closed_ports(3)
    config = root / "config.toml"
    config.write_text(f'''default_target = "t"
state_dir = "{root}"
[targets.t]
[[targets.t.supervisor]]
url = "unix://{root}/missing.sock"
[[targets.t.instances]]
name = "wa"
url = "http://127.0.0.1:{wa}"
[targets.t.database]
url = "mysql://root@127.0.0.1:{db}/blazz"
[targets.t.redis]
url = "redis://127.0.0.1:{redis}/0"
[targets.t.logs]
files = ["{root}/missing.log"]
[targets.t.poll]
supervisor = {{ interval = 1, timeout = 1 }}
instances = {{ interval = 1, timeout = 1 }}
database = {{ interval = 1, timeout = 1 }}
redis = {{ interval = 1, timeout = 1 }}
logs = {{ interval = 1, timeout = 1 }}
''')
    term = Terminal(["blazz-tui", "-c", str(config)])
    try:
        term.wait_for(complete, timeout=30)
        usage = Usage(term.proc.pid)
        started = time.monotonic()
        rss: list[tuple[float, int]] = []
        while time.monotonic() - started < minutes * 60 and term.proc.poll() is None:
            time.sleep(5.0)
            usage.sample()
            rss.append((time.monotonic() - started, usage.rss[-1]))
        cpu, mean_rss, max_rss = usage.result()
        minute = next((r for t, r in rss if t >= 60), rss[0][1]) / 2**20
        print(f"{minutes:g} min with every source failing: crashed "
              f"{term.proc.poll() is not None}, CPU {cpu:.1f} % of a core; RSS after 1 min "
              f"{minute:.1f} MiB, at the end {rss[-1][1] / 2**20:.1f} MiB, max {max_rss:.1f}")
    finally:
        term.close()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--failing", action="store_true",
                        help="watch a target whose every source fails instead")
    args = parser.parse_args()
    if args.failing:
        failing(args.minutes)
        return
    root = Path(tempfile.mkdtemp(prefix="blazz-soak-"))
    try:
        layout = launch(root, chaos=True)
        term = Terminal(["blazz-tui", "-c", str(layout.config_path)])
        term.wait_for(complete, timeout=30)
        usage = Usage(term.proc.pid)
        keeper_log = root / "keeper.log"
        seen_lines = len(keeper_log.read_text().splitlines())
        faults: list[dict[str, object]] = []
        rss: list[tuple[float, int]] = []
        tracebacks = 0
        started = time.monotonic()
        end = started + args.minutes * 60
        while time.monotonic() < end and term.proc.poll() is None:
            time.sleep(1.0)
            now = time.monotonic() - started
            usage.sample()
            rss.append((now, usage.rss[-1]))
            lines = term.lines()
            if any("Traceback" in line for line in lines):
                tracebacks += 1
            status = badge(lines)
            for line in keeper_log.read_text().splitlines()[seen_lines:]:
                seen_lines += 1
                if line.startswith("chaos: "):
                    faults.append({"what": line[7:80], "at": now, "shown": None,
                                   "healed": None, "cleared": None})
            for fault in faults:
                if fault["shown"] is None and status != "OK":
                    fault["shown"] = now
            current = faults[-1] if faults else None
            if current is not None and current["shown"] is not None \
                    and current["cleared"] is None and status == "OK":
                current["cleared"] = now
        crashed = term.proc.poll() is not None
        cpu, mean_rss, max_rss = usage.result()
        term.close()
        minute = next((r for t, r in rss if t >= 60), rss[0][1]) / 2**20
        last = rss[-1][1] / 2**20
        print(f"{args.minutes:g} min of chaos: crashed {crashed}, tracebacks on screen "
              f"{tracebacks}, CPU {cpu:.1f} % of a core")
        print(f"RSS after 1 min {minute:.1f} MiB, at the end {last:.1f} MiB "
              f"(change {last - minute:+.1f}); mean {mean_rss:.1f}, max {max_rss:.1f} MiB")
        for fault in faults:
            shown = "never" if fault["shown"] is None else \
                f"{float(fault['shown']) - float(fault['at']):.1f} s"  # type: ignore[arg-type]
            cleared = "not seen" if fault["cleared"] is None else \
                f"at {float(fault['cleared']):.0f} s"  # type: ignore[arg-type]
            print(f"  {float(fault['at']):6.0f} s  {fault['what']:<60} shown after {shown}, "  # type: ignore[arg-type]
                  f"OK again {cleared}")
    finally:
        stop(root)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

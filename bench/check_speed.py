"""Benchmark: what one ``blazz-tui --check`` costs, against the seeds' own health check.

Run ``python bench/check_speed.py`` (needs the machine's MariaDB). On the simulated stack
(4 instances, 1,000 accounts, a 1,000,000-row jobs table on MariaDB), paired and alternated,
whole processes as cron runs them:

* ``blazz-tui --check`` — every source, 44+ checks;
* the anchor: the seeds' ``scripts/health-check.sh`` (seed 000, section 7.1) pointed at the
  same stack: curl to the app (Reverb's port stands in: the stack has no PHP app), ``nc -z``
  on Reverb (bash's ``/dev/tcp`` where nc is not installed), curl ``/health`` of the first
  instance, ``mysqladmin ping``, ``redis-cli ping``, ``supervisorctl status | grep`` — one
  after another.

Wall time and CPU (user + system of the process and its children), medians of ``RUNS``
pairs; then the floor: what Python's start, and the imports of the libraries every source
needs, cost before anything is collected. Figures only; nothing is asserted.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

from _harness import scale_stack

from blazz_tui.config import load_config
from blazz_tui.sim.layout import Layout

RUNS = 15

HEALTH_CHECK = """#!/bin/bash
echo "Blazz Health Check"
echo "====================="
echo -n "Laravel App: "
curl -s -o /dev/null -w "%{{http_code}}" http://127.0.0.1:{reverb}/
echo ""
echo -n "Reverb WebSocket: "
if {port_probe}; then echo "Running"; else echo "Not running"; fi
echo -n "WhatsApp Service: "
HEALTH=$(curl -s -H "X-Api-Key: {key}" {instance}/health 2>/dev/null)
if [ $? -eq 0 ]; then
    echo "Running"
    echo "   Sessions: $(echo $HEALTH | grep -o '"activeSessions":[0-9]*' | cut -d':' -f2)"
else
    echo "Not running"
fi
echo -n "MySQL: "
if mysqladmin ping -h 127.0.0.1 -u root --silent 2>/dev/null; then echo "Running"
else echo "Not running"; fi
echo -n "Redis: "
if redis-cli -p {redis} ping 2>/dev/null | grep -q PONG; then echo "Running"
else echo "Not running"; fi
echo -n "Queue Workers: "
QUEUE_COUNT=$(supervisorctl -c {supervisor_conf} status | grep blazz-queue | grep RUNNING | wc -l)
echo "$QUEUE_COUNT workers running"
echo "====================="
"""


def health_check_script(layout: Layout) -> str:
    probe = (f"nc -z 127.0.0.1 {layout.reverb_port} 2>/dev/null" if shutil.which("nc")
             else f"(exec 3<>/dev/tcp/127.0.0.1/{layout.reverb_port}) 2>/dev/null")
    path = layout.path / "health-check.sh"
    path.write_text(HEALTH_CHECK.format(
        reverb=layout.reverb_port, port_probe=probe, key=layout.api_key,
        instance=layout.instance_url(layout.instance_ports[0]), redis=layout.redis_port,
        supervisor_conf=layout.supervisor_dir / "supervisord.conf"))
    path.chmod(0o755)
    return str(path)


def run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children)."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user
                  + after.children_system - before.children_system)


def median_of(argv: list[str], runs: int = RUNS) -> float:
    return statistics.median(run(argv)[0] for _ in range(runs))


def main() -> None:
    with scale_stack(1000) as layout:
        time.sleep(3)
        check = ["blazz-tui", "-c", str(layout.config_path), "--check"]
        script = ["bash", health_check_script(layout)]
        pairs = [(run(check), run(script)) for _ in range(RUNS)]
        ours = statistics.median(p[0][0] for p in pairs)
        anchor = statistics.median(p[1][0] for p in pairs)
        ratio = statistics.median(p[0][0] / p[1][0] for p in pairs)
        print(f"{'whole process, median of ' + str(RUNS) + ' pairs':<52} {'wall':>8} {'CPU':>8}")
        print(f"{'blazz-tui --check (every source, all checks)':<52} {ours:7.3f}s "
              f"{statistics.median(p[0][1] for p in pairs):7.3f}s")
        print(f"{'the seeds health-check.sh (6 probes in sequence)':<52} {anchor:7.3f}s "
              f"{statistics.median(p[1][1] for p in pairs):7.3f}s")
        print(f"ratio, median of the pairs: {ratio:.2f}x\n")
        py = sys.executable
        floor = [
            ("python -c pass", [py, "-c", "pass"]),
            ("blazz-tui --version (cli and config only)", ["blazz-tui", "--version"]),
            ("the libraries: httpx, redis, PyMySQL, psutil, asyncio",
             [py, "-c", "import blazz_tui.clients.http, redis.asyncio, pymysql, psutil, "
                        "asyncio"]),
            ("all of blazz-tui's one-shot code imported", [py, "-c", "import blazz_tui.check"]),
        ]
        print("the floor (imports, nothing collected):")
        for label, argv in floor:
            print(f"  {label:<50} {median_of(argv, 7):7.3f}s")
        config = load_config(str(layout.config_path))
        print(f"\n(the collection itself, in process: see --check's own 'in X s'; poll "
              f"timeouts {config.target().poll.instances.timeout:g}-"
              f"{config.target().poll.database.timeout:g} s)")


if __name__ == "__main__":
    main()

"""Benchmark: the actions at scale, on the simulated stack on MariaDB.

``python bench/actions.py``

* **sync of 1,000 drifted accounts** (1,200 accounts, ``sim fault drift 1000``): the native
  sync as a whole process (read, plan, update, delete cached URLs) beside the app's own
  ``whatsapp:sync-instance-urls`` (simulated, the same work in PHP's way: one UPDATE per row,
  autocommit) on the same drift; the statements and the rows one transaction holds locked.
* **rebalance of ~300 sessions** (2,400 accounts, 300 skewed onto one instance, the band
  narrowed to ±1 % so that ~300 must move): wall time, and the longest time any one session
  was CONNECTED on no instance, sampled every 50 ms on every instance — beside the instance's
  own restore time (``--restore-delay``), the floor of any move.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench._harness import scale_stack
from blazz_tui.settings import ActionsConfig
from blazz_tui.sim.layout import Layout

RESTORE_DELAY = 1.0
"""The simulated instances' --restore-delay (blazz_tui.sim.stack)."""


def blazz(layout: Layout, *args: str, config: Path | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "blazz_tui", *args, "-c",
                          str(config or layout.config_path)], capture_output=True, text=True,
                         check=False).stdout
    return time.perf_counter() - started, out


def sim(layout: Layout, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "blazz_tui", "sim", "--dir", layout.root, *args],
                   check=True, capture_output=True)


def sync_bench() -> None:
    with scale_stack(1200, jobs=0, sync_every=3600) as layout:
        runs = []
        for mode in ("native", "artisan", "native", "artisan"):
            sim(layout, "fault", "drift", "1000")
            seconds, out = blazz(layout, "sync", "--yes", "--mode", mode)
            fixed = out.count("  ✓ session_" if mode == "native" else "  ✓ Fixed:")
            runs.append((mode, seconds, fixed))
        batch = ActionsConfig().sync_batch
        print("sync of 1,000 drifted accounts (1,200 accounts, MariaDB):")
        for mode, seconds, fixed in runs:
            print(f"  {mode:8} {seconds:6.2f} s   {fixed} rows fixed")
        print(f"  native: {1000} guarded UPDATEs in {-(-1000 // batch)} transactions, at most "
              f"{batch} rows locked at once; the app's command: one autocommit UPDATE per row")


def rebalance_bench() -> None:
    with scale_stack(2400, jobs=0, sync_every=3600) as layout:
        sim(layout, "fault", "skew", "300", "1")
        time.sleep(3)  # restored on their new instance
        config = layout.path / "narrow.toml"
        config.write_text(layout.config_path.read_text().replace(
            "[thresholds]", "[thresholds]\nbalance_tolerance = 1\ncapacity_warn = 100"))
        sampler = GapSampler(layout)
        sampler.start()
        seconds, out = blazz(layout, "rebalance", "--yes", config=config)
        sampler.stop()
        moved = out.count("  ✓ ")
        print(f"rebalance: {moved} sessions moved in {seconds:.1f} s "
              f"({seconds / max(moved, 1) * 1000:.0f} ms a session, 5 at a time)")
        print(f"  longest a session was CONNECTED nowhere: {sampler.longest:.2f} s "
              f"(the instance's restore time alone: {RESTORE_DELAY:.2f} s; sampled every "
              f"{sampler.every * 1000:.0f} ms)")
        print(f"  {out.splitlines()[-1] if out else ''}")


class GapSampler(threading.Thread):
    """Per session, the longest stretch in which no instance reported it CONNECTED."""

    every = 0.05

    def __init__(self, layout: Layout) -> None:
        super().__init__(daemon=True)
        self.layout = layout
        self.longest = 0.0
        self._missing_since: dict[str, float] = {}
        self._halt = threading.Event()
        self._tracked: set[str] = set()

    def run(self) -> None:
        with httpx.Client(headers={"X-Api-Key": self.layout.api_key}, timeout=5) as client:
            while not self._halt.is_set():
                now = time.monotonic()
                connected: set[str] = set()
                known: set[str] = set()
                for port in self.layout.instance_ports:
                    sessions = client.get(f"{self.layout.instance_url(port)}/health/sessions"
                                          ).json()["sessions"]
                    known |= {s["sessionId"] for s in sessions}
                    connected |= {s["sessionId"] for s in sessions if s["status"] == "CONNECTED"}
                for sid in list(self._missing_since):
                    if sid in connected:
                        self.longest = max(self.longest, now - self._missing_since.pop(sid))
                for sid in self._tracked - connected:
                    self._missing_since.setdefault(sid, now)
                self._tracked = self._tracked | known
                time.sleep(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


if __name__ == "__main__":
    if "--rebalance-only" not in sys.argv:
        sync_bench()
    rebalance_bench()

"""The host's figures, read through the local transport from this machine; CPU is a rate
between two samples kept by the history (across runs of --check too)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import psutil

from blazz_tui.history import History
from blazz_tui.sources.host import HostSource
from blazz_tui.transport.local import LocalTransport


async def test_host_cpu_is_the_busy_share_between_two_samples() -> None:
    source, history = HostSource(LocalTransport()), History()
    first = history.host_cpu.with_cpu(await source.read())
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        psutil.cpu_percent(None)  # another reader of the CPU in this process changes nothing
        await asyncio.sleep(1.0)
        second = history.host_cpu.with_cpu(await source.read())
    finally:
        busy.kill()
        busy.wait()
    assert first.cpu_percent is None and first.cpu_unknown == "needs a second sample"
    one_core = 100 / (psutil.cpu_count() or 1)
    assert second.cpu_percent is not None
    assert second.cpu_percent >= one_core / 2  # a spinning process keeps one core busy
    assert second.cpu_window >= 1.0


async def test_a_one_shot_check_measures_cpu_since_the_previous_run() -> None:
    earlier = History()
    earlier.host_cpu.with_cpu(await HostSource(LocalTransport()).read())
    await asyncio.sleep(1.0)
    later = History()
    later.load_data(json.loads(json.dumps(earlier.to_data())))  # what --check keeps
    reading = later.host_cpu.with_cpu(await HostSource(LocalTransport()).read())
    assert reading.cpu_percent is not None and reading.cpu_window >= 1.0


async def test_reads_in_quick_succession_keep_the_last_full_windows_figure() -> None:
    source, history = HostSource(LocalTransport()), History()
    history.host_cpu.with_cpu(await source.read())
    await asyncio.sleep(1.0)
    full = history.host_cpu.with_cpu(await source.read())
    quick = history.host_cpu.with_cpu(await source.read())  # "r" pressed again at once
    assert quick.cpu_percent == full.cpu_percent and quick.cpu_window == full.cpu_window

"""The host source's figures, read through the local transport from this machine."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import psutil

from blazz_tui.transport.local import LocalTransport


async def test_host_cpu_is_the_busy_share_since_this_transports_last_reading() -> None:
    transport = LocalTransport()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        LocalTransport()  # another reader in the same process must not reset this one
        psutil.cpu_percent(None)  # nor must psutil's process-wide sample
        await asyncio.sleep(1.0)
        stats = await transport.host_stats("/")
    finally:
        busy.kill()
        busy.wait()
    one_core = 100 / (psutil.cpu_count() or 1)
    assert stats.cpu_percent >= one_core / 2  # a spinning process keeps one core busy
    assert stats.cpu_window >= 1.0

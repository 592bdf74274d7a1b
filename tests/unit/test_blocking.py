"""Blocking calls: a total deadline each, an abort that wakes them, and threads that neither
wait for one another nor hold the process."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from blazz_tui import blocking


async def test_a_call_past_its_deadline_is_aborted_and_raises() -> None:
    released = threading.Event()
    aborted = []

    def stuck() -> None:
        released.wait(30)

    def abort() -> None:
        aborted.append(True)
        released.set()

    with pytest.raises(TimeoutError):
        await blocking.call(stuck, timeout=0.2, abort=abort)
    assert aborted == [True]


async def test_a_stuck_call_does_not_delay_another() -> None:
    release = threading.Event()
    stuck = asyncio.ensure_future(blocking.call(release.wait, 30, timeout=None))
    await asyncio.sleep(0.05)
    assert await blocking.call(lambda: "answered", timeout=5) == "answered"
    release.set()
    assert await stuck is True


async def test_idle_threads_are_reused_and_are_daemons() -> None:
    await blocking.call(lambda: None, timeout=5)
    await asyncio.sleep(0.05)  # the worker is idle again
    names = {t.name for t in threading.enumerate()}
    before = sum(1 for t in threading.enumerate() if t.name == "blazz-tui blocking call")
    for _ in range(20):
        await blocking.call(time.sleep, 0, timeout=5)
    after = [t for t in threading.enumerate() if t.name == "blazz-tui blocking call"]
    assert len(after) == before and all(t.daemon for t in after)
    assert "blazz-tui blocking call" in names

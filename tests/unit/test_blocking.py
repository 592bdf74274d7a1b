"""Blocking calls: a total deadline each, an abort that wakes them, and threads that neither
wait for one another nor hold the process."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest

from blazz_tui import blocking
from blazz_tui.transport.base import describe_error
from blazz_tui.transport.local import LocalTransport


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


def busy_threads() -> int:
    """Worker threads running a call now (an idle one waits in its inbox)."""
    return sum(1 for t in threading.enumerate() if t.name == "blazz-tui blocking call") \
        - len(blocking._idle)  # noqa: SLF001 - the pool's own count of idle workers


async def test_a_hung_read_given_up_on_five_times_holds_one_thread(tmp_path: Path) -> None:
    fifo = tmp_path / "laravel.log"
    os.mkfifo(fifo)  # opening it for reading blocks until a writer comes: a hung read
    transport = LocalTransport()
    before = busy_threads()
    errors = []
    for _ in range(5):
        try:
            await asyncio.wait_for(transport.read_range(str(fifo), 0, 100), 0.2)
        except (TimeoutError, OSError) as exc:
            errors.append(exc)
    assert busy_threads() - before == 1
    assert isinstance(errors[0], TimeoutError)
    assert all(describe_error(e).startswith("previous read still running for ")
               for e in errors[1:])
    with open(fifo, "wb"):  # a writer comes and goes: the stuck read ends (at EOF)
        pass
    for _ in range(200):
        if busy_threads() == before:
            break
        await asyncio.sleep(0.05)

    with pytest.raises(TimeoutError):  # the lane is free again: the read is made (and hangs)
        await asyncio.wait_for(transport.read_range(str(fifo), 0, 100), 0.2)
    with open(fifo, "wb"):
        pass


async def test_calls_in_other_lanes_and_other_transports_go_on(tmp_path: Path) -> None:
    fifo = tmp_path / "stuck.log"
    os.mkfifo(fifo)
    (tmp_path / "fine.log").write_bytes(b"ok\n")
    transport = LocalTransport()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(transport.read_range(str(fifo), 0, 10), 0.2)
    assert await transport.read_range(str(tmp_path / "fine.log"), 0, 10) == b"ok\n"
    other = LocalTransport()
    with pytest.raises(TimeoutError):  # its own lane: it is not told of this one's hang
        await asyncio.wait_for(other.read_range(str(fifo), 0, 10), 0.2)
    with open(fifo, "wb"):  # both stuck reads end
        pass

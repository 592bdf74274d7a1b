"""Blocking calls (PyMySQL, sqlite3, psutil, file reads) from async code, each with a *total*
deadline of its own.

A thread cannot be cancelled. So a blocking call never waits for a thread: it runs on an idle
worker thread if there is one, else on a new one — there is no pool to fill, so a call stuck
past its deadline starves no other source. The workers are daemon threads: one stuck never
holds the process at exit. When the deadline passes, ``abort`` is called (it shuts the
call's socket down, which wakes the blocked thread at once) and ``TimeoutError`` is raised.
Idle workers are kept a while and reused: a thread per call cost its creation every poll.

A call given a ``lane`` (a read of one file, the host's figures) that its caller gave up on
while it still runs marks the lane stuck: until it ends, the next call in that lane raises
``StillRunning`` rather than starting another thread that would hang the same way (a FIFO,
a dead NFS mount) — at most one stuck thread per lane, however many polls give up.

``DaemonExecutor`` gives an event loop the same discipline for what asyncio itself sends to a
default executor (name resolution), and does not wait for its threads at shutdown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
IDLE = 30.0
"""Seconds an idle worker thread waits for work before it ends."""

_Job = Callable[[], None]
_idle: list[queue.SimpleQueue[_Job]] = []
_idle_lock = threading.Lock()
_stuck: dict[object, float] = {}
"""Lanes whose call was given up on while it ran, and when that call started (monotonic)."""
_stuck_lock = threading.Lock()


class StillRunning(OSError):
    """The lane's previous call, given up on, is still running."""

    def __init__(self, seconds: float) -> None:
        super().__init__(errno.EBUSY, f"Previous read still running for {seconds:.0f} s")


def run_in_thread(job: _Job) -> None:
    """Run ``job`` on an idle worker thread, or a new one: never wait for a thread."""
    with _idle_lock:
        inbox = _idle.pop() if _idle else None
    if inbox is None:
        inbox = queue.SimpleQueue()
        threading.Thread(target=_work, args=(inbox,), daemon=True,
                         name="blazz-tui blocking call").start()
    inbox.put(job)


def _work(inbox: queue.SimpleQueue[_Job]) -> None:
    while True:
        try:
            job = inbox.get(timeout=IDLE)
        except queue.Empty:
            with _idle_lock:
                if inbox in _idle:
                    _idle.remove(inbox)
                    return
            continue  # handed a job just now: it is on its way
        job()
        with _idle_lock:
            _idle.append(inbox)


async def call(fn: Callable[..., T], *args: Any, timeout: float | None,
               abort: Callable[[], None] | None = None, lane: object = None) -> T:
    """``fn(*args)`` on a worker thread; past ``timeout`` seconds, ``abort()`` and
    ``TimeoutError``. Cancelling the caller aborts the call too. In a stuck ``lane`` (see the
    module docstring), ``StillRunning`` at once."""
    if lane is not None:
        with _stuck_lock:
            since = _stuck.get(lane)
        if since is not None:
            raise StillRunning(time.monotonic() - since)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()
    started, ended = time.monotonic(), [False]

    def job() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            _deliver(loop, done, None, exc)
        else:
            _deliver(loop, done, result, None)
        finally:
            with _stuck_lock:
                ended[0] = True
                if lane is not None and _stuck.get(lane) == started:
                    del _stuck[lane]

    run_in_thread(job)
    try:
        return await asyncio.wait_for(asyncio.shield(done), timeout)
    except (TimeoutError, asyncio.CancelledError):
        done.cancel()  # nobody waits for its answer now: it is dropped when it comes
        if lane is not None:
            with _stuck_lock:
                if not ended[0]:
                    _stuck[lane] = started
        if abort is not None:
            abort()
        raise


def _deliver(loop: asyncio.AbstractEventLoop, future: asyncio.Future[T], result: T | None,
             exc: BaseException | None) -> None:
    def settle() -> None:
        if future.done():
            return  # the caller gave up (deadline): nobody waits for this answer
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:
        pass  # the loop closed while the call ran: the process is leaving


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """Tasks on the worker threads of ``run_in_thread``; ``shutdown`` never waits (see the
    module docstring). A ThreadPoolExecutor only because asyncio accepts nothing else as a
    default executor: its pool is never used."""

    def submit(self, fn: Callable[..., T], /, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the future's owner
                future.set_exception(exc)

        run_in_thread(job)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: a task still running belongs to a daemon thread."""

"""Blocking calls (PyMySQL, sqlite3, psutil, file reads) from async code, each with a *total*
deadline of its own.

A thread cannot be cancelled. So every blocking call gets a thread of its own, a daemon one:
a call stuck past its deadline neither starves another source (there is no shared pool to fill)
nor holds the process at exit. When the deadline passes, ``abort`` is called (it shuts the
call's socket down, which wakes the blocked thread at once) and ``TimeoutError`` is raised.

``DaemonExecutor`` gives an event loop the same discipline for what asyncio itself sends to a
default executor (name resolution), and does not wait for its threads at shutdown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def call(fn: Callable[..., T], *args: Any, timeout: float | None,
               abort: Callable[[], None] | None = None) -> T:
    """``fn(*args)`` in a daemon thread; past ``timeout`` seconds, ``abort()`` and
    ``TimeoutError``. Cancelling the caller aborts the call too."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def work() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            _deliver(loop, done, None, exc)
        else:
            _deliver(loop, done, result, None)

    threading.Thread(target=work, daemon=True, name=f"blocking {_name(fn)}").start()
    try:
        return await asyncio.wait_for(asyncio.shield(done), timeout)
    except (TimeoutError, asyncio.CancelledError):
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


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """One daemon thread per task; ``shutdown`` never waits (see the module docstring).
    A ThreadPoolExecutor only because asyncio accepts nothing else as a default executor:
    its pool is never used."""

    def submit(self, fn: Callable[..., T], /, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the future's owner
                future.set_exception(exc)

        threading.Thread(target=work, daemon=True, name=f"executor {_name(fn)}").start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: a task still running belongs to a daemon thread."""

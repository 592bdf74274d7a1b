"""The runtime: when each source is read, and how readings become frames. No UI code.

Collection runs in a thread of its own, on an event loop of its own, so a busy screen never
changes what a source measures: the dashboard's rendering, a burst of log lines on screen or a
slow widget cannot delay a request being timed, and a hung server cannot freeze the screen.
The dashboard, ``--check`` and ``--snapshot`` all use it; the app only receives frames.

- **One poll per source at a time.** Each source has one task that reads it, waits its
  interval, and reads again: a poll never overlaps the previous one, a failed poll is retried
  at its interval (and backs off while it keeps failing), never faster. ``poll_now`` and
  ``resume`` wake those tasks; they never add a timer.
- **Frames.** After each poll the snapshot is judged; a frame reaches ``on_frame`` at once
  when a check changes status, otherwise once per ``refresh`` (with ages brought up to date).
- **The monitor's own stalls are not the service's.** Two things delay a request being timed
  without the service being slow: this loop running late (a lag monitor measures how late it
  wakes), and the other threads of the process — the UI above all — holding the GIL (measured
  as the CPU they used during the read). A reading during which the monitor stalled for a
  quarter of the source's timeout or more is taken again at once; a reading taken while it
  stalled carries the stall (``Reading.monitor_stall``), so a latency it inflated is not
  judged. While the runtime's thread runs, the GIL is handed over every ``SWITCH_INTERVAL``
  (Python's default is 5 ms, which made a busy screen add tens of ms to a 2 ms request).
- **Timed reads run alone.** The sources whose answer time is judged (instances, ports)
  never run beside another read of this process: parsing 10,000 accounts or a log tail meanwhile
  made a 2 ms ``/health`` read 60-150 ms. Other reads run together, and wait for a timed one.
- **Hard deadlines.** ``one_shot`` waits for the collection from the calling thread with a
  deadline that nothing in the collection can hold up, and leaves behind only daemon threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from blazz_tui.blocking import DaemonExecutor
from blazz_tui.collect import TIMEOUT_SLACK, Collector
from blazz_tui.correlation import SETTLE
from blazz_tui.frame import Frame, MonitorStats
from blazz_tui.judge import Judge
from blazz_tui.source_kinds import TIMED
from blazz_tui.sources.base import Reading

T = TypeVar("T")

MAX_BACKOFF = 4
"""A source that keeps failing is read at most this many intervals apart (and at most 30 s,
unless its interval is longer): backing off spares a struggling server, but a recovery must
still show within seconds, and ``r`` reads at once anyway."""
STALL_RETRY = 0.25
"""A loop stall of this share of a source's timeout during a read: the read is taken again."""
STALL_NOTE = 0.02
"""Seconds of loop lag during a read from which the reading says so."""
COALESCE = 0.1
"""Seconds a finished poll waits for others before the snapshot is judged."""
LAG_TICK = 0.05
STOP_TIMEOUT = 2.0
SWITCH_INTERVAL = 0.0005
"""Seconds a thread holds the GIL while another waits (``sys.setswitchinterval``)."""




class Gate:
    """Timed reads exclusive, other reads shared; a waiting timed read goes first."""

    def __init__(self) -> None:
        self._shared = 0
        self._exclusive = False
        self._waiting_exclusive = 0
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._changed:
            self._waiting_exclusive += 1
            try:
                await self._changed.wait_for(lambda: not self._exclusive and not self._shared)
            finally:
                self._waiting_exclusive -= 1
            self._exclusive = True
        try:
            yield
        finally:
            async with self._changed:
                self._exclusive = False
                self._changed.notify_all()

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(
                lambda: not self._exclusive and not self._waiting_exclusive)
            self._shared += 1
        try:
            yield
        finally:
            async with self._changed:
                self._shared -= 1
                self._changed.notify_all()


def backoff(interval: float, failures: int) -> float:
    """Seconds until the next read after ``failures`` consecutive failed ones: the interval,
    doubling from the third failure on, up to ``MAX_BACKOFF`` intervals or 30 s (never below
    the interval)."""
    if failures < 2:
        return interval
    grown = interval * 2.0 ** min(failures - 1, MAX_BACKOFF.bit_length())
    return max(interval, min(grown, interval * MAX_BACKOFF, 30.0))


class LagMonitor:
    """How late the event loop wakes up: a sleeper's overshoot, sampled every ``LAG_TICK``."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=400)
        self._tick_started: float | None = None
        """When the tick under way started; None while the monitor is not running."""

    async def run(self) -> None:
        try:
            while True:
                self._tick_started = time.monotonic()
                await asyncio.sleep(LAG_TICK)
                now = time.monotonic()
                self._samples.append((now, max(0.0, now - self._tick_started - LAG_TICK)))
        finally:
            self._tick_started = None

    def worst_since(self, since: float) -> float:
        """The worst lag seen since ``since`` (monotonic), the tick under way included (a
        monitor that is not running has none under way: not running is not lagging)."""
        started = self._tick_started
        ongoing = 0.0 if started is None else max(0.0, time.monotonic() - started - LAG_TICK)
        seen = [lag for at, lag in reversed(self._samples) if at >= since]
        return max([ongoing, *seen])


@dataclass(frozen=True)
class _Own:
    """This process's CPU time when it was taken, and the cost computed then."""

    cpu: float
    at: float
    stats: MonitorStats


class Runtime:
    def __init__(self, collector: Collector, judge: Judge, *, refresh: float = 1.0,
                 on_frame: Callable[[Frame], object] | None = None) -> None:
        self.collector = collector
        self.judge = judge
        self.refresh = refresh
        self.on_frame = on_frame
        self.reads: Counter[str] = Counter()
        """Reads started per source (what the timer discipline is tested on)."""
        self.paused = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._wake: dict[str, asyncio.Event] = {}
        self._dirty: asyncio.Event | None = None
        self._lag = LagMonitor()
        self._gate: Gate | None = None
        self._last: Frame | None = None
        self._delivered_at = 0.0
        self._own: _Own | None = None
        self._started = False
        """Every source answered, and the sessions first found nowhere were read again."""
        self._switch: float | None = None
        """The switch interval before ``start`` set the runtime's."""

    def interval(self, name: str) -> float:
        return self.collector.target.poll.for_source(name).interval

    # -- from any thread ---------------------------------------------------------------------

    def start(self) -> None:
        """Run the polling in a daemon thread with its own event loop."""
        ready = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.set_default_executor(DaemonExecutor())
                self._loop = loop
            finally:
                ready.set()
            try:
                loop.run_until_complete(self.run())
            finally:
                loop.close()

        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread = threading.Thread(target=main, daemon=True, name="blazz-tui runtime")
        self._thread.start()
        ready.wait()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop polling and close the sources; waits at most ``timeout`` seconds."""
        if self._loop is not None and self._stop is not None:
            self._threadsafe(self._stop.set)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._switch is not None:  # the process's own again (a test, an embedding app)
            sys.setswitchinterval(self._switch)
            self._switch = None

    def poll_now(self) -> None:
        """Read every source as soon as its current read (if any) is done."""
        self._threadsafe(self._wake_all)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self.poll_now()

    def ask(self, fn: Callable[..., Awaitable[T]], *args: Any) -> concurrent.futures.Future[T]:
        """Run ``fn(*args)`` on the runtime's loop (on-demand reads for details screens)."""
        if self._loop is None:
            raise RuntimeError("the runtime is not running")

        async def run() -> T:
            return await fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop)

    def _threadsafe(self, callback: Callable[[], object]) -> None:
        if self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(callback)
        except RuntimeError:
            pass  # the loop has closed: nothing left to wake

    # -- on the runtime's loop ---------------------------------------------------------------

    async def run(self) -> None:
        """Poll every source on its interval and deliver frames until ``stop``."""
        self._stop = asyncio.Event()
        self._dirty = asyncio.Event()
        self._wake = {name: asyncio.Event() for name in self.collector.sources}
        tasks = [asyncio.create_task(self._lag.run(), name="lag"),
                 asyncio.create_task(self._frames(), name="frames"),
                 *(asyncio.create_task(self._poll_loop(name), name=f"poll {name}")
                   for name in self.collector.sources)]
        try:
            await self._stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.collector.close()

    async def read_all(self) -> None:
        """Read every source once (a one-shot collection): the timed ones first, alone."""
        names = sorted(self.collector.sources, key=lambda n: n not in TIMED)
        await asyncio.gather(*(self.read(name) for name in names))

    @contextlib.asynccontextmanager
    async def lag_watched(self) -> AsyncIterator[None]:
        """The loop's lag measured for as long as this lasts (a one-shot's whole collection,
        its second reads included)."""
        lag = asyncio.create_task(self._lag.run())
        try:
            yield
        finally:
            lag.cancel()
            await asyncio.gather(lag, return_exceptions=True)

    def _wake_all(self) -> None:
        for event in self._wake.values():
            event.set()

    async def _poll_loop(self, name: str) -> None:
        failures = 0
        delay = 0.0
        while True:
            woken = await self._sleep(name, delay)
            while self.paused and not woken:
                woken = await self._sleep(name, None)
            reading = await self.read(name)
            failures = failures + 1 if reading.error is not None else 0
            assert self._dirty is not None
            self._dirty.set()
            delay = backoff(self.interval(name), failures)

    async def _sleep(self, name: str, seconds: float | None) -> bool:
        """Wait ``seconds`` (None: until woken); True when woken by ``poll_now``/``resume``."""
        event = self._wake[name]
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        event.clear()
        return True

    async def read(self, name: str) -> Reading:
        """Read and store one source, taking the read again if the monitor stalled during it."""
        if self._gate is None:
            self._gate = Gate()
        for attempt in range(2):
            self.reads[name] += 1
            async with self._gate.exclusive() if name in TIMED else self._gate.shared():
                started, cpu = time.monotonic(), _others_cpu()
                reading = await self.collector.read(name)
                stall = max(self._lag.worst_since(started), _others_cpu() - cpu)
            retry = attempt == 0 and reading.error is not None \
                and stall >= STALL_RETRY * self.collector.timeout(name)
            if not retry:
                break
        if stall >= STALL_NOTE:
            reading = replace(reading, monitor_stall=stall)
        return self.collector.store(name, reading)

    async def _frames(self) -> None:
        """Judge after polls (those finishing within ``COALESCE`` of each other together);
        deliver at once on a change of status, else once a refresh."""
        assert self._dirty is not None
        while True:
            due = self._delivered_at + self.refresh - time.monotonic()
            try:
                await asyncio.wait_for(self._dirty.wait(), max(0.0, due))
                if self._started:  # until the first complete screen, every answer shows
                    await asyncio.sleep(COALESCE)
                self._dirty.clear()
            except TimeoutError:
                if self.paused:  # nothing was read: the screen keeps the data's own moment
                    self._delivered_at = time.monotonic()
                    continue
            frame = self.frame()
            urgent = self._last is None or frame.verdict != self._last.verdict
            if urgent or time.monotonic() - self._delivered_at >= self.refresh:
                self._deliver(frame)

    def frame(self) -> Frame:
        """The current frame: every reading so far, judged now. Until every source has
        answered, and sessions found nowhere at start have been read again, it says what it
        waits for: the screen is not complete, and never OK, before then."""
        collector = self.collector
        waiting = tuple(n for n in collector.sources if n not in collector.readings)
        frame = self.judge.frame(collector.snapshot(), waiting, self._monitor())
        if not waiting and not self._started:
            unconfirmed = frame.snapshot.sessions.unconfirmed
            if unconfirmed:
                return replace(frame, waiting=(f"a second read of {unconfirmed} sessions "
                                               "found nowhere",))
            self._started = True
        return frame

    def _deliver(self, frame: Frame) -> None:
        self._last = frame
        self._delivered_at = time.monotonic()
        if self.on_frame is not None:
            self.on_frame(frame)

    def _monitor(self) -> MonitorStats:
        """This process's CPU (of one core) and RSS, taken again at most once a second, and
        the loop's worst lag over the last second."""
        lag = self._lag.worst_since(time.monotonic() - 1.0)
        now = time.monotonic()
        own = self._own
        if own is None or now - own.at >= 1.0:
            times = os.times()
            cpu = times.user + times.system
            percent = None if own is None else 100.0 * (cpu - own.cpu) / (now - own.at)
            self._own = own = _Own(cpu, now, MonitorStats(percent, _rss()))
        return replace(own.stats, loop_lag=lag)


def _others_cpu() -> float:
    """CPU seconds used so far by this process's threads other than the calling one: while
    they ran Python, they held the GIL this thread may have waited for."""
    return time.process_time() - time.thread_time()


def _rss() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


# -- one collection, with a deadline kept from outside -------------------------------------------

@dataclass(frozen=True)
class OneShot:
    frame: Frame
    timed_out: float | None
    """The deadline in seconds when it expired before every source answered."""


def one_shot(collector: Collector, judge: Judge, deadline: float | None = None,
             shown_deadline: float | None = None) -> OneShot:
    """Read every source once, concurrently, in a daemon thread, and judge what arrived.

    The calling thread keeps the deadline — ``deadline`` seconds, or without one the longest
    source timeout — so no server, however hostile, holds it longer; a source still reading
    then is reported as not having answered (against ``shown_deadline``, the deadline the
    user gave, when it is not ``deadline`` itself). Ctrl-C (KeyboardInterrupt) and whatever a
    signal handler raises reach the caller at once."""
    longest = max((collector.timeout(name) for name in collector.sources), default=0.0)
    # Without a deadline: every source's timeout, and time to confirm lost sessions.
    limit = deadline if deadline is not None else 2 * longest + SETTLE + TIMEOUT_SLACK
    runtime = Runtime(collector, judge)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    loop = asyncio.new_event_loop()
    loop.set_default_executor(DaemonExecutor())
    done = concurrent.futures.Future[None]()
    abandoned = threading.Event()

    def quiet_once_abandoned(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # Past the deadline the reads still running are left to the daemon thread; what
        # they fail with later is already said (not answered in time), not news for stderr.
        if not abandoned.is_set():
            loop.default_exception_handler(context)

    loop.set_exception_handler(quiet_once_abandoned)

    async def collect() -> None:
        try:
            async with runtime.lag_watched():
                await runtime.read_all()
                if judge.unconfirmed_lost(collector.snapshot()):
                    # Sessions found nowhere: read both sources again before calling them
                    # lost (a session that just ended leaves its instance before the database).
                    await asyncio.sleep(SETTLE)
                    await asyncio.gather(runtime.read("instances"), runtime.read("database"))
        finally:
            done.set_result(None)

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(collect())
            loop.run_until_complete(_bounded(collector.close(), 1.0))
        finally:
            loop.close()

    thread = threading.Thread(target=main, daemon=True, name="blazz-tui one-shot")
    thread.start()
    timed_out = None
    try:
        done.result(timeout=limit)
    except concurrent.futures.TimeoutError:
        timed_out = shown_deadline or limit
        abandoned.set()
        collector.mark_unfinished(f"not answered within the {timed_out:g} s deadline")
    finally:
        sys.setswitchinterval(switch)
    collector.freeze()
    frame = judge.frame(collector.snapshot())
    if timed_out is None:
        thread.join(1.5)  # let the sources say goodbye (bounded; the thread is a daemon)
    return OneShot(frame, timed_out if collector.unfinished else None)


async def _bounded(awaitable: Awaitable[Any], seconds: float) -> None:
    try:
        await asyncio.wait_for(awaitable, seconds)
    except (TimeoutError, OSError):
        pass

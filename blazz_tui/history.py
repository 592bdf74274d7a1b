"""Memory across polls: what a single reading cannot tell.

- restarts of a program, seen as changes of its pid/start time (supervisor keeps no count);
- the Redis hit rate over the last window, from deltas of cumulative counters, safe across a
  restart (new run_id) or ``CONFIG RESETSTAT`` (counters going down);
- queue depth and hit-rate histories for sparklines;
- consecutive failures of each check, for ``retries``;
- the host's CPU counters, so its CPU % is the busy share since the previous sample (for
  ``--check``, since the previous run: never a fraction of a second of its own start-up);
- the database server's statement counters, so its query rate is over the same kind of window,
  with blazz-tui's own statements left out;
- each instance's answers, as up/down spans, for its uptime over the last hour and day;
- the instances' send counters, for message latency and failed messages over a window.

The dashboard keeps one ``History`` in memory; ``--check`` loads and saves it as JSON in the
state directory, so a cron job sees restarts and windowed rates between runs too.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from blazz_tui.sources.database import DatabaseReading
from blazz_tui.sources.host import HostReading
from blazz_tui.sources.instances import InstancesReading
from blazz_tui.sources.messages import MessagesReading
from blazz_tui.sources.pm2 import Pm2Reading
from blazz_tui.sources.redis import RedisReading
from blazz_tui.sources.supervisor import SupervisorReading

HISTORY_POINTS = 120
CPU_WINDOW_MIN = 1.0
"""A CPU sample closer than this (seconds) to the earlier one does not replace it: the figure
of the last full window stands (a few quick reads in a row must not make it vanish)."""
CPU_WINDOW_MAX = 900.0
"""An earlier CPU sample older than this (seconds) is not averaged over: start again."""
MAX_RESTARTS_KEPT = 50
UPTIME_GAP = 600.0
"""Seconds between two reads of an instance up to which the time between them counts as
observed (cron's --check every 5 minutes); a longer gap is not observed."""
UPTIME_KEPT = 86_400.0
FIRST_SAMPLE = "needs a second sample"
MESSAGE_WINDOW = 300.0
"""Seconds over which message latency and failures are figured."""
MAX_SPANS = 2_000


def _measure(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end] that the union of ``intervals`` covers."""
    total, reached = 0.0, start
    for begin, finish in sorted(intervals):
        begin, finish = max(begin, reached), min(finish, end)
        if finish > begin:
            total += finish - begin
            reached = finish
    return total


@dataclass(frozen=True)
class ProgramRestarts:
    name: str
    """``group:process``."""
    restarts: int
    """Restarts seen since watching began."""
    recent: int
    """Restarts within the flap window."""
    last_restart_at: float | None
    last_hour: int = 0


@dataclass(frozen=True)
class CacheWindow:
    hit_rate: float | None
    """Percent over the window, None when there were no lookups or no earlier sample."""
    lookups: int
    seconds: float
    evictions: int
    reset_seen: bool
    """The counters went backwards (restart or CONFIG RESETSTAT) since the last sample."""
    hits: int = 0
    misses: int = 0
    """The window's lookups, blazz-tui's own left out."""
    jobs_done: int | None = None
    """Jobs that left the ``jobs`` table over about the window (None: not known) — each one
    a worker's turn of its loop, and so one read of the queue-restart signal."""


@dataclass(frozen=True)
class DatabaseRates:
    """The database server's load between two samples (``unknown`` says why there is none)."""

    queries_per_second: float | None = None
    """Statements clients sent per second, blazz-tui's own left out."""
    selects_per_second: float | None = None
    slow_queries: int = 0
    """Statements the server logged as slow in the window (all its users)."""
    seconds: float = 0.0
    own_statements: int = 0
    unknown: str | None = None


@dataclass(frozen=True)
class Uptime:
    """An instance's share of observed time answering, over the last hour and day."""

    name: str
    hour: float | None
    """Percent, None when it was not observed in the last hour."""
    hour_observed: float
    """Seconds of the last hour it was observed."""
    day: float | None
    day_observed: float
    program: str | None = None
    """The supervisor program or PM2 process (``pm2/NAME``) that runs it, when known."""
    restarts_hour: int | None = None
    """Its restarts in the last hour (None: no program known) — seen between two reads even
    when the instance answered both."""


@dataclass(frozen=True)
class MessageRates:
    """Messages the instances sent and failed over the window, and the mean send time."""

    latency: float | None = None
    """Seconds, the mean of the window's timed sends (None: none timed)."""
    failed_percent: float | None = None
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0
    unknown: str | None = None
    """Why there are no figures."""
    available: bool = True
    """False when no instance publishes send counters: the target has no such figures."""
    waiting: bool = False
    """Only one sample yet: the window starts with the next."""
    recent: MessageRates | None = None
    """The recent window the figures are judged on (None: this is it)."""


def _rates(base: tuple[float, dict[str, list[float]]],
           last: tuple[float, dict[str, list[float]]]) -> MessageRates:
    """The sends between two samples of the instances' counters."""
    sent = failed = count = seconds = 0.0
    for name, now in last[1].items():
        before = base[1].get(name)
        if before is None or any(n < b for n, b in zip(now, before, strict=True)):
            continue  # new, or restarted (counters reset): not in this window
        sent += now[0] - before[0]
        failed += now[1] - before[1]
        seconds += now[2] - before[2]
        count += now[3] - before[3]
    total = sent + failed
    return MessageRates(seconds / count if count else None,
                        100.0 * failed / total if total else None,
                        int(sent), int(failed), last[0] - base[0])


@dataclass
class _RedisSample:
    at: float
    run_id: str
    hits: int
    misses: int
    evicted: int
    own_hits: int = 0
    own_misses: int = 0
    """Lookups blazz-tui made after this sample's INFO: in the next sample's counters."""


@dataclass
class _JobsSample:
    at: float
    next_id: int
    rows: int


class History:
    def __init__(self, flap_window: float = 600.0, cache_window: float = 60.0) -> None:
        self.flap_window = flap_window
        self.cache_window = cache_window
        self._programs: dict[str, tuple[int, float]] = {}
        self._restarts: dict[str, deque[float]] = {}
        self._restart_totals: dict[str, int] = {}
        self._redis: deque[_RedisSample] = deque(maxlen=HISTORY_POINTS)
        self._reset_seen = False
        self._queues: dict[str, deque[tuple[float, int]]] = {}
        self._hit_rates: deque[tuple[float, float]] = deque(maxlen=HISTORY_POINTS)
        self._cpu: tuple[float, float, float, float] | None = None
        """(epoch seconds, busy, total, boot time) of the host's last CPU sample."""
        self._cpu_figure: tuple[float, float] | None = None
        """(percent, window) of the last full window, while a newer one is too short."""
        self._db: tuple[float, int, int, int, int, int] | None = None
        """(epoch seconds, questions, selects, slow queries, server uptime, this poll's own
        statements) of the database's last sample."""
        self._db_rates = DatabaseRates(unknown="needs a second sample")
        self._messages: deque[tuple[float, dict[str, list[float]]]] = \
            deque(maxlen=HISTORY_POINTS)
        """(epoch seconds, instance → [sent, failed, seconds sum, seconds count])."""
        self._messages_unknown: tuple[str, bool] = (FIRST_SAMPLE, True)
        self._spans: dict[str, list[list[Any]]] = {}
        """Per instance, [start, end, up] spans of what was observed, oldest first."""
        self._jobs: deque[_JobsSample] = deque(maxlen=HISTORY_POINTS)
        self._downs: dict[str, list[tuple[float, float | None]]] = {}
        """Per supervisor process, when its log says it was not running."""

    # -- host -------------------------------------------------------------------------------

    def with_cpu(self, reading: HostReading) -> HostReading:
        """``reading`` with its CPU % since the previous sample, which it replaces."""
        stats = reading.stats
        if not reading.ok or stats is None:
            return reading
        sample = (reading.fetched_at, stats.cpu_busy, stats.cpu_total, stats.boot_time)
        before = self._cpu
        restarted = before is not None and (abs(sample[3] - before[3]) > 2
                                            or sample[2] < before[2])
        if before is not None and not restarted and sample[0] - before[0] < CPU_WINDOW_MIN:
            if self._cpu_figure is None:
                return replace(reading, cpu_unknown="needs a sample a second later")
            percent, window = self._cpu_figure
            return replace(reading, cpu_percent=percent, cpu_window=window)
        self._cpu, self._cpu_figure = sample, None
        if before is None:
            return replace(reading, cpu_unknown="needs a second sample")
        window = sample[0] - before[0]
        if restarted or sample[2] == before[2]:
            return replace(reading, cpu_unknown="the host restarted since the last sample")
        if window > CPU_WINDOW_MAX:
            return replace(reading, cpu_unknown="the last sample is too old to average over")
        busy = max(0.0, min(100.0, 100.0 * (sample[1] - before[1]) / (sample[2] - before[2])))
        self._cpu_figure = (busy, window)
        return replace(reading, cpu_percent=busy, cpu_window=window)

    # -- database load ----------------------------------------------------------------------

    def observe_database(self, reading: DatabaseReading) -> None:
        load = reading.load
        if not reading.ok or load is None:
            self._db_rates = DatabaseRates(unknown=reading.load_error or reading.error)
            return
        sample = (reading.fetched_at, load.questions, load.selects, load.slow_queries,
                  load.uptime, reading.queries)
        before = self._db
        if before is not None and 0 <= sample[0] - before[0] < CPU_WINDOW_MIN:
            return  # too close: the last full window's figures stand
        self._db = sample
        if before is None:
            self._db_rates = DatabaseRates(unknown="needs a second sample")
            return
        seconds = sample[0] - before[0]
        if sample[4] < before[4] or sample[1] < before[1]:
            self._db_rates = DatabaseRates(unknown="the database restarted since the last "
                                                   "sample")
        elif seconds > CPU_WINDOW_MAX:
            self._db_rates = DatabaseRates(unknown="the last sample is too old to average over")
        else:
            # Between two samples lie the previous poll's statements, its status read first.
            own = before[5]
            self._db_rates = DatabaseRates(
                max(0.0, (sample[1] - before[1] - own) / seconds),
                max(0.0, (sample[2] - before[2]) / seconds), sample[3] - before[3],
                seconds, own)

    def database_rates(self) -> DatabaseRates:
        return self._db_rates

    def observe_jobs(self, reading: DatabaseReading) -> None:
        """The ``jobs`` table's counter and rows, for the jobs done over a window."""
        if not reading.ok or reading.jobs_next_id is None or reading.jobs_rows is None:
            self._jobs.clear()  # a gap: no window spans it
            return
        if self._jobs and self._jobs[-1].at >= reading.fetched_at:
            return
        self._jobs.append(_JobsSample(reading.fetched_at, reading.jobs_next_id,
                                      reading.jobs_rows))

    def jobs_done(self, since: float, until: float) -> int | None:
        """Jobs that left the table from ``since`` to ``until``, from the samples spanning
        it (scaled up when they span less of it; None: not known)."""
        if len(self._jobs) < 2:
            return None
        last = self._jobs[-1]
        first = next((j for j in reversed(self._jobs) if j.at <= since), self._jobs[0])
        if last.at <= first.at or last.next_id < first.next_id:
            return None
        left = max(0, (last.next_id - first.next_id) - (last.rows - first.rows))
        span = last.at - first.at
        return math.ceil(left * max(1.0, (until - since) / span))

    # -- instance uptime --------------------------------------------------------------------

    def observe_instances(self, reading: InstancesReading) -> None:
        """Each instance read is up (it answered /health) or down from the end of the
        previous read's span: a change between two reads is put halfway."""
        for inst in reading.instances:
            at = inst.attempted_at or inst.fetched_at
            if not at:
                continue
            spans = self._spans.setdefault(inst.name, [])
            if spans and at <= spans[-1][1]:
                continue
            if spans and at - spans[-1][1] <= UPTIME_GAP:
                last = spans[-1]
                if last[2] == inst.up:
                    last[1] = at
                else:
                    middle = (last[1] + at) / 2
                    last[1] = middle
                    spans.append([middle, at, inst.up])
            else:
                spans.append([at, at, inst.up])
            while spans and (spans[0][1] < at - UPTIME_KEPT or len(spans) > MAX_SPANS):
                spans.pop(0)

    def uptime(self, now: float, downs: Mapping[str, list[tuple[float, float | None]]]
               | None = None) -> tuple[Uptime, ...]:
        """Each instance's share of observed time answering. ``downs``: per instance, when
        supervisord's log says the program running it was not running — down, and observed,
        whether or not blazz-tui was watching then."""
        downs = downs or {}

        def share(name: str, seconds: float) -> tuple[float | None, float]:
            start = now - seconds
            down = [(b, now if e is None else e) for b, e in downs.get(name, ())]
            spans = self._spans.get(name, [])
            seen = _measure([(b, e) for b, e, _ in spans] + down, start, now)
            lost = _measure([(b, e) for b, e, up in spans if not up] + down, start, now)
            return (100.0 * (seen - lost) / seen if seen else None), seen

        names = sorted(set(self._spans) | {n for n, d in downs.items() if d})
        return tuple(Uptime(name, *share(name, 3_600.0), *share(name, 86_400.0))
                     for name in names)

    # -- messages ---------------------------------------------------------------------------

    def observe_messages(self, reading: MessagesReading) -> None:
        counters = {c.name: [float(c.sent or 0), float(c.failed or 0),
                             float(c.seconds_sum or 0.0), float(c.seconds_count or 0)]
                    for c in reading.instances if c.error is None}
        if not reading.ok or not counters:
            errors = [c.error for c in reading.instances if c.error] \
                or [reading.error or "no instance answered"]
            none = all("no send counters" in (e or "") or "HTTP 404" in (e or "")
                       for e in errors)
            self._messages_unknown = (str(errors[0]), not none)
            return
        if self._messages and self._messages[-1][0] >= reading.fetched_at:
            return
        self._messages.append((reading.fetched_at, counters))
        self._messages_unknown = (FIRST_SAMPLE, True)

    def message_rates(self, recent_seconds: float = 60.0,
                      recent_messages: int = 100) -> MessageRates:
        """The sends over the window (``MESSAGE_WINDOW``), and over the recent window they
        are judged on: back from the newest sample at least ``recent_seconds``, further back
        while fewer than ``recent_messages`` were sent."""
        if len(self._messages) < 2:
            why, available = self._messages_unknown
            return MessageRates(unknown=why, available=available, waiting=why == FIRST_SAMPLE)
        samples = list(self._messages)
        at, current = samples[-1]
        base = 0
        for i in range(len(samples) - 2, -1, -1):
            base = i
            if at - samples[i][0] >= MESSAGE_WINDOW:
                break
        if at - samples[base][0] > CPU_WINDOW_MAX:
            return MessageRates(unknown="the last sample is too old to figure over")
        recent = None
        for i in range(len(samples) - 2, base - 1, -1):
            rates = _rates(samples[i], samples[-1])
            if at - samples[i][0] >= recent_seconds and rates.sent + rates.failed \
                    >= recent_messages or i == base:
                recent = rates
                break
        return replace(_rates(samples[base], samples[-1]), recent=recent)

    # -- programs ---------------------------------------------------------------------------

    def observe_supervisor(self, reading: SupervisorReading) -> None:
        """Restarts from supervisord's own log where it could be read (those of before the
        first read too), else from new start times; and each process's downtime the log
        tells."""
        for endpoint in reading.endpoints:
            if endpoint.error is not None:
                continue
            names = Counter(p.name for p in endpoint.processes)
            for proc in endpoint.processes:
                key = f"{endpoint.name}/{proc.full_name}"
                logged = endpoint.log.processes.get(proc.name) \
                    if endpoint.log is not None and names[proc.name] == 1 else None
                if logged is not None:
                    for at in logged.restarts:
                        self._restart_at(key, at)
                    self._downs[key] = list(logged.down)
                seen = self._programs.get(key)
                if proc.start <= 0:
                    continue
                if seen is not None and proc.start > seen[1] + 0.5:
                    self._restart_at(key, proc.start)
                self._programs[key] = (proc.pid, proc.start)

    def _restart_at(self, key: str, at: float) -> None:
        """One restart of ``key`` at ``at``, unless it is one already known: the log gives
        the same times each time it is read, and supervisord's start time is the log's time
        cut to the second."""
        times = self._restarts.setdefault(key, deque(maxlen=MAX_RESTARTS_KEPT))
        if any(abs(t - at) < 0.01 or 0 <= max(t, at) - min(t, at) < 1.0
               and min(t, at).is_integer() for t in times):
            return
        times.append(at)
        if len(times) > 1 and times[-2] > at:
            times = self._restarts[key] = deque(sorted(times), maxlen=MAX_RESTARTS_KEPT)
        self._restart_totals[key] = self._restart_totals.get(key, 0) + 1

    def downtime(self, program: str) -> list[tuple[float, float | None]]:
        """When supervisord's log says the process ``group:process`` was not running."""
        return next((d for k, d in self._downs.items() if k.split("/", 1)[1] == program), [])

    def observe_pm2(self, reading: Pm2Reading) -> None:
        """PM2 counts restarts itself: a rise is a restart (several between two reads are put
        at the newest start); a fall is a ``pm2 reset`` or a new daemon."""
        if not reading.ok:
            return
        for proc in reading.processes:
            key = f"pm2/{proc.name}"
            seen = self._programs.get(key)
            started = reading.fetched_at - proc.uptime if proc.uptime else reading.fetched_at
            if seen is not None and proc.restarts > seen[0]:
                new = proc.restarts - int(seen[0])
                times = self._restarts.setdefault(key, deque(maxlen=MAX_RESTARTS_KEPT))
                times.extend([started] * min(new, MAX_RESTARTS_KEPT))
                self._restart_totals[key] = self._restart_totals.get(key, 0) + new
            self._programs[key] = (proc.restarts, started)

    def restarts(self, now: float) -> tuple[ProgramRestarts, ...]:
        """Supervisor programs by ``group:process``, PM2 processes by ``pm2/NAME``."""
        out = []
        for key, total in sorted(self._restart_totals.items()):
            times = self._restarts.get(key, deque())
            out.append(ProgramRestarts(
                name=key if key.startswith("pm2/") else key.split("/", 1)[1], restarts=total,
                recent=sum(1 for t in times if now - t <= self.flap_window),
                last_restart_at=times[-1] if times else None,
                last_hour=sum(1 for t in times if now - t <= 3_600.0)))
        return tuple(out)

    # -- redis ------------------------------------------------------------------------------

    def observe_redis(self, reading: RedisReading) -> None:
        if not reading.ok:
            return
        sample = _RedisSample(reading.fetched_at, reading.run_id, reading.keyspace_hits,
                              reading.keyspace_misses, reading.evicted_keys, reading.own_hits,
                              reading.own_misses)
        if self._redis and self._redis[-1].at >= sample.at:
            return
        if self._redis:
            last = self._redis[-1]
            if (last.run_id != sample.run_id or sample.hits < last.hits
                    or sample.misses < last.misses):
                self._redis.clear()
                self._reset_seen = True
            else:
                self._reset_seen = False
        self._redis.append(sample)
        window = self.cache_window_now()
        if window.hit_rate is not None:
            self._hit_rates.append((sample.at, window.hit_rate))

    def cache_window_now(self) -> CacheWindow:
        if len(self._redis) < 2:
            return CacheWindow(None, 0, 0.0, 0, self._reset_seen)
        samples = list(self._redis)
        current = samples[-1]
        start = 0
        for i in range(len(samples) - 2, -1, -1):
            start = i
            if current.at - samples[i].at >= self.cache_window:
                break
        base, between = samples[start], samples[start:-1]
        # Our own probes, made after each sample's INFO, are in the next one's counters.
        hits = max(0, current.hits - base.hits - sum(s.own_hits for s in between))
        misses = max(0, current.misses - base.misses - sum(s.own_misses for s in between))
        lookups = hits + misses
        rate = 100.0 * hits / lookups if lookups else None
        return CacheWindow(rate, lookups, current.at - base.at, current.evicted - base.evicted,
                           self._reset_seen, hits, misses,
                           self.jobs_done(base.at, current.at))

    def hit_rate_history(self) -> tuple[float, ...]:
        return tuple(rate for _, rate in self._hit_rates)

    # -- queues -----------------------------------------------------------------------------

    def observe_queue_depths(self, at: float, depths: dict[str, int]) -> None:
        for name, depth in depths.items():
            points = self._queues.setdefault(name, deque(maxlen=HISTORY_POINTS))
            if points and points[-1][0] >= at:
                continue
            points.append((at, depth))

    def queue_history(self, name: str) -> tuple[int, ...]:
        return tuple(depth for _, depth in self._queues.get(name, ()))

    # -- persistence ------------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """What is kept between runs, as JSON-able data."""
        return {
            "programs": self._programs,
            "restarts": {k: list(v) for k, v in self._restarts.items()},
            "restart_totals": self._restart_totals,
            "redis": [vars(s) for s in self._redis],
            "queues": {k: list(v) for k, v in self._queues.items()},
            "hit_rates": list(self._hit_rates),
            "cpu": self._cpu,
            "db": self._db,
            "spans": self._spans,
            "jobs": [vars(j) for j in self._jobs],
            "messages": [m for m in self._messages  # the window, for the next run
                         if m[0] >= self._messages[-1][0] - MESSAGE_WINDOW],
        }

    def load_data(self, data: Any) -> None:
        """Restore what ``to_data`` gave. Unreadable state is ignored whole: it is a cache of
        earlier polls, never worth failing a check for."""
        try:
            programs = {k: (int(v[0]), float(v[1])) for k, v in data["programs"].items()}
            restarts = {k: deque((float(t) for t in v), maxlen=MAX_RESTARTS_KEPT)
                        for k, v in data["restarts"].items()}
            totals = {k: int(v) for k, v in data["restart_totals"].items()}
            redis = deque((_RedisSample(**s) for s in data["redis"]), maxlen=HISTORY_POINTS)
            queues = {k: deque(((float(a), int(b)) for a, b in v), maxlen=HISTORY_POINTS)
                      for k, v in data["queues"].items()}
            hit_rates = deque(((float(a), float(b)) for a, b in data["hit_rates"]),
                              maxlen=HISTORY_POINTS)
            cpu = data.get("cpu")
            cpu = None if cpu is None else (float(cpu[0]), float(cpu[1]), float(cpu[2]),
                                            float(cpu[3]))
            messages = deque(((float(at), {str(k): [float(x) for x in v[:4]]
                                           for k, v in sample.items()})
                              for at, sample in data.get("messages", [])),
                             maxlen=HISTORY_POINTS)
            spans = {str(k): [[float(a), float(b), bool(c)] for a, b, c in v]
                     for k, v in data.get("spans", {}).items()}
            jobs = deque((_JobsSample(float(j["at"]), int(j["next_id"]), int(j["rows"]))
                          for j in data.get("jobs", [])), maxlen=HISTORY_POINTS)
            db = data.get("db")
            db = None if db is None else (float(db[0]), *(int(v) for v in db[1:6]))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return
        self._programs, self._restarts, self._restart_totals = programs, restarts, totals
        self._redis, self._queues, self._hit_rates = redis, queues, hit_rates
        self._cpu = cpu
        self._db = db
        self._spans = spans
        self._messages = messages
        self._jobs = jobs

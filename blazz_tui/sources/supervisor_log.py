"""supervisord's own record of its processes: the end of its main log, read through XML-RPC
(``supervisor.readLog``), so the restarts and downtime of the last minutes are known from
the first read — a first ``--check`` sees them as a dashboard that watched them does.

Lines look like ``2026-12-03 20:48:05,940 WARN exited: crashy_00 (exit status 1; not
expected)``, in supervisord's local time, naming a process without its group. The time is
put on the epoch by the current run of a process: its ``spawned: 'NAME' with pid P`` line and
the start time ``getAllProcessInfo`` gives for pid P (the offset rounded to a quarter hour, as
time zones are).

- A *restart* is a spawn that follows an exit, a stop or a "gave up" of the same process since
  supervisord started — or any spawn, when what was read shows neither its earlier life nor
  supervisord's start.
- *Down* is from an exit (or stop, or gave up) to the next ``entered RUNNING state``.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

TAIL_BYTES = 64 * 1024
"""How much of the log's end is read (a crash loop writes ~150 bytes a restart)."""
_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) [A-Z]+ (.*)$")
_EVENTS = (
    ("spawned", re.compile(r"^spawned: '([^']+)' with pid (\d+)")),
    ("running", re.compile(r"^success: (\S+) entered RUNNING state")),
    ("exited", re.compile(r"^(?:exited|stopped): (\S+) \(")),
    ("gave up", re.compile(r"^gave up: (\S+) entered FATAL state")),
)
_STARTED = "supervisord started with pid"
QUARTER_HOUR = 900.0


@dataclass(frozen=True)
class ProcessLog:
    """What the log says of one process."""

    restarts: tuple[float, ...] = ()
    """Epoch seconds of each restart in what was read."""
    down: tuple[tuple[float, float | None], ...] = ()
    """(from, to) of each time it was not running (``to`` None: not yet back)."""


@dataclass(frozen=True)
class SupervisorLog:
    processes: dict[str, ProcessLog]
    """By process name (without its group)."""
    since: float
    """Epoch seconds of the oldest line read: nothing before is known."""


@dataclass(frozen=True)
class _Event:
    at: float
    """Naive: the log's clock read as UTC."""
    kind: str
    name: str
    pid: int = 0


def parse(text: str, starts: dict[str, tuple[int, float]]) -> SupervisorLog | None:
    """The log's end (``text``), put on the epoch with ``starts`` (process name → its pid and
    start time now); None when no line can be placed in time."""
    events: list[_Event] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue  # the first line of a tail is usually cut
        try:
            at = calendar.timegm(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")) \
                + int(match.group(2)) / 1000
        except ValueError:
            continue
        message = match.group(3)
        if message.startswith(_STARTED):
            events.append(_Event(at, "started", ""))
            continue
        for kind, pattern in _EVENTS:
            found = pattern.match(message)
            if found is not None:
                pid = int(found.group(2)) if kind == "spawned" else 0
                events.append(_Event(at, kind, found.group(1), pid))
                break
    offset = _offset(events, starts)
    if offset is None or not events:
        return None
    return SupervisorLog(_per_process(events, offset), events[0].at + offset)


def _offset(events: Iterable[_Event], starts: dict[str, tuple[int, float]]) -> float | None:
    """Seconds to add to the log's clock for the epoch, from a current run's spawn line."""
    for event in reversed(list(events)):
        if event.kind == "spawned" and event.name in starts:
            pid, start = starts[event.name]
            if pid == event.pid and start > 0:
                return round((start - event.at) / QUARTER_HOUR) * QUARTER_HOUR
    return None


def _per_process(events: list[_Event], offset: float) -> dict[str, ProcessLog]:
    restarts: dict[str, list[float]] = {}
    down: dict[str, list[tuple[float, float | None]]] = {}
    last: dict[str, str] = {}
    """Per process, its previous event since supervisord last started."""
    seen_start = False
    for event in events:
        if event.kind == "started":
            seen_start = True
            last.clear()
            continue
        at, name = event.at + offset, event.name
        previous = last.get(name)
        if event.kind == "spawned":
            if previous in ("exited", "gave up") or (previous is None and not seen_start):
                restarts.setdefault(name, []).append(at)
        elif event.kind in ("exited", "gave up"):
            spans = down.setdefault(name, [])
            if not spans or spans[-1][1] is not None:
                spans.append((at, None))
        elif event.kind == "running":
            spans = down.get(name, [])
            if spans and spans[-1][1] is None:
                spans[-1] = (spans[-1][0], at)
        last[name] = event.kind
    names = set(restarts) | set(down)
    return {n: ProcessLog(tuple(restarts.get(n, ())), tuple(down.get(n, ()))) for n in names}

"""Restarts of the programs (supervisord's, seen in its log or as new start times; PM2's
own counts) and, from supervisord's log, when a process was not running."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from blazz_tui.sources.pm2 import Pm2Reading
from blazz_tui.sources.supervisor import SupervisorReading

MAX_RESTARTS_KEPT = 50


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


class Programs:
    def __init__(self, flap_window: float = 600.0) -> None:
        self.flap_window = flap_window
        self._programs: dict[str, tuple[int, float]] = {}
        self._restarts: dict[str, deque[float]] = {}
        self._restart_totals: dict[str, int] = {}
        self._downs: dict[str, list[tuple[float, float | None]]] = {}
        """Per supervisor process, when its log says it was not running."""

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

    def to_data(self) -> Any:
        return {"programs": self._programs,
                "restarts": {k: list(v) for k, v in self._restarts.items()},
                "restart_totals": self._restart_totals}

    @classmethod
    def from_data(cls, data: Any, flap_window: float) -> Programs:
        tracker = cls(flap_window)
        tracker._programs = {k: (int(v[0]), float(v[1])) for k, v in data["programs"].items()}
        tracker._restarts = {k: deque((float(t) for t in v), maxlen=MAX_RESTARTS_KEPT)
                             for k, v in data["restarts"].items()}
        tracker._restart_totals = {k: int(v) for k, v in data["restart_totals"].items()}
        return tracker

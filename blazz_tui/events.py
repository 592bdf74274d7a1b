"""The timeline of state changes: each check's status transitions, kept in a JSONL file so
the timeline survives a restart of the dashboard."""

from __future__ import annotations

import json
import os
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

from blazz_tui.fmt import duration
from blazz_tui.rules.model import Check, Status

KEEP = 500


@dataclass(frozen=True)
class Event:
    at: float
    check: str
    status: str
    previous: str | None
    summary: str

    def describe(self) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(self.at))
        if self.previous is None:
            return f"{clock} {self.check} {self.status}: {self.summary}"
        return f"{clock} {self.check} {self.previous} → {self.status}: {self.summary}"


class Timeline:
    """Turns successive check lists into events; appends them to a JSONL file if given."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.events: deque[Event] = deque(maxlen=KEEP)
        self._status: dict[str, Status] = {}
        self._failing_since: dict[str, float] = {}
        if path is not None:
            self._load(path)

    def observe(self, checks: tuple[Check, ...] | list[Check], now: float) -> list[Event]:
        new: list[Event] = []
        for check in checks:
            previous = self._status.get(check.name)
            self._status[check.name] = check.status
            if previous is check.status or (previous is None and check.status is Status.OK):
                continue  # no change, or a check appearing healthy: not news
            summary = check.summary
            if check.status is Status.OK:
                since = self._failing_since.pop(check.name, None)
                if since is not None:
                    summary = f"back OK after {duration(now - since)}"
            elif previous in (None, Status.OK):
                self._failing_since[check.name] = now
            new.append(Event(now, check.name, check.status.value,
                             previous.value if previous else None, summary))
        self.events.extend(new)
        self._append(new)
        return new

    def _load(self, path: Path) -> None:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()[-KEEP:]
        except OSError:
            return
        for line in lines:
            try:
                self.events.append(Event(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a torn or foreign line: skip it

    def _append(self, events: list[Event]) -> None:
        if self.path is None or not events:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # 0600, like the config: what the watched system said may be sensitive.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                for event in events:
                    f.write(json.dumps(asdict(event), ensure_ascii=False) + "\n")
        except OSError:
            pass  # the timeline on screen still works; only persistence is lost

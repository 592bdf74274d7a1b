"""The alert log: one *episode* per issue — a check that left OK: when it began, its worst
status and what was said then, how often it flapped, and when it ended.

An episode is over the moment its check is OK again (it says "lasted …" from then on); a
check that fails again within ``FOLD`` seconds reopens the same episode (a flap) rather than
adding a line. Episodes are kept in a JSONL file per target so the log survives a
restart: a record per change, the newest record of an episode winning. At start the episodes
still open are *standing*: the first frame that shows them failing adds nothing. One process
writes a target's file at a time (a lock beside it); another dashboard on the same target
shows the log without writing it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO

from blazz_tui.fmt import duration
from blazz_tui.rules.model import Check, Status

KEEP = 500
FOLD = 120.0
"""Seconds an issue must stay OK before its episode ends; a relapse meanwhile is a flap."""


@dataclass(frozen=True)
class Episode:
    check: str
    started: float
    status: str
    """The worst status it reached."""
    summary: str
    """What the check said when it was at its worst."""
    ended: float | None = None
    flaps: int = 0
    """Times it came back OK and failed again within FOLD seconds."""
    ok_since: float | None = None
    """When it last came back OK, while the episode may still continue."""

    @property
    def over_at(self) -> float | None:
        """When its check was last OK again (None: failing now): the episode's end, unless
        it relapses within FOLD seconds."""
        return self.ended if self.ended is not None else self.ok_since

    def describe(self, now: float | None = None) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(self.started))
        now = time.time() if now is None else now
        over = self.over_at
        span = (f"lasted {duration(over - self.started)}" if over is not None
                else f"ongoing {duration(now - self.started)}")
        flaps = f", {self.flaps} flap{'s' if self.flaps != 1 else ''}" if self.flaps else ""
        return f"{clock} {self.status:<8} {self.check} ({span}{flaps}): {self.summary}"


class Timeline:
    """Turns successive check lists into episodes; keeps them in a JSONL file if given."""

    def __init__(self, path: Path | None = None, *, write: bool = True) -> None:
        self.path = path
        self.episodes: dict[tuple[str, float], Episode] = {}
        self._open: dict[str, Episode] = {}
        self._lock: IO[str] | None = None
        if path is not None:
            self._load(path)
            if write:
                self._lock = _take_lock(path)
        self.writing = self._lock is not None

    @property
    def events(self) -> tuple[Episode, ...]:
        """The newest episodes, oldest first."""
        return tuple(sorted(self.episodes.values(), key=lambda e: e.started)[-KEEP:])

    def observe(self, checks: Iterable[Check], now: float) -> list[Episode]:
        """Fold one frame's checks into the episodes; returns the episodes that changed."""
        changed: list[Episode] = []
        for check in checks:
            episode = self._open.get(check.name)
            if check.status is Status.OK:
                if episode is not None and episode.ok_since is None:
                    changed.append(self._keep(replace(episode, ok_since=now)))
                elif episode is not None and now - episode.ok_since >= FOLD:  # type: ignore[operator]
                    changed.append(self._keep(replace(episode, ended=episode.ok_since)))
                    del self._open[check.name]
                continue
            if episode is None:
                changed.append(self._keep(Episode(check.name, now, check.status.value,
                                                  check.summary)))
                continue
            update = episode
            if episode.ok_since is not None:  # failing again within FOLD: a flap
                update = replace(update, ok_since=None, flaps=update.flaps + 1)
            if Status(check.status).rank > Status(episode.status).rank:
                update = replace(update, status=check.status.value, summary=check.summary)
            if update != episode:
                changed.append(self._keep(update))
        self._append(changed)
        return changed

    def _keep(self, episode: Episode) -> Episode:
        self.episodes[(episode.check, episode.started)] = episode
        if episode.ended is None:
            self._open[episode.check] = episode
        while len(self.episodes) > 2 * KEEP:
            del self.episodes[min(self.episodes, key=lambda k: self.episodes[k].started)]
        return episode

    def _load(self, path: Path) -> None:
        try:
            with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), encoding="utf-8",
                           errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return
        for line in lines[-20 * KEEP:]:
            try:
                data = json.loads(line)
                episode = Episode(**data)
            except (ValueError, TypeError):
                continue  # a torn line, or one of an older format: skip it
            self.episodes[(episode.check, episode.started)] = episode
        for episode in sorted(self.episodes.values(), key=lambda e: e.started):
            if episode.ended is None:  # standing: still open when the last writer stopped
                self._open[episode.check] = episode
            else:
                self._open.pop(episode.check, None)

    def _append(self, episodes: list[Episode]) -> None:
        if self.path is None or not episodes or self._lock is None:
            return
        try:
            # Never through a symbolic link: whatever it points at is not this log.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW,
                         0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                for episode in episodes:
                    f.write(json.dumps(asdict(episode), ensure_ascii=False) + "\n")
        except OSError:
            pass  # the log on screen still works; only persistence is lost


def _take_lock(path: Path) -> IO[str] | None:
    """Hold ``path``.lock for this process's life: the one writer of the target's log."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        handle = os.fdopen(fd, "r+")
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None  # another blazz-tui writes this target's log
    return handle

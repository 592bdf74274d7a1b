"""Each queue's depth over the last polls, for its sparkline."""

from __future__ import annotations

from collections import deque
from typing import Any

from blazz_tui.history.limits import HISTORY_POINTS


class Queues:
    def __init__(self) -> None:
        self._queues: dict[str, deque[tuple[float, int]]] = {}

    def observe(self, at: float, depths: dict[str, int]) -> None:
        for name, depth in depths.items():
            points = self._queues.setdefault(name, deque(maxlen=HISTORY_POINTS))
            if points and points[-1][0] >= at:
                continue
            points.append((at, depth))

    def depths(self, name: str) -> tuple[int, ...]:
        return tuple(depth for _, depth in self._queues.get(name, ()))

    def to_data(self) -> Any:
        return {k: list(v) for k, v in self._queues.items()}

    @classmethod
    def from_data(cls, data: Any) -> Queues:
        tracker = cls()
        tracker._queues = {k: deque(((float(a), int(b)) for a, b in v), maxlen=HISTORY_POINTS)
                           for k, v in data.items()}
        return tracker

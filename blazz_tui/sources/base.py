"""What every source returns, and the shape of a source.

A reading is a frozen dataclass. ``fetched_at`` is when its data was collected;
``error`` is set when the latest attempt failed. The collector then keeps the data
of the last good reading and marks it with the error, so a panel can show both the
error and the age of the last good data — a stale value is never dressed as fresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Protocol, Self, TypeVar

from blazz_tui.transport.base import describe_error as describe_error  # its sources' use


@dataclass(frozen=True, kw_only=True)
class Reading:
    fetched_at: float = 0.0
    """Epoch seconds when the data in this reading was collected (0: never)."""
    latency: float = 0.0
    """Seconds the collection took."""
    error: str | None = None
    """Why the latest attempt failed; ``None`` when this reading is fresh."""
    attempted_at: float = 0.0
    """Epoch seconds of the latest attempt, good or not."""
    monitor_stall: float = 0.0
    """Seconds the monitor's own loop lagged while this reading was taken: its latency may be
    the monitor's, not the service's (set by the runtime)."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.fetched_at > 0

    @property
    def has_data(self) -> bool:
        return self.fetched_at > 0

    def age(self, now: float | None = None) -> float | None:
        """Seconds since the data was collected; ``None`` if never."""
        if not self.has_data:
            return None
        return (time.time() if now is None else now) - self.fetched_at

    @classmethod
    def failed(cls, error: str, attempted_at: float, latency: float = 0.0) -> Self:
        """A reading that never had data: every field at its default, with the error."""
        return cls(error=error, attempted_at=attempted_at, latency=latency)

    def stale(self, error: str, attempted_at: float, latency: float = 0.0) -> Self:
        """This (last good) data, marked with the error of a newer failed attempt."""
        return replace(self, error=error, attempted_at=attempted_at, latency=latency)


R = TypeVar("R", bound=Reading, covariant=True)


class Source(Protocol[R]):
    """One system of the target. ``read`` never raises for a failure of that system:
    it returns a reading with ``error`` set (it may still raise on programming errors)."""

    name: str

    async def read(self) -> R:
        ...

    def failed(self, error: str, attempted_at: float, latency: float) -> R:
        """The reading to use when ``read`` timed out."""
        ...

    async def close(self) -> None:
        """Release connections; the source may be read again afterwards (it reconnects)."""
        ...

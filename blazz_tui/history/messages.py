"""The instances' send counters, for message latency and failed messages over a window."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from blazz_tui.history.limits import CPU_WINDOW_MAX, FIRST_SAMPLE, HISTORY_POINTS
from blazz_tui.sources.messages import MessagesReading

MESSAGE_WINDOW = 300.0
"""Seconds over which message latency and failures are figured."""


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


class Messages:
    def __init__(self) -> None:
        self._messages: deque[tuple[float, dict[str, list[float]]]] = \
            deque(maxlen=HISTORY_POINTS)
        """(epoch seconds, instance → [sent, failed, seconds sum, seconds count])."""
        self._messages_unknown: tuple[str, bool] = (FIRST_SAMPLE, True)

    def observe(self, reading: MessagesReading) -> None:
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

    def rates(self, recent_seconds: float = 60.0,
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

    def to_data(self) -> Any:
        return [m for m in self._messages  # the window, for the next run
                if m[0] >= self._messages[-1][0] - MESSAGE_WINDOW]

    @classmethod
    def from_data(cls, data: Any) -> Messages:
        tracker = cls()
        tracker._messages = deque(((float(at), {str(k): [float(x) for x in v[:4]]
                                                for k, v in sample.items()})
                                   for at, sample in data), maxlen=HISTORY_POINTS)
        return tracker

"""The host's CPU counters, so its CPU % is the busy share since the previous sample (for
``--check``, since the previous run: never a fraction of a second of its own start-up)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from blazz_tui.history.limits import CPU_WINDOW_MAX, CPU_WINDOW_MIN
from blazz_tui.sources.host import HostReading


class HostCpu:
    def __init__(self) -> None:
        self._cpu: tuple[float, float, float, float] | None = None
        """(epoch seconds, busy, total, boot time) of the host's last CPU sample."""
        self._cpu_figure: tuple[float, float] | None = None
        """(percent, window) of the last full window, while a newer one is too short."""

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

    def to_data(self) -> Any:
        return self._cpu

    @classmethod
    def from_data(cls, data: Any) -> HostCpu:
        tracker = cls()
        tracker._cpu = None if data is None else (float(data[0]), float(data[1]),
                                                  float(data[2]), float(data[3]))
        return tracker

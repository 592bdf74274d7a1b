"""Memory across polls: what a single reading cannot tell, one tracker per concern —

- ``programs``: restarts of a program (supervisord keeps no count) and its downtime;
- ``cache``: the Redis hit rate over the last window, and its history for a sparkline;
- ``queues``: each queue's depth over the last polls;
- ``host_cpu``: the host's CPU % since the previous sample;
- ``database``: the database server's query rate, blazz-tui's own statements left out;
- ``jobs``: the jobs that left the ``jobs`` table over a window;
- ``uptime``: each instance's answers, as up/down spans, for its uptime over the last hour
  and day;
- ``messages``: the instances' send counters, for message latency and failed messages.

The dashboard keeps one ``History`` in memory; ``--check`` saves it with the checks' retries
(``judge.Retries``) in the state directory and loads it on its next run, so a cron job sees
restarts and windowed rates between runs too.
"""

from __future__ import annotations

from typing import Any

from blazz_tui.history.cache import Cache, CacheWindow
from blazz_tui.history.cpu import HostCpu
from blazz_tui.history.database import DatabaseLoad, DatabaseRates, Jobs
from blazz_tui.history.messages import MessageRates, Messages
from blazz_tui.history.programs import ProgramRestarts, Programs
from blazz_tui.history.queues import Queues
from blazz_tui.history.uptime import InstanceUptime, Uptime

__all__ = ["CacheWindow", "DatabaseRates", "History", "MessageRates", "ProgramRestarts",
           "Uptime"]


class History:
    def __init__(self, flap_window: float = 600.0, cache_window: float = 60.0) -> None:
        self.flap_window = flap_window
        self.cache_window = cache_window
        self.programs = Programs(flap_window)
        self.jobs = Jobs()
        self.cache = Cache(self.jobs, cache_window)
        self.queues = Queues()
        self.host_cpu = HostCpu()
        self.database = DatabaseLoad()
        self.uptime = InstanceUptime()
        self.messages = Messages()

    def to_data(self) -> dict[str, Any]:
        """What is kept between runs, as JSON-able data: each tracker's."""
        return {"programs": self.programs.to_data(), "cache": self.cache.to_data(),
                "queues": self.queues.to_data(), "cpu": self.host_cpu.to_data(),
                "db": self.database.to_data(), "spans": self.uptime.to_data(),
                "jobs": self.jobs.to_data(), "messages": self.messages.to_data()}

    def load_data(self, data: Any) -> None:
        """Restore what ``to_data`` gave. Unreadable state is ignored whole: it is a cache of
        earlier polls, never worth failing a check for."""
        try:
            programs = Programs.from_data(data["programs"], self.flap_window)
            jobs = Jobs.from_data(data["jobs"])
            cache = Cache.from_data(data["cache"], jobs, self.cache_window)
            queues = Queues.from_data(data["queues"])
            host_cpu = HostCpu.from_data(data["cpu"])
            database = DatabaseLoad.from_data(data["db"])
            uptime = InstanceUptime.from_data(data["spans"])
            messages = Messages.from_data(data["messages"])
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return
        self.programs, self.jobs, self.cache, self.queues = programs, jobs, cache, queues
        self.host_cpu, self.database, self.uptime, self.messages = \
            host_cpu, database, uptime, messages

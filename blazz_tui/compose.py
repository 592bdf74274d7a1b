"""The one place a target's runtime is put together — its transport, its sources (all of
them, or the few an action plans on), the collector and its history, the judge and its
retries, the events timeline — for the dashboard, ``--check``, ``--snapshot``, the actions and
the tests alike."""

from __future__ import annotations

from pathlib import Path

from blazz_tui.collect import Collector
from blazz_tui.events import Timeline
from blazz_tui.history import History
from blazz_tui.judge import Judge, Retries
from blazz_tui.runtime import Runtime
from blazz_tui.settings import Config, TargetConfig
from blazz_tui.source_kinds import build_sources
from blazz_tui.transport import open_target
from blazz_tui.transport.base import Transport


def runtime_for(config: Config, target: TargetConfig, *, transport: Transport | None = None,
                deadline: float | None = None, history: History | None = None,
                retries: Retries | None = None, only: tuple[str, ...] | None = None,
                events: bool = False) -> tuple[Runtime, str | None]:
    """The runtime watching ``target``, and a warning to say about opening its transport.

    ``transport``: one already open (an action's), else the target's is opened, within
    ``deadline`` seconds; ``history`` and ``retries``: what an earlier run kept; ``only``:
    these sources alone; ``events``: the episodes are kept in the state directory's
    ``events-TARGET.jsonl``."""
    warning = None
    if transport is None:
        target, transport, warning = open_target(target, deadline)
    sources = build_sources(target, transport)
    if only is not None:
        sources = {name: source for name, source in sources.items() if name in only}
    collector = Collector(target, transport, config.thresholds, history, sources)
    timeline = Timeline(Path(config.state_dir).expanduser() / f"events-{target.name}.jsonl") \
        if events else None
    return Runtime(collector, Judge(config.thresholds, retries, timeline)), warning

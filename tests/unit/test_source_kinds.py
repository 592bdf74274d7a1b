"""One row per source kind: the table the collector, the runtime, the judge and the snapshot
read holds every source, and each row agrees with the snapshot field and the poll setting of
its name."""

from __future__ import annotations

import time
import typing
from dataclasses import replace

from blazz_tui.judge import Judge
from blazz_tui.message_figures import METRICS, MessageFigure
from blazz_tui.rules import Status
from blazz_tui.settings import LogsConfig, PollConfig, TargetConfig, Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.source_kinds import KINDS, build_sources
from blazz_tui.sources.messages import MessagesReading
from blazz_tui.transport.local import LocalTransport

NOW = time.time()


def test_each_kind_is_the_snapshot_field_of_its_name_and_type() -> None:
    fields = typing.get_type_hints(Snapshot)
    for kind in KINDS:
        assert fields[kind.name] == kind.reading | None, kind.name


def test_each_kind_has_its_poll_setting() -> None:
    for kind in KINDS:
        assert PollConfig().for_source(kind.name).timeout > 0, kind.name


def test_a_target_with_nothing_configured_reads_only_its_host() -> None:
    target = TargetConfig(name="t", supervisor=(), instances=(), database=None, redis=None,
                          ports=(), pm2=None, logs=LogsConfig(files=()))
    assert list(build_sources(target, LocalTransport())) == ["host"]


def snapshot(**parts: object) -> Snapshot:
    base = Snapshot(target="t", transport="local", taken_at=NOW, supervisor=None,
                    instances=None, database=None, redis=None, host=None, ports=None,
                    logs=None)
    return replace(base, **parts)  # type: ignore[arg-type]


def test_the_send_counters_are_a_reading_like_the_others() -> None:
    counters = MessagesReading(fetched_at=NOW)
    assert snapshot(messages=counters).readings() == {"messages": counters}


def test_a_message_figure_on_stale_counters_is_unknown_and_says_how_old() -> None:
    stale = MessagesReading(fetched_at=NOW - 90).stale("timed out after 3 s", NOW, 3.0)
    figure = MessageFigure(0.2, 400, 300.0, METRICS)  # its source: the instances' /metrics
    frame = Judge(Thresholds()).frame(snapshot(messages=stale, message_latency=figure))
    latency = next(c for c in frame.checks if c.name == "message-latency")
    assert latency.status is Status.UNKNOWN
    assert latency.summary.startswith("last good 1m30s ago: ")


def test_the_json_snapshot_has_a_section_for_the_send_counters() -> None:
    import json

    from blazz_tui.export import snapshot_json

    text = snapshot_json(snapshot(messages=MessagesReading(fetched_at=NOW)), [], Status.OK,
                         TargetConfig(), Thresholds())
    assert json.loads(text)["messages"]["fetched_at"] == NOW

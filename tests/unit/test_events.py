"""The events timeline: transitions only, recovery durations, persistence."""

from __future__ import annotations

from pathlib import Path

from blazz_tui.events import Timeline
from blazz_tui.rules.model import Check, Status


def checks(status: Status) -> list[Check]:
    return [Check("instance:wa-3002", status, "down" if status is not Status.OK else "up")]


def test_healthy_checks_appearing_are_not_events() -> None:
    assert Timeline().observe(checks(Status.OK), now=100.0) == []


def test_a_failure_and_its_recovery_are_two_events_with_the_outage_length() -> None:
    timeline = Timeline()
    timeline.observe(checks(Status.OK), now=100.0)
    [down] = timeline.observe(checks(Status.CRITICAL), now=110.0)
    assert timeline.observe(checks(Status.CRITICAL), now=120.0) == []
    [up] = timeline.observe(checks(Status.OK), now=136.0)
    assert (down.previous, down.status) == ("OK", "CRITICAL")
    assert up.summary == "back OK after 26s"
    assert up.describe().endswith("instance:wa-3002 CRITICAL → OK: back OK after 26s")


def test_the_timeline_survives_a_restart_through_its_file(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    Timeline(path).observe(checks(Status.CRITICAL), now=100.0)
    path.open("a").write("{torn line\n")
    restored = Timeline(path)
    assert [e.check for e in restored.events] == ["instance:wa-3002"]

"""The alert log: one episode per issue — flaps folded into it, its worst status kept, standing
issues recognised after a restart, one writer per target."""

from __future__ import annotations

from pathlib import Path

from blazz_tui.events import FOLD, Timeline
from blazz_tui.rules.model import Check, Status


def checks(status: Status, summary: str = "down: connection refused") -> list[Check]:
    return [Check("instance:wa-3002", status, summary)]


def test_a_check_appearing_healthy_opens_no_episode() -> None:
    assert Timeline().observe(checks(Status.OK), now=100.0) == []


def test_flaps_fold_into_one_episode_with_its_worst_status_and_its_end() -> None:
    timeline = Timeline()
    timeline.observe(checks(Status.WARNING, "slow"), now=100.0)
    timeline.observe(checks(Status.OK), now=110.0)
    timeline.observe(checks(Status.CRITICAL), now=120.0)  # back within FOLD: a flap
    timeline.observe(checks(Status.OK), now=130.0)
    timeline.observe(checks(Status.OK), now=130.0 + FOLD)
    [episode] = timeline.events
    assert (episode.started, episode.status, episode.flaps, episode.ended) == (
        100.0, "CRITICAL", 1, 130.0)
    assert episode.summary == "down: connection refused"
    assert episode.describe(now=500.0).endswith(
        "CRITICAL instance:wa-3002 (lasted 30s, 1 flap): down: connection refused")


def test_an_issue_still_standing_after_a_restart_is_not_recorded_again(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    first = Timeline(path)
    first.observe(checks(Status.CRITICAL), now=100.0)
    assert first._lock is not None  # it took the lock: it writes
    first._lock.close()  # noqa: SLF001 - the first dashboard quits
    restarted = Timeline(path)
    assert restarted.observe(checks(Status.CRITICAL), now=200.0) == []
    [episode] = restarted.events
    assert (episode.started, episode.ended) == (100.0, None)


def test_two_dashboards_on_one_target_write_its_log_once(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    first, second = Timeline(path), Timeline(path)
    assert first.writing and not second.writing
    first.observe(checks(Status.CRITICAL), now=100.0)
    second.observe(checks(Status.CRITICAL), now=100.0)
    assert len(path.read_text().splitlines()) == 1


def test_an_episode_is_over_as_soon_as_its_check_is_ok_again() -> None:
    timeline = Timeline()
    timeline.observe(checks(Status.CRITICAL), now=100.0)
    timeline.observe(checks(Status.OK), now=184.0)
    [episode] = timeline.events
    assert episode.over_at == 184.0
    assert "(lasted 1m24s)" in episode.describe(now=190.0)
    assert "ongoing" not in episode.describe(now=190.0)


def test_a_relapse_within_the_fold_reopens_the_episode_as_ongoing() -> None:
    timeline = Timeline()
    timeline.observe(checks(Status.CRITICAL), now=100.0)
    timeline.observe(checks(Status.OK), now=110.0)
    timeline.observe(checks(Status.CRITICAL), now=120.0)
    [episode] = timeline.events
    assert episode.over_at is None
    assert "(ongoing 30s, 1 flap)" in episode.describe(now=130.0)


def test_the_events_file_is_never_written_through_a_symbolic_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not the events log\n")
    path = tmp_path / "events.jsonl"
    path.symlink_to(elsewhere)
    timeline = Timeline(path)
    timeline.observe(checks(Status.CRITICAL), now=100.0)
    assert elsewhere.read_text() == "not the events log\n"
    assert len(timeline.events) == 1  # the screen still has it


def test_a_lock_that_is_a_symbolic_link_makes_the_dashboard_a_reader(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("x")
    path = tmp_path / "events.jsonl"
    path.with_suffix(".lock").symlink_to(elsewhere)
    assert not Timeline(path).writing

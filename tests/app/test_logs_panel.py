"""The logs panel on fixed data: follow, pause, level and text filters, traces, fast writers."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from blazz_tui.widgets.logs_panel import BURST, LogsPanel
from blazz_tui.widgets.tones import tone_style
from rich.style import Style

from blazz_tui.app import BlazzApp, make_app
from blazz_tui.settings import LogsConfig
from blazz_tui.sim.synthetic import FROZEN, Scenario, frame, target
from blazz_tui.sources.logs import LogsSource
from blazz_tui.transport.local import LocalTransport
from tests.app.support import DEGRADED, fixed_app


def shown(app: BlazzApp) -> list[str]:
    return [strip.text.rstrip() for strip in app.query_one(LogsPanel).log_view.lines]


async def test_new_entries_are_appended_while_following() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        before = shown(app)
        app.show_frame(frame(Scenario(degraded=True), FROZEN + 10))
        await pilot.pause()
        after = shown(app)
        assert len(after) > len(before) and after[:len(before)] == before


async def test_f_holds_the_view_and_says_so() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "f")
        before = shown(app)
        app.show_frame(frame(Scenario(degraded=True), FROZEN + 10))
        await pilot.pause()
        assert shown(app) == before
        assert "PAUSED" in str(app.query_one(LogsPanel).border_subtitle)


async def test_a_held_view_says_the_moment_it_shows_and_how_many_lines_came_since() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "f")
        later = frame(Scenario(degraded=True), FROZEN + 10)
        shown = app.frame
        assert shown is not None and shown.snapshot.logs is not None
        assert later.snapshot.logs is not None
        last = max(e.time or 0 for e in shown.snapshot.logs.entries)
        came = sum(1 for e in later.snapshot.logs.entries if (e.time or 0) > last)
        assert came > 0
        app.show_frame(later)
        await pilot.pause()
        subtitle = str(app.query_one(LogsPanel).border_subtitle)
        assert f"PAUSED (f) at {clock(FROZEN)}, {came:,} new lines since" in subtitle
        await pilot.press("f")  # following again: they are shown, and the count goes
        assert "PAUSED" not in str(app.query_one(LogsPanel).border_subtitle)


async def test_l_keeps_errors_only_and_traces_unfold_with_t() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "l", "l", "l")  # all → INFO → WARNING → ERROR
        lines = shown(app)
        assert lines and all("ERROR" in line for line in lines)
        assert all("[+2 lines, t]" in line for line in lines)
        await pilot.press("t")
        assert any(line.strip().startswith("#0 app/Services") for line in shown(app))


async def test_slash_filters_the_log_by_text() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "slash", *"acc-00037", "enter")
        assert [line.split("INFO")[-1].strip() for line in shown(app)] == [
            "Message sent to account acc-00037"]
        await pilot.press("escape")
        assert len(shown(app)) > 1


async def test_a_burst_writes_its_newest_lines_and_says_how_many_were_skipped() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        before = len(shown(app))
        app.show_frame(frame(Scenario(degraded=True, log_lines=BURST + 700), FROZEN + 5_000))
        await pilot.pause()
        lines = shown(app)[before:]
        assert lines[0].startswith("… 700 lines skipped (a fast log, 78 of them errors)")
        assert len(lines) == 1 + BURST


async def test_o_picks_one_log_file_from_a_list_and_esc_leaves_it_as_it_was() -> None:
    from blazz_tui.widgets.picker import Picker

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "o")
        assert isinstance(app.screen, Picker)
        await pilot.press("escape")
        logs = app.query_one(LogsPanel)
        assert logs.only_file == ""
        await pilot.press("o", "j", "enter")  # the first file, below "all files"
        assert not isinstance(app.screen, Picker)
        assert logs.only_file.endswith("laravel.log")
        assert "laravel.log" in str(logs.border_subtitle)


def clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


OLDEST = FROZEN - 40 * 2
"""The time of the first of the fixed frame's 40 log lines."""


async def app_over_worker_log(directory: Path) -> BlazzApp:
    """The dashboard whose logs are a queue worker's log, read by the logs source."""
    (directory / "queue-default.log").write_text(
        "[2026-11-19 08:13:00][42] Processing: App\\Jobs\\FailingJob\n"
        "[2026-11-19 08:13:01][42] Failed:     App\\Jobs\\FailingJob\n"
        "   ERROR  Worker cannot boot: connection refused.\n")
    reading = await LogsSource(LogsConfig(files=("queue-default.log",)), LocalTransport(),
                               str(directory)).read()
    fixed = frame(DEGRADED)
    return make_app(target(DEGRADED),
                    frame=replace(fixed, snapshot=replace(fixed.snapshot, logs=reading)))


async def test_the_workers_own_errors_are_coloured_as_errors(tmp_path: Path) -> None:
    app = await app_over_worker_log(tmp_path)
    async with app.run_test(size=(120, 40)):
        crit = Style.parse(tone_style(app, "crit")).color
        colours = [next(seg.style.color if seg.style else None for seg in strip
                        if seg.text.lstrip().startswith(("INFO", "ERROR")))
                   for strip in app.query_one(LogsPanel).log_view.lines]
        assert colours == [None, crit, crit]  # Processing:, Failed:, ERROR  Worker cannot boot


async def test_the_workers_own_errors_stay_at_the_error_level(tmp_path: Path) -> None:
    app = await app_over_worker_log(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "l", "l", "l")
        assert [line[line.index("ERROR"):] for line in shown(app)] == [
            "ERROR    Failed: App\\Jobs\\FailingJob",
            "ERROR    Worker cannot boot: connection refused."]


async def test_a_text_filter_with_no_match_says_how_far_back_it_looked() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "slash", *"no-such-thing", "enter")
        assert shown(app) == [
            f"no line matches /no-such-thing in the last 40 lines (since {clock(OLDEST)})"]


async def test_the_no_match_line_is_dim() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "slash", *"no-such-thing", "enter")
        [strip] = app.query_one(LogsPanel).log_view.lines
        assert all(seg.style and seg.style.dim for seg in strip if seg.text.strip())


async def test_a_level_filter_with_no_match_says_how_far_back_it_looked() -> None:
    app = fixed_app(Scenario())  # not degraded: no error at all
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "l", "l", "l")
        assert shown(app) == [f"no ≥ERROR line in the last 40 lines (since {clock(OLDEST)})"]


async def test_a_one_file_filter_with_no_match_names_the_file_it_searched() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "o", "j", "enter", "slash", *"no-such-thing", "enter")
        assert shown(app) == [f"no line matches /no-such-thing in the last 40 lines of "
                              f"laravel.log (since {clock(OLDEST)})"]


async def test_the_no_match_line_gives_way_to_the_first_line_that_matches() -> None:
    app = fixed_app(Scenario())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7", "l", "l", "l")
        app.show_frame(frame(DEGRADED, FROZEN + 10))
        await pilot.pause()
        lines = shown(app)
        assert lines and all("ERROR" in line for line in lines)

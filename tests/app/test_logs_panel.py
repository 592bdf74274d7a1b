"""The logs panel on fixed data: follow, pause, level and text filters, traces, fast writers."""

from __future__ import annotations

from blazz_tui.widgets.logs_panel import BURST, LogsPanel

from blazz_tui.app import BlazzApp
from blazz_tui.sim.synthetic import FROZEN, Scenario, frame
from tests.app.support import fixed_app


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

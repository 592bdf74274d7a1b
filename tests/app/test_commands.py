"""Selection, confirmation, the command palette, help, accent and tone colours and NO_COLOR, on
fixed data."""

from __future__ import annotations

from pathlib import Path

import pytest
from blazz_tui.widgets.table_panel import TablePanel
from blazz_tui.widgets.tones import tone_style
from rich.style import Style
from textual.command import CommandPalette
from textual.widgets import Input

from blazz_tui.actions.model import Change, Plan, Progress, Result
from blazz_tui.screens.action import ActionMenu, ActionScreen
from blazz_tui.screens.help import HelpScreen
from blazz_tui.sim.synthetic import Scenario, frame
from tests.app.support import cursor_to, fixed_app, screen_text


async def test_without_marks_the_selection_is_the_cursor_row() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        cursor_to(app, "services", "main/blazz:blazz-whatsapp-3001")
        selection = app.selection()
        assert selection.panel == "services" and not selection.marked
        assert selection.keys == ("main/blazz:blazz-whatsapp-3001",)


async def test_space_marks_rows_and_escape_clears_them() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        cursor_to(app, "services", "main/blazz:blazz-reverb")
        await pilot.press("space")
        cursor_to(app, "services", "main/blazz:blazz-whatsapp-3002")
        await pilot.press("space")
        selection = app.selection()
        assert selection.marked
        assert selection.keys == ("main/blazz:blazz-reverb", "main/blazz:blazz-whatsapp-3002")
        assert "2 Services · 2 marked" in screen_text(app)
        await pilot.press("escape")
        assert not app.selection().marked
        assert "2 marked" not in screen_text(app)


async def test_marks_survive_a_refresh() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4", "space")
        marked = app.selection().keys
        app.frame = frame(Scenario())
        await pilot.pause()
        assert app.selection().keys == marked and app.selection().marked


PLAN = Plan("restart", "production", "Restart 2 programs", (
    Change("blazz:blazz-queue-default_00", "restart (FATAL)"),
    Change("blazz:blazz-queue-default_01", "restart (FATAL)")))


def action_screen(plan: Plan, runs: list[Plan], production: bool = False) -> ActionScreen:
    async def run(progress: Progress) -> Result:  # what the runtime would carry out
        runs.append(plan)
        progress("restart blazz:blazz-queue-default_00…")
        return Result(plan, done=("blazz:blazz-queue-default_00: RUNNING",))

    return ActionScreen(plan, run, target="production", production=production)


@pytest.mark.parametrize(("keys", "confirmed"), [
    (("y",), True), (("n",), False), (("escape",), False),
    (("enter",), False),  # No has the focus: a stray Enter changes nothing
])
async def test_an_action_runs_only_on_yes(keys: tuple[str, ...], confirmed: bool) -> None:
    app = fixed_app()
    runs: list[Plan] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(action_screen(PLAN, runs))
        await pilot.pause()
        text = screen_text(app)
        assert "on target production" in text and "blazz:blazz-queue-default_01: restart" in text
        await pilot.press(*keys)
        await pilot.pause()
        assert isinstance(app.screen, ActionScreen) == confirmed  # the result stays on screen
        if confirmed:
            assert "✓ blazz:blazz-queue-default_00: RUNNING" in screen_text(app)
    assert runs == ([PLAN] if confirmed else [])


async def test_a_production_target_runs_only_once_its_name_is_typed() -> None:
    app = fixed_app()
    runs: list[Plan] = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(action_screen(PLAN, runs, production=True))
        await pilot.pause()
        await pilot.press(*"prod", "enter")
        await pilot.pause()
        assert runs == [] and "'prod' is not 'production'" in screen_text(app)
        app.screen.query_one(Input).value = ""
        await pilot.press(*"production", "enter")
        await pilot.pause()
        assert runs == [PLAN]


async def test_a_refused_plan_says_why_and_cannot_be_carried_out() -> None:
    app = fixed_app()
    runs: list[Plan] = []
    refused = Plan("sync", "production", "Sync instance URLs",
                   refused="blazz-tui runs with --read-only: it changes nothing")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(action_screen(refused, runs))
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert "refused: blazz-tui runs with --read-only" in screen_text(app)
        assert runs == []


async def test_x_lists_the_actions_of_the_selected_row_and_those_that_do_not_apply() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        cursor_to(app, "services", "main/blazz:blazz-whatsapp-3001")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ActionMenu)
        text = screen_text(app)
        assert "Restart blazz:blazz-whatsapp-3001" in text
        assert "Start blazz:blazz-whatsapp-3001 — already running" in text  # listed, disabled
        assert "Sync instance URLs" in text
        await pilot.press("escape")
        await pilot.press("4", "x")
        await pilot.pause()
        assert "Restart the workers of queue" in screen_text(app)
        await pilot.press("escape", "space", "space", "x")
        await pilot.pause()
        assert "Restart the workers of 2 queues" in screen_text(app)


async def test_command_palette_lists_panels_and_runs_the_chosen_one() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"queues")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_panel == "queues"


async def test_command_palette_holds_every_binding() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)):
        titles = [c.title for c in app.get_system_commands(app.screen)]
    for expected in ("Pause  (p)", "Refresh  (r)", "Logs: Follow  (f)", "Logs: Level  (l)",
                     "Table: Sort  (< >)", "Table: Reverse sort  (s)", "Table: Mark ↓  (space)",
                     "Events  (6)"):
        assert expected in titles


async def test_help_lists_the_keys_of_panels_and_details() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for line in ("Follow — follow new lines", "Mark ↓ — ", "Back", "Reload", "ctrl+p"):
            assert line in text


async def test_the_targets_accent_colour_is_applied() -> None:
    app = fixed_app(accent="red")
    async with app.run_test(size=(80, 24)):
        assert app.current_theme.accent == "red"


async def test_a_bad_accent_colour_is_reported_and_ignored() -> None:
    app = fixed_app(accent="reddish")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.current_theme.accent != "reddish"
        assert any("reddish" in n.message for n in app._notifications)


async def test_no_color_turns_tones_into_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = fixed_app()
    async with app.run_test(size=(80, 24)):
        assert app.no_color
        assert [tone_style(app, t) for t in ("ok", "warn", "crit", "muted")] == [
            "", "bold", "bold reverse", "dim"]


async def test_out_of_focus_the_cursor_row_keeps_its_colours() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.query_one("#services", TablePanel).data_table
        assert not table.has_focus and table.cursor_row == 0
        first_row = table.render_line(1)  # below the header: the broken program, on top
        [state] = [s for s in first_row if s.text.strip() in ("FATAL", "STOPPED")]
        assert state.style is not None and state.style.color is not None
        assert state.style.color == Style.parse(tone_style(app, "crit")).color


@pytest.mark.parametrize("theme", ["ansi-dark", "ansi-light", "textual-light", "nord"])
async def test_every_theme_textual_offers_draws_the_dashboard(theme: str) -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = theme
        await pilot.pause()
        app.show_frame(app.frame)  # type: ignore[arg-type]
        await pilot.pause()
        assert "production" in screen_text(app)  # the header, drawn in the theme's colours


async def test_a_crash_of_the_dashboard_exits_non_zero_with_its_traceback_in_a_file(
        tmp_path: Path) -> None:
    app = fixed_app()
    app.crash_dir = tmp_path

    def boom() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            app.call_later(boom)
            await pilot.pause()
    assert app.return_code == 1
    assert app.crash_report.startswith("blazz-tui stopped on an internal error (RuntimeError: "
                                       "a bug); the traceback is in ")
    [report] = tmp_path.glob("crash-*.txt")
    assert "RuntimeError: a bug" in report.read_text()


async def test_j_k_g_and_G_move_through_a_table() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")  # Services: a dozen programs
        table = app.query_one("#services", TablePanel).data_table
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0


async def test_in_16_colours_warning_is_yellow_and_critical_red(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    app = fixed_app()
    async with app.run_test(size=(80, 24)):
        assert app.console.color_system == "standard"
        warn, crit = (Style.parse(tone_style(app, t)).color for t in ("warn", "crit"))
        assert warn is not None and crit is not None
        assert (warn.name, crit.name) == ("yellow", "red")

"""An action acts on what the operator sees: the menu names its rows, marks end with the action
that used them, a row standing for several processes acts on all of them, the fix for a cause
is offered where the cause is shown, and the menus move and choose as the tables do."""

from __future__ import annotations

from blazz_tui.widgets.table_panel import TablePanel
from textual.widgets import OptionList, Static

from blazz_tui.app import BlazzApp, make_app
from blazz_tui.screens.action import ActionMenu, ActionScreen
from blazz_tui.sim.layout import Layout
from blazz_tui.sim.synthetic import frame, target
from tests.app.support import DEGRADED, app_for, cursor_to, fixed_app, screen_text, until
from tests.fixtures.stack import sim


def menu_lines(app: BlazzApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def heading(app: BlazzApp) -> str:
    return str(app.screen.query_one("#action-menu-title", Static).render())


async def open_menu(app: BlazzApp, pilot: object, panel: str, key: str) -> None:
    await pilot.press({"checks": "1", "services": "2", "instances": "3"}[panel])  # type: ignore[attr-defined]
    cursor_to(app, panel, key)
    await pilot.press("x")  # type: ignore[attr-defined]
    await until(lambda: isinstance(app.screen, ActionMenu))


async def test_the_menu_names_the_row_under_the_cursor() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_menu(app, pilot, "services", "main/blazz:blazz-reverb")
        assert heading(app) == "Actions on blazz:blazz-reverb"


async def test_the_menu_names_every_marked_row() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        cursor_to(app, "services", "main/blazz:blazz-reverb")
        await pilot.press("space", "space")  # marks a row and moves down: two rows
        await pilot.press("x")
        await until(lambda: isinstance(app.screen, ActionMenu))
        assert heading(app) == ("Actions on the 2 marked rows: blazz:blazz-reverb, "
                                "blazz:blazz-whatsapp-3001")


async def test_marks_end_with_the_action_that_used_them(stack: Layout) -> None:
    app = app_for(stack)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(lambda: app.frame is not None and app.frame.snapshot.supervisor is not None
                    and app.frame.snapshot.supervisor.ok, 30)
        await pilot.press("2")
        services = app.query_one("#services", TablePanel)
        cursor_to(app, "services", "sim/blazz:blazz-queue-default_00")
        await pilot.press("space", "space")
        await pilot.press("x")
        await until(lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("r")  # restart the two marked
        await until(lambda: isinstance(app.screen, ActionScreen), 30)
        await pilot.press("n")
        await until(lambda: not isinstance(app.screen, ActionScreen))
        assert services.marked == {}
        cursor_to(app, "services", "sim/blazz:blazz-reverb")
        await pilot.press("x")
        await until(lambda: isinstance(app.screen, ActionMenu))
        assert heading(app) == "Actions on blazz:blazz-reverb"  # not the old marks


async def test_a_program_check_offers_every_process_of_the_program_first() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_menu(app, pilot, "checks", "program:blazz:blazz-queue-worker_00")
        lines = menu_lines(app)
        assert lines[0] == "r  Restart blazz-queue-worker (2 processes FATAL)"
        assert "Restart blazz:blazz-queue-worker_00 only" in " ".join(lines)


async def test_restarting_a_program_of_two_processes_plans_both(stack: Layout) -> None:
    sim(stack, "fault", "break-worker", "blazz-queue-default")
    app = app_for(stack)

    def fatal() -> set[str]:
        supervisor = app.frame.snapshot.supervisor if app.frame else None
        return {p.full_name for p in supervisor.processes if p.state == "FATAL"} \
            if supervisor else set()

    async with app.run_test(size=(120, 40)) as pilot:
        both = {"blazz:blazz-queue-default_00", "blazz:blazz-queue-default_01"}
        await until(lambda: both <= fatal(), 40, fatal)
        await open_menu(app, pilot, "checks", "program:blazz:blazz-queue-default_00")
        await pilot.press("r")
        await until(lambda: isinstance(app.screen, ActionScreen), 30)
        text = screen_text(app)
        assert "Restart 2 programs" in text
        assert all(name in text for name in both), text


async def test_an_instance_that_is_down_offers_to_start_its_program() -> None:
    for panel, key in (("checks", "instance:wa-3003"), ("instances", "wa-3003")):
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await open_menu(app, pilot, panel, key)
            assert "s  Start blazz:blazz-whatsapp-3003" in menu_lines(app), (panel,
                                                                           menu_lines(app))


async def test_a_disabled_action_is_reachable_and_says_why() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_menu(app, pilot, "services", "main/blazz:blazz-reverb")  # RUNNING
        options = app.screen.query_one(OptionList)
        await pilot.press("j")  # restart → start (already running: disabled, not skipped)
        assert options.highlighted == 1
        await pilot.press("enter")
        assert isinstance(app.screen, ActionMenu)  # still open, saying why
        assert "already running" in str(app.screen.query_one("#action-menu-why",
                                                             Static).render())
        await pilot.press("G")
        assert options.highlighted == options.option_count - 1
        await pilot.press("g")
        assert options.highlighted == 0


async def test_read_only_shows_every_action_disabled_with_why() -> None:
    app = make_app(target(DEGRADED), frame=frame(DEGRADED),
                   read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_menu(app, pilot, "services", "main/blazz:blazz-queue-worker_00")
        assert all("read-only" in line for line in menu_lines(app))

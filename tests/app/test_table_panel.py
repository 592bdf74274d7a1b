"""The panels' table (``widgets/table_panel.PanelTable``) overrides DataTable internals — the
cell rendering and the size of its caches — against the pinned Textual: these tests are the
contract of that override."""

from __future__ import annotations

from blazz_tui.widgets.table_panel import PanelTable

from blazz_tui.sim.synthetic import FROZEN, frame
from tests.app.support import DEGRADED, fixed_app, rows


async def test_ticking_values_keep_the_tables_caches_bounded_and_the_screen_current() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for second in range(1, 121):  # two minutes of frames: uptimes and ages tick
            app.show_frame(frame(DEGRADED, FROZEN + second))
            await pilot.pause()
        for table in app.query(PanelTable):
            assert len(table._cell_render_cache) <= PanelTable.CACHE_CELLS
            assert len(table._cells) <= PanelTable.CACHE_CELLS
            assert len(table._row_render_cache) <= 128 and len(table._line_cache) <= 128
        assert app.frame is not None and app.frame.snapshot.taken_at == FROZEN + 120
        assert "FATAL" in [r[2] for r in rows(app, "services")]  # still drawn


async def test_a_panel_whose_source_fails_shows_its_last_data_as_stale() -> None:
    from dataclasses import replace

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        frame = app.frame
        assert frame is not None
        supervisor = frame.snapshot.supervisor
        assert supervisor is not None
        stale = supervisor.stale("supervisord did not answer within 3 s", FROZEN + 10)
        app.show_frame(replace(frame, snapshot=replace(frame.snapshot, supervisor=stale,
                                                       taken_at=FROZEN + 10)))
        await pilot.pause()
        services = app.query_one("#services")
        assert services.has_class("-stale") and services.has_class("-failed")
        assert "last good" in str(services.border_subtitle)
        assert not app.query_one("#instances").has_class("-stale")


def header(app: object, panel: str) -> list[str]:
    from textual.widgets import DataTable

    table = app.query_one(f"#{panel}").query_one(DataTable)  # type: ignore[attr-defined]
    return [str(c.label) for c in table.columns.values()]


async def test_the_sort_moves_with_angle_brackets_shows_in_its_header_and_s_reverses() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")  # Queues
        await pilot.press("greater_than_sign", "greater_than_sign")
        assert header(app, "queues")[:2] == ["queue", "pending ▼"]  # a figure: biggest first
        pending = [int(r[1].replace(",", "")) for r in rows(app, "queues")]
        assert pending == sorted(pending, reverse=True)
        await pilot.press("s")
        assert header(app, "queues")[1] == "pending ▲"
        await pilot.press("less_than_sign")
        assert header(app, "queues")[0] == "queue ▲"  # names from A
        names = [r[0] for r in rows(app, "queues")]
        assert names == sorted(names)


async def test_an_active_filter_stays_in_the_title_with_its_counts() -> None:
    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4", "slash", *"campaign", "enter")
        panel = app.query_one("#queues")
        assert str(panel.border_title).startswith("4 Queues /campaign [3/8]")
        await pilot.press("escape")
        title = str(panel.border_title)
        assert title.startswith("4 Queues") and "/" not in title


async def test_rows_keep_their_order_while_the_cursor_rests_below_the_top() -> None:
    from dataclasses import replace

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4", "j", "j")
        before = [r[0] for r in rows(app, "queues")]
        resting_on = before[2]
        first = app.frame
        assert first is not None
        last = before[-1]
        flooded = replace(first, snapshot=replace(first.snapshot, queues=tuple(
            replace(q, pending=9_999, served=False) if q.name == last else q
            for q in first.snapshot.queues)))
        app.show_frame(flooded)  # unsorted, the flooded queue would jump to the top
        await pilot.pause()
        assert [r[0] for r in rows(app, "queues")] == before
        assert rows(app, "queues")[2][0] == resting_on
        await pilot.press("g")  # back at the top: sorted again
        app.show_frame(flooded)
        await pilot.pause()
        assert [r[0] for r in rows(app, "queues")].index(last) < 3  # with the broken ones


async def test_in_the_grid_a_checks_name_gives_way_to_its_summary() -> None:
    from tests.app.support import screen_text

    app = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "program:…worker_00  FATAL: Exited too quickly" in text  # was "FATAL:", cut
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        assert "program:blazz:blazz-queue-worker_00" in screen_text(app)  # room: whole again

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

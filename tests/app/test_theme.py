"""The target's accent survives a change of theme; the project has a light theme of its own."""

from __future__ import annotations

from tests.app.support import fixed_app


async def test_another_theme_keeps_the_targets_accent() -> None:
    app = fixed_app(accent="magenta")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.theme = "nord"
        await pilot.pause()
        await pilot.pause()
        assert app.theme.startswith("nord")
        assert app.current_theme.accent == "magenta"  # not nord's own, nor WARNING's orange


async def test_the_light_theme_is_light_and_keeps_the_accent() -> None:
    app = fixed_app(accent="magenta")
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = "blazz-light"
        await pilot.pause()
        await pilot.pause()
        assert not app.current_theme.dark and app.current_theme.accent == "magenta"

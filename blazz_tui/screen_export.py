"""``--snapshot PATH.svg|.html|.txt``: the dashboard rendered headless from one collection.

The app runs under Textual's headless driver with the frame already collected (no polling),
and the composed screen is exported the way ``App.export_screenshot`` does it, to SVG, HTML
or plain text.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App

from blazz_tui.app import make_app
from blazz_tui.frame import Frame
from blazz_tui.settings import TargetConfig

FORMATS = (".svg", ".html", ".txt")


async def render_dashboard(target: TargetConfig, frame: Frame, fmt: str,
                           size: tuple[int, int] = (120, 40), panel: str | None = None,
                           title: str | None = None, keys: tuple[str, ...] = ()) -> str:
    """The dashboard showing ``frame``, as ``fmt`` (``.svg``, ``.html`` or ``.txt``), after
    pressing ``keys`` (e.g. ``("3", "enter")``: the first instance's details)."""
    app = make_app(target, frame=frame)
    async with app.run_test(size=size) as pilot:
        if panel is not None:
            app.action_show_panel(panel)
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await app.workers.wait_for_complete()  # what a details screen reads on demand
        await pilot.pause()
        await pilot.pause()
        return export_screen(app, fmt, title or f"blazz-tui — {frame.snapshot.target}")


def export_screen(app: App[Any], fmt: str, title: str = "blazz-tui") -> str:
    """What a running (headless) app shows now, as ``fmt``."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)
    # The same composition App.export_screenshot prints (Textual has no public equivalent
    # for HTML or text).
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    if fmt == ".svg":
        return console.export_svg(title=title)
    if fmt == ".html":
        return console.export_html(inline_styles=True)
    return console.export_text()

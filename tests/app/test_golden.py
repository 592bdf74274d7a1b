"""The main screens on fixed data with a frozen clock, compared line by line with the files in
``golden/``. After an intended change of the screens, regenerate them with
``BLAZZ_UPDATE_GOLDEN=1 python -m pytest tests/app/test_golden.py`` and review the diff."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from blazz_tui.sim.synthetic import Scenario
from tests.app.support import fixed_app, screen_text

GOLDEN = Path(__file__).parent / "golden"
HEALTHY, DEGRADED = Scenario(), Scenario(degraded=True)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def screen_after(scenario: Scenario, size: tuple[int, int], *keys: str) -> str:
    app = fixed_app(scenario)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.pause()
        return screen_text(app)


def matches_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("BLAZZ_UPDATE_GOLDEN"):
        path.write_text(text)
    expected = path.read_text()
    assert text.splitlines() == expected.splitlines(), f"{path} differs (see module docstring)"


@pytest.mark.parametrize("name, scenario, size, keys", [
    ("healthy-120x40", HEALTHY, (120, 40), ()),
    ("degraded-120x40", DEGRADED, (120, 40), ()),
    ("degraded-80x24-checks", DEGRADED, (80, 24), ()),
    ("degraded-80x24-instances", DEGRADED, (80, 24), ("3",)),
    ("degraded-80x24-queues", DEGRADED, (80, 24), ("4",)),
    ("degraded-instance-details-120x40", DEGRADED, (120, 40), ("3", "enter")),  # broken on top
    ("degraded-paused-80x24", DEGRADED, (80, 24), ("p",)),  # the data's moment, not a clock
])
async def test_screen_matches_its_golden_file(name: str, scenario: Scenario,
                                              size: tuple[int, int], keys: tuple[str, ...]) -> None:
    matches_golden(name, await screen_after(scenario, size, *keys))


async def svg_after(scenario: Scenario, size: tuple[int, int], theme: str) -> str:
    app = fixed_app(scenario)
    async with app.run_test(size=size) as pilot:
        if theme:
            app.theme = theme  # the target's accent follows (the app's watch, called later)
            for _ in range(100):  # however slowly a busy machine gets there
                if app.theme.startswith(f"{theme}+"):
                    break
                await pilot.pause(0.02)
        await pilot.pause()
        await pilot.pause()
        return app.export_screenshot()


@pytest.mark.parametrize("name, scenario, size, theme, terminal", [
    ("healthy-120x40", HEALTHY, (120, 40), "", {}),
    ("incident-80x24", DEGRADED, (80, 24), "", {}),
    ("incident-120x40", DEGRADED, (120, 40), "", {}),
    ("incident-200x60", DEGRADED, (200, 60), "", {}),
    ("incident-120x40-light", DEGRADED, (120, 40), "blazz-light", {}),
    ("incident-120x40-no-color", DEGRADED, (120, 40), "", {"NO_COLOR": "1"}),
    ("incident-120x40-16-colours", DEGRADED, (120, 40), "", {"TERM": "xterm"}),
])
async def test_screen_in_colour_matches_its_golden_svg(
        name: str, scenario: Scenario, size: tuple[int, int], theme: str,
        terminal: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The colours too: the same screens as SVG (render with ``rsvg-convert`` to review), in
    the terminal ``terminal`` says (TERM, NO_COLOR); truecolor when it says nothing."""
    for key, value in terminal.items():
        monkeypatch.setenv(key, value)
    if "TERM" in terminal:  # a terminal of its own kind, without truecolor's promise
        monkeypatch.delenv("COLORTERM")
    svg = await svg_after(scenario, size, theme)
    path = GOLDEN / f"{name}.svg"
    if os.environ.get("BLAZZ_UPDATE_GOLDEN"):
        path.write_text(svg)
    assert svg == path.read_text(), f"{path} differs (see module docstring)"

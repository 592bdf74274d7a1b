"""Tone → Rich style: the views name tones (``ok``, ``warn``, ``crit``, ``muted``), the widgets
draw them in the app's theme. Only what every Textual app has is read (``no_color``, the
console's colour system, the current theme), so a widget works in any app, a bare one too."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError

FEW_COLOURS = ("standard", "windows")
"""Rich's colour systems of a 16- or 8-colour terminal."""


def few_colours(app: App[Any]) -> bool:
    """A 16- or 8-colour terminal (and colours wanted)."""
    return not app.no_color and app.console.color_system in FEW_COLOURS


def tone_style(app: App[Any], tone: str) -> str:
    """The Rich style of ``tone`` in ``app``'s theme."""
    if app.no_color:  # NO_COLOR: tones become weights, still told apart
        return {"warn": "bold", "crit": "bold reverse", "muted": "dim"}.get(tone, "")
    if app.console.color_system in FEW_COLOURS:
        # 16 colours: a theme's orange warning would become the same bright red as its
        # error; the terminal's own yellow and red stay apart.
        return {"ok": "green", "warn": "yellow", "crit": "bold red", "muted": "dim"}.get(
            tone, "")
    theme = app.current_theme
    return {
        "ok": rich_color(theme.success or "green"),
        "warn": rich_color(theme.warning or "yellow"),
        "crit": f"bold {rich_color(theme.error or 'red')}",
        "muted": "dim",
    }.get(tone, "")


def accent_color(app: App[Any]) -> str:
    """The theme's accent in a form Rich takes."""
    return rich_color(app.current_theme.accent or "green")


def rich_color(color: str) -> str:
    """A theme colour as Rich writes it: Textual names some ('ansi_magenta') that Rich does
    not know, and the ANSI themes crashed the header with them."""
    try:
        return Color.parse(color).rich_color.name
    except ColorParseError:
        return "default"

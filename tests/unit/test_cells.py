"""Cells of the dashboard's tables."""

from blazz_tui.views.cells import sparkline


def test_a_sparkline_scales_its_values_between_the_lowest_and_the_highest() -> None:
    assert sparkline((0, 4, 8), width=3) == "▁▄█"


def test_a_sparkline_keeps_its_width_while_its_history_fills() -> None:
    assert sparkline((1, 2), width=6) == "▁█    "
    assert sparkline(tuple(range(20)), width=6) == sparkline(tuple(range(14, 20)), width=6)


def test_no_history_is_no_sparkline() -> None:
    assert sparkline(()) == ""

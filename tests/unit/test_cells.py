"""Sparklines on fixed, meaningful scales."""

from blazz_tui.views.cells import sparkline


def test_a_sparkline_draws_its_values_on_its_fixed_scale() -> None:
    assert sparkline((0, 4, 8), 0, 8, width=3) == "▁▄█"


def test_a_blip_against_the_queue_thresholds_stays_flat() -> None:
    assert sparkline((0, 1, 0), 0, 5_000, width=3) == "▁▁▁"  # not a full-height block


def test_values_past_the_scale_are_drawn_at_its_ends() -> None:
    assert sparkline((90.0, 99.5, 100.0), 95.0, 100.0, width=3) == "▁▇█"


def test_a_sparkline_keeps_its_width_while_its_history_fills() -> None:
    assert sparkline((1, 2), 1, 2, width=6) == "▁█    "
    assert sparkline(tuple(range(20)), 0, 20, width=6) == sparkline(tuple(range(14, 20)), 0, 20,
                                                                     width=6)


def test_no_history_is_no_sparkline() -> None:
    assert sparkline((), 0, 1) == ""

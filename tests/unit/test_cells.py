"""Cells that read right at a glance: sparklines on fixed, meaningful scales, capacity bars
that tell close loads apart, figures coloured by the bounds printed beside them."""

import pytest

from blazz_tui.views.cells import CRIT, PLAIN, WARN, bar, printed_tone, sparkline


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


def test_a_capacity_bar_tells_6_from_24_percent() -> None:
    assert (bar(0.06, 5), bar(0.24, 5)) == ("▎░░░░", "█▎░░░")


def test_any_load_shows_on_a_capacity_bar_and_none_draws_nothing() -> None:
    assert (bar(0.001, 5), bar(0.0, 5), bar(1.5, 5)) == ("▏░░░░", "░░░░░", "█████")


@pytest.mark.parametrize(("value", "target", "alert", "tone"), [
    ("94.4 % (wa-3001, 20m seen)", "> 99 %", "< 95 %", CRIT),  # past the alert
    ("97.0 % (wa-3001, 20m seen)", "> 99 %", "< 95 %", WARN),  # short of the target only
    ("99.5 % (5m)", "> 95 %", "< 90 %", PLAIN),
    ("7m05s ago", "≤ 5m", "> 15m", WARN),  # a duration as fmt.duration writes it
    ("16m ago", "≤ 5m", "> 15m", CRIT),
    ("320 ms (41 in 1m)", "< 2000 ms", "> 5000 ms", PLAIN),
    ("- (not observed yet)", "> 99 %", "< 95 %", PLAIN),  # no figure: nothing to compare
    ("40 %", "< 2000 ms", "> 5000 ms", PLAIN),  # units that do not compare
])
def test_a_figure_takes_the_tone_of_the_bounds_printed_beside_it(
        value: str, target: str, alert: str, tone: str) -> None:
    assert printed_tone(value, target, alert) == tone

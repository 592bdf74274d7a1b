"""A --snapshot shows the screen the operator saw: figures right-aligned in their columns."""

from __future__ import annotations

import re

from blazz_tui.screen_export import render_dashboard
from blazz_tui.sim.synthetic import Scenario, frame, target

DEGRADED = Scenario(degraded=True)


async def test_the_figures_of_a_text_snapshot_end_in_one_column() -> None:
    text = await render_dashboard(target(DEGRADED), frame(DEGRADED), ".txt", (80, 24),
                                  panel="queues")
    # messaging has 57 pending, whatsapp-normal 2,340: numbers of different widths.
    rows = [line for line in text.splitlines()
            if re.search(r"│ (messaging|whatsapp-normal) ", line)]
    ends = {re.search(r"(messaging|whatsapp-normal)\s+[\d,]+", line).end()  # type: ignore[union-attr]
            for line in rows}
    assert len(rows) == 2 and len(ends) == 1, text

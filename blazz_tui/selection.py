"""What the operator has selected: the rows an action (restart, sync, rebalance) would act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Selection:
    panel: str
    """``services``, ``instances``, ``queues``…"""
    keys: tuple[str, ...] = ()
    """Row keys: the marked rows, or the row under the cursor when none is marked."""
    marked: bool = False
    """True when ``keys`` are rows the operator marked (space), not just the cursor row."""

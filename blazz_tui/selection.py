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

    def describe(self, noun: str = "row", limit: int = 3) -> str:
        """``blazz-queue-default:0`` / ``3 rows: a, b, c`` / ``5 rows: a, b, c and 2 more``."""
        if len(self.keys) == 1:
            return self.keys[0]
        shown = ", ".join(self.keys[:limit])
        more = f" and {len(self.keys) - limit} more" if len(self.keys) > limit else ""
        return f"{len(self.keys)} {noun}s: {shown}{more}"

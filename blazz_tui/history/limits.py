"""What the trackers keep, and over which windows."""

HISTORY_POINTS = 120
"""Samples a tracker keeps (for a window, or a sparkline)."""
CPU_WINDOW_MIN = 1.0
"""A sample closer than this (seconds) to the earlier one does not replace it: the figure
of the last full window stands (a few quick reads in a row must not make it vanish)."""
CPU_WINDOW_MAX = 900.0
"""An earlier sample older than this (seconds) is not averaged over: start again."""
FIRST_SAMPLE = "needs a second sample"

"""Textual widgets of the dashboard, installed as ``blazz_tui.widgets``."""

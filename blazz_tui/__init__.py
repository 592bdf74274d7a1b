"""blazz-tui: watch a Blazz deployment from the terminal."""

__version__ = "0.1.0"

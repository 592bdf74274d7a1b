from blazz_tui.cli import run

raise SystemExit(run())

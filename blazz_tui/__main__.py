from blazz_tui.cli import main

raise SystemExit(main())

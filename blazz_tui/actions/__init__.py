"""Actions that change the watched system: restart/start/stop programs, sync instance URLs.

Each is a pure *plan*, computed from a snapshot (what will change, on which target, and why),
and an *execute* step that carries it out through the target's transport, says how it goes,
and returns a result. Every execute passes the read-only guard first and is written to the
audit log. A key, a palette entry and a CLI subcommand share the same plan and execute.
Nothing here imports Textual.
"""

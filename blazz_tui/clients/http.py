"""httpx as blazz-tui imports it: once, without its command-line client, and with what its
first request would import done beforehand.

- ``httpx/__init__`` tries ``from ._main import main`` for the ``httpx`` command, which loads
  rich, click and pygments when they are installed: ~55 ms of every ``--check``, for a
  command blazz-tui never runs. A ``None`` in ``sys.modules`` makes that import fail the way
  httpx expects when its CLI extras are missing.
- httpcore imports its network backend (anyio, h11, and trio where installed: ~150 modules)
  on the first request. ``warm_up`` does it before any request is timed, so a first reading's
  latency is the instance's, not an import.
"""

from __future__ import annotations

import sys

_CLI = "httpx._main"
if "httpx" not in sys.modules and _CLI not in sys.modules:
    sys.modules[_CLI] = None  # type: ignore[assignment]
    try:
        import httpx
    finally:
        del sys.modules[_CLI]

import httpx  # noqa: E402 - the import above, or the one already done

__all__ = ["httpx", "warm_up"]


def warm_up() -> None:
    import h11  # noqa: F401
    import httpcore._backends.anyio  # noqa: F401
    import httpcore._synchronization  # noqa: F401

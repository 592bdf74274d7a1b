"""httpx as blazz-tui imports it: once, without what it never uses, and with what its first
request would import done beforehand.

- ``httpx/__init__`` tries ``from ._main import main`` for the ``httpx`` command, which loads
  rich, click and pygments when they are installed: ~55 ms of every ``--check``, for a
  command blazz-tui never runs.
- httpcore imports trio, where it is installed, to support it: ~100 ms on a machine that
  happens to have it, for an event loop blazz-tui never runs (it runs on asyncio).
- httpcore imports its network backend (anyio, h11: ~100 modules) on its first request, so
  a first reading's latency would be an import. They are imported here, before any request.

A ``None`` in ``sys.modules`` makes an import fail the way httpx and httpcore expect when
those optional parts are missing; the entries are removed again afterwards.
"""

from __future__ import annotations

import sys

_HIDDEN = [name for name in ("httpx._main", "trio") if name not in sys.modules]
if "httpx" not in sys.modules:
    for name in _HIDDEN:
        sys.modules[name] = None  # type: ignore[assignment]
try:
    import anyio._backends._asyncio  # noqa: F401 - what anyio.Event() loads on first use
    import h11  # noqa: F401
    import httpcore._backends.anyio  # noqa: F401
    import httpx
finally:
    for name in _HIDDEN:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]

__all__ = ["httpx"]

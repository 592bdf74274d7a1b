"""The SSH link to a remote target: one check that says whether everything else can be read."""

from __future__ import annotations

import time
from collections.abc import Iterator

from blazz_tui.fmt import duration
from blazz_tui.rules.model import Check, Perf, Status
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.transport.base import LinkState


def link_check(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    link = snap.link
    if link is None:
        return
    if link.since is None and link.error is None \
            and not any(r.error for r in snap.readings().values()):
        return  # connecting, and nothing is waiting on it yet: the sources say "collecting"
    if link.up:
        rtt = f", round trip {link.rtt * 1000:.1f} ms" if link.rtt is not None else ""
        yield Check("link", Status.OK, f"ssh {link.destination} up since "
                                       f"{_clock(link.since)}{rtt}", "link",
                    (Perf("rtt", round(link.rtt, 6), "s", min=0),) if link.rtt is not None
                    else ())
        return
    yield Check("link", Status.UNKNOWN, link_down(link, snap.taken_at), "link")


def link_down(link: LinkState, now: float) -> str:
    """"link down since …" with why and when it is tried again."""
    if link.since is None and link.error is None:
        return f"ssh {link.destination}: connecting (not set up yet)"
    since = f" since {_clock(link.since)} ({duration(now - link.since)})" if link.since else ""
    text = f"ssh link to {link.destination} down{since}"
    if link.error:
        text += f": {link.error}"
    if link.retry_in is not None:
        attempt = f"attempt {link.attempts + 1}" if link.attempts else "reconnecting"
        text += f" — {attempt} in {link.retry_in:.0f} s" if link.retry_in >= 1 \
            else f" — {attempt} now"
    return text


def _clock(epoch: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) if epoch else "?"

"""Connected ``whatsapp_accounts``: where the database says each session lives.

Two statements, read again only when the accounts changed:

* per assigned URL, how many connected accounts point at it — exact however many there are,
  one row a URL for the client (on MySQL with an order-independent fingerprint of each
  group's rows, so a change anywhere shows); the instances' "assigned" figures come from it;
* the accounts themselves (uuid, session, URL), the first ``limit`` of them by id, for drift
  and lost sessions: past the limit those figures are lower bounds, and say so.

Turning 10,000 rows into Python objects costs the monitor ~35 ms of CPU (PyMySQL parses in
Python), the grouped count costs it nothing: on MySQL the rows are read when the groups
change (and every ``recount_every`` seconds regardless). SQLite reads the rows every poll, in
C, and counts them itself unless there are more than ``limit``; unchanged rows keep the same
objects, so what is derived from them downstream can be reused.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from blazz_tui.sources.queue_jobs import Rows


@dataclass(frozen=True)
class Account:
    uuid: str
    session_id: str | None
    status: str
    assigned_instance_url: str | None


@dataclass(frozen=True)
class AccountRows:
    accounts: tuple[Account, ...] = ()
    """The first ``limit`` connected accounts by id."""
    truncated: bool = False
    """More accounts are connected than were read."""
    by_url: tuple[tuple[str, int], ...] | None = None
    """Every connected account, counted by assigned URL ("": none); None: not read."""


_GROUPS = {
    "mysql": "SELECT IFNULL(assigned_instance_url, ''), COUNT(*), BIT_XOR(CRC32(CONCAT_WS("
             "'|', id, uuid, IFNULL(session_id, '')))) FROM whatsapp_accounts "
             "WHERE status = 'connected' GROUP BY IFNULL(assigned_instance_url, '') LIMIT ?",
    "sqlite": "SELECT IFNULL(assigned_instance_url, ''), COUNT(*) FROM whatsapp_accounts "
              "WHERE status = 'connected' GROUP BY IFNULL(assigned_instance_url, '') LIMIT ?",
}
MAX_URLS = 1_000
"""Distinct assigned URLs counted (Blazz has a handful: one an instance)."""


class Accounts:
    def __init__(self, recount_every: float) -> None:
        self._recount_every = recount_every
        self._groups: list[tuple[Any, ...]] | None = None
        self._rows: list[tuple[Any, ...]] | None = None
        self._read_at = 0.0
        self._value = AccountRows()

    def read(self, s: Rows, engine: str, limit: int) -> AccountRows:
        groups = None
        if engine == "mysql":  # the grouped count is the change signal: first
            groups = s.rows(_GROUPS[engine], (MAX_URLS,))
            if groups == self._groups and time.time() - self._read_at < self._recount_every:
                return self._value
        rows = s.rows("SELECT uuid, session_id, status, assigned_instance_url "
                      "FROM whatsapp_accounts WHERE status = 'connected' ORDER BY id LIMIT ?",
                      (limit + 1,))
        truncated = len(rows) > limit
        if groups is None and truncated:  # SQLite, past the limit: count them all
            groups = s.rows(_GROUPS[engine], (MAX_URLS,))
        # Remembered from before the rows were read: a change in between shows next poll.
        self._read_at = time.time()
        if groups == self._groups and rows == self._rows:
            return self._value
        self._groups, self._rows = groups, rows
        accounts = tuple(Account(str(u), _opt_str(sid), str(st), _opt_str(url))
                         for u, sid, st, url in rows[:limit])
        counted = Counter(a.assigned_instance_url or "" for a in accounts) if groups is None \
            else {str(url): int(n) for url, n, *_ in groups}
        self._value = AccountRows(accounts, truncated, tuple(sorted(counted.items())))
        return self._value


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)

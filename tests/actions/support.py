"""What the action tests share: the stack's state as the operator's own tools read it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from blazz_tui.clients.dbconn import connect, parse_database_url
from blazz_tui.sim.layout import Layout
from tests.fixtures.stack import check, checks_by_name, sim


def act(layout: Layout, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blazz_tui", *args, "-c", str(config or layout.config_path)],
        capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)


def wait_for(layout: Layout, predicate: Any, timeout: float = 30.0) -> dict[str, dict[str, str]]:
    deadline = time.monotonic() + timeout
    while True:
        checks = checks_by_name(check(layout)[1])
        if predicate(checks) or time.monotonic() > deadline:
            return checks
        time.sleep(0.5)


def audit(layout: Layout, *, started: bool = False) -> list[dict[str, Any]]:
    """The audit log's records of what was done (with ``started``: the records written
    before each action began, too)."""
    path = layout.path / "state" / "audit.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    return entries if started else [e for e in entries if e["phase"] != "started"]


def accounts(layout: Layout) -> dict[str, tuple[str, str]]:
    """uuid → (session id, assigned_instance_url) of the connected accounts."""
    conn = connect(parse_database_url(layout.database_url))
    try:
        cur = conn.cursor()
        cur.execute("SELECT uuid, session_id, assigned_instance_url FROM whatsapp_accounts "
                    "WHERE status = 'connected'")
        return {u: (s, url) for u, s, url in cur.fetchall()}
    finally:
        conn.close()


def changed(before: dict[str, tuple[str, str]], after: dict[str, tuple[str, str]]) -> set[str]:
    """Accounts in both whose row differs (the stack's traffic adds and ends sessions all the
    while: those are not the action's doing)."""
    return {u for u in before.keys() & after.keys() if before[u] != after[u]}


def pids(layout: Layout) -> dict[str, str]:
    """program → pid ("" when not running), as `sim status` shows them: a restart or a stop
    changes it; a program still STARTING when first read does not."""
    rows = [line.split() for line in sim(layout, "status").splitlines()[2:]]
    return {w[0]: w[3].rstrip(",") if len(w) > 3 and w[2] == "pid" else "" for w in rows if w}


def cached_urls(layout: Layout, uuids: list[str]) -> int:
    import redis

    assert layout.redis_port is not None, "the stack runs a Redis"
    client = redis.Redis(port=layout.redis_port, db=1)
    return sum(client.exists(k) for u in uuids
               for k in (f"blazz_database_blazz_cache_:whatsapp_instance_url_{u}",
                         f"blazz_database_blazz_cache_whatsapp_instance_url_{u}"))


def hosting(layout: Layout) -> dict[str, list[tuple[int, str]]]:
    """session id → [(instance port, status)] over every instance that answers."""
    found: dict[str, list[tuple[int, str]]] = {}
    with httpx.Client(headers={"X-Api-Key": layout.api_key}, timeout=5) as client:
        for port in layout.instance_ports:
            try:
                body = client.get(f"{layout.instance_url(port)}/health/sessions").json()
            except httpx.HTTPError:
                continue  # killed by the test
            for s in body["sessions"]:
                found.setdefault(s["sessionId"], []).append((port, s["status"]))
    return found

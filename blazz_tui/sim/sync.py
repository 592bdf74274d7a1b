"""``whatsapp:sync-instance-urls`` and the scheduler that runs it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from redis.exceptions import RedisError

from blazz_tui.settings import instance_address as normalize_url
from blazz_tui.sim import laravel


def hosted_sessions(app: laravel.App) -> dict[str, str]:
    """session id → URL of the instance reporting it CONNECTED (one request per instance)."""
    hosted: dict[str, str] = {}
    with httpx.Client(timeout=3.0, headers={"X-Api-Key": app.api_key}) as client:
        for url in app.instances:
            try:
                body = client.get(f"{url}/health/sessions").json()
            except (httpx.HTTPError, ValueError):
                print(f"  ! {url} did not answer; its sessions are not verified")
                continue
            for session in body.get("sessions", []) if isinstance(body, dict) else []:
                if session.get("status") == "CONNECTED" and session.get("sessionId"):
                    hosted.setdefault(str(session["sessionId"]), url)
    return hosted


def _port(url: str | None) -> str:
    return str(normalize_url(url)[1]) if url else "none"


def sync(app: laravel.App, dry_run: bool = False) -> int:
    hosted = hosted_sessions(app)
    conn = app.connect()
    cur = conn.cursor()
    cur.execute("SELECT id, uuid, session_id, assigned_instance_url FROM whatsapp_accounts "
                "WHERE status = 'connected'")
    updated = verified = missing = 0
    cache = app.redis()
    for account_id, uuid, session_id, assigned in cur.fetchall():
        actual = hosted.get(session_id or "")
        if actual is None:
            missing += 1  # hosted nowhere: needs a QR rescan, never pointed anywhere
            continue
        if assigned and normalize_url(assigned) == normalize_url(actual):
            verified += 1
            continue
        new_url = actual.replace("127.0.0.1", "localhost")
        print(f"✓ Fixed: {session_id} ({_port(assigned)} → {_port(actual)})")
        updated += 1
        if dry_run:
            continue
        cur.execute(f"UPDATE whatsapp_accounts SET assigned_instance_url = {app.mark} "
                    f"WHERE id = {app.mark}", (new_url, account_id))
        _forget(cache, app.cache_key(f"whatsapp_instance_url_{uuid}"))
    conn.close()
    if missing:
        print(f"⚠ {missing} sessions are hosted by no instance (QR rescan needed)")
    print(f"Summary: {updated} updated, {verified} verified"
          + (" (dry run: nothing changed)" if dry_run else ""))
    if not dry_run:
        app.log("INFO", f"WhatsApp Instance URL Sync completed: {updated} updated, "
                        f"{verified} verified")
    return 0


def _forget(cache: Any, key: str) -> None:
    if cache is None:
        return
    try:
        cache.delete(key)
    except (RedisError, OSError):
        pass  # Redis down: the cached URL expires by itself within 300 s


def schedule(app: laravel.App, every: float, stopping: Callable[[], bool]) -> int:
    print(f"  INFO  Running scheduled tasks every {every:g}s.", flush=True)
    # The keeper ran the first sync before the stack was ready (as cron would have); running
    # one again at once would undo a fault injected right after start (a test's drift).
    next_run = time.monotonic() + every
    while not stopping():
        if time.monotonic() >= next_run:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            print(f"  {stamp} Running ['artisan' whatsapp:sync-instance-urls]", flush=True)
            try:
                sync(app)
            except OSError as exc:
                app.log("ERROR", f"Scheduled sync failed: {exc}", trace=True)
            next_run = time.monotonic() + every
        time.sleep(0.2)
    return 0

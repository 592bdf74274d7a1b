"""Load on the simulated stack: accounts and sessions, jobs, cache reads, log lines; and
Reverb's listening port."""

from __future__ import annotations

import math
import random
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from redis.exceptions import RedisError

from blazz_tui.sim import laravel

QUEUES = ("default", "campaign-conflict", "messaging", "campaign-stats", "whatsapp-urgent",
          "whatsapp-high", "whatsapp-normal", "whatsapp-campaign")
JOBS = {"default": "App\\Jobs\\ProcessWebhook", "campaign-conflict":
        "App\\Jobs\\ResolveCampaignConflict", "messaging": "App\\Jobs\\SendWhatsAppMessage",
        "campaign-stats": "App\\Jobs\\UpdateCampaignStats", "whatsapp-urgent":
        "App\\Jobs\\SendWhatsAppMessage", "whatsapp-high": "App\\Jobs\\SendWhatsAppMessage",
        "whatsapp-normal": "App\\Jobs\\SendWhatsAppMessage", "whatsapp-campaign":
        "App\\Jobs\\SendCampaignMessage"}


def _client(app: laravel.App) -> httpx.Client:
    return httpx.Client(timeout=2.0, headers={"X-Api-Key": app.api_key})


def _load(client: httpx.Client, url: str) -> int | None:
    try:
        return int(client.get(f"{url}/health").json().get("totalSessions", 0))
    except (httpx.HTTPError, ValueError, AttributeError, TypeError):
        return None


def create_session(app: laravel.App, conn: Any, client: httpx.Client,
                   loads: dict[str, int | None] | None = None) -> bool:
    """A new account whose session goes to the least-loaded instance (SimpleLoadBalancer).
    ``loads`` (sessions per instance URL) is asked of the instances unless given, and is
    updated with the new session."""
    if loads is None:
        loads = {url: _load(client, url) for url in app.instances}
    up = {url: n for url, n in loads.items() if n is not None}
    if not up:
        return False
    url = min(up, key=lambda u: up[u])
    account, session = str(uuid.uuid4()), f"session_{uuid.uuid4().hex[:12]}"
    try:
        if client.post(f"{url}/api/sessions", json={"sessionId": session,
                                                    "accountUuid": account}).status_code >= 300:
            return False
    except httpx.HTTPError:
        return False
    loads[url] = up[url] + 1
    m = app.mark
    conn.cursor().execute(
        "INSERT INTO whatsapp_accounts (uuid, workspace_id, session_id, phone_number, status, "
        f"assigned_instance_url, is_primary) VALUES ({m}, {m}, {m}, {m}, 'connected', {m}, 0)",
        (account, random.randint(1, 20), session, f"+62812{random.randint(10**6, 10**7 - 1)}",
         url.replace("127.0.0.1", "localhost")))
    cache = app.redis()
    if cache is not None:
        try:
            cache.setex(app.cache_key(f"whatsapp_instance_url_{account}"), 300, url)
        except (RedisError, OSError):
            pass  # Redis down: the app carries on without its cache
    return True


def end_session(app: laravel.App, conn: Any, client: httpx.Client) -> None:
    cur = conn.cursor()
    cur.execute("SELECT id, session_id, assigned_instance_url FROM whatsapp_accounts "
                "WHERE status = 'connected' ORDER BY id DESC LIMIT 20")
    rows = cur.fetchall()
    if not rows:
        return
    account_id, session, url = random.choice(rows)
    for instance in app.instances:
        try:
            client.delete(f"{instance}/api/sessions/{session}")
        except httpx.HTTPError:
            pass
    cur.execute(f"UPDATE whatsapp_accounts SET status = 'disconnected' WHERE id = {app.mark}",
                (account_id,))


def seed(app: laravel.App, accounts: int) -> int:
    conn = app.connect()
    with _client(app) as client:
        loads = {url: _load(client, url) for url in app.instances}
        made = sum(1 for _ in range(accounts) if create_session(app, conn, client, loads))
    conn.close()
    print(f"seeded {made} accounts")
    return 0 if made == accounts else 1


def _read_cache(app: laravel.App, cache: Any, uuids: list[str]) -> None:
    """Laravel's Cache::remember on instance URLs: a GET, and SETEX on a miss."""
    if cache is None or not uuids:
        return
    try:
        for account in random.choices(uuids, k=80):
            key = app.cache_key(f"whatsapp_instance_url_{account}")
            if cache.get(key) is None:
                cache.setex(key, 300, "http://localhost:3001")
    except (RedisError, OSError):
        app.log("ERROR", "Redis connection refused: cache unavailable")


SENDS_PER_TICK = 4


def _send_messages(app: laravel.App, conn: Any, client: httpx.Client, accounts: list[Any],
                   count: int) -> None:
    """Messages to random connected accounts, through the instance the app thinks hosts
    them (SendWhatsAppMessage's HTTP call): the instances time and count them, and each is a
    row of ``chats`` — delivered when the instance took it, failed when it did not."""
    rows = []
    for _, session, url in random.sample(accounts, min(count, len(accounts))):
        if not session or not url:
            continue
        sent = time.time()
        try:
            answer = client.post(f"{url.replace('localhost', '127.0.0.1')}/api/messages/send",
                                 json={"sessionId": session, "to": "+628120000000",
                                       "text": "sim"})
            took = answer.json().get("seconds") if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            continue  # an instance down or broken: the app's job would be retried
        rows.append((random.randint(1, 20), f"+62812{random.randint(10**6, 10**7 - 1)}",
                     "failed" if took is None else "delivered", _stamp(sent),
                     None if took is None else _stamp(sent + float(took)), _stamp(sent)))
    if rows:
        m = app.mark
        conn.cursor().executemany(
            "INSERT INTO chats (workspace_id, contact_phone, last_message, message_status, "
            f"sent_at, delivered_at, last_message_at) VALUES ({m}, {m}, 'sim', {m}, {m}, {m}, "
            f"{m})", rows)


def _stamp(epoch: float) -> str:
    """As Laravel writes a timestamp column: whole seconds, in APP_TIMEZONE (UTC here)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def traffic(app: laravel.App, rate: float, duration: float,
            stopping: Callable[[], bool]) -> int:
    conn = app.connect()
    cache = app.redis()
    started = time.monotonic()
    client = _client(app)
    tick = 0
    while not stopping() and (not duration or time.monotonic() - started < duration):
        tick += 1
        wave = 1 + 0.6 * math.sin((time.monotonic() - started) / 20)
        for _ in range(max(1, int(random.expovariate(1 / (rate * wave))))):
            queue = random.choice(QUEUES)
            data: dict[str, Any] = {"sim_duration": random.uniform(0.005, 0.05)}
            if random.random() < 0.0002:  # ~6 failed jobs an hour: a healthy stack's trickle
                data["sim_fail"] = True
            laravel.push(conn, app.engine, queue, laravel.payload(JOBS[queue], data),
                         delay=60 if random.random() < 0.03 else 0)
        cur = conn.cursor()
        cur.execute("SELECT uuid, session_id, assigned_instance_url FROM whatsapp_accounts "
                    "WHERE status = 'connected' LIMIT 500")
        connected = cur.fetchall()
        _read_cache(app, cache, [row[0] for row in connected])
        _send_messages(app, conn, client, connected, SENDS_PER_TICK)
        if tick % 15 == 0:
            create_session(app, conn, client)
        if tick % 40 == 0:
            end_session(app, conn, client)
        roll = random.random()
        if roll < 0.005:
            app.log("ERROR", "Failed to send message: instance timeout",
                    {"account_id": random.randint(1, 500)}, trace=True)
        elif roll < 0.08:
            app.log("WARNING", "Session rediscovered", {"session": f"session_{tick}"})
        elif roll < 0.3:
            app.log("INFO", "Cache invalidated for account", {"uuid": str(uuid.uuid4())})
        time.sleep(1.0)
    client.close()
    conn.close()
    return 0


def reverb(app: laravel.App, host: str, port: int, stopping: Callable[[], bool]) -> int:
    """A listening port that accepts and closes connections, polling its restart signal in
    the cache as Reverb does (a miss on every poll)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(64)
    server.settimeout(0.5)
    print(f"  INFO  Starting server on {host}:{port}.", flush=True)
    cache = app.redis()
    last_poll = 0.0
    while not stopping():
        try:
            conn, _ = server.accept()
            conn.close()
        except TimeoutError:
            pass
        if cache is not None and time.monotonic() - last_poll > 3:
            last_poll = time.monotonic()
            try:
                cache.get(app.cache_key("laravel:reverb:restart"))
            except (RedisError, OSError):
                pass  # Reverb keeps serving without its cache
    server.close()
    return 0

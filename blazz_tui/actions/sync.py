"""The instance-URL sync: ``whatsapp_accounts.assigned_instance_url`` set to the instance
that really hosts each session.

``native``: the plan compares the instances' session lists with the accounts; execute updates
each row guarded by its old value (a row changed meanwhile is skipped and reported), a few
rows per transaction, and deletes the account's cached URL so the app sees it at once.
Sessions hosted by no instance are lost: reported, never pointed anywhere. An instance whose
session list could not be read makes the sync refuse (its sessions would look lost).

``artisan``: the app's own ``php artisan whatsapp:sync-instance-urls``, run in the app
directory through the transport — ``--dry-run`` as the preview, then the real run.
"""

from __future__ import annotations

import asyncio
import functools
import re
import shlex
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from blazz_tui.actions.model import Change, Plan, Progress, Result
from blazz_tui.actions.run import ActionEnv
from blazz_tui.clients.database import DatabaseClient, DatabaseError
from blazz_tui.clients.http import httpx
from blazz_tui.clients.instance_api import InstanceApi, InstanceError
from blazz_tui.clients.redis_client import RedisClient
from blazz_tui.correlation import InstanceMatcher, unreadable_reason
from blazz_tui.fmt import visible
from blazz_tui.settings import InstanceConfig, TargetConfig
from blazz_tui.settings import instance_address as normalize_url
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.base import describe_error

ARTISAN_TIMEOUT = 300.0
"""Seconds the app's sync command may run."""


@dataclass(frozen=True)
class UrlFix:
    uuid: str
    old_url: str | None
    new_url: str
    session_id: str = ""
    host: str = ""
    """The instance the plan saw the session CONNECTED on (checked again before the row is
    changed)."""


def plan_native(snapshot: Snapshot, target: TargetConfig) -> Plan:
    title = "Sync instance URLs"
    db, instances = snapshot.database, snapshot.instances
    refused = cannot_plan(snapshot, target)
    if refused or db is None or instances is None:
        return Plan("sync", snapshot.target, title, refused=refused)
    readings = {r.name: r for r in instances.instances}
    connected: dict[str, list[str]] = {}
    listed: set[str] = set()
    for cfg in target.instances:
        for session in readings[cfg.name].sessions or ():
            listed.add(session.session_id)
            if session.status == "CONNECTED":
                connected.setdefault(session.session_id, []).append(cfg.name)
    matcher = InstanceMatcher(target.instances)
    spelling = app_spelling(db.accounts, matcher, target.instances)
    changes: list[Change] = []
    right = lost = starting = twice = 0
    for account in db.accounts:
        if not account.session_id:
            continue
        hosts = connected.get(account.session_id, [])
        owner = matcher.name_for(account.assigned_instance_url)
        if len(hosts) > 1:
            twice += 1
        elif not hosts:
            if account.session_id in listed:
                starting += 1
            else:
                lost += 1
        elif hosts[0] == owner:
            right += 1
        else:
            was = owner or account.assigned_instance_url or "none"
            changes.append(Change(account.session_id, f"{was} → {hosts[0]}",
                                  UrlFix(account.uuid, account.assigned_instance_url,
                                         spelling[hosts[0]], account.session_id, hosts[0])))
    notes = [f"{right} already right"]
    if lost:
        notes.append(f"{lost} hosted by no instance: left alone, they need a QR rescan")
    if starting:
        notes.append(f"{starting} listed by an instance but not CONNECTED yet: left alone")
    if twice:
        notes.append(f"{twice} CONNECTED on more than one instance: left alone")
    if db.accounts_truncated:
        notes.append(f"only the first {len(db.accounts):,} connected accounts were read "
                     "(database.accounts_limit)")
    what = f"{len(changes)} account{'s' if len(changes) != 1 else ''} to point at their instance"
    return Plan("sync", snapshot.target, f"{title}: {what}", tuple(changes), tuple(notes))


def cannot_plan(snapshot: Snapshot, target: TargetConfig) -> str | None:
    db, instances = snapshot.database, snapshot.instances
    if db is None or target.database is None:
        return "no database is configured for this target"
    if instances is None or not target.instances:
        return "no WhatsApp instances are configured for this target"
    if not db.ok or db.accounts_error:
        return f"the accounts could not be read just now: {db.accounts_error or db.error}"
    if not instances.ok:
        return f"the instances could not be read just now: {instances.error}"
    readings = {r.name: r for r in instances.instances}
    unreadable = [f"{cfg.name} ({why})" for cfg in target.instances
                  if (why := unreadable_reason(readings.get(cfg.name)))]
    if unreadable:
        return (f"the session list of {', '.join(unreadable)} could not be read: its "
                "sessions would look lost")
    return None


def app_spelling(accounts: Any, matcher: InstanceMatcher,
                  instances: tuple[InstanceConfig, ...]) -> dict[str, str]:
    """Per instance, the URL as the app writes it (the commonest among its accounts), else
    the configured one without credentials."""
    seen: dict[str, Counter[str]] = {}
    for account in accounts:
        url = account.assigned_instance_url
        name = matcher.name_for(url)
        if name is not None and url:
            seen.setdefault(name, Counter())[url] += 1
    return {cfg.name: seen[cfg.name].most_common(1)[0][0] if cfg.name in seen
            else _without_credentials(cfg.url) for cfg in instances}


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1])).rstrip("/")


async def execute_native(plan: Plan, env: ActionEnv, progress: Progress) -> Result:
    target = env.target
    assert target.database is not None
    database = DatabaseClient(target.database, env.transport, target.poll.database.timeout)
    fixes = plan.changes
    batch = env.actions.sync_batch
    done: list[str] = []
    updated: list[str] = []
    skipped: list[str] = []
    error = None
    hosts = InstanceApi(target.instances, env.transport, target.poll.instances.timeout)
    for start in range(0, len(fixes), batch):
        # What the plan relied on, right before the rows change: each session still
        # CONNECTED where the plan saw it (an instance killed meanwhile hosts nothing).
        held = await asyncio.gather(*(_still_there(hosts, target, c.data) for c in
                                      fixes[start:start + batch]))
        chunk = [c for c, why in zip(fixes[start:start + batch], held, strict=True) if not why]
        skipped += [f"{c.subject}: {why}: left as it is" for c, why in
                    zip(fixes[start:start + batch], held, strict=True) if why]
        try:
            outcomes = await database.with_connection(
                functools.partial(guarded_update, fixes=[c.data for c in chunk]),
                autocommit=False) if chunk else []
        except DatabaseError as exc:
            error = f"{exc} — {len(fixes) - start} accounts left unchanged"
            break
        for change, outcome in zip(chunk, outcomes, strict=True):
            if outcome != CHANGED:
                done.append(f"{change.subject}: {change.detail}"
                            + (" (already set meanwhile)" if outcome == ALREADY else ""))
                updated.append(change.data.uuid)
            else:
                skipped.append(f"{change.subject}: changed in the database since the plan, "
                               "left as it is")
        progress(f"updated {len(done)} of {len(fixes)} accounts")
    await hosts.close()
    cache_done, cache_failed = await _forget_cached(env, updated)
    return Result(plan, done=(*done, *cache_done), skipped=tuple(skipped),
                  failed=cache_failed, error=error)


async def _still_there(hosts: InstanceApi, target: TargetConfig, fix: UrlFix) -> str | None:
    """Why the plan's sight of this session no longer holds (None: it does)."""
    cfg = next((i for i in target.instances if i.name == fix.host), None)
    if cfg is None or not fix.session_id:
        return None  # a plan of before hosts were named: the row guard still holds
    try:
        code, body = await hosts.call(cfg, "GET", f"/session/{quote(fix.session_id)}/status")
    except (OSError, TimeoutError, InstanceError, httpx.HTTPError) as exc:
        return f"{fix.host} no longer answers ({describe_error(exc)})"
    status = body.get("status") if isinstance(body, dict) else None
    if code == 200 and str(status).upper() == "CONNECTED":
        return None
    return f"no longer CONNECTED on {fix.host} ({visible(str(status or f'HTTP {code}'))[:40]})"


UPDATED, ALREADY, CHANGED = "updated", "already", "changed"


def guarded_update(conn: Any, engine: str, *, fixes: list[UrlFix]) -> list[str]:
    """One transaction: each row updated only if its URL is still the one planned on. Per
    fix: UPDATED; ALREADY (someone — the app's own sync, a webhook — set it meanwhile to the
    same instance); or CHANGED (to something else: left as it is)."""
    mark = "%s" if engine == "mysql" else "?"
    same = "<=>" if engine == "mysql" else "IS"
    update = (f"UPDATE whatsapp_accounts SET assigned_instance_url = {mark} "
              f"WHERE uuid = {mark} AND assigned_instance_url {same} {mark}")
    current = f"SELECT assigned_instance_url FROM whatsapp_accounts WHERE uuid = {mark}"
    cur = conn.cursor()
    outcomes = []
    try:
        for fix in fixes:
            cur.execute(update, (fix.new_url, fix.uuid, fix.old_url))
            if cur.rowcount:
                outcomes.append(UPDATED)
                continue
            cur.execute(current, (fix.uuid,))
            row = cur.fetchone()
            now = row[0] if row else None
            outcomes.append(ALREADY if now and normalize_url(now) == normalize_url(fix.new_url)
                            else CHANGED)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        cur.close()
    return outcomes


async def _forget_cached(env: ActionEnv,
                         uuids: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Delete the updated accounts' cached URLs: (done lines, failed lines)."""
    if not uuids:
        return (), ()
    if env.target.redis is None:
        return (f"no Redis configured: cached URLs of {len(uuids)} accounts expire by "
                "themselves within 300 s",), ()
    redis = RedisClient(env.target.redis, env.transport, env.target.poll.redis.timeout)
    try:
        deleted = await forget_instance_urls(redis, uuids)
    except OSError as exc:
        return (), (f"cached URLs not deleted ({exc}): the app keeps the old ones for up to "
                    "300 s",)
    finally:
        await redis.close()
    return (f"cache: {deleted} cached instance URL{'s' if deleted != 1 else ''} deleted",), ()


# -- artisan mode ---------------------------------------------------------------------------

_FIXED = re.compile(r"Fixed:\s*(\S+)\s*\((.*?)\)")


async def plan_artisan(env: ActionEnv) -> Plan:
    """The app's own sync with ``--dry-run``: its output is the plan."""
    command = shlex.split(env.actions.sync_command)
    title = f"Run {env.actions.sync_command}"
    try:
        code, output = await _artisan(env, [*command, "--dry-run"])
    except (OSError, TimeoutError) as exc:
        return Plan("sync", env.target.name, title, refused=f"the dry run failed: {exc}")
    if code != 0:
        return Plan("sync", env.target.name, title,
                    refused=f"the dry run exited {code}: {_last(output)}")
    changes = tuple(Change(m.group(1), m.group(2).replace("->", "→"))
                    for m in _FIXED.finditer(output))
    notes = tuple(line.strip() for line in output.splitlines()
                  if line.strip().startswith(("Summary", "⚠", "!")))
    return Plan("sync", env.target.name, f"{title}: {len(changes)} to fix", changes, notes)


async def execute_artisan(plan: Plan, env: ActionEnv, progress: Progress) -> Result:
    """The real run, its output handed on line by line as it comes."""
    lines: list[str] = []

    def seen(line: str) -> None:
        if line.strip():
            lines.append(line.strip().removeprefix("✓").strip())
            progress(line)

    code = await env.transport.stream(_in_app_dir(env, shlex.split(env.actions.sync_command)),
                                      ARTISAN_TIMEOUT, seen)
    if code != 0:
        return Result(plan, failed=tuple(lines[-5:]), error=f"exited {code}")
    return Result(plan, done=tuple(lines))


async def _artisan(env: ActionEnv, argv: list[str]) -> tuple[int, str]:
    result = await env.transport.run(_in_app_dir(env, argv), ARTISAN_TIMEOUT)
    return result.exit_code, (result.stdout + result.stderr).strip()


def _in_app_dir(env: ActionEnv, argv: list[str]) -> list[str]:
    return ["sh", "-c", f"cd {shlex.quote(env.target.app_dir)} && exec {shlex.join(argv)}"]


def _last(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


async def forget_instance_urls(redis: RedisClient, uuids: list[str]) -> int:
    """Delete the cached instance URLs (``whatsapp_instance_url_{uuid}``, under every
    spelling the app's cache prefix gives them) of these accounts, so the app reads the
    database again; how many there were. Raises ``OSError`` with the reason when Redis
    cannot be reached."""
    config = redis.config
    keys = [k for uuid in uuids for k in config.cache_keys(f"whatsapp_instance_url_{uuid}")]
    return await redis.delete(config.cache_db, keys)

"""Benchmark: is every figure blazz-tui reports the one the operator's own tools report?

Run ``python bench/fidelity.py`` for the simulated stack, healthy and then under each
``sim fault``; or ``python bench/fidelity.py -c CONFIG`` for any stack of yours (read only).
blazz-tui's figures are those of one ``--check`` collection (``run_check``, the code path of
``--check`` and ``--snapshot``). Each is compared with the same figure read by the tool an
operator would reach for, just before and just after: ``supervisorctl status``,
``redis-cli INFO``, SQL on ``jobs``/``failed_jobs``/``whatsapp_accounts``, ``curl`` on each
instance's ``/health`` and ``/health/sessions``. A figure that moves (a queue draining) matches
when it lies between the two readings; one that was unknown to blazz-tui matches only when
the tool could not read it either. Every mismatch is printed.

Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blazz_tui.check import run_check
from blazz_tui.config import load_config
from blazz_tui.correlation import InstanceMatcher
from blazz_tui.dbconn import connect, parse_database_url
from blazz_tui.settings import Config, TargetConfig
from blazz_tui.sim import faults
from blazz_tui.sim.cli import launch, stop
from blazz_tui.snapshot import Snapshot

Figures = dict[str, object]


# -- the operator's tools ---------------------------------------------------------------------

def supervisorctl(target: TargetConfig) -> Figures:
    found: Figures = {}
    for endpoint in target.supervisor:
        argv = ["supervisorctl", "-s", endpoint.url.replace("unix://", "unix://"), "status"]
        if endpoint.username:
            argv[1:1] = ["-u", endpoint.username, "-p", endpoint.password or ""]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                found[f"program {parts[0]} state"] = parts[1]
    return found


def redis_cli(target: TargetConfig) -> Figures:
    if target.redis is None or not shutil.which("redis-cli"):
        return {}
    from urllib.parse import urlsplit

    url = urlsplit(target.redis.url)
    out = subprocess.run(["redis-cli", "-h", url.hostname or "127.0.0.1", "-p",
                          str(url.port or 6379), "INFO"], capture_output=True, text=True,
                         timeout=10).stdout
    info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    if "redis_version" not in info:
        return {"redis reachable": False}
    return {"redis reachable": True, "redis version": info["redis_version"].strip(),
            "redis keyspace_hits": int(info["keyspace_hits"]),
            "redis keyspace_misses": int(info["keyspace_misses"])}


def curl(target: TargetConfig) -> tuple[Figures, dict[str, set[str] | None]]:
    found: Figures = {}
    hosted: dict[str, set[str] | None] = {}
    for inst in target.instances:
        key = ["-H", f"X-Api-Key: {inst.api_key}"] if inst.api_key else []
        answer = subprocess.run(["curl", "-s", "-m", "1.5", "-w", "\n%{http_code}", *key,
                                 f"{inst.url}/health"], capture_output=True).stdout
        text, _, code = answer.rpartition(b"\n")
        try:
            usable = code == b"200" and isinstance(json.loads(text), dict)
        except ValueError:
            usable = False
        health = "200" if usable else code.decode()
        found[f"instance {inst.name} answers /health with JSON"] = usable
        body = subprocess.run(["curl", "-s", "-m", "1.5", *key, f"{inst.url}/health/sessions"],
                              capture_output=True).stdout
        try:
            listed = json.loads(body)["sessions"]
            sessions = {s["sessionId"] for s in listed if s.get("status") == "CONNECTED"}
        except (ValueError, KeyError, TypeError):
            sessions = None
        hosted[inst.name] = sessions if health == "200" else None
        found[f"instance {inst.name} hosted"] = \
            None if hosted[inst.name] is None else len(sessions or ())
    return found, hosted


def sql(target: TargetConfig, hosted: dict[str, set[str] | None]) -> Figures:
    if target.database is None:
        return {}
    db = parse_database_url(target.database.url)
    try:
        conn = connect(db, timeout=5)
    except Exception:  # noqa: BLE001 - the tool could not read it: that is the figure
        return {"database reachable": False}
    mark = "?" if db.engine == "sqlite" else "%s"
    now = "CAST(strftime('%s','now') AS INTEGER)" if db.engine == "sqlite" else \
        "UNIX_TIMESTAMP()"
    cur = conn.cursor()
    cur.execute(f"SELECT queue, SUM(reserved_at IS NULL AND available_at <= {now}), "
                f"SUM(reserved_at IS NOT NULL), SUM(reserved_at IS NULL AND available_at > "
                f"{now}) FROM jobs GROUP BY queue")
    found: Figures = {"database reachable": True}
    for queue in target.queues.watch:  # a queue with no job is not in GROUP BY: it is 0
        found.update({f"queue {queue} {what}": 0 for what in ("pending", "reserved", "delayed")})
    for queue, ready, reserved, delayed in cur.fetchall():
        found[f"queue {queue} pending"] = int(ready or 0)
        found[f"queue {queue} reserved"] = int(reserved or 0)
        found[f"queue {queue} delayed"] = int(delayed or 0)
    cur.execute("SELECT session_id, assigned_instance_url FROM whatsapp_accounts "
                f"WHERE status = {mark}", ("connected",))
    accounts = cur.fetchall()
    conn.close()
    matcher = InstanceMatcher(target.instances)
    where = {sid: name for name, ids in hosted.items() for sid in ids or ()}
    everyone = all(ids is not None for ids in hosted.values())
    found["sessions drifted"] = sum(1 for sid, url in accounts if sid in where
                                    and where[sid] != matcher.name_for(url)) \
        if everyone else None
    found["sessions lost"] = sum(1 for sid, _ in accounts if sid and sid not in where) \
        if everyone else None
    return found


def truth(target: TargetConfig) -> Figures:
    figures = supervisorctl(target)
    figures.update(redis_cli(target))
    instances, hosted = curl(target)
    figures.update(instances)
    figures.update(sql(target, hosted))
    return figures


# -- blazz-tui's ------------------------------------------------------------------------------

def ours(snapshot: Snapshot) -> Figures:
    found: Figures = {}
    for proc in snapshot.supervisor.processes if snapshot.supervisor else ():
        found[f"program {proc.full_name} state"] = proc.state
    if snapshot.redis is not None:
        found["redis reachable"] = snapshot.redis.ok
        if snapshot.redis.ok:
            found["redis version"] = snapshot.redis.version
            found["redis keyspace_hits"] = snapshot.redis.keyspace_hits
            found["redis keyspace_misses"] = snapshot.redis.keyspace_misses
    readings = {i.name: i for i in snapshot.instances.instances} if snapshot.instances else {}
    for view in snapshot.sessions.instances:
        found[f"instance {view.name} answers /health with JSON"] = bool(
            readings.get(view.name) and readings[view.name].up)
        found[f"instance {view.name} hosted"] = view.hosted
    if snapshot.database is not None:
        found["database reachable"] = snapshot.database.ok
        for q in snapshot.queues:
            if q.pending is not None and not q.capped:
                found[f"queue {q.name} pending"] = q.pending
                found[f"queue {q.name} reserved"] = q.reserved
                found[f"queue {q.name} delayed"] = q.delayed
    view = snapshot.sessions
    found["sessions drifted"] = view.drift_count if view.complete else None
    found["sessions lost"] = view.lost_count if view.complete else None
    return found


# -- comparing --------------------------------------------------------------------------------

@dataclass
class Mismatch:
    figure: str
    ours: object
    before: object
    after: object


def compare(before: Figures, mine: Figures, after: Figures,
            during: list[Figures]) -> tuple[int, list[Mismatch]]:
    checked, wrong = 0, []
    for name in sorted(set(before) | set(after)):
        if name.startswith("queue ") and name in mine:
            before.setdefault(name, 0)  # not in GROUP BY: no job in that queue
            after.setdefault(name, 0)
        if name not in mine:
            if name.startswith("queue ") and not before.get(name) and not after.get(name):
                continue  # an empty queue the jobs table no longer lists
            if name.startswith("program ") or name.startswith("queue "):
                wrong.append(Mismatch(name, "(not shown)", before.get(name), after.get(name)))
            continue
        checked += 1
        a, b, value = before.get(name), after.get(name), mine[name]
        seen = [v for v in (a, b, *(d.get(name, 0) for d in during if name.startswith("queue ")))
                if isinstance(v, int) and not isinstance(v, bool)]
        if isinstance(value, int) and not isinstance(value, bool) and seen:
            if min(seen) <= value <= max(seen):
                continue
        elif value in (a, b):
            continue
        wrong.append(Mismatch(name, value, a, b))
    return checked, wrong


def measure(config: Config, label: str) -> None:
    """The tools before and after blazz-tui's collection, and SQL every 50 ms during it (a
    job can come and go between two readings: a count matches any value it had meanwhile)."""
    target = config.target()
    before = truth(target)
    during: list[Figures] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            during.append(sql(target, {}))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        mine = ours(run_check(config, persist=False).snapshot)
    finally:
        done.set()
        sampler.join()
    after = truth(target)
    checked, wrong = compare(before, mine, after, during)
    print(f"{label:<44} {checked:3d} figures, {len(wrong)} mismatch"
          f"{'es' if len(wrong) != 1 else ''}")
    for m in wrong:
        print(f"    {m.figure}: blazz-tui {m.ours!r}; tools {m.before!r} then {m.after!r}")


FAULTS: list[tuple[str, Callable[[Any], list[str]]]] = [
    ("kill-instance", lambda layout: [str(layout.instance_ports[1])]),
    ("slow-instance", lambda layout: [str(layout.instance_ports[2]), "5"]),
    ("garbage-instance", lambda layout: [str(layout.instance_ports[3])]),
    ("stop-worker", lambda layout: ["blazz-queue-worker"]),
    ("break-worker", lambda layout: ["blazz-queue-default"]),
    ("flood-queue", lambda layout: ["whatsapp-high", "3000"]),
    ("drift", lambda layout: ["10"]),
    ("lose-sessions", lambda layout: ["3"]),
    ("redis-down", lambda layout: []),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", help="a stack of yours (read only)")
    args = parser.parse_args()
    if args.config:
        measure(load_config(args.config), args.config)
        return
    root = Path(tempfile.mkdtemp(prefix="blazz-fidelity-"))
    try:
        layout = launch(root, accounts=120, sync_every=600)
        config = load_config(str(layout.config_path))
        time.sleep(3)
        measure(config, "healthy")
        for name, arguments in FAULTS:
            faults.apply(layout, name, arguments(layout))
            time.sleep(4)
            measure(config, f"sim fault {name}")
            faults.heal(layout)
            time.sleep(4)
    finally:
        stop(root)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

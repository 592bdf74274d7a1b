"""Benchmark: is every figure blazz-tui reports the one the operator's own tools report?

Run ``python bench/fidelity.py`` for the simulated stack, healthy and then under each
``sim fault``; ``python bench/fidelity.py --laravel`` for a real Laravel 8.83 app (real
``queue:work`` workers under a real supervisord, MySQL on 127.0.0.1:3306, a redis-server of its
own; ``tests/fixtures/laravel_app.py``), idle and under each fault such an app can produce; or
``python bench/fidelity.py -c CONFIG`` for any stack of yours (read only).
blazz-tui's figures are those of one ``--check`` collection (``run_check``, the code path of
``--check`` and ``--snapshot``). Each is compared with the same figure read by the tool an
operator would reach for, just before and just after: ``supervisorctl status`` (and ``ps``,
``/proc/PID/cwd`` of its RUNNING workers for the workers serving each queue), ``redis-cli
INFO``, SQL on ``jobs``/``failed_jobs``/``whatsapp_accounts``, ``curl`` on each instance's
``/health`` and ``/health/sessions``. Meanwhile SQL and supervisord (``getAllProcessInfo``, the
call behind ``supervisorctl status``) are read continuously. A figure that moves (a queue
draining, a program crash-looping) matches when it lies between the readings or is one of
them; one that was unknown to blazz-tui matches only when the tool could not read it either.
Every mismatch is printed, and all of them again at the end.

Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.fixtures, for --laravel

from blazz_tui.check import run_check
from blazz_tui.clients.dbconn import connect, parse_database_url
from blazz_tui.config import load_config
from blazz_tui.correlation import InstanceMatcher
from blazz_tui.laravel_env import target_from_env
from blazz_tui.settings import Config, SupervisorEndpoint, TargetConfig
from blazz_tui.sim import faults
from blazz_tui.sim.cli import launch, stop
from blazz_tui.sim.layout import free_port
from blazz_tui.sim.supervisord import rpc_proxy
from blazz_tui.snapshot import Snapshot

if TYPE_CHECKING:
    from tests.fixtures.laravel_app import LaravelApp

Figures = dict[str, object]
Processes = dict[str, tuple[str, int]]
"""supervisord's processes: ``group:name`` → (state, pid; 0 when not running)."""

JOBS_FIGURES = ("pending", "reserved", "delayed", "oldest pending age")
"""A queue's figures read by SQL on ``jobs``: a queue that SQL does not list has 0 of each."""
SQL_QUEUE_FIGURES = (*JOBS_FIGURES, "failed last hour")


# -- the operator's tools ---------------------------------------------------------------------

def supervisorctl(target: TargetConfig) -> Processes:
    """``python -m supervisor.supervisorctl -s URL status`` on each endpoint."""
    found: Processes = {}
    for endpoint in target.supervisor:
        argv = [sys.executable, "-m", "supervisor.supervisorctl", "-s", endpoint.url]
        if endpoint.username:
            argv += ["-u", endpoint.username, "-p", endpoint.password or ""]
        out = subprocess.run([*argv, "status"], capture_output=True, text=True,
                             timeout=10).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                pid = re.search(r"\bpid (\d+),", line)
                found[parts[0]] = (parts[1], int(pid.group(1)) if pid else 0)
    return found


def supervisor_rpc(endpoint: SupervisorEndpoint) -> Any:
    if endpoint.url.startswith("unix://"):
        return rpc_proxy(endpoint.url.removeprefix("unix://"), endpoint.username,
                         endpoint.password, 5.0)
    url = urlsplit(endpoint.url)
    auth = f"{quote(endpoint.username)}:{quote(endpoint.password or '')}@" \
        if endpoint.username else ""
    return xmlrpc.client.ServerProxy(f"{url.scheme}://{auth}{url.netloc}/RPC2")


def supervisor_states(target: TargetConfig) -> Processes:
    """``getAllProcessInfo`` (what supervisorctl status prints), without starting a process:
    fast enough to catch a crash loop's short STARTING."""
    found: Processes = {}
    for endpoint in target.supervisor:
        try:
            infos = supervisor_rpc(endpoint).supervisor.getAllProcessInfo()
        except (OSError, xmlrpc.client.Error):
            continue
        for i in infos:
            found[f"{i['group']}:{i['name']}" if i["group"] != i["name"] else i["name"]] = \
                (i["statename"], int(i["pid"] or 0))
    return found


def programs(processes: Processes) -> Figures:
    return {f"program {name} state": state for name, (state, _) in processes.items()}


def workers(target: TargetConfig, processes: Processes) -> Figures:
    """RUNNING queue workers of this app by the queues they serve, as ``ps -o args= -p PID``
    and ``readlink /proc/PID/cwd`` tell: ``queue:work [connection] --queue=a,b`` (``default``
    without ``--queue``), of the target's connection, run in the app's directory (any
    directory when the target's ``app_dir`` holds no ``artisan``). Local targets only."""
    if target.transport != "local":
        return {}
    app = os.path.realpath(target.app_dir)
    whose = os.path.isfile(os.path.join(app, "artisan"))
    found: dict[str, int] = {}
    for state, pid in processes.values():
        if state != "RUNNING" or not pid:
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if "queue:work" not in argv and "queue:listen" not in argv:
            continue
        verb = argv.index("queue:work" if "queue:work" in argv else "queue:listen")
        rest = [a for a in argv[verb + 1:] if a]
        connection = rest[0] if rest and not rest[0].startswith("-") else None
        if connection not in (None, target.queues.connection):
            continue
        artisan = argv[verb - 1] if verb else ""
        if whose and cwd != app and os.path.dirname(os.path.realpath(artisan)) != app:
            continue
        listed = next((a.partition("=")[2] for a in rest if a.startswith("--queue=")), "")
        for queue in dict.fromkeys(q for q in listed.split(",") if q) or ("default",):
            key = f"queue {queue} workers"
            found[key] = found.get(key, 0) + 1
    return dict(found)


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


def jobs_figures(cur: Any, engine: str, watch: tuple[str, ...]) -> Figures:
    """Each queue's jobs as SQL on ``jobs`` counts them: ready, reserved, delayed, and the age
    of the oldest ready one."""
    sqlite = engine == "sqlite"
    now = "CAST(strftime('%s','now') AS INTEGER)" if sqlite else "UNIX_TIMESTAMP()"
    exact_now = "((julianday('now') - 2440587.5) * 86400.0)" if sqlite else \
        "UNIX_TIMESTAMP(NOW(6))"
    ready = f"reserved_at IS NULL AND available_at <= {now}"
    cur.execute(f"SELECT queue, SUM({ready}), SUM(reserved_at IS NOT NULL), "
                f"SUM(reserved_at IS NULL AND available_at > {now}), "
                f"{exact_now} - MIN(CASE WHEN {ready} THEN created_at END) "
                f"FROM jobs GROUP BY queue")
    found: Figures = {}
    for queue in watch:  # a queue with no job is not in GROUP BY: it is 0
        found.update({f"queue {queue} {what}": 0 for what in ("pending", "reserved", "delayed")})
    for queue, pending, reserved, delayed, age in cur.fetchall():
        found[f"queue {queue} pending"] = int(pending or 0)
        found[f"queue {queue} reserved"] = int(reserved or 0)
        found[f"queue {queue} delayed"] = int(delayed or 0)
        if age is not None:
            found[f"queue {queue} oldest pending age"] = round(float(age), 2)
    return found


def failed_figures(cur: Any, engine: str) -> Figures:
    """``failed_jobs``: its rows, and by queue those that failed in the last hour (Laravel
    writes ``failed_at`` in UTC). Nothing when there is no such table."""
    hour_ago = "datetime('now', '-1 hour')" if engine == "sqlite" else \
        "UTC_TIMESTAMP() - INTERVAL 1 HOUR"
    try:
        cur.execute("SELECT COUNT(*) FROM failed_jobs")
        found: Figures = {"failed jobs total": int(cur.fetchone()[0])}
        cur.execute(f"SELECT queue, COUNT(*) FROM failed_jobs WHERE failed_at >= {hour_ago} "
                    "GROUP BY queue")
    except Exception:  # noqa: BLE001 - no failed_jobs table: no figure to compare
        return {}
    found.update({f"queue {queue} failed last hour": int(n) for queue, n in cur.fetchall()})
    return found


def sql(target: TargetConfig, hosted: dict[str, set[str] | None]) -> Figures:
    if target.database is None:
        return {}
    db = parse_database_url(target.database.url)
    try:
        conn = connect(db, timeout=5)
    except Exception:  # noqa: BLE001 - the tool could not read it: that is the figure
        return {"database reachable": False}
    mark = "?" if db.engine == "sqlite" else "%s"
    cur = conn.cursor()
    found: Figures = {"database reachable": True,
                      **jobs_figures(cur, db.engine, target.queues.watch),
                      **failed_figures(cur, db.engine)}
    try:
        cur.execute("SELECT session_id, assigned_instance_url FROM whatsapp_accounts "
                    f"WHERE status = {mark}", ("connected",))
        accounts = cur.fetchall()
    except Exception:  # noqa: BLE001 - no whatsapp_accounts table (a plain Laravel app)
        accounts = None
    conn.close()
    if accounts is None:
        return found
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
    processes = supervisorctl(target)
    figures = programs(processes)
    figures.update(workers(target, processes))
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
    for inst in snapshot.sessions.instances:
        found[f"instance {inst.name} answers /health with JSON"] = bool(
            readings.get(inst.name) and readings[inst.name].up)
        found[f"instance {inst.name} hosted"] = inst.hosted
    database = snapshot.database
    if database is not None:
        found["database reachable"] = database.ok
        failed = database.ok and database.failed_error is None
        if failed and not database.failed_total_capped:
            found["failed jobs total"] = database.failed_total
        for q in snapshot.queues:
            if q.pending is not None and not q.capped:
                found[f"queue {q.name} pending"] = q.pending
                found[f"queue {q.name} reserved"] = q.reserved
                found[f"queue {q.name} delayed"] = q.delayed
                # The tools' convention: a queue without a ready job has an age of 0.
                age = q.oldest_pending_age
                found[f"queue {q.name} oldest pending age"] = \
                    round(age, 2) if age is not None else 0 if not q.pending else None
            if failed and not q.failed_capped:
                found[f"queue {q.name} failed last hour"] = q.failed_last_hour
    for q in snapshot.queues:
        if q.served is not None or q.workers:  # None: the supervisor could not be read
            found[f"queue {q.name} workers"] = len(q.workers)
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
    note: str = ""

    def __str__(self) -> str:
        return (f"{self.figure}: blazz-tui {self.ours!r}; tools {self.before!r} then "
                f"{self.after!r}{self.note}")


@dataclass(frozen=True)
class Sample:
    """One reading taken while blazz-tui collected: SQL, or supervisord's process list."""

    kind: str
    """``jobs``, ``failed_jobs`` or ``supervisor``."""
    figures: Figures

    def value(self, name: str) -> object:
        """The figure as this reading saw it; None when it does not read that figure."""
        if name in self.figures:
            return self.figures[name]
        queue = name.startswith("queue ")
        if self.kind == "jobs" and queue and name.endswith(JOBS_FIGURES):
            return 0  # not in GROUP BY: no job in that queue
        if self.kind == "failed_jobs" and queue and name.endswith(" failed last hour"):
            return 0
        if self.kind == "supervisor" and queue and name.endswith(" workers"):
            return 0
        return None


def number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def zero_when_unlisted(target: TargetConfig, before: Figures, name: str) -> bool:
    """Whether the tools read a queue figure they do not list as 0: SQL's when the database
    answered (a queue without jobs is not in GROUP BY), the workers' on a local target."""
    if not name.startswith("queue "):
        return False
    if name.endswith(" workers"):
        return target.transport == "local"
    return bool(before.get("database reachable")) and name.endswith(SQL_QUEUE_FIGURES)


def compare(target: TargetConfig, before: Figures, mine: Figures, after: Figures,
            during: list[Sample]) -> tuple[int, list[Mismatch]]:
    checked, wrong = 0, []
    listed = {n for n in mine if zero_when_unlisted(target, before, n)}
    for name in sorted(set(before) | set(after) | listed):
        if name in mine and zero_when_unlisted(target, before, name):
            before.setdefault(name, 0)  # not in GROUP BY, no worker: none in that queue
            after.setdefault(name, 0)
        if name not in mine:
            if name.startswith("queue ") and not before.get(name) and not after.get(name):
                continue  # an empty queue the jobs table no longer lists
            if name.startswith(("program ", "queue ")) or name == "failed jobs total":
                wrong.append(Mismatch(name, "(not shown)", before.get(name), after.get(name)))
            continue
        checked += 1
        a, b, value = before.get(name), after.get(name), mine[name]
        seen = [v for v in (a, b, *(d.value(name) for d in during)) if v is not None]
        if number(value) and any(number(v) for v in seen):
            low = min(v for v in seen if number(v))  # type: ignore[type-var]
            high = max(v for v in seen if number(v))  # type: ignore[type-var]
            if low <= value <= high:  # type: ignore[operator]
                continue
        elif value in seen or value in (a, b):
            continue
        wrong.append(Mismatch(name, value, a, b))
    return checked, wrong


@dataclass(frozen=True)
class Result:
    label: str
    checked: int
    wrong: list[Mismatch]


def measure(config: Config, label: str) -> Result:
    """The tools before and after blazz-tui's collection, and meanwhile SQL on ``jobs``
    without pause on one connection (with workers between two 20 ms jobs, "0 reserved" lasts
    a millisecond or two), on ``failed_jobs`` and supervisord's processes every 50 ms: a
    figure matches any value it had meanwhile."""
    target = config.target()
    before = truth(target)
    during: list[Sample] = []
    done = threading.Event()

    def sample_sql() -> None:
        if target.database is None:
            return
        db = parse_database_url(target.database.url)
        try:
            conn = connect(db, timeout=5)
        except Exception:  # noqa: BLE001 - unreachable: before and after say so
            return
        failed_at = 0.0
        try:
            while not done.is_set():
                cur = conn.cursor()
                during.append(Sample("jobs", jobs_figures(cur, db.engine, target.queues.watch)))
                if time.monotonic() - failed_at > 0.05:
                    failed_at = time.monotonic()
                    during.append(Sample("failed_jobs", failed_figures(cur, db.engine)))
        finally:
            conn.close()

    def sample_supervisor() -> None:
        while target.transport == "local" and not done.is_set():
            states = supervisor_states(target)
            during.append(Sample("supervisor", {**programs(states), **workers(target, states)}))
            time.sleep(0.05)

    samplers = [threading.Thread(target=sample_sql), threading.Thread(target=sample_supervisor)]
    for thread in samplers:
        thread.start()
    try:
        snapshot = run_check(config, persist=False).snapshot
        mine = ours(snapshot)
    finally:
        done.set()
        for thread in samplers:
            thread.join()
    after = truth(target)
    checked, wrong = compare(target, before, mine, after, during)
    if snapshot.database is not None and snapshot.database.fetched_at:
        skew = snapshot.taken_at - snapshot.database.fetched_at
        for m in wrong:  # the age is reckoned at taken_at, from the database's reading
            if m.figure.endswith(" oldest pending age") and number(m.ours):
                m.note = f" (taken_at is {skew:.2f} s after its database reading)"
    print(f"{label:<52} {checked:3d} figures, {len(wrong)} mismatch"
          f"{'es' if len(wrong) != 1 else ''}", flush=True)
    for m in wrong:
        print(f"    {m}", flush=True)
    return Result(label, checked, wrong)


def summary(results: list[Result], notes: list[str]) -> None:
    wrong = [(r.label, m) for r in results for m in r.wrong]
    print(f"\nsummary: {len(results)} collections, {sum(r.checked for r in results)} figures "
          f"compared, {len(wrong)} mismatch{'es' if len(wrong) != 1 else ''}")
    for label, m in wrong:
        print(f"  [{label}] {m}")
    for note in notes:
        print(f"  {note}")


# -- the simulated stack ----------------------------------------------------------------------

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


def simulated() -> None:
    root = Path(tempfile.mkdtemp(prefix="blazz-fidelity-"))
    results: list[Result] = []
    try:
        layout = launch(root, accounts=120, sync_every=600)
        config = load_config(str(layout.config_path))
        time.sleep(3)
        results.append(measure(config, "healthy"))
        for name, arguments in FAULTS:
            faults.apply(layout, name, arguments(layout))
            time.sleep(4)
            results.append(measure(config, f"sim fault {name}"))
            faults.heal(layout)
            time.sleep(4)
    finally:
        stop(root)
        shutil.rmtree(root, ignore_errors=True)
    summary(results, [])


# -- a real Laravel app -----------------------------------------------------------------------

@dataclass(frozen=True)
class Fault:
    label: str
    make: Callable[[LaravelApp], None]
    """Produces the fault and waits until it is there."""
    heal: Callable[[LaravelApp], None] | None = None
    """Undoes it (None: the next fault builds on it)."""


DEFAULT = ("blazz:blazz-queue-default_00", "blazz:blazz-queue-default_01")
CAMPAIGN = ("blazz:blazz-queue-campaign_00", "blazz:blazz-queue-campaign_01")


def until(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    from tests.fixtures.laravel_app import wait_for

    wait_for(predicate, what, timeout)


def drained(app: LaravelApp) -> None:
    until(lambda: app.pending_jobs() == 0, "the jobs to drain")


def stop_default(app: LaravelApp) -> None:
    assert app.supervisor is not None
    for name in DEFAULT:
        app.supervisor.rpc().supervisor.stopProcess(name)
    app.supervisor.wait_states({name: "STOPPED" for name in DEFAULT})
    app.dispatch("SendWhatsAppMessage", 25, queue="default")
    time.sleep(2)  # an oldest pending job some seconds old


def start_default(app: LaravelApp) -> None:
    assert app.supervisor is not None
    for name in DEFAULT:
        app.supervisor.rpc().supervisor.startProcess(name)
    app.wait_workers_running()
    drained(app)


def failing(app: LaravelApp) -> None:
    app.dispatch("FailingJob", 3, queue="default")
    until(lambda: app.failed_jobs() == 3 and app.pending_jobs() == 0,
          "3 FailingJobs in failed_jobs")


def forget_one(app: LaravelApp) -> None:
    [(failed_uuid,)] = app.query("SELECT uuid FROM failed_jobs ORDER BY id LIMIT 1")
    app.artisan("queue:forget", str(failed_uuid))


def flush(app: LaravelApp) -> None:
    app.artisan("queue:flush")


def delay(app: LaravelApp) -> None:
    app.dispatch("SendWhatsAppMessage", 5, queue="default", delay=600)


def clear(app: LaravelApp) -> None:
    app.artisan("queue:clear", "database", "--queue=default")


def drain(app: LaravelApp) -> None:
    app.dispatch("SendWhatsAppMessage", 400, queue="default", sleep_ms=20)


def kill_worker(app: LaravelApp) -> None:
    os.kill(app.worker_pids()[CAMPAIGN[0]], signal.SIGKILL)
    time.sleep(0.2)  # supervisord has seen it exit and starts it again (STARTING for 1 s)


def crash_loop(app: LaravelApp) -> None:
    """The campaign program's command made to fail at once (an option queue:work does not
    have): BACKOFF, STARTING, BACKOFF... until FATAL."""
    assert app.supervisor is not None
    broken = [replace(p, command=f"{p.command} --no-such-option")
              if p.name == "blazz-queue-campaign" else p for p in app.worker_programs()]
    app.supervisor.set_programs(broken, [app.worker_group()])
    app.supervisor.wait_states({name: "BACKOFF" for name in CAMPAIGN})


def fatal(app: LaravelApp) -> None:
    assert app.supervisor is not None
    app.supervisor.wait_states({name: "FATAL" for name in CAMPAIGN}, timeout=60)


def restarted(app: LaravelApp) -> None:
    app.wait_workers_running()


def repair(app: LaravelApp) -> None:
    assert app.supervisor is not None
    app.supervisor.set_programs(app.worker_programs(), [app.worker_group()])
    app.wait_workers_running()


LARAVEL_FAULTS = [
    Fault("default's workers stopped, 25 jobs waiting", stop_default, start_default),
    Fault("400 jobs draining (20 ms each)", drain, drained),
    Fault("3 FailingJobs failed after 3 tries", failing),
    Fault("php artisan queue:forget one of them", forget_one),
    Fault("php artisan queue:flush", flush),
    Fault("5 jobs delayed 600 s", delay, clear),
    Fault("a campaign worker killed (SIGKILL)", kill_worker, restarted),
    Fault("campaign program crash-looping", crash_loop),
    Fault("campaign program FATAL", fatal, repair),
]


def cache_check(config: Config, idle: float = 20.0) -> str:
    """The cache-hit-rate check of a second ``--check`` ``idle`` seconds after the first (which
    starts the window), persisting between them as ``--check`` does."""
    run_check(config)
    time.sleep(idle)
    check = next(c for c in run_check(config).checks if c.name == "cache-hit-rate")
    return f"cache-hit-rate after {idle:g} s idle: {check.status.value}: {check.summary}"


def laravel() -> None:
    from tests.fixtures.laravel_app import LaravelApp, missing_requirements
    from tests.fixtures.redis_server import RedisServer

    reason = missing_requirements()
    if reason:
        sys.exit(f"fidelity --laravel: {reason}")
    root = Path(tempfile.mkdtemp(prefix="blazz-fidelity-laravel-"))
    (root / "redis").mkdir()
    redis_server = RedisServer(free_port(), root / "redis")
    redis_server.start()
    results: list[Result] = []
    notes: list[str] = []
    try:
        app = LaravelApp.create(root / "blazz", database=f"blazz_fidelity_{uuid.uuid4().hex[:8]}",
                                redis_port=redis_server.port)
        try:
            supervisor = app.start_workers()
            target = replace(target_from_env(app.directory, {}),
                             supervisor=(supervisor.endpoint(),), supervisor_required=True,
                             instances=(), ports=(), pm2=None)
            config = Config(targets=(target,), default_target=target.name,
                            state_dir=str(root / "state"), source=str(app.env_path))
            time.sleep(3)
            results.append(measure(config, "laravel healthy idle"))
            note = cache_check(config)
            print(f"    {note}", flush=True)
            notes.append(("" if note.split(": ")[1] in ("OK", "UNKNOWN") else "WRONG: ") + note)
            for fault in LARAVEL_FAULTS:
                fault.make(app)
                results.append(measure(config, f"laravel {fault.label}"))
                if fault.heal is not None:
                    fault.heal(app)
            results.append(measure(config, "laravel healed, idle"))
        finally:
            app.stop()
    finally:
        redis_server.stop()
        shutil.rmtree(root, ignore_errors=True)
    summary(results, notes)


def main() -> None:
    parser = argparse.ArgumentParser()
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("-c", "--config", help="a stack of yours (read only)")
    mode.add_argument("--laravel", action="store_true",
                      help="a real Laravel app with real workers, MySQL and Redis")
    args = parser.parse_args()
    if args.config:
        result = measure(load_config(args.config), args.config)
        summary([result], [])
    elif args.laravel:
        laravel()
    else:
        simulated()


if __name__ == "__main__":
    main()

"""Faults on demand for a running simulated stack — each one a real failure, not a flag the
monitor is told about: a stopped process, a broken program, rows in the database, sessions
deleted from an instance, an instance that answers slowly or with garbage."""

from __future__ import annotations

import json
import random
import time
import uuid
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from blazz_tui.clients.dbconn import connect, parse_database_url
from blazz_tui.sim import pm2 as sim_pm2
from blazz_tui.sim.layout import Layout
from blazz_tui.sim.programs import supervisor_for


class FaultError(Exception):
    """The fault could not be applied; the message says why."""


def rpc(layout: Layout) -> Any:
    """An XML-RPC proxy to the stack's supervisord."""
    return supervisor_for(layout).rpc()


def _processes(layout: Layout, program: str) -> list[str]:
    infos = rpc(layout).supervisor.getAllProcessInfo()
    names = [f"{i['group']}:{i['name']}" for i in infos
             if i["name"] == program or i["name"].startswith(f"{program}_")
             or i["group"] == program]
    if not names:
        known = sorted({i["name"].rsplit("_", 1)[0] for i in infos})
        raise FaultError(f"no program {program!r} in the stack (programs: {', '.join(known)})")
    return names


def _instance_port(layout: Layout, which: str) -> int:
    port = int(which.removeprefix("wa-")) if which.removeprefix("wa-").isdigit() else -1
    if port in layout.instance_ports:
        return port
    if port in range(1, len(layout.instance_ports) + 1):  # 1..4 also names an instance
        return layout.instance_ports[port - 1]
    raise FaultError(f"no instance {which!r} (instances: "
                     f"{', '.join(str(p) for p in layout.instance_ports)})")


def _fault_file(layout: Layout, port: int) -> Path:
    return layout.state_dir / f"{layout.instance_name(port)}.fault.json"


def _broken_flag(layout: Layout, program: str) -> Path:
    return layout.path / "faults" / f"{program}.broken"


# -- the faults -----------------------------------------------------------------------------

def kill_instance(layout: Layout, which: str) -> str:
    port = _instance_port(layout, which)
    if layout.pm2:  # stopped through PM2, so it does not restart it
        sim_pm2.run(layout, "stop", layout.pm2_name(port))
        return f"instance {port} stopped (pm2 stop {layout.pm2_name(port)}); it stays down " \
               "until `sim heal`"
    proxy = rpc(layout)
    for name in _processes(layout, f"blazz-whatsapp-{port}"):
        # Stopped through supervisord, so autorestart does not bring it straight back.
        proxy.supervisor.stopProcess(name, True)
    return f"instance {port} killed; it stays down until `sim heal`"


def stop_worker(layout: Layout, program: str) -> str:
    proxy = rpc(layout)
    names = _processes(layout, program)
    for name in names:
        proxy.supervisor.stopProcess(name, True)
    return f"stopped {', '.join(names)}"


def break_worker(layout: Layout, program: str, how: str = "transient") -> str:
    """Make a program exit at once on start until supervisord gives up: FATAL. Then the cause
    passes (``transient``: the fault waits for FATAL and lifts it, so a restart brings the
    program back, as after a deploy's half-written vendor/) or stays (``always``)."""
    if how not in ("transient", "always"):
        raise FaultError(f"break-worker: {how!r} is neither transient nor always")
    names = _processes(layout, program)
    flag = _broken_flag(layout, program)
    flag.parent.mkdir(parents=True, exist_ok=True)
    flag.write_text("broken by blazz-tui sim fault\n")
    proxy = rpc(layout)
    for name in names:
        try:
            proxy.supervisor.signalProcess(name, "KILL")
        except xmlrpc.client.Fault as exc:
            if "NOT_RUNNING" not in exc.faultString:
                raise  # not running: it fails on its next start
    if how == "always":
        return f"{program} broken: it will exit on start and go FATAL within a few seconds"
    deadline = time.monotonic() + FATAL_WAIT
    while time.monotonic() < deadline:
        states = {i["statename"] for i in proxy.supervisor.getAllProcessInfo()
                  if f"{i['group']}:{i['name']}" in names}
        if states == {"FATAL"}:
            flag.unlink(missing_ok=True)
            return f"{program} is FATAL; the cause has passed: a restart brings it back"
        time.sleep(0.2)
    return f"{program} broken, not FATAL after {FATAL_WAIT:g} s: it stays broken until `sim heal`"


FATAL_WAIT = 60.0
"""Seconds break-worker waits for supervisord to give up on the program."""


def flood_queue(layout: Layout, queue: str, count: str = "5000") -> str:
    n = _positive(count, "count")
    now = int(time.time())
    payload = json.dumps({"uuid": "", "displayName": "App\\Jobs\\SendCampaignMessage",
                          "job": "Illuminate\\Queue\\CallQueuedHandler@call", "data": {}})
    rows = [(queue, payload.replace('""', f'"{uuid.uuid4()}"', 1), 0, now, now)
            for _ in range(n)]
    with _db(layout) as (conn, mark):
        conn.cursor().executemany(
            "INSERT INTO jobs (queue, payload, attempts, available_at, created_at) "
            f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})", rows)
    return f"{n:,} jobs added to {queue}"


def drift(layout: Layout, count: str = "10") -> str:
    """Point N connected accounts at an instance that does not host their session."""
    n = _positive(count, "count")
    urls = [f"http://localhost:{p}" for p in layout.instance_ports]
    with _db(layout) as (conn, mark):
        cur = conn.cursor()
        cur.execute("SELECT id, assigned_instance_url FROM whatsapp_accounts "
                    "WHERE status = 'connected' AND assigned_instance_url IS NOT NULL")
        rows = cur.fetchall()
        chosen = random.sample(rows, min(n, len(rows)))
        for account_id, url in chosen:
            others = [u for u in urls if u.rsplit(":", 1)[-1] != str(url).rsplit(":", 1)[-1]]
            cur.execute(f"UPDATE whatsapp_accounts SET assigned_instance_url = {mark} "
                        f"WHERE id = {mark}", (random.choice(others), account_id))
    return f"{len(chosen)} accounts now point at the wrong instance"


def lose_sessions(layout: Layout, count: str = "3") -> str:
    """End N sessions on their instances while the database still says connected."""
    n = _positive(count, "count")
    lost = 0
    headers = {"X-Api-Key": layout.api_key}
    with httpx.Client(timeout=3.0, headers=headers) as client:
        for port in layout.instance_ports:
            if lost >= n:
                break
            try:
                body = client.get(f"{layout.instance_url(port)}/health/sessions").json()
            except (httpx.HTTPError, ValueError):
                continue
            for session in body.get("sessions", []):
                if lost >= n:
                    break
                sid = session.get("sessionId")
                if sid and client.delete(f"{layout.instance_url(port)}/api/sessions/{sid}"
                                         ).status_code < 300:
                    lost += 1
    return f"{lost} sessions ended on their instances; the database still says connected"


def skew(layout: Layout, count: str = "30", which: str = "1") -> str:
    """Move COUNT sessions from the other instances onto one (keeping their auth, and the
    database in step): a distribution a rebalance must even out."""
    n = _positive(count, "count")
    port = _instance_port(layout, which)
    target = layout.instance_url(port)
    moved = 0
    with httpx.Client(timeout=5.0, headers={"X-Api-Key": layout.api_key}) as client, \
            _db(layout) as (conn, mark):
        cur = conn.cursor()
        others = [p for p in layout.instance_ports if p != port]
        while moved < n and others:
            source = others[moved % len(others)]
            try:
                listed = client.get(f"{layout.instance_url(source)}/health/sessions").json()
            except (httpx.HTTPError, ValueError):
                listed = {}  # down or broken: it gives nothing
            hosted = [s for s in listed.get("sessions", []) if s.get("status") == "CONNECTED"]
            if not hosted:
                others.remove(source)
                continue
            session = hosted[0]
            sid = session["sessionId"]
            client.post(f"{layout.instance_url(source)}/api/sessions/{sid}/stop")
            client.post(f"{target}/api/sessions",
                        json={"sessionId": sid, "accountUuid": session.get("accountUuid")})
            cur.execute(f"UPDATE whatsapp_accounts SET assigned_instance_url = {mark} "
                        f"WHERE session_id = {mark}", (f"http://localhost:{port}", sid))
            moved += 1
    return f"{moved} sessions moved onto instance {port}"


def redis_down(layout: Layout) -> str:
    if layout.redis_port is None:
        raise FaultError("this stack runs without Redis (no redis-server installed)")
    for name in _processes(layout, "redis"):
        rpc(layout).supervisor.stopProcess(name, True)
    return "redis stopped"


def slow_instance(layout: Layout, which: str, delay: str = "5") -> str:
    port = _instance_port(layout, which)
    seconds = float(_positive(delay, "delay"))
    _fault_file(layout, port).write_text(json.dumps({"mode": "slow", "delay": seconds}))
    return f"instance {port} now answers after {seconds:g} s"


def garbage_instance(layout: Layout, which: str) -> str:
    port = _instance_port(layout, which)
    _fault_file(layout, port).write_text(json.dumps({"mode": "garbage"}))
    return f"instance {port} now answers garbage"


def _sends(layout: Layout, **fault: float) -> None:
    path = layout.state_dir / "sends.fault.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**current, **fault}))


def slow_sends(layout: Layout, ms: str = "400") -> str:
    delay = _positive(ms, "milliseconds")
    _sends(layout, delay_ms=delay)
    return f"every message now takes {delay} ms more to send"


def fail_sends(layout: Layout, percent: str = "20") -> str:
    share = _positive(percent, "percent")
    if share > 100:
        raise FaultError(f"percent must be at most 100, not {share}")
    _sends(layout, fail_pct=share)
    return f"{share} % of messages now fail to send"


def heal(layout: Layout) -> str:
    """Undo every fault that has state: fault files, broken flags, stopped or FATAL programs.
    Data faults (flood, drift, lost sessions) heal the way they do in production: workers
    drain, the scheduled sync fixes drift, lost sessions need a rescan."""
    for path in layout.state_dir.glob("*.fault.json"):  # sends.fault.json among them
        path.unlink()
    for flag in (layout.path / "faults").glob("*.broken"):
        flag.unlink()
    proxy = rpc(layout)
    started = []
    for info in proxy.supervisor.getAllProcessInfo():
        if info["statename"] in ("STOPPED", "FATAL", "EXITED", "BACKOFF"):
            name = f"{info['group']}:{info['name']}"
            try:
                proxy.supervisor.startProcess(name, False)
            except xmlrpc.client.Fault:
                continue  # already starting: supervisord will finish it
            started.append(info["name"])
    if layout.pm2:
        for name in sim_pm2.stopped(layout):
            sim_pm2.run(layout, "start", name)
            started.append(name)
    return "healed" + (f"; started {', '.join(started)}" if started else "")


@dataclass(frozen=True)
class Fault:
    run: Callable[..., str]
    usage: str
    help: str


FAULTS: dict[str, Fault] = {
    "kill-instance": Fault(kill_instance, "PORT", "kill an instance; it stays down"),
    "stop-worker": Fault(stop_worker, "PROGRAM", "stop a queue worker program"),
    "break-worker": Fault(break_worker, "PROGRAM [transient|always]",
                          "make a program exit on start: FATAL (transient: until then)"),
    "flood-queue": Fault(flood_queue, "QUEUE [COUNT]", "add COUNT jobs (default 5000)"),
    "drift": Fault(drift, "[COUNT]", "scramble assigned_instance_url of COUNT accounts"),
    "lose-sessions": Fault(lose_sessions, "[COUNT]", "end COUNT sessions on their instances"),
    "skew": Fault(skew, "[COUNT] [PORT]", "move COUNT sessions (30) onto one instance"),
    "redis-down": Fault(redis_down, "", "stop Redis"),
    "slow-instance": Fault(slow_instance, "PORT [SECONDS]", "answer after SECONDS (5)"),
    "garbage-instance": Fault(garbage_instance, "PORT", "answer with garbage"),
    "slow-sends": Fault(slow_sends, "[MS]", "every message takes MS (400) longer to send"),
    "fail-sends": Fault(fail_sends, "[PERCENT]", "PERCENT (20) of messages fail to send"),
}


def apply(layout: Layout, name: str, args: list[str]) -> str:
    fault = FAULTS.get(name)
    if fault is None:
        raise FaultError(f"unknown fault {name!r}; faults: {', '.join(FAULTS)}")
    try:
        return fault.run(layout, *args)
    except TypeError:
        raise FaultError(f"usage: sim fault {name} {fault.usage}".rstrip()) from None
    except (OSError, xmlrpc.client.Error, httpx.HTTPError, sim_pm2.Pm2Error) as exc:
        raise FaultError(f"{name}: the stack did not answer: {exc}") from exc


def _positive(text: str, what: str) -> int:
    try:
        number = float(text)
        value = int(number)
    except (ValueError, OverflowError):
        raise FaultError(f"{what} must be a positive, finite number, not {text!r}") from None
    if value <= 0 or number != number:
        raise FaultError(f"{what} must be a positive, finite number, not {text!r}")
    return value


class _db:
    """A short-lived connection to the stack's database with its parameter marker."""

    def __init__(self, layout: Layout) -> None:
        self._url = parse_database_url(layout.database_url)

    def __enter__(self) -> tuple[Any, str]:
        self._conn = connect(self._url, timeout=5.0, autocommit=True)
        return self._conn, "?" if self._url.engine == "sqlite" else "%s"

    def __exit__(self, *exc: object) -> None:
        self._conn.close()

"""Restart, start or stop PM2 processes, and the rolling restart of the instances PM2 runs.

Named as the Services rows are keyed (``pm2/whatsapp-3001``) or ``pm2:whatsapp-3001`` on
the command line (or ``whatsapp-3001`` alone where supervisord has no such name:
``programs.route``). A restart waits until PM2 reports the process online past its first second,
or errored. The rolling restart is seed 002's rule, "don't restart all instances
simultaneously": one instance at a time, the next only once the last answers ``/health`` and
every session it had CONNECTED is CONNECTED again; it stops at the first that does not.
"""

from __future__ import annotations

import asyncio
import difflib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from blazz_tui.actions.model import Change, Plan, Progress, Result
from blazz_tui.actions.run import ActionEnv
from blazz_tui.clients.http import httpx
from blazz_tui.clients.instance_api import InstanceApi, InstanceError
from blazz_tui.settings import InstanceConfig, Pm2Config
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.pm2 import NO_DAEMON, NO_PM2, Pm2Process, Pm2Source, pm2_argv

ROLLING = "rolling-restart"
UP_FOR = 1.0
"""Seconds a restarted process must have been online: PM2's own min_uptime."""


def is_pm2(name: str) -> bool:
    return name.startswith(("pm2/", "pm2:"))


@dataclass(frozen=True)
class Pm2Ref:
    name: str
    status: str
    pid: int
    instance: InstanceConfig | None = None
    """The instance it runs (a rolling restart waits for it)."""


def plan(verb: str, snapshot: Snapshot, names: Sequence[str]) -> Plan:
    title = f"{verb.capitalize()} "
    found, why = _processes(snapshot)
    if why:
        return Plan(verb, snapshot.target, title + "PM2 processes", refused=why)
    chosen: dict[str, Pm2Process] = {}
    for raw in names:
        name = raw[4:]
        proc = next((p for p in found if p.name == name), None)
        if proc is None:
            names_ = sorted(p.name for p in found)
            close = difflib.get_close_matches(name, names_, n=3)
            hint = f" — did you mean {' or '.join(f'pm2:{c}' for c in close)}?" if close else ""
            return Plan(verb, snapshot.target, title + raw,
                        refused=f"PM2 has no process {name!r} (it has: "
                                f"{', '.join(names_) or 'none'}){hint}")
        chosen[name] = proc
    changes = tuple(Change(p.name, f"{verb} ({p.status}{f', pid {p.pid}' if p.pid else ''})",
                           Pm2Ref(p.name, p.status, p.pid)) for p in chosen.values())
    what = changes[0].subject if len(changes) == 1 else f"{len(changes)} PM2 processes"
    return Plan(verb, snapshot.target, title + what, changes)


def plan_rolling(snapshot: Snapshot, instances: tuple[InstanceConfig, ...]) -> Plan:
    """Every instance PM2 runs (matched by port), one after the other."""
    title = "Rolling restart of the instances"
    found, why = _processes(snapshot)
    if why:
        return Plan(ROLLING, snapshot.target, title, refused=why)
    by_port = {p.port: p for p in found if p.port is not None}
    changes = []
    for inst in instances:
        proc = by_port.get(urlsplit(inst.url).port or 0)
        if proc is not None:
            changes.append(Change(f"{inst.name} ({proc.name})",
                                  "restart, then wait for /health and its sessions",
                                  Pm2Ref(proc.name, proc.status, proc.pid, inst)))
    if not changes:
        return Plan(ROLLING, snapshot.target, title,
                    refused="no instance runs under PM2 here (matched by the PORT of its "
                            "process)")
    return Plan(ROLLING, snapshot.target, title, tuple(changes),
                ("one at a time: the next only when the last answers and its sessions are "
                 "CONNECTED again; it stops at the first that is not",))


def _processes(snapshot: Snapshot) -> tuple[tuple[Pm2Process, ...], str | None]:
    pm2 = snapshot.pm2
    if pm2 is None:
        return (), "PM2 is switched off for this target (pm2 = false)"
    if pm2.error is not None:
        return (), f"PM2 could not be read: {pm2.error}"
    if pm2.absent is not None:
        return (), pm2.absent
    return pm2.processes, None


async def execute(plan: Plan, env: ActionEnv, progress: Progress) -> Result:
    pm2 = _Pm2(env)
    outcomes = [await pm2.act(plan.action, change.data, progress) for change in plan.changes]
    return Result(plan, done=tuple(line for ok, line in outcomes if ok),
                  failed=tuple(line for ok, line in outcomes if not ok))


async def execute_rolling(plan: Plan, env: ActionEnv, progress: Progress) -> Result:
    pm2 = _Pm2(env)
    instances = InstanceApi(env.target.instances, env.transport,
                                env.target.poll.instances.timeout)
    done: list[str] = []
    try:
        for i, change in enumerate(plan.changes):
            ref: Pm2Ref = change.data
            assert ref.instance is not None
            before = await _connected(instances, ref.instance)
            ok, line = await pm2.act("restart", ref, progress)
            if ok:
                progress(f"{ref.instance.name}: waiting for /health and "
                         f"{len(before)} sessions…")
                ok, line = await _back(instances, ref.instance, before,
                                       env.target.rebalance.connect_timeout)
            if not ok:
                left = [c.subject for c in plan.changes[i + 1:]]
                skipped = (f"not restarted (the roll stopped): {', '.join(left)}",) \
                    if left else ()
                return Result(plan, done=tuple(done), failed=(line, *skipped))
            done.append(line)
            progress(line)
    finally:
        await instances.close()
    return Result(plan, done=tuple(done))


async def _connected(instances: InstanceApi, inst: InstanceConfig) -> set[str]:
    """The sessions the instance has CONNECTED now (none when it does not answer)."""
    try:
        code, body = await instances.call(inst, "GET", "/health/sessions")
    except (httpx.HTTPError, InstanceError, OSError, TimeoutError):
        return set()
    sessions = body.get("sessions") if code == 200 and isinstance(body, dict) else None
    return {str(s.get("sessionId")) for s in sessions or ()
            if isinstance(s, dict) and s.get("status") == "CONNECTED"}


async def _back(instances: InstanceApi, inst: InstanceConfig, before: set[str],
                timeout: float) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout
    now: set[str] = set()
    answered = False
    while time.monotonic() < deadline:
        try:
            code, _ = await instances.call(inst, "GET", "/health")
        except (httpx.HTTPError, InstanceError, OSError, TimeoutError):
            code = 0
        if code == 200:
            answered = True
            now = await _connected(instances, inst)
            if before <= now:
                return True, (f"{inst.name}: answers, {len(before)} sessions CONNECTED "
                              f"again")
        await asyncio.sleep(0.25)
    if not answered:
        return False, f"{inst.name}: no answer from /health after {timeout:g} s"
    return False, (f"{inst.name}: {len(before - now)} of {len(before)} sessions not "
                   f"CONNECTED again after {timeout:g} s")


class _Pm2:
    def __init__(self, env: ActionEnv) -> None:
        self.env = env
        self.config = env.target.pm2 or Pm2Config()
        self.settle = env.actions.settle_timeout

    async def act(self, verb: str, ref: Pm2Ref, progress: Progress) -> tuple[bool, str]:
        progress(f"pm2 {verb} {ref.name}…")
        try:
            result = await self.env.transport.run(pm2_argv(self.config, verb, ref.name),
                                                  self.settle)
        except (OSError, TimeoutError) as exc:
            return False, f"{ref.name}: pm2 {verb}: {exc or 'timed out'}"
        head = result.stdout.partition("\n")[0]
        if head.startswith((NO_DAEMON, NO_PM2)) or result.exit_code != 0:
            why = (result.stderr.strip().splitlines() or [head or f"exit {result.exit_code}"])
            return False, f"{ref.name}: pm2 {verb} failed: {why[-1][:200]}"
        return await self._settled(verb, ref)

    async def _settled(self, verb: str, ref: Pm2Ref) -> tuple[bool, str]:
        source = Pm2Source(self.config, self.env.transport, self.settle)
        deadline = time.monotonic() + self.settle
        proc: Pm2Process | None = None
        while time.monotonic() < deadline:
            reading = await source.read()
            proc = next((p for p in reading.processes if p.name == ref.name), None)
            if proc is not None:
                if verb == "stop" and proc.status == "stopped":
                    return True, f"{ref.name}: stopped"
                if verb != "stop" and proc.status == "errored":
                    return False, f"{ref.name}: errored after {verb} ({proc.restarts} restarts)"
                if verb != "stop" and proc.status == "online" and proc.pid != ref.pid \
                        and (proc.uptime or 0.0) >= UP_FOR:
                    return True, f"{ref.name}: online, pid {proc.pid}"
            await asyncio.sleep(0.25)
        state = proc.status if proc else "gone from PM2's list"
        return False, f"{ref.name}: still {state} after {self.settle:g} s"

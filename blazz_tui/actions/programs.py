"""Start, stop or restart supervisord programs: named as ``supervisorctl`` takes them
(``group:program``, ``group:*``, a group, a program alone when unambiguous), or every worker
of a queue. A restart waits until each program settles; one that goes FATAL or BACKOFF is
reported with the end of its stderr. A name alone that only PM2 runs is PM2's (``route``)."""

from __future__ import annotations

import asyncio
import difflib
import re
import time
import xmlrpc.client
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from blazz_tui.actions.model import Change, Plan, Progress, Result
from blazz_tui.actions.run import ActionEnv
from blazz_tui.clients.supervisor_rpc import RPC_ERRORS, SupervisorClient, Supervisors
from blazz_tui.settings import SupervisorEndpoint
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.supervisor import (
    PROCESS_TABLE,
    EndpointReading,
    ProcessInfo,
)

VERBS = ("restart", "start", "stop")
SETTLED = {"RUNNING", "FATAL", "BACKOFF", "EXITED", "STOPPED"}
"""Where a start ends: running (past its startsecs), or failed."""
STOPPED_STATES = {"STOPPED", "EXITED", "FATAL"}
FAILED_STATES = {"FATAL", "BACKOFF", "EXITED"}
STDERR_TAIL = 1600
"""Bytes of a failed program's stderr read for its result…"""
STDERR_LINES = 4
"""…and how many of its last distinct lines are shown."""


@dataclass(frozen=True)
class ProgramRef:
    endpoint: str
    full_name: str
    state: str


def plan(verb: str, snapshot: Snapshot, names: Sequence[str] = (),
         queues: Sequence[str] = ()) -> Plan:
    """Which programs ``verb`` would act on; refused for names that match nothing or more
    than one program, and when supervisord could not be read just now."""
    title = f"{verb.capitalize()} "
    supervisor = snapshot.supervisor
    if supervisor is None:
        return Plan(verb, snapshot.target, title + "programs",
                    refused="no supervisord is configured for this target")
    if not supervisor.ok:
        return Plan(verb, snapshot.target, title + "programs",
                    refused=f"supervisord could not be read: {supervisor.error}")
    processes = _processes(snapshot)
    chosen: dict[tuple[str, str], ProcessInfo] = {}
    for name in names:
        found, why = _match(name, processes, _pm2_names(snapshot))
        if why:
            return Plan(verb, snapshot.target, title + name, refused=why)
        chosen.update({(p.endpoint, p.full_name): p for p in found})
    for queue in queues:
        workers = [p for p in processes if queue in p.queues]
        if not workers:
            return Plan(verb, snapshot.target, f"{title}the workers of queue {queue}",
                        refused=f"no supervisord program serves queue {queue!r}"
                                + _table_hint(supervisor.endpoints))
        chosen.update({(p.endpoint, p.full_name): p for p in workers})
    if not chosen:
        return Plan(verb, snapshot.target, title + "programs", refused="no program named")
    changes = tuple(Change(p.full_name, _what(verb, p),
                           ProgramRef(p.endpoint, p.full_name, p.state))
                    for p in chosen.values())
    what = (f"the {len(changes)} workers of queue{'s' if len(queues) > 1 else ''} "
            f"{', '.join(queues)}" if queues and not names
            else changes[0].subject if len(changes) == 1 else f"{len(changes)} programs")
    endpoints = {p.endpoint for p in chosen.values()}
    notes = (f"on supervisord {', '.join(sorted(endpoints))}",) if len(
        [e for e in supervisor.endpoints if e.name != PROCESS_TABLE]) > 1 else ()
    return Plan(verb, snapshot.target, title + what, changes, notes)


def route(names: Sequence[str], snapshot: Snapshot) -> tuple[tuple[str, ...], str | None]:
    """The names with each one that only PM2 runs as ``pm2:NAME`` (seed 002's runbook says
    ``pm2 restart whatsapp-3001``), and why they cannot be acted on: a name both supervisord
    and PM2 have, one PM2 has while supervisord could not be read, one neither has (named
    with the close matches)."""
    pm2_names = _pm2_names(snapshot)
    processes = _processes(snapshot)
    supervisor = snapshot.supervisor
    routed = []
    for name in names:
        if not _bare(name):
            routed.append(name)
            continue
        found = _named(name, processes)
        if name in pm2_names and found:
            theirs = _as_supervisorctl(name, found)
            return (), (f"{name!r} is both supervisord's {theirs} and PM2's {name}: name it "
                        f"pm2:{name} or {theirs}")
        if name in pm2_names and supervisor is not None and not supervisor.ok:
            return (), (f"supervisord could not be read ({supervisor.error}), so {name!r} may "
                        f"be its program too: name it pm2:{name} for PM2's")
        if name in pm2_names:
            routed.append(f"pm2:{name}")
        elif not found and pm2_names and (supervisor is None or supervisor.ok):
            return (), _unknown(name, processes, pm2_names)
        else:
            routed.append(name)  # supervisord's, or refused by plan() as such
    return tuple(routed), None


def _unknown(name: str, processes: Sequence[ProcessInfo], pm2_names: Sequence[str] = ()) -> str:
    """The refusal of a name that matches nothing: the groups there are, PM2's processes,
    and the names close to it."""
    groups = sorted({p.group for p in processes})
    known = f"groups: {', '.join(groups) or 'none'}" + (
        f"; PM2: {', '.join(sorted(pm2_names))}" if pm2_names else "")
    words = {w for p in processes
             for w in (p.group, p.name, p.full_name, re.sub(r"_\d+$", "", p.name))}
    close = difflib.get_close_matches(name, sorted(words | set(pm2_names)), n=3)
    hint = f" — did you mean {' or '.join(close)}?" if close else ""
    return f"no program {name!r} ({known}){hint}"


def _bare(name: str) -> bool:
    """A name with neither a group nor an endpoint nor ``pm2:``: supervisord's or PM2's."""
    return ":" not in name and "/" not in name


def _as_supervisorctl(name: str, found: Sequence[ProcessInfo]) -> str:
    """How supervisorctl is told the programs ``name`` matched, group and all."""
    if len(found) == 1:
        return found[0].full_name
    if len({p.group for p in found}) == 1 and found[0].group == name:
        return f"{name}:*"
    return ", ".join(sorted(p.full_name for p in found))


def _processes(snapshot: Snapshot) -> list[ProcessInfo]:
    """supervisord's programs, from the endpoints that answered."""
    supervisor = snapshot.supervisor
    if supervisor is None:
        return []
    return [p for e in supervisor.endpoints if e.error is None and e.name != PROCESS_TABLE
            for p in e.processes]


def _pm2_names(snapshot: Snapshot) -> tuple[str, ...]:
    """The processes PM2 runs, where it was read."""
    pm2 = snapshot.pm2
    return tuple(p.name for p in pm2.processes) if pm2 is not None and pm2.error is None \
        else ()


def _match(name: str, processes: list[ProcessInfo], pm2_names: Sequence[str] = ()
           ) -> tuple[list[ProcessInfo], str | None]:
    endpoint, slash, rest = name.partition("/")
    if slash:  # endpoint/group:name, as the dashboard's rows are keyed
        processes = [p for p in processes if p.endpoint == endpoint]
        name = rest
    found = _named(name, processes)
    colon = ":" in name
    if not found:
        return [], _unknown(name, processes, pm2_names)
    if not colon and len({p.group for p in found}) > 1:
        return [], (f"{name!r} is ambiguous: {', '.join(sorted(p.full_name for p in found))}"
                    " — name it as group:program")
    if len({p.endpoint for p in found}) > 1:
        return [], (f"{name!r} is on more than one supervisord "
                    f"({', '.join(sorted({p.endpoint for p in found}))}): restart each there")
    return found, None


def _named(name: str, processes: Sequence[ProcessInfo]) -> list[ProcessInfo]:
    """Every program ``name`` names, as supervisorctl reads it (ambiguous or not)."""
    group, colon, proc = name.partition(":")
    if colon:
        return [p for p in processes if p.group == group and proc in ("*", p.name)]
    numbered = re.compile(rf"{re.escape(name)}_\d+")  # numprocs' process_name
    return [p for p in processes if p.group == name] or [
        p for p in processes if p.name == name] or [
        p for p in processes if numbered.fullmatch(p.name)]


def _table_hint(endpoints: Sequence[EndpointReading]) -> str:
    if any(e.name == PROCESS_TABLE for e in endpoints):
        return " (the workers found in the process table are not supervisord's to restart)"
    return ""


def _what(verb: str, p: ProcessInfo) -> str:
    pid = f", pid {p.pid}" if p.pid else ""
    return f"{verb} ({p.state}{pid})"


async def execute(plan: Plan, env: ActionEnv, progress: Progress) -> Result:
    rpc = Supervisors(env.transport, env.target.poll.supervisor.timeout)
    endpoints = {e.name: e for e in env.target.supervisor}
    try:
        outcomes = [await _one(plan.action, c.data, rpc, endpoints[c.data.endpoint],
                               env.actions.settle_timeout, progress) for c in plan.changes]
    finally:
        await rpc.close()
    return Result(plan, done=tuple(line for ok, line in outcomes if ok is True),
                  failed=tuple(line for ok, line in outcomes if ok is False),
                  unknown=tuple(line for ok, line in outcomes if ok is None))


async def _one(verb: str, ref: ProgramRef, rpc: Supervisors, ep: SupervisorEndpoint,
               settle: float, progress: Progress) -> tuple[bool | None, str]:
    """(True: done, False: failed, None: not known, said why) and the line to say it."""
    progress(f"{verb} {ref.full_name}…")
    before: dict[str, object] | None = None
    try:
        client = await rpc.client(ep)
        before = await client.call("supervisor.getProcessInfo", ref.full_name)
        if verb in ("stop", "restart"):
            # Not waited for in the call: a worker finishing its job (stopwaitsecs) takes
            # longer than one XML-RPC exchange may.
            await _ignoring(client.call("supervisor.stopProcess", ref.full_name, False),
                            "NOT_RUNNING")
            state = await _settle(client, ref.full_name, settle, STOPPED_STATES)
            if state not in STOPPED_STATES:
                return False, f"{ref.full_name}: still {state} after {settle:g} s"
        if verb == "stop":
            return True, f"{ref.full_name}: {state}"
        await _ignoring(client.call("supervisor.startProcess", ref.full_name, False),
                        "ALREADY_STARTED")
        state = await _settle(client, ref.full_name, settle, SETTLED)
        if state in FAILED_STATES:
            tail = await _stderr(client, ref.full_name)
            return False, f"{ref.full_name}: {state} after {verb}" + (f"\n{tail}" if tail else "")
        if state not in SETTLED:
            return False, f"{ref.full_name}: still {state} after {settle:g} s"
        return True, f"{ref.full_name}: {state}"
    except xmlrpc.client.Fault as exc:
        return False, f"{ref.full_name}: supervisord refused: {exc.faultString}"
    except (TimeoutError, ValueError, *RPC_ERRORS) as exc:
        why = rpc.describe_failure(exc, ep)
        if before is None:  # nothing was asked of supervisord yet: nothing was done
            return False, f"{ref.full_name}: {why}"
        progress(f"{ref.full_name}: {why} — reading its state again…")
        return await _read_again(verb, ref, rpc, ep, before, settle, why)


async def _read_again(verb: str, ref: ProgramRef, rpc: Supervisors, ep: SupervisorEndpoint,
                      before: dict[str, object], settle: float,
                      why: str) -> tuple[bool | None, str]:
    """After a failure mid-action (a lost link, a timeout) the request may or may not have
    reached supervisord: what happened is read again once it answers — within ``settle``
    seconds — and said as such; unknown if it does not answer by then."""
    wanted = STOPPED_STATES if verb == "stop" else SETTLED
    deadline = time.monotonic() + settle
    info: dict[str, object] | None = None
    while True:  # until it answers, and then until the program settles
        try:
            info = await (await rpc.client(ep)).call("supervisor.getProcessInfo",
                                                     ref.full_name)
        except xmlrpc.client.Fault as exc:
            return None, f"{ref.full_name}: outcome unknown — {why}; then: {exc.faultString}"
        except (TimeoutError, ValueError, *RPC_ERRORS):
            pass
        if info is not None and info.get("statename") in wanted \
                or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.5)
    if info is None:
        return None, (f"{ref.full_name}: outcome unknown — {why}; not answering {settle:g} s "
                      f"later: check it before acting again")
    state, pid = str(info.get("statename", "UNKNOWN")), info.get("pid") or None
    restarted = state == "RUNNING" and info.get("start") != before.get("start")
    done = {"stop": state in STOPPED_STATES, "start": state == "RUNNING",
            "restart": restarted}[verb]
    seen = f"{state}" + (f", pid {pid}" if pid else "")
    if done:
        return True, f"{ref.full_name}: {seen} (read again after: {why})"
    return False, f"{ref.full_name}: {seen}, not {_DONE[verb]} (read again after: {why})"


_DONE = {"stop": "stopped", "start": "started", "restart": "restarted"}


async def _ignoring(call: Awaitable[object], fault: str) -> None:
    try:
        await call
    except xmlrpc.client.Fault as exc:
        if fault not in exc.faultString:
            raise


async def _settle(client: SupervisorClient, full_name: str, settle: float,
                  states: set[str]) -> str:
    """The program's state once it is in one of ``states``, or what it is when ``settle``
    seconds have passed."""
    deadline = time.monotonic() + settle
    while True:
        info = await client.call("supervisor.getProcessInfo", full_name)
        state = str(info.get("statename", "UNKNOWN"))
        if state in states or time.monotonic() >= deadline:
            return state
        await asyncio.sleep(0.25)


async def _stderr(client: SupervisorClient, full_name: str) -> str:
    """The end of its stderr log, or of stdout when stderr goes there (redirect_stderr)."""
    text = ""
    for method in ("supervisor.tailProcessStderrLog", "supervisor.tailProcessStdoutLog"):
        try:
            text, _offset, _overflow = await client.call(method, full_name, 0, STDERR_TAIL)
        except xmlrpc.client.Fault:
            continue  # NO_FILE: no such log
        except (TimeoutError, *RPC_ERRORS):
            return ""
        if str(text).strip():
            break
    lines: list[list[object]] = []  # [line, times] with repeats folded
    for line in str(text).strip().splitlines()[1:]:  # the first may be cut in the middle
        if lines and lines[-1][0] == line:
            lines[-1][1] = int(str(lines[-1][1])) + 1
        else:
            lines.append([line, 1])
    return "\n".join(f"    {line}" + (f"  (×{times})" if times != 1 else "")
                     for line, times in lines[-STDERR_LINES:])

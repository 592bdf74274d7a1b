"""Which actions apply to what the operator selected, and the plan of the one chosen: the
same for the ``x`` menu, the direct keys and the palette."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from blazz_tui.actions import pm2, programs, rebalance, sync
from blazz_tui.actions.model import Plan
from blazz_tui.actions.run import ActionEnv, Execute, refusal
from blazz_tui.correlation import instance_program
from blazz_tui.fmt import plural
from blazz_tui.selection import Selection
from blazz_tui.settings import InstanceConfig
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.supervisor import PROCESS_TABLE


@dataclass(frozen=True)
class Offer:
    label: str
    verb: str
    """``restart``, ``start``, ``stop``, ``sync``, ``rebalance`` or ``rolling-restart``."""
    names: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    max_moves: int | None = None
    why_not: str | None = None
    """Why it cannot be chosen here (listed, disabled)."""


SYNC = Offer("Sync instance URLs (point drifted accounts at their instance)", "sync")
REBALANCE = Offer("Rebalance sessions over the instances (none logged out)", "rebalance")
ROLLING = Offer("Rolling restart of the instances PM2 runs (one at a time)", pm2.ROLLING)

Reader = Callable[[tuple[str, ...]], Awaitable[Snapshot]]
"""Gives a snapshot holding (at least) the named sources' readings."""


async def plan_for(offer: Offer, env: ActionEnv, read: Reader) -> tuple[Plan, Execute]:
    """The plan of ``offer`` and how to carry it out; refused before anything is read when
    the target is read-only."""
    why = refusal(env)
    if why:
        return Plan(offer.verb, env.target.name, offer.label, refused=why), programs.execute
    if offer.verb == "rebalance":
        snapshot = await read(("instances", "database"))
        return (rebalance.plan(snapshot, env.target, env.thresholds, offer.max_moves),
                rebalance.execute)
    if offer.verb == "sync":
        if env.actions.sync_mode == "artisan":
            return await sync.plan_artisan(env), sync.execute_artisan
        snapshot = await read(("instances", "database"))
        return sync.plan_native(snapshot, env.target), sync.execute_native
    if offer.verb == pm2.ROLLING:
        snapshot = await read(("pm2",))
        return pm2.plan_rolling(snapshot, env.target.instances), pm2.execute_rolling
    if offer.names and all(pm2.is_pm2(n) for n in offer.names) and not offer.queues:
        snapshot = await read(("pm2",))
        return pm2.plan(offer.verb, snapshot, offer.names), pm2.execute
    if any(pm2.is_pm2(n) for n in offer.names):
        return Plan(offer.verb, env.target.name, offer.label,
                    refused="PM2 processes and supervisord programs are acted on separately: "
                            "name one kind at a time"), programs.execute
    snapshot = await read(("supervisor",))
    return programs.plan(offer.verb, snapshot, offer.names, offer.queues), programs.execute


READ_ONLY = "read-only: this dashboard changes nothing (--read-only or read_only = true)"


def offers(selection: Selection, snapshot: Snapshot,
           read_only: bool = False) -> tuple[Offer, ...]:
    """The actions for the selected rows, the ones that do not apply listed with why — read
    only, every one of them (they all change something)."""
    found: list[Offer] = []
    if selection.panel == "services":
        found += _program_offers(selection.keys, snapshot)
    elif selection.panel == "queues" and selection.keys:
        found += _queue_offers(selection.keys)
    elif selection.panel == "instances" and selection.keys:
        found += _instance_offers(selection.keys[0], snapshot)
    elif selection.panel == "checks" and selection.keys:
        name = selection.keys[0]
        if name.startswith("program:"):
            found += _whole_program_offers(name.removeprefix("program:"), snapshot)
        elif name.startswith("queue:"):
            found += _queue_offers((name.removeprefix("queue:"),))
        elif name.startswith("instance:"):
            found += _instance_offers(name.removeprefix("instance:"), snapshot)
    found += [SYNC, REBALANCE]
    if snapshot.pm2 is not None and snapshot.pm2.processes:
        found.append(ROLLING)
    if read_only:
        found = [replace(o, why_not=READ_ONLY) for o in found]
    return tuple(found)


def heading(selection: Selection, shown: int = 3) -> str:
    """The menu's first line: the rows it acts on, by name."""
    names = [k.partition("/")[2] or k for k in selection.keys]
    if not names:
        return "Actions"
    listed = ", ".join(names[:shown]) + (f" +{len(names) - shown} more"
                                         if len(names) > shown else "")
    if selection.marked:
        return f"Actions on the {plural(len(names), 'marked row')}: {listed}"
    return f"Actions on {listed}"


def _whole_program_offers(full_name: str, snapshot: Snapshot) -> list[Offer]:
    """A program's check stands for the program: a restart acts on every process of it that
    is in the same state (``_00`` and ``_01`` FATAL both), and the one process alone is
    offered after."""
    processes = [p for e in (snapshot.supervisor.endpoints if snapshot.supervisor else ())
                 for p in e.processes]
    this = next((p for p in processes if p.full_name == full_name), None)
    if this is None:
        return _program_offers((full_name,), snapshot)
    program = re.sub(r"_\d+$", "", this.name)
    alike = tuple(f"{p.endpoint}/{p.full_name}" for p in processes
                  if p.endpoint == this.endpoint and p.group == this.group
                  and re.sub(r"_\d+$", "", p.name) == program and p.state == this.state)
    if len(alike) == 1:
        return _program_offers(alike, snapshot)
    whole = [replace(o, label=f"{o.verb.capitalize()} {program} ({len(alike)} processes "
                              f"{this.state})") for o in _program_offers(alike, snapshot)]
    alone = [replace(o, label=o.label + " only")
             for o in _program_offers((f"{this.endpoint}/{this.full_name}",), snapshot)]
    return whole + alone


def _instance_offers(name: str, snapshot: Snapshot) -> list[Offer]:
    """An instance's row offers its program's start, restart and stop (supervisord's or
    PM2's): the fix for an instance that is down is where it is shown."""
    instance = next((i for i in (snapshot.instances.instances if snapshot.instances else ())
                     if i.name == name), None)
    program = instance_program(InstanceConfig(name=instance.name, url=instance.url),
                               snapshot.pm2, snapshot.supervisor) if instance else None
    if program is None:
        return [Offer(f"{verb.capitalize()} the program of {name}", verb,
                      why_not="no supervisord program or PM2 process is known to run it")
                for verb in programs.VERBS]
    if not program.startswith("pm2/"):
        endpoint = next(p.endpoint for e in snapshot.supervisor.endpoints  # type: ignore[union-attr]
                        for p in e.processes if p.full_name == program)
        program = f"{endpoint}/{program}"
    return _program_offers((program,), snapshot)


def restart_offer(selection: Selection, snapshot: Snapshot) -> Offer:
    """What ``R`` restarts: the selected programs, or the workers of the selected queue."""
    for offer in offers(selection, snapshot):
        if offer.verb == "restart":
            return offer
    return Offer("Restart", "restart", why_not="select programs (Services) or a queue (Queues) "
                                               "to restart")


def _program_offers(keys: tuple[str, ...], snapshot: Snapshot) -> list[Offer]:
    managed = tuple(k for k in keys if k.startswith("pm2/"))
    programs_ = managed or tuple(k for k in keys
                                 if not k.startswith(("port/", f"{PROCESS_TABLE}/")))
    why = None
    if not programs_:
        why = ("a port is not a program" if any(k.startswith("port/") for k in keys) else
               "workers found in the process table are not supervisord's to restart"
               if keys else "no program selected")
    elif managed and len(managed) < len(keys):
        why = "PM2 processes and supervisord programs are acted on separately"
    states = _states(programs_, snapshot)
    pointless = {"start": ("already running", {"RUNNING", "STARTING"}),
                 "stop": ("not running", {"STOPPED", "EXITED", "FATAL"})}
    offers_ = []
    for verb in programs.VERBS:
        reason, useless = pointless.get(verb, ("", set()))
        idle = bool(states) and states <= useless
        offers_.append(Offer(f"{verb.capitalize()} {subject(programs_, 'program')}", verb,
                             names=programs_, why_not=why or (reason if idle else None)))
    return offers_


def _states(keys: tuple[str, ...], snapshot: Snapshot) -> set[str]:
    """The states of the selected programs (keys as the Services rows: endpoint/group:name,
    pm2/name), in supervisord's words."""
    wanted = set(keys)
    if snapshot.pm2 is not None and any(k.startswith("pm2/") for k in keys):
        words = {"online": "RUNNING", "stopped": "STOPPED", "errored": "FATAL"}
        return {words.get(p.status, p.status.upper()) for p in snapshot.pm2.processes
                if f"pm2/{p.name}" in wanted}
    supervisor = snapshot.supervisor
    return {p.state for p in supervisor.processes
            if f"{p.endpoint}/{p.full_name}" in wanted or p.full_name in wanted} \
        if supervisor else set()


def _queue_offers(queues: tuple[str, ...]) -> list[Offer]:
    what = f"queue {queues[0]}" if len(queues) == 1 else f"{len(queues)} queues"
    return [Offer(f"{verb.capitalize()} the workers of {what}", verb, queues=queues)
            for verb in ("restart", "start")]


def subject(keys: tuple[str, ...], noun: str = "row") -> str:
    """The selected rows as the operator names them (no endpoint prefix)."""
    names = [k.partition("/")[2] or k for k in keys]
    if len(names) == 1:
        return names[0]
    return f"{len(names)} {noun}s" if names else f"{noun}s"

"""Which actions apply to what the operator selected, and the plan of the one chosen: the
same for the ``x`` menu, the direct keys and the palette."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from blazz_tui.actions import pm2, programs, rebalance, sync
from blazz_tui.actions.model import Plan
from blazz_tui.actions.run import ActionEnv, Execute, refusal
from blazz_tui.selection import Selection
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


def offers(selection: Selection, snapshot: Snapshot) -> tuple[Offer, ...]:
    """The actions for the selected rows, the ones that do not apply listed with why."""
    found: list[Offer] = []
    if selection.panel == "services":
        found += _program_offers(selection.keys, snapshot)
    elif selection.panel == "queues" and selection.keys:
        found += _queue_offers(selection.keys)
    elif selection.panel == "checks" and selection.keys:
        name = selection.keys[0]
        if name.startswith("program:"):
            found += _program_offers((name.removeprefix("program:"),), snapshot)
        elif name.startswith("queue:"):
            found += _queue_offers((name.removeprefix("queue:"),))
    found += [SYNC, REBALANCE]
    if snapshot.pm2 is not None and snapshot.pm2.processes:
        found.append(ROLLING)
    return tuple(found)


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

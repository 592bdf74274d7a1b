"""Rebalance: the fewest moves, from the most loaded instances to the least, until every
instance is within the balance band (±``balance_tolerance`` % of the mean) and under
``capacity_warn``.

A move never logs a session out: it is stopped on its instance with the target's
``rebalance.stop_route`` (which keeps its stored auth), started on the other instance (which
restores it), and only once that one reports it CONNECTED is the database row updated (guarded
by its old URL) and the cached URL deleted; on any failure it is started back where it was.
Moves run a batch at a time in a process of their own (``blazz_tui.actions.move``), so a
rebalance killed or interrupted still finishes the moves in flight: every session ends up
hosted by exactly one instance.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict

from blazz_tui.actions import move as moves
from blazz_tui.actions.model import Change, Plan, Progress, Result
from blazz_tui.actions.run import ActionEnv
from blazz_tui.actions.sync import app_spelling, cannot_plan
from blazz_tui.correlation import InstanceMatcher
from blazz_tui.settings import TargetConfig, Thresholds
from blazz_tui.snapshot import Snapshot


def plan(snapshot: Snapshot, target: TargetConfig, thresholds: Thresholds,
         max_moves: int | None = None) -> Plan:
    title = "Rebalance sessions"
    refused = cannot_plan(snapshot, target)
    db, instances = snapshot.database, snapshot.instances
    if refused or db is None or instances is None:
        return Plan("rebalance", snapshot.target, title, refused=refused)
    readings = {r.name: r for r in instances.instances}
    hosted = {cfg.name: list(readings[cfg.name].connected) for cfg in target.instances}
    total = sum(len(s) for s in hosted.values())
    if len(hosted) < 2 or total == 0:
        return Plan("rebalance", snapshot.target, title, (), ("nothing to balance",))
    matcher = InstanceMatcher(target.instances)
    spelling = app_spelling(db.accounts, matcher, target.instances)
    account = {a.session_id: a for a in db.accounts if a.session_id}
    mean = total / len(hosted)
    high = mean * (1 + thresholds.balance_tolerance / 100)
    low = mean * (1 - thresholds.balance_tolerance / 100)
    cap = thresholds.capacity_warn / 100 * snapshot.max_sessions_per_instance
    ceiling = min(high, cap)
    counts = {name: len(s) for name, s in hosted.items()}
    movable = {name: [sid for sid in s if sid in account] for name, s in hosted.items()}
    changes: list[Change] = []
    while max_moves is None or len(changes) < max_moves:
        source = max(counts, key=lambda n: counts[n])
        dest = min(counts, key=lambda n: counts[n])
        balanced = counts[source] <= ceiling and counts[dest] >= low
        if balanced or counts[source] - counts[dest] <= 1 or not movable[source]:
            break
        sid = movable[source].pop()
        a = account[sid]
        changes.append(Change(sid, f"{source} → {dest}", moves.Move(
            sid, a.uuid, source, dest, a.assigned_instance_url, spelling[dest])))
        counts[source] -= 1
        counts[dest] += 1
    notes = [f"{total} sessions, mean {mean:.0f}, band {math.ceil(low)}–{math.floor(high)}"
             f" per instance, capacity_warn {cap:.0f}",
             "after: " + " ".join(f"{n}={c}" for n, c in counts.items())]
    if not changes:
        notes.insert(0, "already within the band")
    starting = sum(len(r.sessions or ()) - len(r.connected) for r in readings.values())
    if starting:
        notes.append(f"{starting} sessions not CONNECTED (starting, or waiting for a QR scan): "
                     "not counted, not moved")
    if total > cap * len(hosted):
        notes.append("more sessions than the instances hold under capacity_warn: add an "
                     "instance")
    if max_moves is not None and len(changes) == max_moves:
        notes.append(f"stopped at --max-moves {max_moves}")
    what = f"move {len(changes)} session{'s' if len(changes) != 1 else ''}"
    return Plan("rebalance", snapshot.target, f"{title}: {what}", tuple(changes), tuple(notes))


async def execute(plan: Plan, env: ActionEnv, progress: Progress) -> Result:
    rb = env.target.rebalance
    todo = [c.data for c in plan.changes]
    done: list[str] = []
    failed: list[str] = []
    error = None
    for start in range(0, len(todo), rb.batch):
        if env.cancel is not None and env.cancel.is_set():
            error = f"cancelled: {len(todo) - start} moves not started"
            break
        if start:
            await asyncio.sleep(rb.pause)
        outcomes = await _batch(env, todo[start:start + rb.batch])
        for outcome in outcomes:
            (done if outcome.ok else failed).append(outcome.line)
            progress(outcome.line)
        fatal = next((o.fatal for o in outcomes if o.fatal), None)
        if fatal:
            left = len(todo) - start - len(outcomes)
            error = fatal + (f" — {left} moves not started" if left > 0 else "")
            break
        progress(f"moved {len(done)} of {len(todo)}")
    # Refused by the instances before anything moved (no stop that keeps the auth).
    refused = error is not None and not done and all(" not moved" in f for f in failed)
    return Result(plan, done=tuple(done), failed=tuple(failed), error=error, refused=refused)


async def _batch(env: ActionEnv, batch: Sequence[moves.Move]) -> list[moves.Outcome]:
    """One batch, in a process of its own when the configuration can be named to it (so the
    moves in flight finish whatever happens to this one), else here."""
    if env.config_args is None:
        return await moves.run_batch(env, batch)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "blazz_tui.actions.move", *env.config_args,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    request = json.dumps({"target": env.target.name, "moves": [asdict(m) for m in batch]})
    out, _ = await asyncio.shield(child.communicate(request.encode()))
    outcomes = []
    for line in out.decode().splitlines():
        try:
            outcomes.append(moves.Outcome(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    if len(outcomes) < len(batch):
        outcomes.append(moves.Outcome(False, f"the move process exited {child.returncode} "
                                            f"after {len(outcomes)} of {len(batch)} moves",
                                      fatal="the move process failed"))
    return outcomes

"""Problems, cause first: the checks that fail for one reason folded into one line.

An on-call engineer wants "blazz-queue-worker STOPPED → messaging, whatsapp-high unserved,
63 jobs waiting, oldest 1m18s", not four queue lines and an ``unserved-queues`` line with the
stopped program somewhere below. What is attributed to what:

- a worker program not RUNNING (every process of it, folded) → the failing checks of the
  queues it serves that no running worker serves now, and ``unserved-queues`` when those are
  all it names;
- the program or PM2 process that runs an instance, not running → that instance's check;
- an instance down → the session checks that are unknown because of it alone (an instance
  that is up, only slow or near capacity, causes none);
- a program not running that is a source's server (``redis``, ``mysql``) → that source's
  checks, and its restarts (``flapping``) for any program;
- a source that cannot be read (``redis``, ``database``, ``supervisor…``, ``instances``,
  ``pm2``) → the other failing checks of the same source.

A check that names several things (``flapping``, ``unserved-queues``, the session checks
waiting for several instances) goes to a cause only when all of them are that cause's: a cause
never shows a check it does not cause, nor swallows another cause's.

Problems are the Blazz ones first, worst first, then the host's (a busy box's CPU, CRITICAL
for twenty minutes, must not push a stopped worker or drift off the strip), each in the
checks' own order at one severity.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from blazz_tui.correlation import instance_program
from blazz_tui.fmt import duration, plural
from blazz_tui.rules.model import Check, Status, worst
from blazz_tui.settings import InstanceConfig
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.supervisor import ProcessInfo

SOURCE_CHECKS = ("redis", "database", "supervisor", "instances", "pm2")
SESSION_CHECKS = ("session-drift", "sessions-lost", "sessions-balance")
SERVERS = {"redis": ("redis",), "database": ("mysql", "mariadb")}
"""A source's server, by words in the name of the program that runs it."""


@dataclass(frozen=True)
class Effect:
    text: str
    """One consequence, names included ("unserved: messaging, whatsapp-high")."""
    short: str = ""
    """The same consequence with its names left out ("2 queues unserved"), for a narrow
    line: a line is shortened by its names, never by what happens."""


@dataclass(frozen=True)
class Problem:
    status: Status
    cause: str
    """What is wrong at the root, in a few words ("blazz-queue-worker STOPPED")."""
    parts: tuple[Effect, ...]
    """What it causes (none when nothing else fails because of it)."""
    checks: tuple[Check, ...]
    """The cause's checks first, then the effects'."""

    @property
    def effects(self) -> str:
        """What it causes, in a few words ("" when nothing else fails because of it)."""
        return ", ".join(p.text for p in self.parts)

    @property
    def text(self) -> str:
        return f"{self.cause} → {self.effects}" if self.effects else self.cause

    def fitted(self, width: int) -> tuple[str, str]:
        """(cause, effects) in ``width`` characters where names can give way: the effects'
        names first, from the last, then the cause's parenthesis, then the middle of the
        cause's name (what is left too long is cut at its end by the line)."""
        parts = list(self.parts)
        cause = self.cause

        def length() -> int:
            effects = ", ".join(p.text for p in parts)
            return len(cause) + (len(effects) + 3 if effects else 0)

        for index in range(len(parts) - 1, -1, -1):
            if length() <= width:
                break
            if parts[index].short:
                parts[index] = Effect(parts[index].short)
        if length() > width and cause.endswith(")") and " (" in cause:
            cause = cause[:cause.rindex(" (")]  # "(2 processes)", "(connection refused)"
        name, space, rest = cause.partition(" ")
        excess = length() - width
        if 0 < excess <= len(name) - 8:  # the name's middle, never its state; only if
            keep = len(name) - excess - 1  # the whole line then fits
            cause = name[:keep - keep // 2] + "…" + name[len(name) - keep // 2:] + space + rest
        return cause, ", ".join(p.text for p in parts)


def problems(checks: Sequence[Check], snap: Snapshot) -> list[Problem]:
    """The failing checks (``checks`` worst first) as problems, cause first."""
    bad = [c for c in checks if c.status is not Status.OK]
    instances = [InstanceConfig(name=i.name, url=i.url)
                 for i in (snap.instances.instances if snap.instances else ())]
    taken: set[str] = set()
    found: list[Problem] = []

    def claim(matching: list[Check]) -> list[Check]:
        fresh = [c for c in matching if c.name not in taken]
        taken.update(c.name for c in fresh)
        return fresh

    down_instances = {i.name for i in (snap.instances.instances if snap.instances else ())
                      if not i.up}
    for down in _stopped(snap):
        own = claim([c for c in bad if c.name in down.checks])
        if not own:
            continue
        # Only what fails because of it: its queues that no running worker serves now (one
        # another worker still serves is not its effect), the checks that name only it.
        unserved = {q.name for q in snap.queues if q.name in down.queues and q.served is False}
        effects = claim([c for c in bad if c.name in {f"queue:{q}" for q in unserved}
                         or _only_about(c, "unserved-queues", unserved)])
        effects += claim([c for c in bad if _only_about(c, "flapping", down.processes)])
        served = [name for name, words in SERVERS.items()
                  if any(w in down.program for w in words)]
        effects += claim([c for c in bad if c.name in served or (
            c.source in served and c.name.split(":", 1)[0] not in SOURCE_CHECKS)])
        runs = [i.name for i in instances if i.name in down_instances
                and instance_program(i, snap.pm2, snap.supervisor) in down.processes]
        effects += claim([c for c in bad if c.name in {f"instance:{n}" for n in runs}])
        effects += claim(_session_effects(bad, runs))
        found.append(Problem(worst(own + effects), down.label,
                             _describe(effects, snap, unserved, runs), tuple(own + effects)))
    for check in bad:
        if check.name in taken:
            continue
        if check.name.startswith("instance:"):
            name = check.name.split(":", 1)[1]
            own = claim([check])
            # An instance that is up (slow, near capacity) hides no session list: the
            # session checks fail, if they do, for reasons of their own.
            effects = claim(_session_effects(bad, [name])) if name in down_instances else []
            found.append(Problem(worst(own + effects), _instance_cause(name, check),
                                 _describe(effects, snap, set(), [name]), tuple(own + effects)))
        elif check.name.split(":", 1)[0] in SOURCE_CHECKS and check.status in (
                Status.CRITICAL, Status.UNKNOWN):
            own = claim([check])
            effects = claim([c for c in bad if c.source == check.source])
            found.append(Problem(worst(own + effects), f"{check.name}: {check.summary}",
                                 (_names(effects),) if effects else (), tuple(own + effects)))
    for check in bad:
        if check.name not in taken:
            taken.add(check.name)
            found.append(Problem(check.status, f"{check.name}: {check.summary}", (), (check,)))
    order = {c.name: i for i, c in enumerate(checks)}
    return sorted(found, key=lambda p: (_is_host(p), -p.status.rank,
                                        min(order.get(c.name, 0) for c in p.checks)))


@dataclass(frozen=True)
class _Down:
    program: str
    label: str
    checks: frozenset[str]
    processes: frozenset[str]
    """As ``instance_program`` names them: ``group:process``, ``pm2/NAME``."""
    queues: frozenset[str] = frozenset()


def _stopped(snap: Snapshot) -> list[_Down]:
    """Supervisor programs not RUNNING — a program's processes (``name_00``, ``name_01``) in
    one state folded — and PM2 processes not online."""
    programs: dict[tuple[str, str], list[ProcessInfo]] = {}
    sizes: dict[str, int] = {}
    for endpoint in snap.supervisor.endpoints if snap.supervisor else ():
        for proc in endpoint.processes:
            program = re.sub(r"_\d+$", "", proc.name)
            sizes[program] = sizes.get(program, 0) + 1
            if proc.state != "RUNNING":
                programs.setdefault((program, proc.state), []).append(proc)

    def label(program: str, state: str, procs: list[ProcessInfo]) -> str:
        of = sizes[program]
        if len(procs) == of:
            return f"{program} {state}" + (f" ({of} processes)" if of > 1 else "")
        return f"{program} {state} ({len(procs)} of {of} processes)"

    found = [_Down(program, label(program, state, procs),
                   frozenset(f"program:{p.full_name}" for p in procs),
                   frozenset(p.full_name for p in procs),
                   frozenset(q for p in procs for q in p.queues))
             for (program, state), procs in programs.items()]
    found += [_Down(p.name, f"{p.name} {p.status} (PM2)", frozenset({f"pm2:{p.name}"}),
                    frozenset({f"pm2/{p.name}"}))
              for p in (snap.pm2.processes if snap.pm2 else ()) if p.status != "online"]
    return found


def _only_about(check: Check, name: str, mine: set[str] | frozenset[str]) -> bool:
    """``check`` is the check ``name`` and every one of its subjects is in ``mine``."""
    return check.name == name and bool(check.subjects) and set(check.subjects) <= mine


def _session_effects(bad: list[Check], instances: list[str]) -> list[Check]:
    """The session checks left unknown only because these instances' lists are unreadable."""
    return [c for c in bad if c.name in SESSION_CHECKS and c.status is Status.UNKNOWN
            and _only_about(c, c.name, set(instances))]


def _instance_cause(name: str, check: Check) -> str:
    """"wa-3002 down (connection refused)" from "http://… down: connection refused; …"."""
    head = check.summary.split(";", 1)[0]
    for what in ("down", "not answering", "error"):
        marker = f" {what}: "
        if marker in head:
            return f"{name} {what} ({head.split(marker, 1)[1]})"
    return f"{name}: {head}"


def _describe(effects: list[Check], snap: Snapshot, queues: frozenset[str] | set[str],
              instances: list[str]) -> tuple[Effect, ...]:
    parts = []
    hit = [q for q in snap.queues if q.name in queues and (q.pending or 0) > 0]
    if hit:  # the figures first, the names last
        waiting = sum(q.pending or 0 for q in hit)
        oldest = max((q.oldest_pending_age or 0.0 for q in hit), default=0.0)
        parts.append(Effect(f"{plural(waiting, 'job')} waiting" + (
            f", oldest {duration(oldest)}" if oldest else "")))
    unserved = [q.name for q in hit if q.unserved]
    down = [c.name.split(":", 1)[1] for c in effects if c.name.startswith("instance:")]
    if down:
        parts.append(Effect(f"{', '.join(down)} down",
                            f"{plural(len(down), 'instance')} down" if len(down) > 1 else ""))
    sessions = sum(i.assigned for i in snap.sessions.instances if i.name in instances
                   and not i.up)
    if sessions:
        parts.append(Effect(f"{plural(sessions, 'session')} unreachable"))
    shown = {f"queue:{q}" for q in queues} | {"unserved-queues", *SESSION_CHECKS} \
        | {f"instance:{n}" for n in down}
    rest = [c for c in effects if c.name not in shown]
    servers = [c for c in rest if c.name in SERVERS]
    parts += [Effect(f"{c.name} {c.summary}", f"{c.name} {c.status.value}") for c in servers]
    rest = [c for c in rest if c not in servers]
    if rest:
        parts.append(_names(rest))
    if unserved:
        parts.append(Effect(f"unserved: {', '.join(unserved)}",
                            f"{plural(len(unserved), 'queue')} unserved"))
    return tuple(parts)


def _names(checks: list[Check]) -> Effect:
    return Effect(", ".join(c.name for c in checks[:4]) + (f" and {len(checks) - 4} more"
                                                            if len(checks) > 4 else ""),
                  plural(len(checks), "other check") + " failing" if len(checks) > 1 else "")


def _is_host(problem: Problem) -> bool:
    return all(c.host for c in problem.checks)

"""What every action goes through: the read-only guard, the audit log, one exception boundary."""

from __future__ import annotations

import errno
import fcntl
import getpass
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from blazz_tui.actions.model import Plan, Progress, Result
from blazz_tui.settings import ActionsConfig, TargetConfig, Thresholds
from blazz_tui.sources.base import describe_error
from blazz_tui.transport.base import Transport


@dataclass(frozen=True)
class ActionEnv:
    """Where an action runs and under which rules."""

    target: TargetConfig
    transport: Transport
    actions: ActionsConfig = ActionsConfig()
    read_only: bool = False
    """``--read-only`` was given."""
    audit: AuditLog | None = None
    thresholds: Thresholds = Thresholds()
    """The balance band and capacity a rebalance aims for."""
    cancel: threading.Event | None = None
    """Set to stop a long action (a rebalance) after the work in flight."""
    config_args: tuple[str, ...] | None = None
    """How a child process finds the same configuration (``("-c", path)``, or ``()`` to
    discover it as this process did); None: work that would go to a child runs here."""


def refusal(env: ActionEnv) -> str | None:
    """Why no action may run on this target; None when they may."""
    if env.read_only:
        return "blazz-tui runs with --read-only: it changes nothing"
    if env.target.read_only:
        return f"target {env.target.name!r} is read_only = true in the configuration"
    return None


Execute = Callable[[Plan, ActionEnv, Progress], Awaitable[Result]]


async def carry_out(plan: Plan, env: ActionEnv, execute: Execute,
                    progress: Progress = lambda line: None) -> Result:
    """Guard, execute, audit. Refused before anything connects when the target is read-only
    or the plan itself was refused; a failure of the watched system is the result's error."""
    started = time.monotonic()
    # Nothing done goes unrecorded: an action starts only once its plan is in the audit log
    # (a full disk, a log that is a symbolic link: refused), and its result follows.
    why = refusal(env) or plan.refused or (env.audit.begin(plan, env.transport.name)
                                           if env.audit else None)
    if why:
        result = Result(plan, error=why, refused=True)
    else:
        try:
            result = await execute(plan, env, progress)
        except Exception as exc:  # noqa: BLE001 - the action boundary: a failure is data
            result = Result(plan, error=describe_error(exc))
    result = replace(result, duration=time.monotonic() - started)
    if env.audit is not None:
        unwritten = env.audit.record(plan, result, env.transport.name)
        if unwritten and not result.refused:
            result = replace(result, failed=(*result.failed, f"its result is not in the audit "
                                             f"log ({unwritten}); its start is"))
    return result


class AuditLog:
    """What was done to which target, by whom: JSONL, mode 0600, one line per action (a
    refused one too). Plans and results hold names, ids and URLs without credentials."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def begin(self, plan: Plan, where: str = "local") -> str | None:
        """Record that ``plan`` is starting; why it could not be (then nothing is done)."""
        return self._write({**self._head(plan, where), "phase": "started"})

    def record(self, plan: Plan, result: Result, where: str = "local") -> str | None:
        """Append the result (``where``: the transport's name, ``ssh://host`` for a remote
        target); returns why it could not be written (None when it was)."""
        return self._write({
            **self._head(plan, where), "phase": "refused" if result.refused else "done",
            "result": result.as_dict(), "duration": round(result.duration, 3),
            "error": result.error})

    @staticmethod
    def _head(plan: Plan, where: str) -> dict[str, Any]:
        return {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "user": _user(),
                "target": plan.target, "where": where, "action": plan.action,
                "plan": plan.as_dict()}

    def _write(self, entry: dict[str, Any]) -> str | None:
        """One line, written through to the disk (a full one says so now, not at close);
        never through a symbolic link (it would append to whatever the link points at)."""
        data = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW,
                         0o600)
        except OSError as exc:
            return f"cannot write the audit log {self.path}: {_why(exc)}"
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            while data:
                data = data[os.write(fd, data):]
            try:
                os.fsync(fd)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # a device that cannot sync: written is written
                    raise
        except OSError as exc:
            return f"cannot write the audit log {self.path}: {_why(exc)}"
        finally:
            os.close(fd)
        return None


def _why(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link (an audit log is never written through one)"
    return str(exc.strerror or exc)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())

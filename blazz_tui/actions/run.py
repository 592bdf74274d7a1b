"""What every action goes through: the read-only guard, the audit log, one exception boundary."""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

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
    why = refusal(env) or plan.refused or (env.audit.check() if env.audit else None)
    if why:
        result = Result(plan, error=why, refused=True)
    else:
        try:
            result = await execute(plan, env, progress)
        except Exception as exc:  # noqa: BLE001 - the action boundary: a failure is data
            result = Result(plan, error=describe_error(exc))
    result = replace(result, duration=time.monotonic() - started)
    if env.audit is not None:
        env.audit.record(plan, result, env.transport.name)
    return result


class AuditLog:
    """What was done to which target, by whom: JSONL, mode 0600, one line per action (a
    refused one too). Plans and results hold names, ids and URLs without credentials."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def check(self) -> str | None:
        """Why the log cannot be written (then nothing is done); None when it can."""
        try:
            self._open().close()
        except OSError as exc:
            return f"cannot write the audit log {self.path}: {exc.strerror or exc}"
        return None

    def record(self, plan: Plan, result: Result, where: str = "local") -> str | None:
        """Append the record (``where``: the transport's name, ``ssh://host`` for a remote
        target); returns why it could not be written (None when it was)."""
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "user": _user(),
            "target": plan.target, "where": where, "action": plan.action, "plan": plan.as_dict(),
            "result": result.as_dict(), "duration": round(result.duration, 3),
            "error": result.error}
        try:
            with self._open() as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        except OSError as exc:
            return f"audit log {self.path}: {exc.strerror or exc}"
        return None

    def _open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding="utf-8")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())

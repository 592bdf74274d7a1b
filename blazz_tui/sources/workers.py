"""Queue workers as an operator recognises them: the queues a command line names, the
configured ``[[targets.X.workers]]`` entry a supervisord program is, and the app a worker
belongs to.

- A command that runs ``queue:work``/``queue:listen`` is a worker, whatever runs it (``nice
  php artisan …``, ``/usr/bin/php8.3 artisan …``, ``sh -c "…"``); so is any command carrying
  ``--queue=`` (a wrapper script, a custom worker), and ``artisan horizon`` (its queues are in
  its own config).
- ``program = "blazz-queue-default"`` names that program: every one of its numprocs processes
  (``blazz-queue-default_00``…), with or without its group, as supervisorctl shows them.
- A host often runs several Laravel apps whose workers look alike and serve the same queue
  names. A worker belongs to the target's app when the artisan it runs, or its working
  directory (supervisord's ``directory=``, else ``/proc/PID/cwd``), is the app's directory —
  or shares the app's ``.env`` (a release directory of the same deployment). Another app's
  worker never serves this app's queues.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
import time
from dataclasses import dataclass

from blazz_tui.transport.base import Transport

SLEEP = 3.0
"""``queue:work``'s default ``--sleep``."""


@dataclass(frozen=True)
class WorkerCommand:
    connection: str | None
    queues: tuple[str, ...]
    """Empty for Horizon: its queues are in config/horizon.php."""
    artisan: str | None = None
    """The artisan file it runs, as written (None: it names none)."""
    sleep: float = SLEEP
    """Seconds an idle worker waits between two looks at its queues (``--sleep``)."""


_VERBS = frozenset({"queue:work", "queue:listen"})
# Options of queue:work / queue:listen (and artisan's global --env) that take a value,
# so ``--sleep 3`` does not make "3" look like the connection argument.
_VALUE_OPTIONS = frozenset({"--name", "--queue", "--delay", "--backoff", "--max-jobs",
                            "--max-time", "--memory", "--sleep", "--rest", "--timeout",
                            "--tries", "--env"})
_SHELL_STOPS = frozenset({"&&", "||", ";", "|", "&"})
FIND_WORDS = ("queue:work", "queue:listen", "horizon", "--queue")
"""What a worker's command line holds, for finding workers in a process table."""
NAME_WORDS = ("queue", "worker", "horizon")
"""Words in a program's name that make it a queue worker whose queues are unknown."""


def parse_worker_command(command: str, default_queue: str = "default") -> WorkerCommand | None:
    """``php artisan queue:work redis --queue=high,low`` → connection ``redis``, queues
    ``("high", "low")``; ``php artisan horizon`` → a worker whose queues are unknown;
    ``/opt/bin/worker.sh --queue=high`` → queues ``("high",)``; None when the command is no
    worker."""
    tokens = split_command(command)
    artisan = next((t for t in tokens if posixpath.basename(t) == "artisan"), None)
    for i, token in enumerate(tokens):
        if token in _VERBS:
            return _parse_args(tokens[i + 1:], default_queue, artisan)
        if token == "horizon" and i and tokens[i - 1].endswith("artisan"):
            return WorkerCommand(None, (), artisan)
    for token in tokens:  # sh -c "php artisan queue:work ...": look inside the script
        if " " in token and any(word in token for word in FIND_WORDS):
            found = parse_worker_command(token, default_queue)
            if found is not None:
                return found
    if any(t == "--queue" or t.startswith("--queue=") for t in tokens):
        worker = _parse_args(tokens, default_queue, artisan)
        return WorkerCommand(None, worker.queues, artisan, worker.sleep)
    return None


def _parse_args(args: list[str], default_queue: str, artisan: str | None) -> WorkerCommand:
    connection: str | None = None
    queue_arg: str | None = None
    sleep = SLEEP
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _SHELL_STOPS or arg.startswith((">", "<", "2>")):
            break
        name, eq, value = arg.partition("=")
        if name in _VALUE_OPTIONS and not eq:
            value = args[i + 1] if i + 1 < len(args) else ""
            i += 1
        if name == "--queue":
            queue_arg = value
        elif name == "--sleep":
            sleep = _seconds(value, sleep)
        elif not arg.startswith("-") and connection is None:
            connection = arg
        i += 1
    queues = tuple(dict.fromkeys(q.strip() for q in (queue_arg or "").split(",") if q.strip()))
    return WorkerCommand(connection, queues or (default_queue,), artisan, sleep)


def _seconds(text: str, default: float) -> float:
    try:
        value = float(text)
    except ValueError:
        return default
    return value if 0 < value < 86_400 else default


def split_command(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # unbalanced quotes: still find what can be found
        return command.split()


# -- configured workers ------------------------------------------------------------------------

def program_of(process: str) -> str:
    """The program a supervisord process belongs to: ``blazz-queue-default_00`` →
    ``blazz-queue-default`` (``process_name=%(program_name)s_%(process_num)02d``)."""
    return re.sub(r"_\d+$", "", process)


def names_program(pattern: str, group: str, process: str) -> bool:
    """Whether ``program = pattern`` of a ``[[workers]]`` entry names this process: by its
    program, with or without the group, by the group, or by the process itself (globs
    allowed)."""
    program = program_of(process)
    return any(fnmatch.fnmatchcase(name, pattern) for name in (
        program, f"{group}:{program}", process, f"{group}:{process}", group))


# -- which app ---------------------------------------------------------------------------------

OWNERSHIP_TTL = 300.0
"""Seconds a directory's verdict is kept (a release symlink may move)."""


class Apps:
    """Whether a worker's directory is the target's app (``None``: not known). Judged only
    when the target's ``app_dir`` is a Laravel app (it holds ``artisan``); otherwise every
    worker is taken to be the app's, as before anything could tell."""

    def __init__(self, transport: Transport, app_dir: str) -> None:
        self._transport = transport
        self._app_dir = posixpath.normpath(app_dir)
        self._root: tuple[str, str | None] | None = None
        """The app's real directory and the real path of its .env, once known."""
        self._checked_at = 0.0
        self._verdicts: dict[str, tuple[bool, float]] = {}

    async def applies(self) -> bool:
        """Whether apps can be told apart: the app directory is known and is a Laravel app."""
        now = time.monotonic()
        if self._root is None and now - self._checked_at > OWNERSHIP_TTL:
            self._checked_at = now
            try:
                await self._transport.stat(posixpath.join(self._app_dir, "artisan"))
                real = await self._transport.realpath(self._app_dir)
            except OSError:
                return False
            self._root = (real, await self._env(real))
        return self._root is not None

    async def owns(self, directory: str | None) -> bool | None:
        """Whether a worker running in ``directory`` (None: unknown) is the app's."""
        if self._root is None:
            return True
        if not directory:
            return None
        directory = posixpath.normpath(directory)
        if directory == self._app_dir:
            return True
        kept = self._verdicts.get(directory)
        if kept is not None and time.monotonic() - kept[1] < OWNERSHIP_TTL:
            return kept[0]
        root, env = self._root
        try:
            real = await self._transport.realpath(directory)
        except OSError:
            return None
        verdict = real == root or (env is not None and await self._env(real) == env)
        self._verdicts[directory] = (verdict, time.monotonic())
        return verdict

    async def _env(self, directory: str) -> str | None:
        """The real path of a directory's ``.env`` (None: it has none)."""
        path = posixpath.join(directory, ".env")
        try:
            await self._transport.stat(path)
            return await self._transport.realpath(path)
        except OSError:
            return None

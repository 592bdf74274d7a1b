"""One long-lived ``sh`` on the server for the figures read every poll.

An SSH exec request costs the server a session (a fork, PAM, the login shell and its rc
files: ~150 ms where ``.bashrc`` initialises pyenv or nvm) for a command that reads a few
files. This shell is started once per link; each poll writes its command and reads the output
up to a marker line carrying the exit status. Commands run one at a time; one that runs past
its deadline takes the shell with it (the next command starts a new one).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import asyncssh

from blazz_tui.transport.base import CommandResult, TransportError

MAX_OUTPUT = 4 * 1024 * 1024
"""Characters of one command's output, at most."""


class RemoteShell:
    def __init__(self) -> None:
        self._process: Any = None
        self._lock = asyncio.Lock()
        self._stderr: list[str] = []
        self._marker = f"__blazz_{secrets.token_hex(8)}__"
        self._drain: asyncio.Future[None] | None = None

    async def run(self, conn: asyncssh.SSHClientConnection, command: str,
                  timeout: float) -> CommandResult:
        """``command`` in the shell; its stdout, its stderr as far as it came, exit status."""
        async with self._lock:
            try:
                return await asyncio.wait_for(self._run(conn, command), timeout)
            except BaseException:
                self.close()  # half an answer must not be read by the next command
                raise

    async def _run(self, conn: asyncssh.SSHClientConnection, command: str) -> CommandResult:
        process = await self._start(conn)
        self._stderr.clear()
        # A command's stdin is not the shell's: it cannot read the commands that follow.
        process.stdin.write(f"{{ {command}\n}} </dev/null; echo; echo \"{self._marker} $?\"\n")
        lines: list[str] = []
        size = 0
        while True:
            line = await process.stdout.readline()
            if not line:
                raise TransportError("the remote shell ended")
            if line.startswith(self._marker):
                code = int(line.split()[1])
                break
            lines.append(line)
            size += len(line)
            if size > MAX_OUTPUT:
                raise TransportError(f"a command printed more than {MAX_OUTPUT} characters")
        stdout = "".join(lines)[:-1]  # the newline echoed before the marker
        return CommandResult(code, stdout, "".join(self._stderr))

    async def _start(self, conn: asyncssh.SSHClientConnection) -> Any:
        if self._process is None:
            try:
                # The login shell runs its rc files once, then gives way to a plain sh.
                self._process = await conn.create_process(
                    "exec /bin/sh", encoding="utf-8", errors="replace")
            except (asyncssh.Error, OSError) as exc:
                raise TransportError(f"cannot start a shell on the target: {exc}") from None
            self._drain = asyncio.ensure_future(self._collect_stderr(self._process))
        return self._process

    async def _collect_stderr(self, process: Any) -> None:
        while line := await process.stderr.readline():
            if sum(map(len, self._stderr)) < 64 * 1024:
                self._stderr.append(line)

    def close(self) -> None:
        process, self._process = self._process, None
        if self._drain is not None:
            self._drain.cancel()
            self._drain = None
        if process is not None:
            process.close()

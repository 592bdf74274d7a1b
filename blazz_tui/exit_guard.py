"""The dashboard always ends: whatever its terminal does, every way out ends the process
within a second.

Textual writes to the terminal through a bounded queue drained by a thread. With the terminal
gone (tmux killed, the SSH session dropped) that thread dies on its first failed write; with a
terminal that no longer reads (a stalled link) it blocks. Either way the queue fills, the next
write — the shutdown's own, whichever way out was taken — waits forever, and so would the
process. Signals handled by the event loop never run then: the loop is the one waiting.

So the guard takes the ways out below the event loop: SIGTERM and SIGHUP get plain Python
handlers, which run in the main thread even while it waits on that queue, and a watcher
thread notices a terminal that hung up without a signal (its pty closed: no SIGHUP reaches a
process that is not its session's leader). Each asks for an orderly exit and *arms* the guard:
if the process has not ended ``GRACE`` seconds later, the guard gives the terminal back what
it can without blocking (its modes, the main screen, the cursor, no mouse tracking), and ends
the process with the exit code asked for. Nothing here imports Textual.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import termios
import threading
from collections.abc import Callable
from typing import Any

GRACE = 0.8
"""Seconds an orderly exit is given before the process is ended outright."""
WATCH_EVERY = 0.25
"""Seconds between looks at whether the terminal hung up."""
RESET = ("\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"  # mouse tracking off
         "\x1b[?2004l\x1b[?7h\x1b[<u"  # no bracketed paste, line wrap, no kitty keyboard
         "\x1b[?1049l\x1b[?25h\x1b[?1004l")  # main screen, cursor shown, no focus events
HANGUP = select.POLLHUP | select.POLLERR | select.POLLNVAL


class ExitGuard:
    def __init__(self, tty: int | None = None, out: int | None = None,
                 grace: float = GRACE) -> None:
        """``tty``: the terminal read from (its modes are saved now, before anything changes
        them); ``out``: the terminal written to. Standard input and error by default."""
        self.tty = _terminal(sys.__stdin__) if tty is None else tty
        self.out = _terminal(sys.__stderr__) if out is None else out
        self.grace = grace
        self._modes = _modes(self.tty)
        self._armed = threading.Event()
        self._code = 0

    def watch(self, request_exit: Callable[[int], object]) -> None:
        """From now on SIGTERM, SIGHUP and a hung-up terminal call ``request_exit(code)``
        (128 + the signal; from the main thread or the watcher thread) and arm the guard.
        Call it from the main thread; elsewhere (tests) the signals are left alone."""
        def on_signal(signum: int, _frame: object) -> None:
            self.arm(128 + signum)
            request_exit(128 + signum)

        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                signal.signal(sig, on_signal)
            except ValueError:
                return  # not the main thread
        if self.tty is not None:
            threading.Thread(target=self._watch_terminal, args=(request_exit,), daemon=True,
                             name="blazz-tui terminal watch").start()

    def arm(self, code: int) -> None:
        """An exit is under way: unless the process has ended ``grace`` seconds from now,
        end it then with ``code`` (the first code armed wins)."""
        if self._armed.is_set():
            return
        self._code = code
        self._armed.set()
        threading.Thread(target=self._end_after_grace, daemon=True,
                         name="blazz-tui exit guard").start()

    def _watch_terminal(self, request_exit: Callable[[int], object]) -> None:
        assert self.tty is not None
        poller = select.poll()
        poller.register(self.tty, HANGUP)
        if self.out is not None and self.out != self.tty:
            poller.register(self.out, HANGUP)
        while not self._armed.is_set():
            if poller.poll(WATCH_EVERY * 1000):
                code = 128 + signal.SIGHUP
                self.arm(code)
                request_exit(code)
                return

    def _end_after_grace(self) -> None:
        threading.Event().wait(self.grace)
        self.restore_terminal()
        os._exit(self._code)

    def restore_terminal(self, wait: float = 0.1) -> None:
        """Give the terminal back its modes and main screen, waiting at most ``wait``
        seconds for a terminal that does not read."""
        def restore() -> None:
            if self.tty is not None and self._modes is not None:
                try:
                    termios.tcsetattr(self.tty, termios.TCSANOW, self._modes)
                except termios.error:
                    pass
            if self.out is not None:
                try:
                    os.write(self.out, RESET.encode())
                except OSError:
                    pass  # the terminal is gone: nothing to give back

        writer = threading.Thread(target=restore, daemon=True, name="blazz-tui restore")
        writer.start()
        writer.join(wait)


def _terminal(stream: object) -> int | None:
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return None
    return fd if os.isatty(fd) else None


def _modes(fd: int | None) -> list[Any] | None:
    if fd is None:
        return None
    try:
        return termios.tcgetattr(fd)
    except termios.error:
        return None

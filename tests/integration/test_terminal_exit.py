"""The dashboard never outlives its terminal: every way out ends the process, whatever the
terminal does.

Each test runs the real dashboard (``python -m blazz_tui``) on a real pseudo-terminal, waits
for its first complete screen, then takes the terminal away or stops reading it. The sources
are on ports nothing listens on, so the screen comes up at once and nothing else is waited
for. Before the exit guard, each of these left the process waiting forever in Textual's
shutdown; the generous limits below catch that, so nothing depends on the machine's speed.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.hostile import closed_ports, one_source_config

LIMIT = 30.0
"""Seconds a dashboard may take to end before it is taken to never end."""


@dataclass
class Dashboard:
    proc: subprocess.Popen[bytes]
    master: int
    seen: bytes = b""

    def read_for(self, seconds: float, until: bytes | None = None) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and until in self.seen):
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    return

    def unread(self) -> int:
        """Bytes the dashboard wrote that nobody has read yet."""
        (count,) = struct.unpack("i", fcntl.ioctl(self.master, termios.FIONREAD, b"\0" * 4))
        return int(count)

    def ended(self, limit: float = LIMIT) -> bool:
        try:
            self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            return False
        return True


@contextmanager
def dashboard(tmp_path: Path) -> Iterator[Dashboard]:
    db, wa = closed_ports(2)
    path = one_source_config(tmp_path, f'[targets.t.database]\nurl = "mysql://root@127.0.0.1:'
                                       f'{db}/blazz"\n[[targets.t.instances]]\nname = "wa-1"\n'
                                       f'url = "http://127.0.0.1:{wa}"\n')
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "blazz_tui", "-c", str(path)], stdin=slave,
                            stdout=slave, stderr=slave, start_new_session=True,
                            env={**os.environ, "TERM": "xterm-256color"})
    os.close(slave)
    shown = Dashboard(proc, master)
    try:
        shown.read_for(60, until=b"Checks")  # the first complete screen
        assert b"Checks" in shown.seen, shown.seen[-500:]
        yield shown
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        try:
            os.close(master)
        except OSError:
            pass  # the test closed it: the terminal went away


def test_a_terminal_that_vanishes_without_a_signal_ends_the_dashboard(tmp_path: Path) -> None:
    with dashboard(tmp_path) as shown:
        os.close(shown.master)  # the pty is gone; no SIGHUP reaches a session of its own
        assert shown.ended(), f"still running {LIMIT:g} s after its terminal went away"
        assert shown.proc.returncode == 128 + signal.SIGHUP


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_dashboard_after_its_terminal_is_gone(tmp_path: Path,
                                                                sig: signal.Signals) -> None:
    with dashboard(tmp_path) as shown:
        os.close(shown.master)
        shown.proc.send_signal(sig)
        assert shown.ended(), f"still running {LIMIT:g} s after {sig.name}"


def test_sigterm_ends_a_dashboard_whose_terminal_no_longer_reads(tmp_path: Path) -> None:
    with dashboard(tmp_path) as shown:
        # Stop reading until the terminal's buffer is full: the dashboard redraws its
        # "updated … ago" every second, so its writes now wait.
        last, unchanged = -1, 0
        while unchanged < 3:
            time.sleep(1)
            now = shown.unread()
            unchanged = unchanged + 1 if now == last else 0
            last = now
        shown.proc.send_signal(signal.SIGTERM)
        assert shown.ended(), f"still running {LIMIT:g} s after SIGTERM"
        assert shown.proc.returncode == 128 + signal.SIGTERM


def test_q_ends_the_dashboard_and_gives_the_terminal_back(tmp_path: Path) -> None:
    with dashboard(tmp_path) as shown:
        mark = len(shown.seen)
        os.write(shown.master, b"q")
        deadline = time.monotonic() + LIMIT
        while shown.proc.poll() is None and time.monotonic() < deadline:
            shown.read_for(0.2)
        shown.read_for(0.5)
        assert shown.ended(0), f"still running {LIMIT:g} s after q"
        assert shown.proc.returncode == 0
        assert b"\x1b[?1049l" in shown.seen[mark:]  # out of the alternate screen

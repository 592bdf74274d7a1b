"""Shared by the live benchmarks: a simulated stack, and programs run in a pseudo-terminal
whose screen is kept by a terminal emulator (pyte), so a benchmark reads what a user sees.

Needs ``pip install pyte`` (and ``glances`` for the anchor of ``dashboard_live.py``).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psutil
import pyte

from blazz_tui.sim.cli import launch, stop
from blazz_tui.sim.layout import Layout


@contextmanager
def demo_stack(accounts: int = 120, database: str | None = None,
               sync_every: float = 10.0) -> Iterator[Layout]:
    root = Path(tempfile.mkdtemp(prefix="blazz-bench-"))
    try:
        yield launch(root, accounts=accounts, database=database, sync_every=sync_every)
    finally:
        stop(root)
        shutil.rmtree(root, ignore_errors=True)


MYSQL = "mysql://root@127.0.0.1:3306"


@contextmanager
def scale_stack(accounts: int, jobs: int = 1_000_000,
                sync_every: float = 10.0) -> Iterator[Layout]:
    """The demo stack on the machine's MariaDB with ``accounts`` WhatsApp accounts and a
    ``jobs`` table of ``jobs`` extra rows: delayed by a day on a queue of their own, so the
    workers leave them and the table stays that size for the whole run."""
    import pymysql

    name = f"blazz_bench_{os.getpid()}"
    admin = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        with demo_stack(accounts, f"{MYSQL}/{name}", sync_every) as layout:
            if jobs:
                _fill_jobs(name, jobs)
            yield layout
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def _fill_jobs(database: str, rows: int) -> None:
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", user="root", database=database, autocommit=True)
    cur = conn.cursor()
    later = int(time.time()) + 86_400
    cur.execute("INSERT INTO jobs (queue, payload, attempts, available_at, created_at) "
                "VALUES ('bulk-archive', '{}', 0, %s, %s)", (later, int(time.time())))
    have = 1
    while have < rows:  # doubling: 20 statements for a million rows
        cur.execute("INSERT INTO jobs (queue, payload, attempts, available_at, created_at) "
                    "SELECT queue, payload, attempts, available_at, created_at FROM jobs "
                    "WHERE queue = 'bulk-archive' LIMIT %s", (rows - have,))
        have += cur.rowcount
    conn.close()


def config_with(layout: Layout, interval: float | None = None,
                logs: Sequence[str] | None = None, shipped_intervals: bool = False) -> Path:
    """A copy of the stack's config with every poll interval set to ``interval``, or left to
    the shipped defaults (``shipped_intervals``), and/or the logs source watching ``logs``."""
    text = layout.config_path.read_text()
    if interval is not None:
        text = re.sub(r"interval = [\d.]+", f"interval = {interval:g}", text)
    if shipped_intervals:
        text = re.sub(r"(?m)^\w+ = \{ interval = .*\n", "", text)
    if logs is not None:
        files = ", ".join(f'"{f}"' for f in logs)
        text = re.sub(r"(\[targets\.\w+\.logs\]\n)files = \[[^\]]*\]", rf"\1files = [{files}]",
                      text)
    path = layout.path / f"bench-{interval}-{shipped_intervals}-{len(logs or ())}.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


class Terminal:
    """A program in a pty of ``size``; ``lines()`` is its screen as the emulator sees it."""

    def __init__(self, argv: Sequence[str], size: tuple[int, int] = (120, 40)) -> None:
        cols, rows = size
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self._lock = threading.Lock()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave,
                                     env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self._master = master
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.stream.feed(data)
                # A terminal answers the app's queries (cursor position, colours); pyte's
                # answers go to write_process_input, which Textual does not need here.

    def lines(self) -> list[str]:
        with self._lock:
            return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, found: Callable[[list[str]], bool], timeout: float = 30.0,
                 step: float = 0.01) -> float | None:
        """Seconds until ``found(screen lines)``, polled every ``step``; None on timeout."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if found(self.lines()):
                return time.perf_counter() - start
            time.sleep(step)
        return None

    def send(self, keys: str) -> None:
        os.write(self._master, keys.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.send("q")
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(5)
        os.close(self._master)


class Usage:
    """CPU (process and reaped children, % of one core) and RSS of a process over time."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.rss: list[int] = []
        self._t0 = self._cpu()
        self._w0 = time.perf_counter()

    def _cpu(self) -> float:
        t = self.proc.cpu_times()
        own = t.user + t.system + t.children_user + t.children_system
        for child in self.proc.children(recursive=True):
            try:
                c = child.cpu_times()
                own += c.user + c.system
            except psutil.NoSuchProcess:
                pass
        return own

    def sample(self) -> None:
        self.rss.append(self.proc.memory_info().rss)

    def result(self) -> tuple[float, float, float]:
        """(% of one core, mean RSS MiB, max RSS MiB) since construction."""
        cpu = (self._cpu() - self._t0) / (time.perf_counter() - self._w0) * 100
        return cpu, sum(self.rss) / len(self.rss) / 2**20, max(self.rss) / 2**20


def complete(lines: list[str]) -> bool:
    """The dashboard's first complete screen: every source has answered."""
    head = lines[0] if lines else ""
    return "checks OK" in head or "need attention" in head

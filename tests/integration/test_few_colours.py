"""On a 16-colour terminal (TERM=xterm) the states keep their meaning: WARNING is the
terminal's yellow, CRITICAL its red.

The real dashboard runs on a pseudo-terminal whose output a terminal emulator (pyte) draws;
the colours are read from its cells, as a terminal would show them. Before, Textual mapped
the theme's orange and red to the nearest of 16 by distance: WARNING came out bright red
(SGR 91) and CRITICAL magenta (SGR 35).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte

from blazz_tui.sim.supervisord import ProgramSpec
from tests.fixtures.hostile import closed_ports, one_source_config
from tests.fixtures.supervisord import Factory

COLS, ROWS = 120, 40


def shown_in_xterm(config: Path, until: tuple[str, ...], limit: float = 60.0) -> pyte.Screen:
    """The screen of the dashboard on ``config`` in a 16-colour terminal, once every text of
    ``until`` is on it."""
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.ByteStream(screen)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    proc = subprocess.Popen([sys.executable, "-m", "blazz_tui", "-c", str(config)],
                            stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            env={**env, "TERM": "xterm"})
    os.close(slave)
    try:
        end = time.monotonic() + limit
        while time.monotonic() < end and not all(text in "\n".join(screen.display)
                                                 for text in until):
            if select.select([master], [], [], 0.2)[0]:
                stream.feed(os.read(master, 65536))
        return screen
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def colours_of(screen: pyte.Screen, word: str) -> set[str]:
    """The foreground colours of every character of every ``word`` on the screen."""
    found = set()
    for y, line in enumerate(screen.display):
        start = line.find(word)
        while start >= 0:
            found |= {screen.buffer[y][x].fg for x in range(start, start + len(word))}
            start = line.find(word, start + 1)
    return found


def test_warning_is_the_terminals_yellow_and_critical_its_red(
        tmp_path: Path, supervisord_factory: Factory) -> None:
    sv = supervisord_factory([ProgramSpec("idle", f"{sys.executable} -c 'import time; "
                                                  "time.sleep(3600)'", autostart=False)])
    [port] = closed_ports(1)
    config = one_source_config(tmp_path, f'[[targets.t.supervisor]]\nname = "main"\n'
                                         f'url = "{sv.url}"\n[[targets.t.instances]]\n'
                                         f'name = "wa-1"\nurl = "http://127.0.0.1:{port}"\n')

    screen = shown_in_xterm(config, until=(" WARNING ", " CRITICAL "))

    assert colours_of(screen, "WARNING") == {"brown"}, "\n".join(screen.display)  # SGR 33
    assert colours_of(screen, "CRITICAL") == {"red"}  # SGR 31
    # The problems' bar beside them is the terminal's red too, never bright red or magenta.
    bars = {screen.buffer[y][0].fg for y, line in enumerate(screen.display)
            if line.startswith("█")}
    assert bars == {"red"}

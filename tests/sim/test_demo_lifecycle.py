"""--demo starts a stack, watches it, and leaves nothing behind — also when killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from blazz_tui.sim.layout import Layout

EXIT_CODES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}  # Nagios's


def sim_processes(marker: str) -> list[psutil.Process]:
    """Live processes whose command line or environment mentions ``marker`` (a stack's
    directory): the keeper, supervisord, redis and instances name it in their arguments,
    the artisan programs in BLAZZ_SIM_ENV."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status", "environ"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE or proc.pid == os.getpid():
            continue
        text = " ".join(proc.info["cmdline"] or ()) + str(proc.info["environ"] or "")
        if marker in text:
            found.append(proc)
    return found


def test_demo_check_reports_a_healthy_stack_and_leaves_no_process(tmp_path: Path) -> None:
    # The demo makes its stack in TMPDIR: a directory of this test's own, so only the
    # processes it started are counted (other runs on this machine start demos too).
    marker = str(tmp_path / "blazz-demo-")
    out = tmp_path / "check.json"
    with out.open("w") as stdout:
        proc = subprocess.Popen([sys.executable, "-m", "blazz_tui", "--demo", "--check",
                                 "--format", "json"], stdout=stdout, stderr=subprocess.DEVNULL,
                                env={**os.environ, "TMPDIR": str(tmp_path)})
        seen_running, deadline = False, time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            seen_running = seen_running or bool(sim_processes(marker))
            time.sleep(0.2)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert seen_running, "the demo's processes were never seen under the test's TMPDIR"
    document = json.loads(out.read_text())
    # The machine's own load is not the stack's health (other tests may load this machine).
    stack = [c for c in document["checks"] if not c["name"].startswith("host-")]
    assert [c for c in stack if c["status"] != "OK"] == []
    # The exit code is the worst status, the host's own then (WARNING or CRITICAL at load).
    host = {c["status"] for c in document["checks"] if c["name"].startswith("host-")}
    assert document["status"] == "OK" or document["status"] in host
    assert proc.returncode == EXIT_CODES[document["status"]]
    deadline = time.monotonic() + 5  # a child that has just exited may still be listed
    while sim_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sim_processes(marker) == []


def test_stack_stops_itself_when_its_owner_is_killed(tmp_path: Path) -> None:
    owner = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from blazz_tui.sim.cli import launch; "
        f"launch(Path({str(tmp_path)!r}), owner=__import__('os').getpid(), accounts=10); "
        "print('ready', flush=True); time.sleep(600)")], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None and owner.stdout.readline().strip() == "ready"
    assert sim_processes(str(tmp_path))
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30
    while sim_processes(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sim_processes(str(tmp_path)) == []
    assert not (Layout.load(tmp_path).path / "ready").exists()


def demo_dirs(tmpdir: Path) -> set[str]:
    """The demos' stacks in ``tmpdir``, the TMPDIR a test gives its own demo."""
    return {p.name for p in tmpdir.glob("blazz-demo-*")}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_dashboard_gives_the_terminal_back_and_removes_the_demo(
        sig: signal.Signals, tmp_path: Path) -> None:
    import pty
    import select

    # Its own TMPDIR: only the demo this test starts is looked for (other runs make theirs).
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "blazz_tui", "--demo"], stdin=slave,
                            stdout=slave, stderr=slave, start_new_session=True,
                            env={**os.environ, "TERM": "xterm-256color",
                                 "TMPDIR": str(tmp_path)})
    os.close(slave)
    seen = b""

    def read_for(seconds: float, until: bytes | None = None) -> None:
        nonlocal seen
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and until in seen):
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    return

    read_for(90, until=b"checks")  # the first complete screen
    assert b"checks" in seen, seen[-500:]
    assert demo_dirs(tmp_path), "the demo's stack is not in the test's TMPDIR"
    mark = len(seen)
    proc.send_signal(sig)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        read_for(0.5)  # keep the terminal drained: a full one would block the app's writes
    read_for(1)
    os.close(master)
    assert proc.poll() is not None, "still running 60 s after the signal"
    after_signal = seen[mark:]
    assert proc.returncode == 128 + sig
    assert b"\x1b[?1049l" in after_signal  # out of the alternate screen
    assert b"\x1b[?1000l" in after_signal  # mouse tracking off
    deadline = time.monotonic() + 30  # the keeper removes the stack once it has stopped it
    while demo_dirs(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert demo_dirs(tmp_path) == set()

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

from blazz_tui.sim.layout import Layout


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


def test_demo_check_reports_a_healthy_stack_and_leaves_no_process() -> None:
    before = {p.pid for p in sim_processes("blazz-demo-")}
    result = subprocess.run([sys.executable, "-m", "blazz_tui", "--demo", "--check",
                             "--format", "json"], capture_output=True, text=True, timeout=120)
    document = json.loads(result.stdout)
    assert document["status"] == "OK", [c for c in document["checks"] if c["status"] != "OK"]
    assert result.returncode == 0
    time.sleep(0.5)
    assert {p.pid for p in sim_processes("blazz-demo-")} - before == set()


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

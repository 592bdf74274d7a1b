"""`--check` keeps its deadline whatever the watched servers do, and stops at once on a signal.

Each hostile server is a real socket (``tests.fixtures.hostile``): one that accepts and never
answers, one that answers a byte a second forever (no per-operation socket timeout fires), and
ports nothing listens on. A check that ignored its deadline would run for the source's own
timeout (set to a minute here) or forever; the subprocess timeout catches that, so nothing here
depends on how fast the machine is.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.hostile import closed_ports, hostile, silent_database
from tests.fixtures.hostile import one_source_config as config

HTTP_STARTED = b"HTTP/1.1 200 OK\r\n"
SLOW = 60
"""The hostile source's own timeout: far beyond any deadline under test."""

DEADLINE = 6
"""The deadline under test: past blazz-tui's own start-up on a loaded machine (--version alone
took 1.7 s at load 13, and a deadline of 1 or 2 s passed before anything was read)."""


def check(path: Path, *args: str, limit: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blazz_tui", "-c", str(path), "--check",
                           "--format", "nagios", *args],
                          capture_output=True, text=True, timeout=limit)


def test_a_trickling_supervisord_cannot_hold_a_check_past_its_deadline(tmp_path: Path) -> None:
    with hostile("trickle", unix_path=str(tmp_path / "sv.sock"), prefix=HTTP_STARTED):
        path = config(tmp_path, f'[[targets.t.supervisor]]\nname = "main"\n'
                                f'url = "unix://{tmp_path}/sv.sock"\n'
                                f"[targets.t.poll]\nsupervisor = {{ interval = 2, "
                                f"timeout = {SLOW} }}\n")
        result = check(path, "-t", str(DEADLINE))
    assert result.returncode == 3
    first, *details = result.stdout.splitlines()
    assert first.startswith(f"BLAZZ UNKNOWN: check timed out after {DEADLINE} s waiting for "
                            "supervisor")
    assert f"UNKNOWN supervisor: supervisord unreachable: not answered within the {DEADLINE} " \
           "s deadline" in details


def test_a_database_that_accepts_and_never_answers_is_cut_off_at_the_deadline(
        tmp_path: Path) -> None:
    with hostile("silent") as server:
        path = config(tmp_path, silent_database(server.port, SLOW))
        result = check(path, "-t", str(DEADLINE))
    assert result.returncode == 3
    assert result.stdout.startswith(f"BLAZZ UNKNOWN: check timed out after {DEADLINE} s "
                                    "waiting for database")


def test_the_elapsed_time_of_a_timed_out_check_is_the_whole_wait(tmp_path: Path) -> None:
    import json

    from blazz_tui.cli import OUTPUT_TIME

    with hostile("silent") as server:
        path = config(tmp_path, silent_database(server.port, SLOW))
        result = subprocess.run([sys.executable, "-m", "blazz_tui", "-c", str(path), "--check",
                                 "--format", "json", "-t", str(DEADLINE)],
                                capture_output=True, text=True, timeout=20)
    document = json.loads(result.stdout)
    assert document["timed_out"] == DEADLINE
    # The deadline counts the process's start-up; so does the time said to have elapsed.
    assert document["elapsed"] >= DEADLINE - OUTPUT_TIME


def test_without_a_deadline_the_source_timeout_bounds_the_check(tmp_path: Path) -> None:
    with hostile("silent") as server:
        path = config(tmp_path, silent_database(server.port, 1))
        result = check(path)
    assert result.returncode == 2
    assert result.stdout.startswith("BLAZZ CRITICAL: database unreachable: the database did "
                                    "not answer within 1 s")


@pytest.mark.parametrize(("source", "prefix"), [("redis", b"$100\r\n"),
                                                 ("instances", HTTP_STARTED)])
def test_a_trickling_redis_or_instance_cannot_hold_a_check(tmp_path: Path, source: str,
                                                           prefix: bytes) -> None:
    with hostile("trickle", prefix=prefix) as server:
        table = (f'[targets.t.redis]\nurl = "redis://127.0.0.1:{server.port}/0"\n'
                 if source == "redis" else
                 f'[[targets.t.instances]]\nname = "wa"\nurl = "http://127.0.0.1:{server.port}"\n')
        path = config(tmp_path, table + f"[targets.t.poll]\n{source} = {{ interval = 2, "
                                        f"timeout = {SLOW} }}\n")
        result = check(path, "-t", str(DEADLINE))
    assert result.returncode == 3
    assert result.stdout.startswith(f"BLAZZ UNKNOWN: check timed out after {DEADLINE} s "
                                    f"waiting for {source}")


def test_a_thousand_instances_on_closed_ports_are_each_reported_down(tmp_path: Path) -> None:
    ports = closed_ports(1000)
    path = config(tmp_path, "".join(f'[[targets.t.instances]]\nname = "wa-{p}"\n'
                                    f'url = "http://127.0.0.1:{p}"\n' for p in ports))
    result = check(path, "-t", "30", limit=90)  # what it takes at load: never the deadline
    assert result.returncode == 2
    down = [line for line in result.stdout.splitlines()
            if line.startswith("CRITICAL instance:") and "down: connection refused" in line]
    assert len(down) == 1000


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_a_stuck_check_at_once_with_unknown(tmp_path: Path,
                                                           sig: signal.Signals) -> None:
    with hostile("silent") as server:
        path = config(tmp_path, silent_database(server.port, SLOW))
        proc = subprocess.Popen([sys.executable, "-m", "blazz_tui", "-c", str(path), "--check",
                                 "--format", "nagios"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while server.connections == 0:  # the check is now waiting on the database
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 3
    assert out.strip() == f"BLAZZ UNKNOWN: interrupted by {sig.name}"

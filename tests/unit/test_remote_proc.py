"""A remote host's figures come from one small command over /proc: run here, on this Linux
machine, they must say what psutil says."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import psutil

from blazz_tui.transport import remote_proc
from blazz_tui.transport.base import CommandResult
from blazz_tui.transport.local import LocalTransport, _host_stats


def sh(command: str) -> CommandResult:
    return asyncio.run(LocalTransport().run(["sh", "-c", command], 10.0))


def test_host_figures_match_psutils() -> None:
    tick, _ = remote_proc.parse_facts(sh(remote_proc.FACTS_COMMAND))
    remote = remote_proc.parse_host(sh(remote_proc.host_command("/")), "/", tick)
    local = _host_stats("/")

    assert (remote.cpu_count, remote.memory_total, remote.disk_total) == \
        (local.cpu_count, local.memory_total, local.disk_total)
    assert abs(remote.boot_time - local.boot_time) <= 1
    assert abs(remote.cpu_total - local.cpu_total) < 5 * local.cpu_count
    assert abs(remote.memory_percent - local.memory_percent) < 2
    assert abs(remote.disk_percent - local.disk_percent) < 1
    assert remote.load == tuple(round(x, 2) for x in os.getloadavg())


def test_a_busy_processs_cpu_rss_and_arguments_match_psutils() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass", "an argument"])
    try:
        sampler = remote_proc.ProcessSampler(*remote_proc.parse_facts(
            sh(remote_proc.FACTS_COMMAND)))
        first = sampler.parse(sh(sampler.command([busy.pid, 999_999_999])))
        watched = psutil.Process(busy.pid)
        watched.cpu_percent(None)
        time.sleep(1.0)
        second = sampler.parse(sh(sampler.command([busy.pid])))
        cpu, rss = watched.cpu_percent(None), watched.memory_info().rss
    finally:
        busy.kill()
        busy.wait()

    assert set(first) == {busy.pid}  # a pid that does not exist is left out
    assert first[busy.pid].cpu_percent == 0.0  # as psutil: no rate before a second sample
    assert second[busy.pid].cmdline == (sys.executable, "-c", "while True: pass", "an argument")
    # What share of a core the busy child gets is the machine's (under load, far below one
    # core); the sampler must say what psutil says of the same second, whatever it is.
    assert cpu > 0
    assert abs(second[busy.pid].cpu_percent - cpu) <= max(10.0, cpu / 4)
    assert abs(second[busy.pid].rss - rss) < 2 * 1024 * 1024


def test_workers_are_found_in_ps_with_their_age() -> None:
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)",
                               "queue:work"])
    try:
        time.sleep(1.1)
        found = remote_proc.parse_ps(sh(remote_proc.PS_COMMAND), ("queue:work",), time.time())
    finally:
        worker.kill()
        worker.wait()

    ours = [p for p in found if p.pid == worker.pid]
    assert ours and ours[0].cmdline[-1] == "queue:work"
    assert 0 < time.time() - ours[0].started < 10


def test_output_that_is_not_proc_is_an_error_naming_it() -> None:
    try:
        remote_proc.parse_host(CommandResult(127, "", "sh: df: not found\n"), "/", 100.0)
    except OSError as exc:
        assert str(exc) == "reading /proc failed on the target: sh: df: not found"
    else:
        raise AssertionError("garbage accepted")

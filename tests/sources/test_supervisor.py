"""SupervisorSource against a real supervisord running small real programs."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from blazz_tui.settings import SupervisorEndpoint, WorkerConfig
from blazz_tui.sim.supervisord import ProgramSpec, Supervisord
from blazz_tui.sources.supervisor import (
    ProcessInfo,
    SupervisorReading,
    SupervisorSource,
)
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.supervisord import WORKER_QUEUES, Factory, fake_artisan


async def poll(*endpoints: SupervisorEndpoint, timeout: float = 3.0) -> SupervisorReading:
    source = SupervisorSource(endpoints, LocalTransport(), timeout=timeout)
    try:
        return await source.read()
    finally:
        await source.close()


def process(reading: SupervisorReading, name: str) -> ProcessInfo:
    return {p.name: p for p in reading.processes}[name]


# -- against a real supervisord --------------------------------------------------------------

async def test_running_processes_report_state_pid_and_uptime(supervisord: Supervisord) -> None:
    reading = await poll(supervisord.endpoint())
    assert reading.ok
    (endpoint,) = reading.endpoints
    assert endpoint.state == "RUNNING" and endpoint.version.startswith("4.")
    sleeper = process(reading, "sleeper")
    assert sleeper.state == "RUNNING" and sleeper.pid > 0
    assert sleeper.start > 0 and 0 <= sleeper.uptime < 600
    assert sleeper.full_name == "sleeper:sleeper"
    assert not sleeper.is_queue_worker


async def test_program_that_exits_at_once_is_fatal_with_spawn_error(
        supervisord: Supervisord) -> None:
    crasher = process(await poll(supervisord.endpoint()), "crasher")
    assert crasher.state == "FATAL"
    assert crasher.pid == 0 and crasher.uptime == 0
    assert "Exited too quickly" in crasher.spawn_error


async def test_worker_queues_are_read_from_the_program_command(
        supervisord: Supervisord) -> None:
    worker = process(await poll(supervisord.endpoint()), "worker_00")
    assert "queue:work" in worker.command
    assert worker.queue_connection == "database"
    assert worker.queues == WORKER_QUEUES


async def test_numprocs_processes_are_numbered_within_their_group(
        supervisord: Supervisord) -> None:
    reading = await poll(supervisord.endpoint())
    workers = sorted(p.full_name for p in reading.processes if p.is_queue_worker)
    assert workers == ["blazz:worker_00", "blazz:worker_01"]


async def test_cpu_and_rss_are_filled_for_running_processes(supervisord: Supervisord) -> None:
    reading = await poll(supervisord.endpoint())
    for proc in reading.processes:
        if proc.state == "RUNNING":
            assert proc.cpu_percent is not None and proc.rss is not None and proc.rss > 0
        else:
            assert proc.cpu_percent is None and proc.rss is None


async def test_restart_changes_pid_and_start_time(supervisord_factory: Factory) -> None:
    sv = supervisord_factory()
    before = process(await poll(sv.endpoint()), "sleeper")
    await asyncio.sleep(1.05)  # supervisord's start times are whole seconds
    rpc = sv.rpc()
    await asyncio.to_thread(rpc.supervisor.stopProcess, "sleeper:sleeper", True)
    await asyncio.to_thread(rpc.supervisor.startProcess, "sleeper:sleeper", True)
    after = process(await poll(sv.endpoint()), "sleeper")
    assert after.state == "RUNNING"
    assert after.pid != before.pid and after.start > before.start


async def test_stopped_supervisord_gives_an_error_reading_not_an_exception(
        supervisord_factory: Factory) -> None:
    sv = supervisord_factory()
    await asyncio.to_thread(sv.stop)
    reading = await poll(sv.endpoint())
    assert reading.error is not None and str(sv.socket_path) in reading.error
    assert not reading.has_data and reading.attempted_at > 0
    assert reading.endpoints[0].processes == ()


async def test_missing_socket_is_reported_with_its_url() -> None:
    reading = await poll(SupervisorEndpoint(url="unix:///nonexistent/supervisor.sock"))
    assert reading.error == (
        "no supervisord at unix:///nonexistent/supervisor.sock (socket not found)")


async def test_one_endpoint_down_keeps_the_other_endpoints_processes(
        supervisord: Supervisord, tmp_path: Path) -> None:
    down = SupervisorEndpoint(name="queue", url=f"unix://{tmp_path}/gone.sock")
    reading = await poll(supervisord.endpoint("app"), down)
    assert reading.ok
    app, queue = reading.endpoints
    assert app.error is None and app.fetched_at > 0 and app.processes
    assert queue.error is not None and "socket not found" in queue.error
    assert queue.processes == () and queue.fetched_at == 0
    assert {p.endpoint for p in reading.processes} == {"app"}


@pytest.fixture
def silent_socket(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts connections and never answers (a hung supervisord)."""
    path = str(tmp_path / "hung.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    try:
        yield path
    finally:
        server.close()


async def test_supervisord_that_never_answers_times_out(silent_socket: str) -> None:
    started = time.perf_counter()
    reading = await poll(SupervisorEndpoint(url=f"unix://{silent_socket}"), timeout=0.3)
    assert reading.error == f"supervisord at unix://{silent_socket} did not answer within 0.3 s"
    assert time.perf_counter() - started < 2


async def test_wrong_credentials_are_reported_without_the_password(
        supervisord_factory: Factory, unused_tcp_port: int) -> None:
    sv = supervisord_factory([], username="ops", password="right-one", inet_port=unused_tcp_port)
    wrong = SupervisorEndpoint(url=f"http://ops:s3cret-pw@127.0.0.1:{unused_tcp_port}/RPC2")
    reading = await poll(wrong)
    assert reading.error == "supervisord rejected the credentials"
    assert "s3cret-pw" not in repr(reading) and "***" in reading.endpoints[0].url
    good = await poll(sv.endpoint(http=True))
    assert good.ok and good.endpoints[0].state == "RUNNING"


@pytest.mark.skipif(os.geteuid() == 0, reason="root is never refused a socket")
async def test_root_only_socket_says_how_to_fix_permissions(tmp_path: Path) -> None:
    path = tmp_path / "root-only.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    path.chmod(0)
    try:
        reading = await poll(SupervisorEndpoint(url=f"unix://{path}"))
    finally:
        server.close()
    assert reading.error is not None
    assert reading.error.startswith(f"permission denied on {path} — the socket is usually")


def test_runner_leaves_no_child_behind(tmp_path: Path) -> None:
    import psutil

    sv = Supervisord(tmp_path, [])
    sv.set_programs([*_sleepers(2)])
    sv.start()
    try:
        sv.wait_states({"s0": "RUNNING", "s1": "RUNNING"})
        children = psutil.Process(sv.pid).children(recursive=True)
        assert len(children) == 2
    finally:
        sv.stop()
    assert not any(c.is_running() for c in children)
    assert not sv.socket_path.exists()


def test_runner_adds_programs_to_a_running_supervisord(tmp_path: Path) -> None:
    with Supervisord(tmp_path, list(_sleepers(1))) as sv:
        result = sv.set_programs(list(_sleepers(2)))
        assert result.added == ("s1",)
        sv.wait_states({"s1:s1": "RUNNING"})


def _sleepers(n: int) -> Iterator[ProgramSpec]:
    for i in range(n):
        yield ProgramSpec(f"s{i}", f"{sys.executable} -c 'import time; time.sleep(60)'",
                          startsecs=0)



# -- a program's log (details screen) ---------------------------------------------------------

async def test_program_log_tail_is_read_through_supervisord(
        supervisord_factory: Factory) -> None:
    sv = supervisord_factory([ProgramSpec(
        "talker", "sh -c 'for i in 1 2 3; do echo line-$i; done; exec sleep 600'")])
    source = SupervisorSource((sv.endpoint(),), LocalTransport())
    for _ in range(50):
        tail = await source.tail_log(sv.endpoint().name, "talker:talker")
        if "line-3" in tail.text:
            break
        await asyncio.sleep(0.1)
    assert tail.error is None
    assert tail.text.splitlines()[-3:] == ["line-1", "line-2", "line-3"]


async def test_log_of_an_unknown_program_is_an_error_not_an_exception(
        supervisord: Supervisord) -> None:
    source = SupervisorSource((supervisord.endpoint(),), LocalTransport())
    tail = await source.tail_log(supervisord.endpoint().name, "nosuch:nosuch")
    assert tail.text == "" and tail.error is not None and "BAD_NAME" in tail.error


async def test_workers_are_known_by_the_config_then_their_command_then_their_name(
        supervisord_factory: Factory, tmp_path: Path) -> None:
    artisan = fake_artisan(tmp_path)
    sleep = f"{sys.executable} -c 'import time; time.sleep(3600)'"
    sv = supervisord_factory([
        ProgramSpec("horizon", f"{sys.executable} {artisan} horizon", startsecs=0),
        ProgramSpec("wrapped", sleep, startsecs=0),
        ProgramSpec("laravel-queue-runner", sleep, startsecs=0),
        ProgramSpec("reverb", sleep, startsecs=0),
    ], [])
    sv.wait_states({"horizon": "RUNNING", "wrapped": "RUNNING", "reverb": "RUNNING",
                    "laravel-queue-runner": "RUNNING"})
    source = SupervisorSource((sv.endpoint(),), LocalTransport(),
                              workers=(WorkerConfig("wrap*", ("messaging", "default")),))
    reading = await source.read()
    found = {p.name: (p.worker, p.queues) for p in reading.processes}
    assert found == {"horizon": (True, ()), "wrapped": (True, ("messaging", "default")),
                     "laravel-queue-runner": (True, ()), "reverb": (False, ())}


async def test_without_supervisord_workers_are_found_in_the_process_table(
        tmp_path: Path) -> None:
    artisan = fake_artisan(tmp_path)
    worker = subprocess.Popen([sys.executable, str(artisan), "queue:work", "database",
                               "--queue=messaging,default"])
    try:
        missing = SupervisorEndpoint(url=f"unix://{tmp_path}/supervisor.sock")
        reading = await SupervisorSource((missing,), LocalTransport(), required=False).read()
    finally:
        worker.kill()
        worker.wait()
    assert reading.ok
    absent, table = reading.endpoints
    assert absent.absent and absent.error is not None and "socket not found" in absent.error
    [found] = [p for p in table.processes if p.pid == worker.pid]
    assert (found.state, found.worker, found.queues) == ("RUNNING", True,
                                                         ("messaging", "default"))


async def test_a_supervisord_the_config_names_is_required(tmp_path: Path) -> None:
    missing = SupervisorEndpoint(url=f"unix://{tmp_path}/supervisor.sock")
    reading = await SupervisorSource((missing,), LocalTransport()).read()
    assert reading.error is not None and not reading.endpoints[0].absent


async def test_a_first_read_knows_the_restarts_supervisords_log_records(
        supervisord_factory: Factory) -> None:
    from blazz_tui.history import History

    crash = f"{sys.executable} -c 'import time, sys; time.sleep(1.2); sys.exit(1)'"
    sv = supervisord_factory([ProgramSpec("crashy", crash, startsecs=1, startretries=100)], [])
    sv.wait_until(lambda infos: sv.logfile.read_text().count("spawned: 'crashy'") >= 4,
                  timeout=30)
    source = SupervisorSource((sv.endpoint(),), LocalTransport())
    try:
        reading = await source.read()
    finally:
        await source.close()
    spawns = sv.logfile.read_text().count("spawned: 'crashy'")  # supervisord's own record
    history = History()  # as a first --check: nothing seen before
    history.programs.observe_supervisor(reading)
    [restarts] = history.programs.restarts(time.time())
    assert restarts.name == "crashy:crashy"
    assert spawns - 1 <= restarts.recent <= spawns  # every spawn after the first (one more
    # may have been logged since it was read)

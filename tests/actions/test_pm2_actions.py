"""PM2 processes restarted from blazz-tui, and the rolling restart of the instances, against a
real PM2 daemon running simulated instances."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from blazz_tui.sim.supervisord import ProgramSpec, Supervisord
from tests.fixtures.pm2 import Pm2
from tests.fixtures.supervisord import Factory

pytestmark = pytest.mark.slow


def config(tmp_path: Path, ports: list[int], connect_timeout: float = 20.0,
           supervisord: Supervisord | None = None) -> Path:
    instances = "".join(f'[[targets.t.instances]]\nname = "wa-{p}"\n'
                        f'url = "http://127.0.0.1:{p}"\napi_key = "k"\n' for p in ports)
    supervisor = (f'supervisor = [{{ name = "main", url = "{supervisord.url}" }}]\n'
                  if supervisord else "supervisor = []\n")
    path = tmp_path / "pm2.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n[targets.t]\n{supervisor}'
                    f'database = false\nredis = false\nports = []\n{instances}'
                    f'[targets.t.rebalance]\nconnect_timeout = {connect_timeout}\n')
    path.chmod(0o600)
    return path


def blazz(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blazz_tui", *args, "-c", str(path), "--yes"],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def pids(pm2: Pm2) -> dict[str, int]:
    return {p["name"]: p["pid"] for p in pm2.processes()}


def with_sessions(port: int, count: int) -> None:
    """``count`` sessions on the instance, CONNECTED."""
    with httpx.Client(headers={"X-Api-Key": "k"}, timeout=5) as client:
        for i in range(count):
            client.post(f"http://127.0.0.1:{port}/api/sessions",
                        json={"sessionId": f"s-{port}-{i}", "accountUuid": f"a-{port}-{i}"})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            sessions = client.get(f"http://127.0.0.1:{port}/health/sessions").json()["sessions"]
            if sum(s["status"] == "CONNECTED" for s in sessions) == count:
                return
            time.sleep(0.1)
    raise AssertionError(f"sessions on {port} never connected")


def started(pm2: Pm2, count: int) -> list[tuple[str, int]]:
    found = [pm2.start_instance() for _ in range(count)]
    for name, port in found:
        pm2.wait(name, lambda p: p["pm2_env"]["status"] == "online")
        with_sessions(port, 3)
    return found


def test_a_pm2_process_is_restarted_by_name_and_audited(pm2: Pm2, tmp_path: Path) -> None:
    [(name, port)] = started(pm2, 1)
    before = pids(pm2)[name]

    result = blazz(config(tmp_path, [port]), "restart", f"pm2:{name}")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{name}: online, pid" in result.stdout
    assert pids(pm2)[name] != before
    [entry] = [e for e in map(json.loads, (tmp_path / "state" / "audit.jsonl").open())
               if e["phase"] != "started"]
    assert (entry["action"], entry["result"]["outcome"]) == ("restart", "DONE")


def test_an_unknown_pm2_process_is_refused_naming_the_ones_there(pm2: Pm2,
                                                                 tmp_path: Path) -> None:
    [(name, port)] = started(pm2, 1)
    result = blazz(config(tmp_path, [port]), "restart", "pm2:whatsapp-9")
    assert result.returncode == 3
    assert f"PM2 has no process 'whatsapp-9' (it has: {name})" in result.stdout + result.stderr


def test_a_pm2_process_is_restarted_by_its_name_alone_beside_supervisord(
        pm2: Pm2, supervisord_factory: Factory, tmp_path: Path) -> None:
    sv = supervisord_factory()  # sleeper, crasher, blazz:worker_00/_01: not this name
    [(name, port)] = started(pm2, 1)
    before = pids(pm2)[name]

    result = blazz(config(tmp_path, [port], supervisord=sv), "restart", name)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{name}: online, pid" in result.stdout
    assert pids(pm2)[name] != before


def test_a_name_both_supervisord_and_pm2_have_is_refused_saying_how_to_pick(
        pm2: Pm2, supervisord_factory: Factory, tmp_path: Path) -> None:
    [(name, port)] = started(pm2, 1)
    sv = supervisord_factory([ProgramSpec(name, f"{sys.executable} -c 'import time; "
                                                "time.sleep(3600)'", startsecs=0)])
    before_pm2, before_sv = pids(pm2)[name], sv.rpc().supervisor.getProcessInfo(name)["pid"]

    result = blazz(config(tmp_path, [port], supervisord=sv), "restart", name)

    assert result.returncode == 3
    assert (f"'{name}' is both supervisord's {name}:{name} and PM2's {name}: name it "
            f"pm2:{name} or {name}:{name}") in result.stdout
    assert pids(pm2)[name] == before_pm2
    assert sv.rpc().supervisor.getProcessInfo(name)["pid"] == before_sv


def test_an_unknown_name_is_refused_naming_the_close_ones_of_supervisord_and_pm2(
        pm2: Pm2, supervisord_factory: Factory, tmp_path: Path) -> None:
    sv = supervisord_factory()
    [(name, port)] = started(pm2, 1)
    path = config(tmp_path, [port], supervisord=sv)

    near_pm2 = blazz(path, "restart", name.replace("whatsapp", "whatsap"))
    near_supervisord = blazz(path, "restart", "sleepr")

    assert near_pm2.returncode == near_supervisord.returncode == 3
    assert f"did you mean {name}?" in near_pm2.stdout
    assert f"(groups: blazz, crasher, sleeper; PM2: {name})" in near_pm2.stdout
    assert "did you mean sleeper?" in near_supervisord.stdout


def test_the_rolling_restart_never_has_two_instances_down_at_once(pm2: Pm2,
                                                                  tmp_path: Path) -> None:
    found = started(pm2, 3)
    before = pids(pm2)
    down: list[tuple[float, int]] = []
    stop = threading.Event()

    def watch() -> None:
        with httpx.Client(timeout=0.5) as client:
            while not stop.is_set():
                now = time.monotonic()
                for _, port in found:
                    try:
                        client.get(f"http://127.0.0.1:{port}/health").raise_for_status()
                    except httpx.HTTPError:
                        down.append((now, port))
                time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = blazz(config(tmp_path, [p for _, p in found]), "rolling-restart")
    finally:
        stop.set()
        watcher.join()

    assert result.returncode == 0, result.stdout + result.stderr
    assert all(pids(pm2)[name] != before[name] for name, _ in found)
    assert {port for _, port in down} == {port for _, port in found}  # each went down once
    rounds: dict[float, set[int]] = {}
    for at, port in down:
        rounds.setdefault(at, set()).add(port)
    assert max(len(ports) for ports in rounds.values()) == 1
    assert result.stdout.count(": answers, 3 sessions CONNECTED again") == 6  # progress, result


def test_the_rolling_restart_stops_at_an_instance_whose_sessions_do_not_come_back(
        pm2: Pm2, tmp_path: Path) -> None:
    (first, p1), (lossy, p2), (last, p3) = started(pm2, 3)
    (pm2.home / "instances" / f"wa-{p2}.json").unlink()  # its sessions will not restore
    before = pids(pm2)

    result = blazz(config(tmp_path, [p1, p2, p3], connect_timeout=3), "rolling-restart")

    assert result.returncode == 1, result.stdout + result.stderr  # partly done
    assert pids(pm2)[first] != before[first] and pids(pm2)[lossy] != before[lossy]
    assert pids(pm2)[last] == before[last]
    assert f"wa-{p2}: 3 of 3 sessions not CONNECTED again after 3 s" in result.stdout
    assert f"not restarted (the roll stopped): wa-{p3} ({last})" in result.stdout

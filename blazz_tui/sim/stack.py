"""The simulated Blazz stack: every program of the seeds' supervisor configs, run for real.

``python -m blazz_tui.sim.stack --dir DIR [--owner PID]`` is the *keeper*: it lays out the
directory, starts one supervisord with the four instances, the queue workers, Reverb, the
scheduler, Redis (when installed) and a traffic generator, seeds accounts, writes the
blazz-tui config that watches it, and then waits. It shuts everything down on SIGTERM or
SIGINT — and when ``--owner`` (the dashboard started by ``--demo``) dies, even by SIGKILL.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from blazz_tui.sim import faults
from blazz_tui.sim import pm2 as sim_pm2
from blazz_tui.sim.layout import (
    INSTANCE_PORTS,
    REVERB_PORT,
    Layout,
    alive,
    choose_ports,
    env_file,
    free_port,
    watch_config,
)
from blazz_tui.sim.programs import PY, WORKERS, environment, supervisor_for
from blazz_tui.sim.supervisord import Supervisord

CHAOS_FAULTS = ("kill-instance", "break-worker", "flood-queue", "drift", "slow-instance",
                "garbage-instance", "redis-down", "stop-worker")


def plan(root: Path, database_url: str | None, accounts: int, chaos: bool,
         owner: int | None, sync_every: float, pm2: bool = False) -> Layout:
    ports = choose_ports(INSTANCE_PORTS + (REVERB_PORT,))
    redis = free_port() if shutil.which("redis-server") else None
    database = database_url or f"sqlite://{root.resolve() / 'app' / 'database' / 'blazz.sqlite'}"
    return Layout(root=str(root.resolve()), instance_ports=ports[:-1], reverb_port=ports[-1],
                  redis_port=redis, database_url=database, accounts=accounts, chaos=chaos,
                  owner_pid=owner, keeper_pid=os.getpid(), sync_every=sync_every, pm2=pm2)


def _artisan(layout: Layout, *args: str, timeout: float = 120.0) -> None:
    env = dict(os.environ, BLAZZ_SIM_ENV=str(layout.env_path))
    subprocess.run([PY, "-m", "blazz_tui.sim.artisan", *args], cwd=layout.app_dir, env=env,
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   timeout=timeout)


def _wait_instances(layout: Layout, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    pending = set(layout.instance_ports)
    with httpx.Client(timeout=1.0) as client:
        while pending and time.monotonic() < deadline:
            for port in list(pending):
                try:
                    if client.get(f"{layout.instance_url(port)}/health").status_code == 200:
                        pending.discard(port)
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
    if pending:
        raise RuntimeError(f"instances on {sorted(pending)} did not come up")


def _wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout:g} s")


def start(layout: Layout) -> Supervisord:
    """Lay out the directory, start everything, seed it; return the running supervisord."""
    for path in (layout.log_dir, layout.state_dir, layout.app_dir / "database",
                 layout.path / "faults"):
        path.mkdir(parents=True, exist_ok=True)
    (layout.app_dir / "artisan").write_text("# simulated Laravel app: python -m "
                                            "blazz_tui.sim.artisan\n")
    layout.env_path.write_text(env_file(layout))
    os.chmod(layout.env_path, 0o600)
    sv = supervisor_for(layout)
    sv.start()
    try:
        if layout.pm2:
            sim_pm2.start(layout, environment(layout))
        _artisan(layout, "sim:setup")
        _wait_instances(layout)
        _artisan(layout, "sim:seed", f"--accounts={layout.accounts}",
                 timeout=120 + layout.accounts * 0.03)  # ~15 ms a session
        _artisan(layout, "whatsapp:sync-instance-urls")  # as cron would have, before we watch
        rpc = sv.rpc()
        rpc.supervisor.startProcessGroup("blazz", False)
        rpc.supervisor.startProcessGroup("sim", False)
        _wait_port(layout.reverb_port)
        sv.wait_until(lambda infos: all(i["statename"] == "RUNNING" for i in infos),
                      timeout=15)
        layout.config_path.write_text(watch_config(layout, sv.url))
        os.chmod(layout.config_path, 0o600)  # it holds the instances' API key
    except BaseException:
        _stop_all(layout, sv)  # never leave a half-started stack behind
        raise
    return sv


def keep(layout: Layout, sv: Supervisord, remove: bool = False) -> None:
    """Wait until told to stop or until the owner is gone; then stop everything, and with
    ``remove`` remove the stack's directory (the owner may be gone without a word)."""
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    next_chaos = time.monotonic() + random.uniform(15, 30)
    heal_at: float | None = None
    try:
        while not stopping and (layout.owner_pid is None or alive(layout.owner_pid)):
            if layout.chaos:
                now = time.monotonic()
                if heal_at is not None and now >= heal_at:
                    _quietly(lambda: faults.heal(layout))
                    heal_at, next_chaos = None, now + random.uniform(10, 25)
                elif heal_at is None and now >= next_chaos:
                    _quietly(lambda: _random_fault(layout))
                    heal_at = now + random.uniform(15, 30)
            time.sleep(0.25)
    finally:
        _stop_all(layout, sv)
        _mark(layout, ready=False)
        if remove:
            shutil.rmtree(layout.path, ignore_errors=True)


def _stop_all(layout: Layout, sv: Supervisord) -> None:
    sv.stop()
    if layout.pm2:
        sim_pm2.stop(layout)


def _random_fault(layout: Layout) -> str:
    name = random.choice(CHAOS_FAULTS)
    port = str(random.choice(layout.instance_ports))
    args = {"kill-instance": [port], "slow-instance": [port, "3"], "garbage-instance": [port],
            "break-worker": [random.choice(WORKERS)[0], "always"],  # chaos heals it
            "stop-worker": [random.choice(WORKERS)[0]],
            "flood-queue": ["whatsapp-high", "3000"], "drift": ["8"]}.get(name, [])
    message = faults.apply(layout, name, args)
    print(f"chaos: {name} {' '.join(args)}: {message}", flush=True)
    return message


def _quietly(action: object) -> None:
    try:
        action()  # type: ignore[operator]
    except faults.FaultError as exc:
        print(f"chaos: {exc}", flush=True)


def _mark(layout: Layout, ready: bool) -> None:
    marker = layout.path / "ready"
    if ready:
        marker.write_text(str(os.getpid()))
    else:
        marker.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blazz_tui.sim.stack")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--owner", type=int)
    parser.add_argument("--database")
    parser.add_argument("--accounts", type=int, default=120)
    parser.add_argument("--sync-every", type=float, default=10.0)
    parser.add_argument("--chaos", action="store_true")
    parser.add_argument("--pm2", action="store_true")
    parser.add_argument("--remove", action="store_true",
                        help="remove the directory once the stack is stopped")
    args = parser.parse_args(argv)
    root = Path(args.dir)
    layout = plan(root, args.database, args.accounts, args.chaos, args.owner, args.sync_every,
                  args.pm2)
    layout.save()
    sv = start(layout)
    _mark(layout, ready=True)
    print(f"stack ready: {layout.config_path}", flush=True)
    keep(layout, sv, args.remove)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

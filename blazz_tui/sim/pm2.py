"""The simulated instances under a real PM2 daemon of the stack's own (``PM2_HOME`` in the
stack directory), started from an ``ecosystem.config.js`` as seed 003 runs the service: one
process per port, ``PORT`` set, restarted above 500 MB."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from blazz_tui.sim.layout import Layout


class Pm2Error(RuntimeError):
    pass


def run(layout: Layout, *args: str, timeout: float = 60.0) -> str:
    """``pm2 ARGS`` against the stack's daemon (started by the first command)."""
    if shutil.which("pm2") is None:
        raise Pm2Error("pm2 is not installed (npm install -g pm2)")
    done = subprocess.run(["pm2", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PM2_HOME": str(layout.pm2_home)})
    if done.returncode != 0:
        raise Pm2Error(f"pm2 {' '.join(args)}: {(done.stderr or done.stdout).strip()[-400:]}")
    return done.stdout


def ecosystem(layout: Layout, env: dict[str, str]) -> str:
    apps = [{
        "name": layout.pm2_name(port),
        "script": sys.executable,
        "interpreter": "none",
        "args": layout.instance_args(port),
        "env": {**env, "PORT": str(port)},
        "max_memory_restart": "500M",
        "out_file": str(layout.log_dir / "whatsapp-service.log"),
        "error_file": str(layout.log_dir / "whatsapp-service.log"),
        "merge_logs": True,
    } for port in layout.instance_ports]
    return f"module.exports = {{ apps: {json.dumps(apps, indent=2)} }};\n"


def start(layout: Layout, env: dict[str, str]) -> None:
    layout.pm2_home.mkdir(parents=True, exist_ok=True)
    path = layout.path / "ecosystem.config.js"
    path.write_text(ecosystem(layout, env))
    run(layout, "start", str(path))


def stop(layout: Layout) -> None:
    """Kill the stack's daemon and its processes (nothing when none runs)."""
    if (layout.pm2_home / "pm2.pid").exists():
        try:
            run(layout, "kill")
        except (Pm2Error, subprocess.TimeoutExpired):
            pass  # already gone


def stopped(layout: Layout) -> list[str]:
    """The stack's PM2 processes that are not online."""
    return [p["name"] for p in json.loads(run(layout, "jlist") or "[]")
            if p.get("pm2_env", {}).get("status") != "online"]

"""The simulated stack's programs, as supervisord runs them: the instances (unless PM2 runs
them), the queue workers of the seeds' supervisor configs, Reverb, the scheduler, the traffic
generator and Redis. The keeper (``sim.stack``) starts them; the faults (``sim.faults``) reach
them through the same supervisord."""

from __future__ import annotations

import shlex
import shutil
import sys

from blazz_tui.sim.layout import Layout
from blazz_tui.sim.supervisord import GroupSpec, ProgramSpec, Supervisord

PY = sys.executable
WORKERS = (  # (program, --queue, --tries) as in the seeds' supervisor configs
    ("blazz-queue-default", "default", 3),
    ("blazz-queue-campaign", "campaign-conflict,whatsapp-campaign,campaign-stats", 5),
    ("blazz-queue-worker", "messaging,whatsapp-urgent,whatsapp-high,whatsapp-normal", 3),
)


def environment(layout: Layout) -> dict[str, str]:
    return {"BLAZZ_SIM_ENV": str(layout.env_path),
            "BLAZZ_SIM_FAULT_DIR": str(layout.path / "faults"), "PYTHONUNBUFFERED": "1"}


def programs(layout: Layout) -> tuple[list[ProgramSpec], list[GroupSpec]]:
    """supervisord's programs: the instances too, unless they run under PM2."""
    env = environment(layout)
    artisan = f"{PY} -m blazz_tui.sim.artisan"
    logs = layout.log_dir
    specs = [
        ProgramSpec(name=f"blazz-whatsapp-{port}",
                    command=shlex.join([PY, *layout.instance_args(port)]),
                    environment=env, stdout_logfile=str(logs / "whatsapp-service.log"),
                    startsecs=0)
        for port in (() if layout.pm2 else layout.instance_ports)
    ]
    specs += [
        ProgramSpec(name=name, numprocs=2, autostart=False, environment=env,
                    directory=str(layout.app_dir),
                    command=f"{artisan} queue:work database --queue={queues} --sleep=1 "
                            f"--tries={tries} --max-time=3600",
                    stdout_logfile=str(logs / f"{name.removeprefix('blazz-')}.log"))
        for name, queues, tries in WORKERS
    ]
    specs += [
        ProgramSpec(name="blazz-reverb", autostart=False, environment=env,
                    directory=str(layout.app_dir), stdout_logfile=str(logs / "reverb.log"),
                    command=f"{artisan} reverb:start --host=127.0.0.1 "
                            f"--port={layout.reverb_port}"),
        ProgramSpec(name="blazz-scheduler", autostart=False, environment=env,
                    directory=str(layout.app_dir), stdout_logfile=str(logs / "scheduler.log"),
                    command=f"{artisan} schedule:work --sync-every={layout.sync_every:g}"),
        ProgramSpec(name="traffic", autostart=False, environment=env,
                    directory=str(layout.app_dir), stdout_logfile=str(logs / "traffic.log"),
                    command=f"{artisan} sim:traffic"),
    ]
    blazz = tuple(s.name for s in specs if s.name.startswith("blazz-"))
    groups = [GroupSpec("blazz", blazz), GroupSpec("sim", ("traffic",))]
    if layout.redis_port is not None:
        specs.append(ProgramSpec(
            name="redis", startsecs=0, stdout_logfile=str(logs / "redis.log"),
            command=(f"{shutil.which('redis-server')} --port {layout.redis_port} "
                     f"--bind 127.0.0.1 --save '' --appendonly no --dir {layout.path}")))
        groups.append(GroupSpec("infra", ("redis",)))
    return specs, groups


def supervisor_for(layout: Layout) -> Supervisord:
    specs, groups = programs(layout)
    return Supervisord(layout.supervisor_dir, specs, groups)

"""Where a simulated stack lives: its directory, ports, database, and the files describing it.

A layout is decided once (ports 3001–3004 and 8080 when free, else free ports) and saved as
``stack.json`` in the stack directory, so ``sim status``, ``sim fault`` and ``sim stop`` find
the running stack again.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_DIR = Path("~/.cache/blazz-tui/sim")
API_KEY = "demo-api-key"
INSTANCE_PORTS = (3001, 3002, 3003, 3004)
REVERB_PORT = 8080


@dataclass(frozen=True)
class Layout:
    root: str
    instance_ports: tuple[int, ...]
    reverb_port: int
    redis_port: int | None
    """None when no redis-server binary is installed: the demo runs without Redis."""
    database_url: str
    api_key: str = API_KEY
    sync_every: float = 10.0
    accounts: int = 120
    chaos: bool = False
    owner_pid: int | None = None
    keeper_pid: int | None = None
    pm2: bool = False
    """The instances run under a PM2 daemon of the stack's own (seed 003), not supervisord."""

    @property
    def path(self) -> Path:
        return Path(self.root)

    @property
    def app_dir(self) -> Path:
        return self.path / "app"

    @property
    def log_dir(self) -> Path:
        return self.app_dir / "storage" / "logs"

    @property
    def state_dir(self) -> Path:
        return self.path / "instances"

    @property
    def supervisor_dir(self) -> Path:
        return self.path / "supervisor"

    @property
    def pm2_home(self) -> Path:
        return self.path / "pm2"

    @property
    def config_path(self) -> Path:
        return self.path / "config.toml"

    @property
    def env_path(self) -> Path:
        return self.app_dir / ".env"

    @property
    def max_sessions(self) -> int:
        """MAX_SESSIONS_PER_INSTANCE: the seeds' 300, or room for a larger seeded stack (the
        benchmarks run 10,000 accounts) at two thirds full."""
        return max(300, -(-self.accounts * 3 // (2 * len(self.instance_ports))))

    def instance_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def instance_name(self, port: int) -> str:
        return f"wa-{port}"

    def instance_args(self, port: int) -> list[str]:
        """The Python arguments of the instance on ``port``, under supervisord or PM2."""
        return ["-m", "blazz_tui.sim.instance", "--port", str(port),
                "--name", self.instance_name(port), "--state-dir", str(self.state_dir),
                "--api-key", self.api_key, "--restore-delay", "1.0",
                "--max-sessions", str(self.max_sessions)]

    def pm2_name(self, port: int) -> str:
        """As seed 002's runbooks name them: ``pm2 restart whatsapp-3001``."""
        return f"whatsapp-{port}"

    def save(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / "stack.json.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=2))
        os.replace(tmp, self.path / "stack.json")

    @classmethod
    def load(cls, root: Path) -> Layout:
        data = json.loads((root / "stack.json").read_text())
        data["instance_ports"] = tuple(data["instance_ports"])
        return cls(**data)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def choose_ports(wanted: tuple[int, ...]) -> tuple[int, ...]:
    """The wanted ports when all are free, else as many fresh free ports."""
    if all(port_free(p) for p in wanted):
        return wanted
    ports: list[int] = []
    while len(ports) < len(wanted):
        port = free_port()
        if port not in ports:
            ports.append(port)
    return tuple(ports)


def env_file(layout: Layout) -> str:
    """The Laravel-style .env the simulated app (``blazz_tui.sim.artisan``) reads."""
    db = layout.database_url
    lines = ["APP_NAME=Blazz", "APP_ENV=local", "APP_TIMEZONE=UTC",
             f"LOG_DIR={layout.log_dir}", "QUEUE_CONNECTION=database",
             "CACHE_STORE=redis", "CACHE_PREFIX=blazz_cache_", "REDIS_PREFIX=blazz_database_",
             "REDIS_CACHE_DB=1", f"WHATSAPP_API_KEY={layout.api_key}",
             f"BLAZZ_SIM_API_KEY={layout.api_key}",
             "BLAZZ_SIM_INSTANCES=" + ",".join(layout.instance_url(p)
                                               for p in layout.instance_ports),
             f"BLAZZ_SIM_STATE_DIR={layout.state_dir}"]
    if layout.redis_port is not None:
        lines += ["REDIS_HOST=127.0.0.1", f"REDIS_PORT={layout.redis_port}"]
    if db.startswith("sqlite"):
        lines += ["DB_CONNECTION=sqlite", f"DB_DATABASE={db.removeprefix('sqlite://')}"]
    else:
        from blazz_tui.clients.dbconn import parse_database_url

        url = parse_database_url(db)
        lines += ["DB_CONNECTION=mysql", f"DB_HOST={url.host}", f"DB_PORT={url.port}",
                  f"DB_DATABASE={url.database}", f"DB_USERNAME={url.user}",
                  f"DB_PASSWORD={url.password}"]
    return "\n".join(lines) + "\n"


def watch_config(layout: Layout, socket_url: str) -> str:
    """The blazz-tui configuration that watches this stack."""
    instances = "".join(
        f'\n[[targets.demo.instances]]\nname = "{layout.instance_name(p)}"\n'
        f'url = "{layout.instance_url(p)}"\napi_key = "{layout.api_key}"\n'
        for p in layout.instance_ports)
    redis = (f'\n[targets.demo.redis]\nurl = "redis://127.0.0.1:{layout.redis_port}/0"\n'
             'cache_db = 1\nkey_prefix = "blazz_database_"\ncache_prefix = "blazz_cache_"\n'
             if layout.redis_port is not None else "")
    pm2 = (f'\n[targets.demo.pm2]\nhome = "{layout.pm2_home}"\nrequired = true\n'
           if layout.pm2 else "")
    return f'''# Generated by blazz-tui for the simulated stack in {layout.root}
default_target = "demo"
state_dir = "{layout.path / 'state'}"

[actions]
sync_command = "{shlex.quote(sys.executable)} -m blazz_tui.sim.artisan whatsapp:sync-instance-urls"

[thresholds]
sync_age_warn = {layout.sync_every * 3:g}
sync_age_crit = {layout.sync_every * 6:g}

[targets.demo]
transport = "local"
accent = "magenta"
app_dir = "{layout.app_dir}"
max_sessions_per_instance = {layout.max_sessions}

[[targets.demo.supervisor]]
name = "sim"
url = "{socket_url}"
{instances}
[targets.demo.database]
url = "{layout.database_url}"
{redis}{pm2}
[targets.demo.queues]
connection = "database"

[targets.demo.logs]
files = ["storage/logs/*.log"]

[[targets.demo.ports]]
name = "reverb"
port = {layout.reverb_port}

[targets.demo.poll]
supervisor = {{ interval = 1, timeout = 2 }}
instances = {{ interval = 1, timeout = 1.5 }}
database = {{ interval = 2, timeout = 2 }}
redis = {{ interval = 1, timeout = 1.5 }}
host = {{ interval = 2, timeout = 2 }}
ports = {{ interval = 2, timeout = 1 }}
logs = {{ interval = 1, timeout = 2 }}
pm2 = {{ interval = 2, timeout = 5 }}
'''

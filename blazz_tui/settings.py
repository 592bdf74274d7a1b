"""The typed configuration: frozen dataclasses, one per table of ``config.toml``.

Defaults describe the seeds' local 4-instance setup. ``config.py`` parses TOML and
Laravel ``.env`` files into these; everything else only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class SupervisorEndpoint:
    name: str = "main"
    url: str = "unix:///var/run/supervisor.sock"
    """``unix:///path/to/supervisor.sock`` or ``http://host:9001/RPC2``."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class InstanceConfig:
    name: str
    url: str
    api_key: str | None = field(default=None, repr=False)


def default_instances() -> tuple[InstanceConfig, ...]:
    return tuple(
        InstanceConfig(name=f"wa-{port}", url=f"http://127.0.0.1:{port}")
        for port in range(3001, 3005)
    )


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = field(default="mysql://root@127.0.0.1:3306/blazz", repr=False)
    """``mysql://user:password@host:port/dbname`` or ``sqlite:///absolute/path.sqlite``."""
    accounts_limit: int = 20_000
    """At most this many ``whatsapp_accounts`` rows are read per poll for drift checks."""
    count_cap: int = 10_000
    """Queues are counted exactly up to this many jobs; a longer one shows its figures as
    lower bounds ("≥ 10,000")."""


@dataclass(frozen=True)
class RedisConfig:
    url: str = field(default="redis://127.0.0.1:6379/0", repr=False)
    """The Redis connection Laravel's queues use (REDIS_HOST/PORT/PASSWORD/DB)."""
    cache_db: int = 1
    """Laravel 11 keeps the cache in REDIS_CACHE_DB (default 1) on the same server."""
    key_prefix: str = "laravel_database_"
    """REDIS_PREFIX: put before every key by Laravel's Redis connections."""
    cache_prefix: str = "laravel_cache_"
    """CACHE_PREFIX: a cache key is key_prefix + cache_prefix + ':' + key."""
    scan_limit: int = 20_000
    """At most this many keys are visited when counting instance-URL cache keys."""


@dataclass(frozen=True)
class QueuesConfig:
    connection: str = "database"
    """``database`` (jobs table) or ``redis`` (queues:{name} lists)."""
    watch: tuple[str, ...] = ()
    """Queues always shown; others are discovered from the jobs table and the workers."""


@dataclass(frozen=True)
class WorkerConfig:
    """Which queues a supervisor program serves, when its command does not say (a wrapper
    script, Horizon) or says wrongly."""

    program: str
    """``group:process``, a group, a process name, or a glob of them (``blazz-queue-*``)."""
    queues: tuple[str, ...]
    """The queues it serves, in priority order."""
    connection: str | None = None
    """The queue connection it works (None: the target's)."""


@dataclass(frozen=True)
class LogsConfig:
    files: tuple[str, ...] = ("storage/logs/*.log",)
    """Paths or globs on the target. Relative paths are relative to ``app_dir``."""
    tail_bytes: int = 256 * 1024
    """How much of a file's end is read when it is first seen."""
    timezone: str = "UTC"
    """Timezone of the timestamps Laravel writes (APP_TIMEZONE)."""


@dataclass(frozen=True)
class PortConfig:
    name: str
    port: int
    host: str = "127.0.0.1"


def _default_ports() -> tuple[PortConfig, ...]:
    return (PortConfig(name="reverb", port=8080),)


@dataclass(frozen=True)
class SshConfig:
    host: str
    port: int = 22
    user: str | None = None
    key_file: str | None = None
    known_hosts: str | None = None
    """Path of a known_hosts file; ``None`` uses ~/.ssh/known_hosts."""
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Poll:
    interval: float
    timeout: float


@dataclass(frozen=True)
class PollConfig:
    supervisor: Poll = Poll(2.0, 3.0)
    instances: Poll = Poll(2.0, 2.0)
    database: Poll = Poll(5.0, 3.0)
    redis: Poll = Poll(2.0, 2.0)
    host: Poll = Poll(2.0, 2.0)
    ports: Poll = Poll(5.0, 1.0)
    logs: Poll = Poll(1.0, 3.0)

    def for_source(self, name: str) -> Poll:
        poll: Poll = getattr(self, name)
        return poll


@dataclass(frozen=True)
class TargetConfig:
    name: str = "local"
    transport: str = "local"
    """``local`` or ``ssh``."""
    ssh: SshConfig | None = None
    accent: str = "green"
    """Accent colour of this target in the dashboard."""
    app_dir: str = "."
    """The Laravel project directory on the target."""
    disk_path: str = "/"
    max_sessions_per_instance: int = 300
    supervisor: tuple[SupervisorEndpoint, ...] = (SupervisorEndpoint(),)
    supervisor_required: bool | None = None
    """Whether a supervisord that is not there (no socket) is CRITICAL. None: when the
    configuration names supervisor endpoints; without supervisord the queue workers are found
    in the process table."""
    instances: tuple[InstanceConfig, ...] = field(default_factory=default_instances)
    database: DatabaseConfig | None = DatabaseConfig()
    redis: RedisConfig | None = RedisConfig()
    queues: QueuesConfig = QueuesConfig()
    workers: tuple[WorkerConfig, ...] = ()
    """Queue workers whose queues their command line does not tell."""
    logs: LogsConfig = LogsConfig()
    ports: tuple[PortConfig, ...] = field(default_factory=_default_ports)
    poll: PollConfig = PollConfig()


@dataclass(frozen=True)
class Thresholds:
    """Health-rule limits. A ``*_warn``/``*_crit`` pair alerts when the value is *above* it
    (for rates where lower is worse — hit rate, sync verified — when it is *below* it),
    matching the ranges written into nagios perfdata."""

    retries: int = 1
    """Consecutive failing polls before a check may turn CRITICAL (WARNING until then)."""
    queue_pending_warn: int = 1_000
    queue_pending_crit: int = 5_000
    queue_age_warn: float = 120.0
    """Seconds the oldest pending job has waited."""
    queue_age_crit: float = 600.0
    failed_jobs_hour_warn: int = 10
    """Failed jobs in the last hour, over all queues."""
    failed_jobs_hour_crit: int = 100
    cache_hit_warn: float = 99.0
    """Windowed Redis hit rate below this is WARNING (seeds: target > 99 %)."""
    cache_hit_crit: float = 95.0
    """...and below this CRITICAL (seeds: alert < 95 %)."""
    cache_window: float = 60.0
    """Seconds over which the windowed hit rate is computed."""
    cache_min_lookups: int = 20
    """Fewer lookups than this in the window: the rate is shown but not judged."""
    redis_memory_warn: float = 80.0
    """Percent of maxmemory (only when maxmemory is set)."""
    redis_memory_crit: float = 95.0
    instance_latency_warn: float = 0.3
    """Seconds for /health to answer (seeds: latency alert > 300 ms)."""
    instance_latency_crit: float = 1.0
    capacity_warn: float = 80.0
    """Percent of max_sessions_per_instance hosted by one instance."""
    capacity_crit: float = 95.0
    balance_tolerance: float = 20.0
    """Each instance should host the mean ± this percent of the sessions (seeds: ±20 %)."""
    drift_warn: int = 0
    """Accounts whose assigned_instance_url is not where their session lives."""
    drift_crit: int = 10
    lost_warn: int = 0
    """Connected accounts whose session no instance hosts."""
    lost_crit: int = 0
    sync_age_warn: float = 420.0
    """Seconds since the last instance-URL sync (scheduled every 5 min; seeds alert > 10 min)."""
    sync_age_crit: float = 600.0
    sync_verified_warn: float = 90.0
    """Percent of sessions the last sync found already right (seeds: target > 90 %)."""
    sync_verified_crit: float = 80.0
    log_errors_warn: int = 5
    """ERROR-or-worse log lines in the last minute."""
    log_errors_crit: int = 50
    flap_restarts: int = 3
    """This many restarts of one program within ``flap_window`` seconds is flapping."""
    flap_window: float = 600.0
    cpu_warn: float = 85.0
    cpu_crit: float = 95.0
    memory_warn: float = 85.0
    memory_crit: float = 95.0
    disk_warn: float = 85.0
    disk_crit: float = 95.0
    load_per_cpu_warn: float = 2.0
    load_per_cpu_crit: float = 4.0


@dataclass(frozen=True)
class ActionsConfig:
    audit_log: str = "~/.local/state/blazz-tui/audit.log"
    sync_command: str = "php artisan whatsapp:sync-instance-urls"
    confirm: bool = True


@dataclass(frozen=True)
class Config:
    targets: tuple[TargetConfig, ...] = (TargetConfig(),)
    default_target: str = "local"
    thresholds: Thresholds = Thresholds()
    actions: ActionsConfig = ActionsConfig()
    state_dir: str = "~/.local/state/blazz-tui"
    source: str = "built-in defaults"
    """Where this configuration came from (a path, ``.env``, or built-in defaults)."""
    warnings: tuple[str, ...] = ()

    def target(self, name: str | None = None) -> TargetConfig:
        wanted = name or self.default_target
        for target in self.targets:
            if target.name == wanted:
                return target
        known = ", ".join(t.name for t in self.targets)
        raise KeyError(f"no target named {wanted!r} in {self.source} (known: {known})")


def redact_url(url: str) -> str:
    """``mysql://u:secret@h/db`` → ``mysql://u:***@h/db``; other URLs unchanged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))

"""The typed configuration: frozen dataclasses, one per table of ``config.toml``.

Defaults describe the seeds' local 4-instance setup. ``config.py`` parses TOML and
Laravel ``.env`` files into these; everything else only reads them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class FieldError(ValueError):
    """A value the type accepts but the setting cannot use; ``key`` names the setting."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _positive(key: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise FieldError(key, f"must be a positive number, not {value}")


def _port(key: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise FieldError(key, f"port {port} is not between 1 and 65535")


def _name(key: str, *names: str) -> None:
    """A name is shown on the terminal as it is: no control character (an escape sequence
    would recolour or rewrite the screen). The message shows it escaped."""
    for name in names:
        bad = next((c for c in name if not c.isprintable()), None)
        if bad is not None:
            raise FieldError(key, f"{name!r} holds a control character ({bad!r}): a name is "
                                  "shown on the terminal as it is")


_LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def instance_address(url: str) -> tuple[str, int]:
    """(host, port) an instance URL reaches, loopback names folded: ``http://localhost:3001/``
    and ``http://127.0.0.1:3001`` are one instance."""
    parts = urlsplit(url.strip() if "://" in url else f"http://{url.strip()}")
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK:
        host = "127.0.0.1"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    return host, port


def _url(key: str, url: str, schemes: tuple[str, ...], *, host: bool = True) -> None:
    """A URL that reads one way only. Never echoed: it may hold a password."""
    if url.startswith("${"):
        return
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes:
        raise FieldError(key, f"must start with {' or '.join(s + '://' for s in schemes)}")
    try:
        port = parts.port
    except ValueError:
        raise FieldError(key, "has a port that is not a number between 1 and 65535 (a "
                              "password with : / ? # @ must be percent-encoded, or given "
                              "on its own as password)") from None
    if port is not None:
        _port(key, port)
    if parts.fragment or "@" in parts.path or (host and not parts.hostname):
        raise FieldError(key, "cannot be read one way only: a password with / ? # @ must be "
                              "percent-encoded (%2F %3F %23 %40), or given on its own as "
                              "password")


@dataclass(frozen=True)
class SupervisorEndpoint:
    name: str = "main"
    url: str = "unix:///var/run/supervisor.sock"
    """``unix:///path/to/supervisor.sock`` or ``http://host:9001/RPC2``."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _name("name", self.name)


@dataclass(frozen=True)
class InstanceConfig:
    name: str
    url: str
    """``http://host:port``; credentials in it (``user:password@``) are sent as basic auth
    and never shown."""
    api_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _name("name", self.name)
        _url("url", self.url, ("http", "https"))
        if self.api_key is not None and not (self.api_key.isascii()
                                             and self.api_key.isprintable()):
            # Never echoed: it is a secret. A header value is ASCII.
            raise FieldError("api_key", "holds a character an HTTP header cannot carry (only "
                                        "printable ASCII can be sent as X-Api-Key)")


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
    password: str | None = field(default=None, repr=False)
    """The password, when it is not in the URL (then it never needs percent-encoding)."""

    def __post_init__(self) -> None:
        _url("url", self.url, ("mysql", "mariadb", "mysql+pymysql", "sqlite"),
             host=not self.url.startswith("sqlite"))
        _positive("accounts_limit", self.accounts_limit)
        _positive("count_cap", self.count_cap)


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
    password: str | None = field(default=None, repr=False)
    """The password, when it is not in the URL (then it never needs percent-encoding)."""

    def cache_keys(self, key: str) -> tuple[str, ...]:
        """The names Laravel's Redis cache store may keep ``key`` under: REDIS_PREFIX, then
        CACHE_PREFIX with or without the ':' Laravel 8's store puts after it — and, for the
        default prefix of Laravel 11 (``app_cache_``), Laravel 8's default (``app_cache:``)."""
        head = f"{self.key_prefix}{self.cache_prefix}"
        names = [f"{head}{key}"]
        if head and not head.endswith(":"):
            names.append(f"{head}:{key}")
        if self.cache_prefix.endswith("_cache_"):
            names.append(f"{self.key_prefix}{self.cache_prefix[:-1]}:{key}")
        return tuple(dict.fromkeys(names))

    def __post_init__(self) -> None:
        _url("url", self.url, ("redis", "rediss"))
        db = urlsplit(self.url).path.strip("/")
        if db and not db.isdigit() and not self.url.startswith("${"):
            raise FieldError("url", "the database after the last / must be a number (0-15)")
        if self.cache_db < 0:
            raise FieldError("cache_db", f"must be 0 or more, not {self.cache_db}")
        _positive("scan_limit", self.scan_limit)


@dataclass(frozen=True)
class QueuesConfig:
    connection: str = "database"
    """``database`` (jobs table) or ``redis`` (queues:{name} lists)."""
    watch: tuple[str, ...] = ()
    """Queues always shown; others are discovered from the jobs table and the workers."""

    def __post_init__(self) -> None:
        _name("watch", *self.watch)


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

    def __post_init__(self) -> None:
        _name("program", self.program)
        _name("queues", *self.queues)


@dataclass(frozen=True)
class LogsConfig:
    files: tuple[str, ...] = ("storage/logs/*.log",)
    """Paths or globs on the target. Relative paths are relative to ``app_dir``."""
    tail_bytes: int = 256 * 1024
    """How much of a file's end is read when it is first seen."""
    timezone: str = "UTC"
    """Timezone of the timestamps Laravel writes (APP_TIMEZONE)."""

    def __post_init__(self) -> None:
        _positive("tail_bytes", self.tail_bytes)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise FieldError("timezone", f"{self.timezone!r} is not a time zone (like "
                                         "'UTC' or 'Asia/Jakarta')") from None


@dataclass(frozen=True)
class PortConfig:
    name: str
    port: int
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        _name("name", self.name)
        _port("port", self.port)


def _default_ports() -> tuple[PortConfig, ...]:
    return (PortConfig(name="reverb", port=8080),)


@dataclass(frozen=True)
class SshConfig:
    host: str
    """A ``~/.ssh/config`` alias or a host name; the config supplies what is not set here."""
    port: int | None = None
    user: str | None = None
    key_file: str | None = None
    known_hosts: str | None = None
    """Path of a known_hosts file; ``None`` uses ~/.ssh/known_hosts."""
    accept_new_host_key: bool = False
    """Accept and record an unknown host key (never a changed one), like OpenSSH's
    ``StrictHostKeyChecking=accept-new``."""
    password: str | None = field(default=None, repr=False)
    keepalive_interval: float = 5.0
    connect_timeout: float = 10.0
    compression: bool = True

    def __post_init__(self) -> None:
        if not self.host or any(c.isspace() for c in self.host) or self.host.startswith("-"):
            raise FieldError("host", f"{self.host!r} is not a host name or ssh alias")
        if self.port is not None:
            _port("port", self.port)
        _positive("keepalive_interval", self.keepalive_interval)
        _positive("connect_timeout", self.connect_timeout)

    @classmethod
    def parse(cls, destination: str) -> SshConfig:
        """``alias``, ``host``, ``user@host``, ``host:port``, ``user@[v6]:port``."""
        user, _, rest = destination.rpartition("@")
        host, port = rest, None
        if rest.startswith("["):
            host, _, tail = rest[1:].partition("]")
            port = tail[1:] if tail.startswith(":") else None
        elif rest.count(":") == 1:
            host, port = rest.split(":")
        if port is not None and not port.isdigit():
            raise FieldError("ssh", f"bad port in {destination!r} (user@host:port)")
        return cls(host=host, user=user or None, port=int(port) if port else None)

    @property
    def destination(self) -> str:
        """As the operator wrote it (no password)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = f"{self.user}@" if self.user else ""
        return f"{user}{host}:{self.port}" if self.port else f"{user}{host}"


@dataclass(frozen=True)
class Poll:
    interval: float
    timeout: float

    def __post_init__(self) -> None:
        _positive("interval", self.interval)
        _positive("timeout", self.timeout)


@dataclass(frozen=True)
class Pm2Config:
    """PM2, where the WhatsApp service runs under it (seeds 002, 003)."""

    home: str | None = None
    """The daemon's PM2_HOME; default ``$PM2_HOME`` or ``~/.pm2`` of the user blazz-tui runs
    as (set it when PM2 runs as another user)."""
    command: str = "pm2"
    required: bool = False
    """Whether no PM2 daemon is CRITICAL; by default a target without PM2 just has none."""


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True)
class MessagesConfig:
    """Where the target's message figures come from besides the instances' ``/metrics``: the
    ``chats`` table (seed 003) and the Laravel log; and which failed jobs are sends."""

    table: str = "chats"
    """One row a message; "" to read none. A target without the table has no figures from it."""
    status_column: str = "message_status"
    sent_column: str = "sent_at"
    delivered_column: str = "delivered_at"
    failed_statuses: tuple[str, ...] = ("failed",)
    """Values of ``status_column`` that mean the message failed."""
    scan_limit: int = 5_000
    """At most this many of the newest rows are read a poll (~0.5 µs a row on MySQL): a busier
    hour is figured over its newest rows, and says so."""
    log_pattern: str = (r"Message sent\b.*?\b(?:duration|latency|took|elapsed)_ms\W{1,3}"
                        r"(?P<ms>\d+(?:\.\d+)?)")
    """A regular expression on Laravel log messages capturing a send's duration as ``ms`` or
    ``seconds``; "" to read none."""
    send_jobs: str = r"Send\w*Message"
    """Failed jobs whose class matches this (a regular expression) are failed sends."""
    recent_seconds: float = 60.0
    """Message latency and failures are judged over the last this many seconds when they
    hold ``recent_messages`` messages, else over the newest ``recent_messages`` messages: a
    change shows within a minute on a busy target and clears as fast once healed. The longer
    window (5 min of /metrics and log lines, the chats table's hour) is shown as the trend."""
    recent_messages: int = 100

    def __post_init__(self) -> None:
        for key in ("status_column", "sent_column", "delivered_column"):
            _identifier(key, getattr(self, key))
        if self.table:
            _identifier("table", self.table)
        _positive("scan_limit", self.scan_limit)
        _positive("recent_seconds", self.recent_seconds)
        _positive("recent_messages", self.recent_messages)
        if not self.failed_statuses:
            raise FieldError("failed_statuses", "must name at least one status")
        pattern = _regex("log_pattern", self.log_pattern)
        if pattern is not None and not {"ms", "seconds"} & set(pattern.groupindex):
            raise FieldError("log_pattern", "must capture the duration as (?P<ms>...) or "
                                            "(?P<seconds>...)")
        _regex("send_jobs", self.send_jobs)


def _identifier(key: str, value: str) -> None:
    if not _IDENTIFIER.fullmatch(value):
        raise FieldError(key, f"{value!r} is not a table or column name (letters, digits and "
                              "_, not starting with a digit)")


def _regex(key: str, value: str) -> re.Pattern[str] | None:
    if not value:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise FieldError(key, f"not a regular expression: {exc}") from None


@dataclass(frozen=True)
class PollConfig:
    supervisor: Poll = Poll(2.0, 3.0)
    instances: Poll = Poll(2.0, 2.0)
    database: Poll = Poll(5.0, 3.0)
    redis: Poll = Poll(2.0, 2.0)
    host: Poll = Poll(2.0, 2.0)
    ports: Poll = Poll(5.0, 1.0)
    logs: Poll = Poll(1.0, 3.0)
    messages: Poll = Poll(10.0, 3.0)
    """The instances' /metrics (send counters)."""
    pm2: Poll = Poll(5.0, 5.0)
    """``pm2 jlist`` starts node: ~0.2 s of CPU a call."""

    def for_source(self, name: str) -> Poll:
        poll: Poll = getattr(self, name)
        return poll


@dataclass(frozen=True)
class RebalanceConfig:
    """How a session moves between instances without being logged out. The seeds' ``DELETE
    /api/sessions/{id}`` may log a session out (whatsapp-web.js ``logout()``): a move stops it
    with a route that keeps its stored auth (``destroy()``; RemoteAuth keeps the auth in
    Redis) and starts it on the other instance, which restores it."""

    stop_route: str = "POST /api/sessions/{id}/stop"
    """Ends the session on its instance and keeps its auth. An instance answering 404/405
    here cannot: the rebalance is refused, nothing changed."""
    start_route: str = "POST /api/sessions"
    """Starts (restores) a session; JSON body ``{"sessionId", "accountUuid"}``."""
    connect_timeout: float = 30.0
    """Seconds the new instance has to report the session CONNECTED before it is moved back."""
    batch: int = 5
    """Sessions moved at once…"""
    pause: float = 1.0
    """…and seconds between batches."""

    def __post_init__(self) -> None:
        for key in ("stop_route", "start_route"):
            method, _, path = getattr(self, key).partition(" ")
            if method not in ("POST", "DELETE", "PUT") or not path.startswith("/"):
                raise FieldError(key, "must be a method and a path, like "
                                      "'POST /api/sessions/{id}/stop'")
        _positive("connect_timeout", self.connect_timeout)
        _positive("batch", self.batch)
        if not (self.pause >= 0 and math.isfinite(self.pause)):
            raise FieldError("pause", f"must be 0 or more seconds, not {self.pause}")


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
    pm2: Pm2Config | None = Pm2Config()
    messages: MessagesConfig = MessagesConfig()
    remote_env: bool = False
    """Set by the loader, never in a file: an SSH target naming only its link and ``app_dir``,
    whose sources come from the server's ``.env`` once the link is up."""
    logs: LogsConfig = LogsConfig()
    ports: tuple[PortConfig, ...] = field(default_factory=_default_ports)
    poll: PollConfig = PollConfig()
    read_only: bool = False
    """Every action on this target is refused, as with ``--read-only``."""
    production: bool = False
    """An action on this target asks for the target's name to be typed before it runs."""
    rebalance: RebalanceConfig = RebalanceConfig()

    def __post_init__(self) -> None:
        _name("name", self.name)


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
    db_queries_warn: float = 0.0
    """Statements per second the database server takes from its clients (blazz-tui's own
    left out); 0: shown, not judged (the seeds say only "should be very low")."""
    db_queries_crit: float = 0.0
    db_query_time_warn: float = 10.0
    """Seconds the app's database user's longest running statement may have run."""
    db_query_time_crit: float = 60.0
    instance_latency_warn: float = 0.3
    """Seconds for /health to answer (seeds: latency alert > 300 ms)."""
    instance_latency_crit: float = 1.0
    message_latency_warn: float = 0.15
    """Seconds a message takes to send, the mean over the window (seeds: target < 150 ms)."""
    message_latency_crit: float = 0.3
    """(seeds: alert > 300 ms)"""
    failed_messages_warn: float = 1.0
    """Percent of the window's messages that failed (seeds: target < 1 %)."""
    failed_messages_crit: float = 5.0
    """(seeds: alert > 5 %)"""
    messages_min: int = 20
    """Fewer messages than this in the window: the latency is shown, not judged."""
    failed_messages_min: int = 100
    """Fewer messages than this: the failed share is shown, not judged (one failure in 20 is
    5 %: noise, not a trend)."""
    uptime_warn: float = 99.0
    """An instance's observed uptime over the last hour, percent (seeds: target > 99 %)."""
    uptime_crit: float = 95.0
    """(seeds: alert < 95 %)"""
    uptime_min_observed: float = 900.0
    """Seconds of the last hour an instance must have been observed before it is judged."""
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
    audit_log: str = ""
    """JSONL of every action; by default ``audit.jsonl`` in ``state_dir``, beside the events."""
    sync_command: str = "php artisan whatsapp:sync-instance-urls"
    """Run in the target's app_dir by ``sync --mode artisan`` (``--dry-run`` first)."""
    sync_mode: str = "native"
    """``native``: blazz-tui compares the instances with the database and fixes the rows;
    ``artisan``: it runs ``sync_command``."""
    sync_batch: int = 50
    """Rows updated per transaction by a native sync."""
    settle_timeout: float = 15.0
    """Seconds a restarted program is given to reach RUNNING (or fail) before it is reported."""
    confirm: bool = True

    def __post_init__(self) -> None:
        if self.sync_mode not in SYNC_MODES:
            raise FieldError("sync_mode", f"must be {' or '.join(SYNC_MODES)}, not "
                                          f"{self.sync_mode!r}")
        _positive("sync_batch", self.sync_batch)
        _positive("settle_timeout", self.settle_timeout)


SYNC_MODES = ("native", "artisan")


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

    @property
    def audit_path(self) -> Path:
        return Path(self.actions.audit_log or f"{self.state_dir}/audit.jsonl").expanduser()

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

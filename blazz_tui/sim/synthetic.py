"""A Blazz target's picture built from fixed data, at any scale: the frames of the golden
screen tests (frozen clock) and of the frame-cost benchmark (10,000 sessions, 50 programs).

The readings are those the sources would return; sessions, queues and checks are derived by
the same correlation and rules as in a live collection.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from blazz_tui.correlation import queue_views, sessions_view
from blazz_tui.frame import Frame
from blazz_tui.history import CacheWindow, ProgramRestarts
from blazz_tui.message_figures import METRICS, MessageFigure
from blazz_tui.rules import by_severity, evaluate
from blazz_tui.settings import InstanceConfig, TargetConfig, Thresholds
from blazz_tui.snapshot import QueueHistory, Snapshot
from blazz_tui.sources.accounts import Account
from blazz_tui.sources.database import DatabaseReading, QueueDepth
from blazz_tui.sources.host import HostReading
from blazz_tui.sources.instances import HostedSession, InstanceReading, InstancesReading
from blazz_tui.sources.logs import LogEntry, LogFileState, LogsReading, SyncRun
from blazz_tui.sources.ports import PortsReading, PortState
from blazz_tui.sources.redis import RedisReading
from blazz_tui.sources.supervisor import EndpointReading, ProcessInfo, SupervisorReading
from blazz_tui.transport.base import HostStats

FROZEN = 1_795_000_000.0
"""2026-11-18 11:06:40 UTC: the golden screens' clock."""
QUEUES = ("whatsapp-urgent", "whatsapp-high", "whatsapp-normal", "whatsapp-campaign",
          "campaign-stats", "campaign-conflict", "messaging", "default")
WORKERS = (("blazz-queue-default", "whatsapp-urgent,whatsapp-high,default"),
           ("blazz-queue-campaign", "whatsapp-campaign,campaign-stats,campaign-conflict"),
           ("blazz-queue-worker", "whatsapp-normal,messaging"))
LOG = "storage/logs/laravel.log"


@dataclass(frozen=True)
class Scenario:
    programs: int = 12
    """Supervisor processes; beyond the seeds' set, extra numprocs of the workers."""
    sessions: int = 120
    instances: int = 4
    degraded: bool = False
    """Instance 3 down, a FATAL worker, an unserved queue, drift, errors in the log."""
    log_lines: int = 40


def target(scenario: Scenario) -> TargetConfig:
    instances = tuple(InstanceConfig(f"wa-{3001 + i}", f"http://127.0.0.1:{3001 + i}")
                      for i in range(scenario.instances))
    return TargetConfig(name="production" if scenario.degraded else "local",
                        accent="red" if scenario.degraded else "green", instances=instances)


def frame(scenario: Scenario, now: float = FROZEN) -> Frame:
    cfg = target(scenario)
    rng = random.Random(7)
    supervisor = _supervisor(scenario, now)
    instances, accounts = _sessions(scenario, cfg.instances, now, rng)
    depths = tuple(QueueDepth(q, pending=p, reserved=r, delayed=d,
                              oldest_pending_at=now - age if p else None, failed_last_hour=f)
                   for q, p, r, d, age, f in _queue_depths(scenario))
    database = DatabaseReading(fetched_at=now - 2, engine="mysql", server_version="8.0.36",
                               queues=depths, accounts=accounts, failed_total=42)
    redis = RedisReading(fetched_at=now - 1, version="7.0.15", run_id="r1", uptime=864_000,
                         keyspace_hits=9_951_000, keyspace_misses=49_000, ops_per_sec=412,
                         used_memory=48 << 20, maxmemory=256 << 20, connected_clients=14,
                         instance_url_keys=scenario.sessions)
    host = HostReading(fetched_at=now - 1, cpu_percent=23.0, cpu_window=2.0, stats=HostStats(
        cpu_busy=600_000.0, cpu_total=12_000_000.0, cpu_count=4, memory_total=8 << 30,
        memory_used=5 << 30, memory_percent=62.5, load=(0.8, 0.7, 0.6), disk_path="/",
        disk_total=100 << 30, disk_used=41 << 30, disk_percent=41.0,
        boot_time=now - 3_000_000))
    ports = PortsReading(fetched_at=now - 1, ports=(
        PortState("reverb", "127.0.0.1", 8080, True, 0.0004),))
    logs = _logs(scenario, now)
    views = queue_views(database, None, supervisor, "database", QUEUES, now)
    snapshot = Snapshot(
        target=cfg.name, transport="local", taken_at=now, supervisor=supervisor,
        instances=instances, database=database, redis=redis, host=host, ports=ports, logs=logs,
        queues=views, sessions=sessions_view(cfg.instances, instances, database),
        restarts=(ProgramRestarts("blazz:blazz-queue-default_00", 7, 4, now - 30),)
        if scenario.degraded else (),
        cache=CacheWindow(99.4, 24_000, 60.0, 0, False, hits=23_856, misses=144),
        queue_history=tuple(QueueHistory(v.name, tuple(int((v.pending or 0) * (0.5 + i / 24))
                                                       for i in range(12))) for v in views),
        hit_rate_history=tuple(99.0 + (i % 5) / 10 for i in range(12)),
        message_latency=MessageFigure(0.31 if scenario.degraded else 0.048, 1_180, 300.0,
                                      METRICS),
        failed_messages=MessageFigure(0.4, 9_412, 3_600.0, "the chats table", failed=38),
    )
    checks = tuple(by_severity(evaluate(snapshot, Thresholds())))
    return Frame(snapshot, checks)


def _supervisor(scenario: Scenario, now: float) -> SupervisorReading:
    procs = [ProcessInfo("main", "blazz", "blazz-reverb", "RUNNING", pid=1201,
                         start=now - 86_400, uptime=86_400, command="php artisan reverb:start")]
    procs += [ProcessInfo("main", "blazz", f"blazz-whatsapp-{3001 + i}",
                          "EXITED" if scenario.degraded and i == 2 else "RUNNING",
                          pid=0 if scenario.degraded and i == 2 else 1300 + i,
                          start=now - 86_000, uptime=86_000, exit_status=1 if i == 2 else 0,
                          command=f"node server.js --port={3001 + i}")
              for i in range(scenario.instances)]
    n = 0
    while len(procs) < scenario.programs:
        name, queues = WORKERS[n % len(WORKERS)]
        index = n // len(WORKERS)
        fatal = scenario.degraded and name == "blazz-queue-worker"
        procs.append(ProcessInfo(
            "main", "blazz", f"{name}_{index:02d}", "FATAL" if fatal else "RUNNING",
            pid=0 if fatal else 1400 + n, start=now - 3_600, uptime=0 if fatal else 3_600,
            spawn_error="Exited too quickly (process log may have details)" if fatal else "",
            command=f"php artisan queue:work database --queue={queues} --tries=3",
            queue_connection="database", queues=tuple(queues.split(",")), worker=True,
            cpu_percent=None if fatal else 1.5, rss=None if fatal else 61 << 20))
        n += 1
    endpoint = EndpointReading(fetched_at=now - 1, name="main", url="unix:///run/supervisor.sock",
                               state="RUNNING", version="4.2.5", processes=tuple(procs))
    return SupervisorReading(fetched_at=now - 1, endpoints=(endpoint,))


def _sessions(scenario: Scenario, configs: tuple[InstanceConfig, ...], now: float,
              rng: random.Random) -> tuple[InstancesReading, tuple[Account, ...]]:
    hosted: dict[str, list[HostedSession]] = {c.name: [] for c in configs}
    accounts = []
    for i in range(scenario.sessions):
        cfg = configs[i % len(configs)]
        session = f"session_{rng.getrandbits(48):012x}"
        assigned = cfg
        if scenario.degraded and i % 40 == 1:  # drift: the database points elsewhere
            assigned = configs[(i + 1) % len(configs)]
        hosted[cfg.name].append(HostedSession(session, "CONNECTED"))
        accounts.append(Account(f"acc-{i:05d}", session, "connected", assigned.url))
    readings = []
    for index, cfg in enumerate(configs):
        if scenario.degraded and index == 2:
            readings.append(InstanceReading(name=cfg.name, url=cfg.url, attempted_at=now - 1,
                                            error="connection refused", failure="DOWN"))
            continue
        readings.append(InstanceReading(
            fetched_at=now - 1, latency=0.006 + index / 1000, name=cfg.name, url=cfg.url,
            status="healthy", active_sessions=len(hosted[cfg.name]),
            sessions=tuple(hosted[cfg.name]), http_status=200, uptime=86_000,
            memory_rss=180 << 20))
    return (InstancesReading(fetched_at=now - 1, instances=tuple(readings)), tuple(accounts))


def _queue_depths(scenario: Scenario) -> list[tuple[str, int, int, int, float, int]]:
    rows = [(q, 0, 0, 0, 0.0, 0) for q in QUEUES]
    rows[1] = ("whatsapp-high", 14, 2, 0, 3.0, 0)
    if scenario.degraded:
        rows[2] = ("whatsapp-normal", 2_340, 0, 0, 412.0, 12)
        rows[6] = ("messaging", 57, 0, 3, 95.0, 0)
    return rows


def _logs(scenario: Scenario, now: float) -> LogsReading:
    entries = []
    for i in range(scenario.log_lines):
        at = now - (scenario.log_lines - i) * 2
        if scenario.degraded and i % 9 == 4:
            entries.append(LogEntry(LOG, at, "ERROR", "Failed to send message: instance "
                                    "http://127.0.0.1:3003 unreachable", "production",
                                    ("#0 app/Services/WhatsApp/InstanceRouter.php(88)",
                                     "#1 app/Jobs/SendWhatsAppMessage.php(41)")))
        elif i % 7 == 0:
            entries.append(LogEntry(LOG, at, "INFO", "WhatsApp Instance URL Sync completed: "
                                    "0 updated, 120 verified", "production"))
        else:
            entries.append(LogEntry(LOG, at, "INFO", f"Message sent to account acc-{i:05d}",
                                    "production"))
    # Read in the order of their times: a later frame's lines come after an earlier one's.
    entries = [replace(e, seq=round((e.time or 0) * 1000)) for e in entries]
    errors = sum(1 for e in entries if e.level == "ERROR" and e.time and e.time > now - 60)
    return LogsReading(fetched_at=now - 1, files=(LogFileState(LOG, 1 << 20, None, errors),),
                       entries=tuple(entries), errors_last_minute=errors,
                       last_sync=SyncRun(now - 42, 0, scenario.sessions, LOG))

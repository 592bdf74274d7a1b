"""The simulated Laravel app's plumbing: its .env, database, Redis cache and laravel.log, and
the database queue operations the way Illuminate\\Queue\\DatabaseQueue performs them."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blazz_tui.clients.dbconn import DatabaseUrl, connect
from blazz_tui.laravel_env import parse_env
from blazz_tui.sim.schema import statements

RETRY_AFTER = 90  # Laravel's default retry_after for the database connection


@dataclass(frozen=True)
class App:
    env: dict[str, str]
    db: DatabaseUrl

    @classmethod
    def from_env_file(cls, path: Path) -> App:
        env = parse_env(path.read_text()) if path.is_file() else {}
        if env.get("DB_CONNECTION", "sqlite") == "sqlite":
            db = DatabaseUrl(engine="sqlite", database=env.get("DB_DATABASE", "database.sqlite"))
        else:
            db = DatabaseUrl(engine="mysql", database=env.get("DB_DATABASE", "blazz"),
                             host=env.get("DB_HOST", "127.0.0.1"),
                             port=int(env.get("DB_PORT", "3306")),
                             user=env.get("DB_USERNAME", "root"),
                             password=env.get("DB_PASSWORD", ""))
        return cls(env, db)

    @property
    def engine(self) -> str:
        return self.db.engine

    @property
    def mark(self) -> str:
        return "?" if self.engine == "sqlite" else "%s"

    def connect(self) -> Any:
        conn = connect(self.db, timeout=10.0, autocommit=True)
        if self.engine == "sqlite":
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=5000")
        return conn

    @property
    def instances(self) -> list[str]:
        return [u.strip() for u in self.env.get("BLAZZ_SIM_INSTANCES", "").split(",")
                if u.strip()]

    @property
    def api_key(self) -> str:
        return self.env.get("BLAZZ_SIM_API_KEY", "")

    def cache_key(self, key: str) -> str:
        return f"{self.env.get('REDIS_PREFIX', '')}{self.env.get('CACHE_PREFIX', '')}:{key}"

    def redis(self, db: int | None = None) -> Any | None:
        if "REDIS_PORT" not in self.env:
            return None
        import redis

        return redis.Redis(host=self.env.get("REDIS_HOST", "127.0.0.1"),
                           port=int(self.env["REDIS_PORT"]),
                           db=int(self.env.get("REDIS_CACHE_DB", "1")) if db is None else db,
                           socket_timeout=1.0, socket_connect_timeout=1.0)

    def log(self, level: str, message: str, context: dict[str, Any] | None = None,
            trace: bool = False) -> None:
        """Append a line to storage/logs/laravel.log in Laravel's format."""
        log_dir = Path(self.env.get("LOG_DIR", "storage/logs"))
        log_dir.mkdir(parents=True, exist_ok=True)
        env = self.env.get("APP_ENV", "local")
        line = (f"[{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}] {env}.{level}: "
                f"{message} {json.dumps(context or {})}\n")
        if trace:
            line += ("[stacktrace]\n#0 /www/wwwroot/blazz/app/Services/WhatsApp/"
                     "MessageService.php(88): App\\Services\\WhatsApp\\InstanceRouter->"
                     "resolve()\n#1 /www/wwwroot/blazz/vendor/laravel/framework/src/"
                     "Illuminate/Queue/CallQueuedHandler.php(133): handle()\n#2 {main}\n")
        with (log_dir / "laravel.log").open("a") as f:
            f.write(line)


def setup(app: App) -> None:
    if app.engine == "sqlite":
        Path(app.db.database).parent.mkdir(parents=True, exist_ok=True)
        Path(app.db.database).touch()
    conn = app.connect()
    for statement in statements(app.engine):
        conn.cursor().execute(statement)
    conn.close()


@dataclass(frozen=True)
class Job:
    id: int
    queue: str
    payload: dict[str, Any]
    raw_payload: str
    attempts: int


def payload(name: str, data: dict[str, Any]) -> str:
    return json.dumps({"uuid": str(uuid.uuid4()), "displayName": name,
                       "job": "Illuminate\\Queue\\CallQueuedHandler@call",
                       "maxTries": None, "data": data})


def push(conn: Any, engine: str, queue: str, body: str, delay: int = 0) -> None:
    now = int(time.time())
    mark = "?" if engine == "sqlite" else "%s"
    conn.cursor().execute(
        f"INSERT INTO jobs (queue, payload, attempts, reserved_at, available_at, created_at) "
        f"VALUES ({mark}, {mark}, 0, NULL, {mark}, {mark})", (queue, body, now + delay, now))


def reserve(conn: Any, engine: str, queues: list[str]) -> Job | None:
    """The next job of the first queue (in priority order) that has one available."""
    now = int(time.time())
    mark = "?" if engine == "sqlite" else "%s"
    lock = "" if engine == "sqlite" else " FOR UPDATE SKIP LOCKED"
    cur = conn.cursor()
    for queue in queues:
        cur.execute("BEGIN IMMEDIATE" if engine == "sqlite" else "START TRANSACTION")
        try:
            cur.execute(
                f"SELECT id, payload, attempts FROM jobs WHERE queue = {mark} AND "
                f"((reserved_at IS NULL AND available_at <= {mark}) OR reserved_at <= {mark}) "
                f"ORDER BY id LIMIT 1{lock}", (queue, now, now - RETRY_AFTER))
            row = cur.fetchone()
            if row is None:
                cur.execute("COMMIT")
                continue
            cur.execute(f"UPDATE jobs SET reserved_at = {mark}, attempts = attempts + 1 "
                        f"WHERE id = {mark}", (now, row[0]))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        try:
            body = json.loads(row[1])
        except ValueError:
            body = {}
        return Job(int(row[0]), queue, body if isinstance(body, dict) else {}, row[1],
                   int(row[2]) + 1)
    return None


def delete(conn: Any, engine: str, job: Job) -> None:
    mark = "?" if engine == "sqlite" else "%s"
    conn.cursor().execute(f"DELETE FROM jobs WHERE id = {mark}", (job.id,))


def release(conn: Any, engine: str, job: Job, delay: int = 0) -> None:
    """DatabaseQueue::release: delete the reserved row, push it again with its attempts."""
    now = int(time.time())
    mark = "?" if engine == "sqlite" else "%s"
    cur = conn.cursor()
    cur.execute(f"DELETE FROM jobs WHERE id = {mark}", (job.id,))
    cur.execute(
        f"INSERT INTO jobs (queue, payload, attempts, reserved_at, available_at, created_at) "
        f"VALUES ({mark}, {mark}, {mark}, NULL, {mark}, {mark})",
        (job.queue, job.raw_payload, job.attempts, now + delay, now))


def fail(conn: Any, engine: str, job: Job, exception: str) -> None:
    mark = "?" if engine == "sqlite" else "%s"
    cur = conn.cursor()
    cur.execute(f"DELETE FROM jobs WHERE id = {mark}", (job.id,))
    cur.execute(
        f"INSERT INTO failed_jobs (uuid, connection, queue, payload, exception, failed_at) "
        f"VALUES ({mark}, 'database', {mark}, {mark}, {mark}, {mark})",
        (str(job.payload.get("uuid") or uuid.uuid4()), job.queue, job.raw_payload, exception,
         time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())))

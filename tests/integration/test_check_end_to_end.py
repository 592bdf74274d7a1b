"""`blazz-tui --check` against real parts reports exactly what is wrong with them.

The "stack": a supervisord running a sleeper, a program that goes FATAL and two queue
workers serving whatsapp-high,default; a MariaDB database with Laravel's tables, jobs on
a queue nobody serves, drifted and lost accounts; two instance servers hosting sessions; a
dedicated redis-server; a Laravel log with a recent sync line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from blazz_tui.sim.supervisord import Supervisord
from tests.fixtures.instances import API_KEY, InstanceFleet
from tests.fixtures.mysql import TestDatabase, insert_account, insert_jobs
from tests.fixtures.redis_server import RedisServer


def write_config(path: Path, sv: Supervisord, db: TestDatabase, fleet: InstanceFleet,
                 redis: RedisServer, app: Path) -> None:
    instances = "".join(
        f'[[targets.t.instances]]\nname = "{i.name}"\nurl = "{i.url}"\napi_key = "{API_KEY}"\n'
        for i in fleet.instances)
    path.write_text(f'''default_target = "t"
state_dir = "{path.parent / 'state'}"
[thresholds]
balance_tolerance = 20.0
[targets.t]
app_dir = "{app}"
[[targets.t.supervisor]]
name = "main"
url = "{sv.url}"
{instances}
[targets.t.database]
url = "{db.url}"
[targets.t.redis]
url = "{redis.url}"
[targets.t.logs]
files = ["storage/logs/*.log"]
[[targets.t.ports]]
name = "redis"
port = {redis.port}
''')


def run_check(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blazz_tui", "-c", str(config), "--check",
                           *args], capture_output=True, text=True, timeout=60)


def test_check_reports_exactly_what_is_wrong(
        tmp_path: Path, supervisord_factory: object, mysql_db: TestDatabase,
        instances: InstanceFleet, redis_server: RedisServer) -> None:
    sv = supervisord_factory()  # type: ignore[operator]
    sv.wait_states({"crasher": "FATAL", "blazz:worker_00": "RUNNING"}, timeout=20)
    first, second = instances[0], instances[1]
    for session, inst in (("s1", first), ("s2", first), ("s3", second), ("s4", second)):
        inst.create_session(session)
    first.wait_connected("s1", "s2")
    second.wait_connected("s3", "s4")
    with mysql_db.connection() as conn:
        insert_account(conn, session_id="s1", instance_url=first.url.replace("127.0.0.1",
                                                                             "localhost"))
        insert_account(conn, session_id="s2", instance_url=first.url)
        insert_account(conn, session_id="s3", instance_url=second.url)
        insert_account(conn, session_id="s4", instance_url=first.url)  # drift: lives on 2
        insert_account(conn, session_id="s5", instance_url=second.url)  # lost: nowhere
        insert_jobs(conn, "campaign-conflict", 12)  # no worker serves it
        insert_jobs(conn, "default", 2)
    logs = tmp_path / "app" / "storage" / "logs"
    logs.mkdir(parents=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - 90))
    (logs / "laravel.log").write_text(
        f"[{stamp}] local.INFO: WhatsApp Instance URL Sync completed: 1 updated, 40 verified\n")
    config = tmp_path / "config.toml"
    write_config(config, sv, mysql_db, instances, redis_server, tmp_path / "app")

    result = run_check(config, "--format", "json")
    document = json.loads(result.stdout)
    wrong = {c["name"]: c["status"] for c in document["checks"]
             if c["status"] != "OK" and not c["name"].startswith("host-")}
    assert wrong == {
        "program:crasher:crasher": "CRITICAL",
        "queue:campaign-conflict": "CRITICAL",
        "unserved-queues": "CRITICAL",
        "session-drift": "WARNING",
        "sessions-lost": "CRITICAL",
    }
    assert result.returncode == 2
    summaries = {c["name"]: c["summary"] for c in document["checks"]}
    assert summaries["unserved-queues"] == \
        "pending jobs and no running worker: campaign-conflict (12)"
    assert summaries["session-drift"].startswith("1 account point at the wrong instance: "
                                                 "s4 (wa-1 → wa-2)")
    assert summaries["sessions-lost"].startswith("1 session connected in the database but "
                                                 "hosted nowhere (needs QR rescan): s5")


def test_nagios_output_puts_all_perfdata_at_the_end(
        tmp_path: Path, supervisord_factory: object, mysql_db: TestDatabase,
        instances: InstanceFleet, redis_server: RedisServer) -> None:
    sv = supervisord_factory()  # type: ignore[operator]
    config = tmp_path / "config.toml"
    write_config(config, sv, mysql_db, instances, redis_server, tmp_path / "app")
    lines = run_check(config, "--format", "nagios").stdout.splitlines()
    assert lines[0].startswith("BLAZZ ")
    assert lines[-1].startswith("| ") and " 'wa-1_latency'=" in lines[-1]
    assert all("|" not in line for line in lines[:-1])


def test_a_deadline_shorter_than_a_slow_source_answers_unknown(
        tmp_path: Path, supervisord_factory: object, mysql_db: TestDatabase,
        instances: InstanceFleet, redis_server: RedisServer) -> None:
    sv = supervisord_factory()  # type: ignore[operator]
    instances[0].fault(mode="slow", delay=5)
    config = tmp_path / "config.toml"
    write_config(config, sv, mysql_db, instances, redis_server, tmp_path / "app")
    started = time.monotonic()
    result = run_check(config, "-t", "0.5", "--format", "nagios")
    assert result.returncode == 3
    assert result.stdout.startswith("BLAZZ UNKNOWN: check timed out after 0.5 s")
    assert time.monotonic() - started < 5


def test_a_session_that_just_ended_is_not_called_lost(
        tmp_path: Path, supervisord_factory: object, mysql_db: TestDatabase,
        instances: InstanceFleet, redis_server: RedisServer) -> None:
    """Its instance drops it first; the database hears of it a moment later (the webhook).
    One reading of each side by side would call it lost: --check reads both again first."""
    sv = supervisord_factory()  # type: ignore[operator]
    first = instances[0]
    first.create_session("s1")
    first.wait_connected("s1")
    with mysql_db.connection() as conn:
        insert_account(conn, session_id="s1", instance_url=first.url)
    config = tmp_path / "config.toml"
    write_config(config, sv, mysql_db, instances, redis_server, tmp_path / "app")
    httpx.delete(f"{first.url}/api/sessions/s1", headers={"X-Api-Key": API_KEY})
    check = subprocess.Popen([sys.executable, "-m", "blazz_tui", "-c", str(config), "--check",
                              "--format", "json"], stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)  # the check has read both sources once by now
    with mysql_db.connection() as conn:
        conn.cursor().execute("UPDATE whatsapp_accounts SET status = 'disconnected' "
                              "WHERE session_id = 's1'")
    out, _ = check.communicate(timeout=60)
    lost = {c["name"]: c for c in json.loads(out)["checks"]}["sessions-lost"]
    assert (lost["status"], lost["summary"]) == ("OK", "every connected account's session "
                                                       "is hosted")


def test_an_api_key_the_instances_demand_makes_lost_and_drift_unknown_and_says_why(
        tmp_path: Path, supervisord_factory: object, mysql_db: TestDatabase,
        instances: InstanceFleet, redis_server: RedisServer) -> None:
    sv = supervisord_factory()  # type: ignore[operator]
    with mysql_db.connection() as conn:
        insert_account(conn, session_id="s1", instance_url=instances[0].url)
    config = tmp_path / "config.toml"
    write_config(config, sv, mysql_db, instances, redis_server, tmp_path / "app")
    config.write_text(config.read_text().replace(f'api_key = "{API_KEY}"\n', ""))
    checks = {c["name"]: c for c in json.loads(run_check(config, "--format", "json").stdout)
              ["checks"]}
    why = "/health/sessions demands an API key (HTTP 401) — set api_key (X-Api-Key) in the config"
    assert checks["sessions-lost"]["status"] == "UNKNOWN"
    assert checks["sessions-lost"]["summary"].startswith(
        f"unknown while the session list of wa-1 cannot be read ({why}); "
        f"wa-2 cannot be read ({why})")
    assert checks["session-drift"]["status"] == "UNKNOWN"
    assert checks["instance:wa-1"]["status"] == "WARNING"
    assert checks["instance:wa-1"]["summary"].endswith(f"sessions unknown: {why}")

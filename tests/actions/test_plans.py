"""Plans are computed from a snapshot alone; the sync's execute keeps to what was planned."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from blazz_tui.actions import programs, sync
from blazz_tui.actions.run import ActionEnv
from blazz_tui.settings import DatabaseConfig, InstanceConfig, TargetConfig
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.accounts import Account
from blazz_tui.sources.database import DatabaseReading
from blazz_tui.sources.instances import HostedSession, InstanceReading, InstancesReading
from blazz_tui.sources.pm2 import Pm2Process, Pm2Reading
from blazz_tui.sources.supervisor import EndpointReading, ProcessInfo, SupervisorReading
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.instances import InstanceFleet
from tests.fixtures.mysql import TestDatabase, insert_account

NOW = time.time()
INSTANCES = (InstanceConfig("wa-1", "http://127.0.0.1:3001"),
             InstanceConfig("wa-2", "http://127.0.0.1:3002"))


def snapshot(**readings: object) -> Snapshot:
    base: dict[str, object] = {k: None for k in ("supervisor", "instances", "database", "redis",
                                                 "host", "ports", "logs")}
    return Snapshot(target="t", transport="local", taken_at=NOW, **{**base, **readings})  # type: ignore[arg-type]


def supervisor(*names: str, queues: dict[str, tuple[str, ...]] | None = None) -> Snapshot:
    procs = tuple(ProcessInfo("main", name.split(":")[0], name.split(":")[1], "RUNNING",
                              queues=(queues or {}).get(name, ()))
                  for name in names)
    reading = SupervisorReading(endpoints=(EndpointReading(name="main", processes=procs,
                                                           fetched_at=NOW),), fetched_at=NOW)
    return snapshot(supervisor=reading)


def subjects(plan: object) -> list[str]:
    return [c.subject for c in plan.changes]  # type: ignore[attr-defined]


def test_programs_are_named_as_supervisorctl_takes_them() -> None:
    snap = supervisor("blazz:q-default_00", "blazz:q-default_01", "blazz:reverb", "infra:redis")
    assert subjects(programs.plan("restart", snap, ["blazz:reverb"])) == ["blazz:reverb"]
    assert subjects(programs.plan("restart", snap, ["infra"])) == ["infra:redis"]
    assert subjects(programs.plan("restart", snap, ["infra:*"])) == ["infra:redis"]
    assert subjects(programs.plan("restart", snap, ["reverb"])) == ["blazz:reverb"]
    assert subjects(programs.plan("restart", snap, ["q-default"])) == [
        "blazz:q-default_00", "blazz:q-default_01"]  # a numprocs program by its name


def test_a_name_that_matches_nothing_or_two_programs_is_refused() -> None:
    snap = supervisor("a:worker", "b:worker")
    ambiguous = programs.plan("stop", snap, ["worker"]).refused
    assert "is ambiguous: a:worker, b:worker" in str(ambiguous)
    assert "no program 'nope' (groups: a, b)" == programs.plan("stop", snap, ["nope"]).refused


def with_pm2(snap: Snapshot, *names: str) -> Snapshot:
    procs = tuple(Pm2Process(name=n, pm_id=i, status="online", pid=100 + i, uptime=5.0,
                             restarts=0, unstable_restarts=0, cpu=0.0, memory=0, port=None,
                             script="node", user="ops")
                  for i, n in enumerate(names))
    return replace(snap, pm2=Pm2Reading(processes=procs, fetched_at=NOW))


def test_a_name_alone_that_only_pm2_runs_is_pm2s() -> None:
    snap = with_pm2(supervisor("blazz:reverb"), "whatsapp-3001")
    assert programs.route(["whatsapp-3001", "reverb", "blazz:x"], snap) == (
        ("pm2:whatsapp-3001", "reverb", "blazz:x"), None)


def test_a_name_alone_that_supervisord_and_pm2_both_have_is_refused() -> None:
    snap = with_pm2(supervisor("a:worker", "b:worker"), "worker")  # supervisord's twice, too
    assert programs.route(["worker"], snap) == ((), (
        "'worker' is both supervisord's a:worker, b:worker and PM2's worker: name it "
        "pm2:worker or a:worker, b:worker"))


def test_a_refused_name_is_told_the_close_ones() -> None:
    assert programs.plan("stop", supervisor("blazz:reverb"), ["revreb"]).refused == (
        "no program 'revreb' (groups: blazz) — did you mean reverb?")


def test_a_queue_names_every_worker_that_serves_it() -> None:
    snap = supervisor("w:high_00", "w:low_00", "w:reverb",
                      queues={"w:high_00": ("whatsapp-high", "default"), "w:low_00": ("default",)})
    assert subjects(programs.plan("restart", snap, queues=["default"])) == [
        "w:high_00", "w:low_00"]
    assert subjects(programs.plan("restart", snap, queues=["whatsapp-high", "default"])) == [
        "w:high_00", "w:low_00"]
    assert "no supervisord program serves queue 'x'" in str(
        programs.plan("restart", snap, queues=["x"]).refused)


def test_programs_are_not_acted_on_from_a_supervisor_reading_that_failed() -> None:
    failed = snapshot(supervisor=SupervisorReading.failed("connection refused", NOW))
    assert programs.plan("restart", failed, ["x"]).refused == (
        "supervisord could not be read: connection refused")


def sessions(*hosted: tuple[str, str, str]) -> InstancesReading:
    """(instance, session id, status) triples → a reading of both instances."""
    return InstancesReading(fetched_at=NOW, instances=tuple(
        InstanceReading(name=cfg.name, url=cfg.url, fetched_at=NOW, sessions=tuple(
            HostedSession(sid, status) for name, sid, status in hosted if name == cfg.name))
        for cfg in INSTANCES))


def accounts(*rows: tuple[str, str, str | None]) -> DatabaseReading:
    return DatabaseReading(fetched_at=NOW, accounts=tuple(
        Account(uuid, sid, "connected", url) for uuid, sid, url in rows))


TARGET = TargetConfig(instances=INSTANCES)


def test_sync_points_drifted_accounts_at_their_host_in_the_apps_own_spelling() -> None:
    snap = snapshot(instances=sessions(("wa-2", "s1", "CONNECTED"), ("wa-2", "s2", "CONNECTED")),
                    database=accounts(("u1", "s1", "http://127.0.0.1:3001"),
                                      ("u2", "s2", "http://localhost:3002")))
    plan = sync.plan_native(snap, TARGET)
    assert [(c.subject, c.detail) for c in plan.changes] == [("s1", "wa-1 → wa-2")]
    assert plan.changes[0].data.new_url == "http://localhost:3002"
    assert plan.notes == ("1 already right",)


def test_sync_leaves_lost_starting_and_doubly_hosted_sessions_alone() -> None:
    snap = snapshot(
        instances=sessions(("wa-1", "starting", "INITIALIZING"), ("wa-1", "twice", "CONNECTED"),
                           ("wa-2", "twice", "CONNECTED")),
        database=accounts(("u1", "lost", "http://127.0.0.1:3001"),
                          ("u2", "starting", "http://127.0.0.1:3002"),
                          ("u3", "twice", "http://127.0.0.1:3002")))
    plan = sync.plan_native(snap, TARGET)
    assert plan.changes == ()
    assert plan.notes == ("0 already right",
                          "1 hosted by no instance: left alone, they need a QR rescan",
                          "1 listed by an instance but not CONNECTED yet: left alone",
                          "1 CONNECTED on more than one instance: left alone")


def test_sync_refuses_when_an_instance_could_not_list_its_sessions() -> None:
    reading = sessions(("wa-1", "s1", "CONNECTED"))
    broken = InstancesReading(fetched_at=NOW, instances=(
        reading.instances[0],
        InstanceReading(name="wa-2", url="x", error="connection refused", failure="DOWN",
                        attempted_at=NOW)))
    plan = sync.plan_native(snapshot(instances=broken, database=accounts()), TARGET)
    assert plan.refused == ("the session list of wa-2 (down: connection refused) could not be "
                            "read: its sessions would look lost")


def _hosted_on_the_second(fleet: InstanceFleet, db: TestDatabase,
                          count: int) -> tuple[list[str], Snapshot, TargetConfig]:
    """``count`` accounts assigned to the first instance, their sessions CONNECTED on the
    second (real instance servers): a plan to point them at it."""
    first, second = fleet[0], fleet[1]
    sids = [f"s{i}" for i in range(1, count + 1)]
    for sid in sids:
        second.create_session(sid)
    second.wait_connected(*sids)
    with db.connection() as conn:
        uuids = [insert_account(conn, session_id=sid, instance_url=first.url) for sid in sids]
    snap = snapshot(
        instances=InstancesReading(fetched_at=NOW, instances=tuple(
            InstanceReading(name=i.name, url=i.url, fetched_at=NOW, sessions=tuple(
                HostedSession(sid, "CONNECTED") for sid in (sids if i is second else ())))
            for i in fleet.instances)),
        database=accounts(*((u, sid, first.url) for u, sid in zip(uuids, sids, strict=True))))
    target = TargetConfig(instances=fleet.configs, database=DatabaseConfig(url=db.url),
                          redis=None)
    return uuids, snap, target


def test_a_row_changed_between_plan_and_execute_is_skipped(
        instances: InstanceFleet, blazz_db: TestDatabase) -> None:
    (moved, changed, fixed), snap, target = _hosted_on_the_second(instances, blazz_db, 3)
    plan = sync.plan_native(snap, target)
    second = instances[1].url
    blazz_db.execute("UPDATE whatsapp_accounts SET assigned_instance_url = ? WHERE uuid = ?",
                     ("http://127.0.0.1:3009", changed))  # the app moved it meanwhile
    blazz_db.execute("UPDATE whatsapp_accounts SET assigned_instance_url = ? WHERE uuid = ?",
                     (second, fixed))  # the app's own sync got there first

    result = asyncio.run(sync.execute_native(plan, ActionEnv(target, LocalTransport()),
                                             lambda line: None))

    rows = dict(blazz_db.execute("SELECT uuid, assigned_instance_url FROM whatsapp_accounts"))
    assert rows == {moved: second, changed: "http://127.0.0.1:3009", fixed: second}
    assert result.skipped == ("s2: changed in the database since the plan, left as it is",)
    assert result.done[:2] == ("s1: wa-1 → wa-2", "s3: wa-1 → wa-2 (already set meanwhile)")
    assert "no Redis configured" in result.done[2]


def test_a_sync_confirmed_after_its_instance_died_changes_no_row(
        instances: InstanceFleet, blazz_db: TestDatabase) -> None:
    uuids, snap, target = _hosted_on_the_second(instances, blazz_db, 4)
    plan = sync.plan_native(snap, target)
    assert len(plan.changes) == 4
    instances[1].kill()  # shown DOWN on the screen; the operator presses y anyway

    result = asyncio.run(sync.execute_native(plan, ActionEnv(target, LocalTransport()),
                                             lambda line: None))

    rows = dict(blazz_db.execute("SELECT uuid, assigned_instance_url FROM whatsapp_accounts"))
    assert all(rows[u] == instances[0].url for u in uuids)  # none points at the dead one
    assert len(result.skipped) == 4 and result.skipped[0].startswith(
        "s1: wa-2 no longer answers (")
    assert not [line for line in result.done if line.startswith("s")]

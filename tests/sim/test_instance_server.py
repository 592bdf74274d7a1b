"""The simulated instance speaks the WhatsApp service's API."""

from __future__ import annotations

from pathlib import Path

import httpx

from blazz_tui.sim.layout import free_port
from tests.fixtures.instances import API_KEY, Instance, InstanceFleet

KEY = {"X-Api-Key": API_KEY}


def test_health_is_open_and_reports_active_sessions(instances: InstanceFleet) -> None:
    body = httpx.get(f"{instances[0].url}/health").json()
    assert body["status"] == "healthy" and body["activeSessions"] == 0
    assert body["instanceId"] == "wa-1"


def test_other_routes_need_the_api_key(instances: InstanceFleet) -> None:
    assert httpx.get(f"{instances[0].url}/health/sessions").status_code == 401
    assert httpx.get(f"{instances[0].url}/health/sessions",
                     headers={"X-Api-Key": "wrong"}).status_code == 401


def test_a_new_session_initializes_then_connects(instances: InstanceFleet) -> None:
    inst = instances[0]
    assert inst.create_session("s1", "u1") == 201
    assert httpx.get(f"{inst.url}/session/s1/status", headers=KEY).json()["status"] == \
        "INITIALIZING"
    inst.wait_connected("s1")
    assert httpx.get(f"{inst.url}/health").json()["activeSessions"] == 1


def test_unknown_session_status_is_404(instances: InstanceFleet) -> None:
    assert httpx.get(f"{instances[0].url}/session/nope/status", headers=KEY).status_code == 404


def test_sessions_survive_a_restart_of_the_instance(instances: InstanceFleet) -> None:
    inst = instances[0]
    inst.create_session("s1")
    inst.wait_connected("s1")
    inst.kill()
    inst.start()
    inst.wait_connected("s1")


def test_a_deleted_session_is_gone_and_logged_out(instances: InstanceFleet) -> None:
    inst = instances[0]
    inst.create_session("s1")
    assert httpx.delete(f"{inst.url}/api/sessions/s1", headers=KEY).status_code == 200
    assert httpx.get(f"{inst.url}/session/s1/status", headers=KEY).status_code == 404


def test_messages_are_sent_only_through_a_connected_session(instances: InstanceFleet) -> None:
    inst = instances[0]
    inst.create_session("s1")
    inst.wait_connected("s1")
    send = f"{inst.url}/api/messages/send"
    assert httpx.post(send, headers=KEY, json={"sessionId": "s1"}).status_code == 200
    assert httpx.post(send, headers=KEY, json={"sessionId": "s2"}).status_code == 404


def test_an_instance_refuses_sessions_beyond_its_capacity(tmp_path: Path) -> None:
    inst = Instance("wa-small", free_port(), tmp_path, max_sessions=1)
    inst.start()
    try:
        assert inst.create_session("a") == 201
        assert inst.create_session("b") == 507
    finally:
        inst.kill()

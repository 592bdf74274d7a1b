"""The instances source against real instance servers."""

from __future__ import annotations

import time

from blazz_tui.settings import InstanceConfig
from blazz_tui.sources.instances import InstancesSource
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.instances import API_KEY, InstanceFleet


def source(fleet: InstanceFleet, timeout: float = 1.0) -> InstancesSource:
    return InstancesSource(fleet.configs, LocalTransport(), timeout)


async def test_health_and_hosted_sessions_are_read(instances: InstanceFleet) -> None:
    instances[0].create_session("s1")
    instances[0].wait_connected("s1")
    reading = await source(instances).read()
    first, second = reading.instances
    assert first.up and first.status == "healthy" and first.active_sessions == 1
    assert first.connected == ("s1",)
    assert second.up and second.sessions == ()


async def test_a_killed_instance_is_down_with_connection_refused(
        instances: InstanceFleet) -> None:
    instances[1].kill()
    reading = await source(instances).read()
    assert reading.instances[0].up
    assert not reading.instances[1].up
    assert reading.instances[1].error == "connection refused"


async def test_a_slow_instance_costs_its_timeout_once(instances: InstanceFleet) -> None:
    instances[0].fault(mode="slow", delay=3)
    started = time.monotonic()
    reading = await source(instances, timeout=0.5).read()
    elapsed = time.monotonic() - started
    assert reading.instances[0].error == "timed out after 0.5 s"
    assert reading.instances[1].up
    assert elapsed < 1.5  # one timeout for the slow instance, not one per request


async def test_garbage_is_reported_as_garbage(instances: InstanceFleet) -> None:
    instances[0].fault(mode="garbage")
    reading = await source(instances).read()
    error = reading.instances[0].error
    assert error is not None and error.startswith("answered garbage: not JSON")


async def test_a_server_error_names_the_status(instances: InstanceFleet) -> None:
    instances[0].fault(mode="error")
    reading = await source(instances).read()
    assert reading.instances[0].error == "/health answered HTTP 500"


async def test_wrong_api_key_leaves_the_instance_up_with_sessions_unknown(
        instances: InstanceFleet) -> None:
    inst = instances[0]
    wrong = (InstanceConfig(inst.name, inst.url, "wrong-key"),)
    reading = await InstancesSource(wrong, LocalTransport(), 1.0).read()
    [only] = reading.instances
    assert only.up and only.sessions is None
    assert only.sessions_error == "/health/sessions answered HTTP 401"


async def test_the_api_key_never_appears_in_a_reading(instances: InstanceFleet) -> None:
    instances[0].fault(mode="garbage")
    reading = await source(instances).read()
    assert API_KEY not in repr(reading)

"""The instances source against real instance servers."""

from __future__ import annotations

import time

import pytest

from blazz_tui.settings import InstanceConfig
from blazz_tui.sources.instances import InstancesSource
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.hostile import HOSTILE_NUMBERS, answering
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
    assert (reading.instances[1].state, reading.instances[1].error) == (
        "DOWN", "connection refused")


async def test_a_slow_instance_costs_its_timeout_once(instances: InstanceFleet) -> None:
    instances[0].fault(mode="slow", delay=3)
    started = time.monotonic()
    reading = await source(instances, timeout=0.5).read()
    elapsed = time.monotonic() - started
    assert (reading.instances[0].state, reading.instances[0].error) == (
        "NO ANSWER", "no answer within 0.5 s")
    assert reading.instances[1].up
    assert elapsed < 1.5  # one timeout for the slow instance, not one per request


async def test_a_slow_instance_is_up_and_slow_with_its_sessions_counted(
        instances: InstanceFleet) -> None:
    # Each request answers in 0.6 s of a 1 s timeout: together they take longer than one
    # timeout, yet every answer came in time — slow is not down.
    instances[0].create_session("s1")
    instances[0].wait_connected("s1")
    instances[0].fault(mode="slow", delay=0.6)
    reading = await source(instances, timeout=1.0).read()
    slow = reading.instances[0]
    assert slow.up and slow.state == "UP"
    assert slow.latency >= 0.6
    assert slow.connected == ("s1",) and slow.sessions_error is None


async def test_an_html_page_is_an_error_said_in_words(instances: InstanceFleet) -> None:
    instances[0].fault(mode="garbage")
    reading = await source(instances).read()
    assert (reading.instances[0].state, reading.instances[0].error) == (
        "ERROR", "/health answered HTML instead of JSON (a proxy or error page?)")


async def test_a_server_error_names_the_status(instances: InstanceFleet) -> None:
    instances[0].fault(mode="error")
    reading = await source(instances).read()
    assert (reading.instances[0].state, reading.instances[0].error) == (
        "ERROR", "/health answered HTTP 500")


async def test_a_refused_api_key_leaves_the_instance_up_and_says_what_to_do(
        instances: InstanceFleet) -> None:
    inst = instances[0]
    wrong = (InstanceConfig(inst.name, inst.url, "wrong-key"),)
    [only] = (await InstancesSource(wrong, LocalTransport(), 1.0).read()).instances
    assert only.up and only.sessions is None
    assert only.sessions_error == ("/health/sessions refused the API key (HTTP 401) — check "
                                   "api_key for this instance")


async def test_a_missing_api_key_says_to_set_it(instances: InstanceFleet) -> None:
    inst = instances[0]
    [only] = (await InstancesSource((InstanceConfig(inst.name, inst.url),), LocalTransport(),
                                    1.0).read()).instances
    assert only.sessions_error == ("/health/sessions demands an API key (HTTP 401) — set "
                                   "api_key (X-Api-Key) in the config")


async def test_the_api_key_never_appears_in_a_reading(instances: InstanceFleet) -> None:
    instances[0].fault(mode="garbage")
    reading = await source(instances).read()
    assert API_KEY not in repr(reading)


@pytest.mark.parametrize("shape", sorted(HOSTILE_NUMBERS))
async def test_one_instances_impossible_answer_is_its_own_error_not_the_others(
        instances: InstanceFleet, shape: str) -> None:
    body = HOSTILE_NUMBERS[shape]
    with answering({"/health": (200, {}, body), "/health/sessions": (200, {}, body)}) as port:
        bad = InstanceConfig("wa-bad", f"http://127.0.0.1:{port}")
        reading = await InstancesSource((*instances.configs, bad), LocalTransport(),
                                        2.0).read()
    *healthy, hostile = reading.instances
    assert all(i.up for i in healthy)
    assert hostile.state == "ERROR" and hostile.error is not None
    assert hostile.error.startswith("/health")


async def test_a_gzip_bomb_is_refused_without_ever_being_inflated_whole(
        instances: InstanceFleet) -> None:
    import gzip
    import tracemalloc

    bomb = gzip.compress(b"\0" * (256 << 20), compresslevel=9)  # 256 MiB in ~250 KiB
    with answering({"/health": (200, {"Content-Encoding": "gzip"}, bomb)}) as port:
        bad = InstanceConfig("wa-bomb", f"http://127.0.0.1:{port}")
        tracemalloc.start()
        try:
            reading = await InstancesSource((bad,), LocalTransport(), 5.0).read()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert reading.instances[0].error == "answer larger than 8 MiB"
    assert peak < 32 << 20  # the 8 MiB bound and a chunk, never the 256 MiB

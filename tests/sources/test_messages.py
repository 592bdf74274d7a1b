"""Message latency and failed messages from the instances' own send counters (``/metrics``),
against real simulated instance servers."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from blazz_tui import message_figures
from blazz_tui.history import History, MessageRates
from blazz_tui.rules import Status, evaluate
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.messages import (
    MessagesReading,
    MessagesSource,
    SendCounters,
    parse_prometheus,
)
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.instances import API_KEY, InstanceFleet


def send(fleet: InstanceFleet, count: int) -> list[float]:
    """``count`` messages through the first instance; the send times it answered."""
    took = []
    with httpx.Client(headers={"X-Api-Key": API_KEY}, timeout=10) as client:
        for _ in range(count):
            answer = client.post(f"{fleet[0].url}/api/messages/send",
                                 json={"sessionId": "s1", "text": "hi"})
            if answer.status_code == 200:
                took.append(answer.json()["seconds"])
    return took


async def window(fleet: InstanceFleet, between: int) -> tuple[MessageRates, list[float]]:
    """Two reads of the counters with ``between`` messages sent in between; and the send
    times the instance answered."""
    history = History()
    source = MessagesSource(fleet.configs, LocalTransport(), 5.0)
    try:
        history.messages.observe(await source.read())
        took = await asyncio.to_thread(send, fleet, between)
        history.messages.observe(await source.read())
    finally:
        await source.close()
    return history.messages.rates(), took


SEEDS = Thresholds(failed_messages_min=20)
"""The seeds' alert levels, judged from the few messages a test sends."""


def judged(rates: MessageRates, t: Thresholds = SEEDS) -> dict[str, tuple[Status, str]]:
    snap = Snapshot(target="t", transport="local", taken_at=time.time(), supervisor=None,
                    instances=None, database=None, redis=None, host=None, ports=None,
                    logs=None, message_latency=message_figures.latency(rates, None, None),
                    failed_messages=message_figures.failed(rates, None))
    return {c.name: (c.status, c.summary) for c in evaluate(snap, t)}


async def test_the_mean_send_time_is_the_instances_own(instances: InstanceFleet) -> None:
    instances[0].create_session("s1")
    instances[0].wait_connected("s1")

    rates, took = await window(instances, 30)

    assert rates.sent == len(took) and rates.sent + rates.failed == 30
    assert rates.latency is not None and abs(rates.latency - sum(took) / len(took)) < 0.001
    assert judged(rates)["message-latency"][0] is Status.OK  # 30-90 ms


async def test_slow_and_failing_sends_move_the_figures_past_the_seeds_alerts(
        instances: InstanceFleet) -> None:
    instances[0].create_session("s1")
    instances[0].wait_connected("s1")
    (instances[0].state_dir / "sends.fault.json").write_text(
        json.dumps({"delay_ms": 300, "fail_pct": 30}))

    rates, _ = await window(instances, 40)

    checks = judged(rates)
    assert rates.latency is not None and rates.latency > 0.33
    assert checks["message-latency"][0] is Status.CRITICAL  # alert > 300 ms
    assert rates.failed_percent is not None and rates.failed_percent > 5
    assert checks["failed-messages"][0] is Status.CRITICAL  # alert > 5 %
    assert checks["failed-messages"][1].startswith(f"{rates.failed_percent:.1f} % failed: ")


def test_instances_without_send_counters_have_no_message_figures() -> None:
    history = History()
    reading = MessagesReading(fetched_at=time.time(), instances=(
        SendCounters("wa-1", error="/metrics answered HTTP 404"),
        SendCounters("wa-2", error="its /metrics has no send counters")))
    history.messages.observe(reading)
    rates = history.messages.rates()
    assert not rates.available and "message-latency" not in judged(rates)


def test_prometheus_text_is_read_as_unlabelled_sums_and_garbage_is_skipped() -> None:
    text = ("# HELP whatsapp_messages_sent_total Messages sent\n"
            "whatsapp_messages_sent_total{type=\"text\"} 3\n"
            "whatsapp_messages_sent_total{type=\"media\"} 2\n"
            "whatsapp_message_send_seconds_sum 0.25\n"
            "garbage line\nnot_a_number abc\nnan_value NaN\n")
    assert parse_prometheus(text) == {"whatsapp_messages_sent_total": 5.0,
                                      "whatsapp_message_send_seconds_sum": 0.25}

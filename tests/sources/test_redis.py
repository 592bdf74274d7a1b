"""The Redis source against a dedicated redis-server."""

from __future__ import annotations

import pytest

from blazz_tui.settings import RedisConfig
from blazz_tui.sources.redis import RedisSource
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.hostile import fake_redis
from tests.fixtures.redis_server import RedisServer


def source(server: RedisServer, **config: object) -> RedisSource:
    return RedisSource(RedisConfig(url=server.url, **config), LocalTransport())  # type: ignore[arg-type]


async def test_hits_and_misses_are_the_exact_server_counters(redis_server: RedisServer) -> None:
    client = redis_server.client()
    client.set("k", "v")
    for _ in range(7):
        client.get("k")
    for _ in range(3):
        client.get("missing")
    reading = await source(redis_server).read()
    assert reading.error is None
    assert (reading.keyspace_hits, reading.keyspace_misses) == (7, 3)
    assert reading.lifetime_hit_rate == 70.0
    assert reading.version and reading.run_id


async def test_config_resetstat_shows_counters_reset(redis_server: RedisServer) -> None:
    client = redis_server.client()
    client.get("missing")
    src = source(redis_server)
    assert (await src.read()).keyspace_misses == 1
    client.config_resetstat()
    assert (await src.read()).keyspace_misses == 0
    await src.close()


async def test_instance_url_cache_keys_are_counted_in_the_cache_db(
        redis_server: RedisServer) -> None:
    cache = redis_server.client(db=1)
    for i in range(25):
        cache.set(f"blazz_database_blazz_cache_:whatsapp_instance_url_{i}", "x")
    cache.set("blazz_database_blazz_cache_:other", "x")
    redis_server.client(db=0).set("whatsapp_instance_url_in_db0", "x")
    reading = await source(redis_server).read()
    assert (reading.instance_url_keys, reading.instance_url_keys_capped) == (25, False)


async def test_key_count_stops_at_the_scan_limit(redis_server: RedisServer) -> None:
    cache = redis_server.client(db=1)
    cache.mset({f"whatsapp_instance_url_{i}": "x" for i in range(3000)})
    reading = await source(redis_server, scan_limit=1000).read()
    assert reading.instance_url_keys_capped
    assert reading.instance_url_keys < 3000


async def test_redis_queue_depths_for_the_redis_driver(redis_server: RedisServer) -> None:
    client = redis_server.client()
    client.rpush("laravel_database_queues:default", "a", "b", "c")
    client.zadd("laravel_database_queues:default:reserved", {"r": 1})
    client.zadd("laravel_database_queues:default:delayed", {"d1": 1, "d2": 2})
    src = RedisSource(RedisConfig(url=redis_server.url), LocalTransport(),
                      queue_names=("default", "high"), redis_queues=True)
    reading = await src.read()
    depths = {q.name: (q.pending, q.reserved, q.delayed) for q in reading.queues}
    assert depths == {"default": (3, 1, 2), "high": (0, 0, 0)}
    await src.close()


async def test_stopped_redis_gives_an_error_reading_and_recovers(
        redis_server: RedisServer) -> None:
    src = source(redis_server)
    assert (await src.read()).ok
    redis_server.stop()
    first = await src.read()  # the open connection is closed under it...
    assert first.error in ("connection closed by server", "connection refused")
    assert (await src.read()).error == "connection refused"  # ...and a new one is refused
    redis_server.start()
    assert (await src.read()).ok
    await src.close()


async def test_password_never_appears_in_an_error(
        redis_server_with_password: RedisServer) -> None:
    server = redis_server_with_password
    good = await RedisSource(RedisConfig(url=server.url), LocalTransport()).read()
    assert good.ok
    wrong = RedisConfig(url=server.url.replace("s3cret-pw", "wrong-pw"))
    reading = await RedisSource(wrong, LocalTransport()).read()
    assert reading.error is not None and "authentication failed" in reading.error
    assert "wrong-pw" not in reading.error and "s3cret-pw" not in reading.error


async def test_an_info_answer_that_is_not_redis_is_an_error_naming_the_field() -> None:
    with fake_redis("# Server\nredis_version:7.0.0\nuptime_in_seconds:abc\n") as port:
        src = RedisSource(RedisConfig(url=f"redis://127.0.0.1:{port}/0"), LocalTransport())
        reading = await src.read()
        await src.close()
    assert reading.error == 'Redis answered INFO with uptime_in_seconds = "abc", not a number'


@pytest.mark.parametrize("line", ["keyspace_misses:-300", "used_memory:-10000",
                                  "instantaneous_ops_per_sec:inf", "keyspace_hits:nan",
                                  "keyspace_hits:1e999"])
async def test_an_impossible_counter_is_an_error_naming_it_not_a_figure(line: str) -> None:
    with fake_redis(f"# Server\nredis_version:7.0.0\nkeyspace_hits:1000\n{line}\n") as port:
        src = RedisSource(RedisConfig(url=f"redis://127.0.0.1:{port}/0"), LocalTransport())
        reading = await src.read()
        await src.close()
    key = line.split(":")[0]
    assert reading.error is not None and reading.error.startswith(f"Redis answered INFO with {key}")
    assert not reading.has_data

"""Servers whose bytes break the protocol: each is a reading error saying the answer was
garbled (and how), never an internal error of the source; and a Redis too old for RESP3.

The servers are small fakes on loopback sockets (tests/fixtures/hostile.py): no real MySQL or
Redis sends these bytes, and a Redis 5, which has no HELLO, cannot be installed here — the
fake speaks real RESP2 for the few commands the Redis source sends."""

from __future__ import annotations

import pytest

from blazz_tui.settings import DatabaseConfig, RedisConfig
from blazz_tui.sources.database import DatabaseReading, DatabaseSource
from blazz_tui.sources.redis import RedisReading, RedisSource
from blazz_tui.transport.local import LocalTransport
from tests.fixtures.hostile import (
    REDIS_5_INFO,
    mysql_greeting,
    mysql_packet,
    mysql_speaking,
    resp2_redis,
)


async def read_mysql(port: int) -> DatabaseReading:
    source = DatabaseSource(DatabaseConfig(url=f"mysql://root@127.0.0.1:{port}/blazz"),
                            LocalTransport(), timeout=5)
    try:
        return await source.read()
    finally:
        await source.close()


async def read_redis(port: int, password: str = "") -> RedisReading:
    auth = f":{password}@" if password else ""
    source = RedisSource(RedisConfig(url=f"redis://{auth}127.0.0.1:{port}/0"), LocalTransport())
    try:
        return await source.read()
    finally:
        await source.close()


# -- MySQL ----------------------------------------------------------------------------------------

async def test_a_protocol_9_greeting_is_a_server_this_client_cannot_speak_to() -> None:
    with mysql_speaking(mysql_greeting(version=9, server=b"3.20.32a")) as port:
        reading = await read_mysql(port)
    assert reading.error == (f"127.0.0.1:{port} is not a MySQL server this client can speak "
                             "to: protocol version 9 (MySQL and MariaDB speak 10)")


async def test_a_protocol_9_greeting_long_enough_to_parse_as_10_is_refused_all_the_same() -> None:
    greeting = mysql_greeting(version=9)
    padded = mysql_packet(0, greeting[4:] + b"\x01" * 60)  # read as V10: capabilities, SSL...
    with mysql_speaking(padded) as port:
        reading = await read_mysql(port)
    assert reading.error is not None and "protocol version 9" in reading.error


@pytest.mark.parametrize("greeting", [
    pytest.param(mysql_packet(0, b""), id="empty"),
    pytest.param(mysql_packet(0, b"\x0a5.5.5\0\x07\0"), id="cut-short"),
    pytest.param(mysql_greeting()[:-22] + b"\xff\xfe\0", id="plugin-name-not-utf8"),
])
async def test_a_greeting_that_cannot_be_parsed_is_a_garbled_answer(greeting: bytes) -> None:
    with mysql_speaking(mysql_packet(0, greeting[4:])) as port:
        reading = await read_mysql(port)
    assert reading.error is not None
    assert reading.error.startswith(f"garbled answer from MySQL at 127.0.0.1:{port}: the "
                                    "greeting or the answer to the login ")


@pytest.mark.parametrize("login", [
    pytest.param(b"HTTP/1.1 400 Bad Request\r\n\r\n", id="not-packets"),
    pytest.param(mysql_packet(2, b"\xff"), id="error-packet-cut-short"),
    pytest.param(mysql_packet(2, b"\x07junk"), id="no-packet-of-a-login"),
])
async def test_garbage_after_the_greeting_is_a_garbled_answer(login: bytes) -> None:
    with mysql_speaking(mysql_greeting(), login=login) as port:
        reading = await read_mysql(port)
    assert reading.error is not None
    assert reading.error.startswith(f"garbled answer from MySQL at 127.0.0.1:{port}: the "
                                    "greeting or the answer to the login ")


@pytest.mark.parametrize("answer", [
    pytest.param(mysql_packet(1, b"\x01") + mysql_packet(2, b"\x03def\xfc"),
                 id="column-cut-short"),
    pytest.param(mysql_packet(5, b"\x01"), id="out-of-sequence"),
])
async def test_a_garbled_answer_to_a_query_is_a_garbled_answer(answer: bytes) -> None:
    with mysql_speaking(mysql_greeting(), query=answer) as port:
        reading = await read_mysql(port)
    assert reading.error is not None
    assert reading.error.startswith(f"garbled answer from MySQL at 127.0.0.1:{port}: the "
                                    "answer to a query ")


# -- Redis ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["", "s3cret"])
async def test_a_redis_without_hello_is_read_with_resp2(password: str) -> None:
    """Redis ≤ 5 has no HELLO: it is spoken to in RESP2 from the first command, not sent a
    HELLO that it refuses ("unknown command"), and its INFO is read in full."""
    with resp2_redis() as server:
        reading = await read_redis(server.port, password)
    assert reading.error is None
    assert (reading.version, reading.keyspace_hits, reading.keyspace_misses,
            reading.keys_per_db) == ("5.0.14", 70, 30, ((0, 12),))
    assert "HELLO" not in server.commands


async def test_an_invalid_bulk_length_is_a_garbled_answer() -> None:
    with resp2_redis({"INFO": b"$-7\r\n"}) as server:
        reading = await read_redis(server.port)
    assert reading.error == (f"garbled answer from Redis at 127.0.0.1:{server.port}: a bulk "
                             "string length of -7, which RESP2 does not have")


@pytest.mark.parametrize("head", [b"*-2\r\n", b"$7x\r\n", b":12.5\r\n", b"%1\r\n", b"\r\n"])
async def test_a_reply_line_resp2_does_not_have_is_a_garbled_answer(head: bytes) -> None:
    with resp2_redis({"INFO": head}) as server:
        reading = await read_redis(server.port)
    assert reading.error is not None
    assert reading.error.startswith(f"garbled answer from Redis at 127.0.0.1:{server.port}: ")


@pytest.mark.parametrize("reply, said", [
    (b"*1\r\n*1\r\n$5\r\nhello\r\n", "an array of 1"),
    (b"*2\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", "an array of 2"),
    (b":42\r\n", "the integer 42"),
    (b"$-1\r\n", "a null"),
])
async def test_info_answered_with_no_bulk_string_is_a_garbled_answer(reply: bytes,
                                                                     said: str) -> None:
    with resp2_redis({"INFO": reply}) as server:
        reading = await read_redis(server.port)
    assert reading.error == (f"garbled answer from Redis at 127.0.0.1:{server.port}: INFO "
                             f"answered with {said}, where Redis sends a bulk string")


async def test_a_keyspace_count_that_is_not_a_number_is_an_error_naming_it() -> None:
    body = REDIS_5_INFO.replace("db0:keys=12,", "db0:keys=twelve,").encode()
    with resp2_redis({"INFO": b"$%d\r\n%s\r\n" % (len(body), body)}) as server:
        reading = await read_redis(server.port)
    assert reading.error == 'Redis answered INFO with db0 keys = "twelve", not a number'


async def test_a_count_answered_with_a_string_is_a_garbled_answer() -> None:
    with resp2_redis({"EXISTS": b"+OK\r\n"}) as server:
        reading = await read_redis(server.port)
    assert reading.error == (f"garbled answer from Redis at 127.0.0.1:{server.port}: EXISTS "
                             'answered with the string "OK", where Redis sends a count')


async def test_a_garbled_answer_leaves_no_connection_to_read_out_of_step() -> None:
    replies = {"INFO": b"$-7\r\n"}
    with resp2_redis(replies) as server:
        source = RedisSource(RedisConfig(url=f"redis://127.0.0.1:{server.port}/0"),
                             LocalTransport())
        assert (await source.read()).error is not None
        replies.clear()  # the server is well again
        again = await source.read()
        await source.close()
    assert again.error is None and again.version == "5.0.14"

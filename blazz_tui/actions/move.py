"""Moving sessions between instances, one batch at a time; also run as its own process by a
rebalance (``python -m blazz_tui.actions.move [-c CONFIG]``, the batch as JSON on stdin, one
JSON outcome per line on stdout), so that moves in flight finish if the rebalance is killed.

A move: the session is CONNECTED on its instance → stopped there keeping its auth → started
on the other instance → CONNECTED there (bounded) → the account's row updated, guarded by its
old URL → its cached URL deleted. A failure after the stop starts it back where it was.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from blazz_tui.actions.run import ActionEnv
from blazz_tui.actions.sync import CHANGED, UrlFix, forget_instance_urls, guarded_update
from blazz_tui.clients.database import DatabaseClient, DatabaseError
from blazz_tui.clients.instance_api import InstanceApi
from blazz_tui.clients.redis_client import RedisClient
from blazz_tui.settings import InstanceConfig
from blazz_tui.sources.base import describe_error

UNSUPPORTED = (404, 405, 501)
POLL = 0.3


@dataclass(frozen=True)
class Move:
    session_id: str
    uuid: str
    source: str
    target: str
    old_url: str | None
    new_url: str


@dataclass(frozen=True)
class Outcome:
    ok: bool
    line: str
    fatal: str | None = None
    """Why no further move may be tried (the instances cannot keep a session's auth)."""


class _Mover:
    def __init__(self, env: ActionEnv) -> None:
        target = env.target
        self.env = env
        self.rb = target.rebalance
        self.by_name = {i.name: i for i in target.instances}
        self.api = InstanceApi(target.instances, env.transport, target.poll.instances.timeout)
        self.db = DatabaseClient(target.database, env.transport,
                                 target.poll.database.timeout) if target.database else None
        self.redis = RedisClient(target.redis, env.transport,
                                 target.poll.redis.timeout) if target.redis else None

    async def close(self) -> None:
        await self.api.close()
        if self.redis is not None:
            await self.redis.close()

    async def move(self, m: Move) -> Outcome:
        src, dst = self.by_name[m.source], self.by_name[m.target]
        head = f"{m.session_id}: {m.source} → {m.target}"
        try:
            state = await self._status(src, m.session_id)
            if state != "CONNECTED":
                return Outcome(False, f"{head}: left alone, it is {state} on {m.source} now")
            method, path = self._route(self.rb.stop_route, m.session_id)
            code, _ = await self.api.call(src, method, path)
            if code in UNSUPPORTED:
                return Outcome(False, f"{head}: not moved", fatal=(
                    f"{m.source} answered HTTP {code} to {self.rb.stop_route}: the WhatsApp "
                    "service must provide a stop that keeps the session's auth (whatsapp-web.js "
                    "destroy(), not logout()), or rebalance.stop_route must name it — nothing "
                    "was moved"))
            if not 200 <= code < 300:
                return Outcome(False, f"{head}: not moved, the stop answered HTTP {code}")
        except Exception as exc:  # noqa: BLE001 - nothing changed yet
            return Outcome(False, f"{head}: not moved ({describe_error(exc)})")
        where = await self._start_on(dst, m)
        if where != "CONNECTED":
            back = await self._undo(src, dst, m)
            fatal = None
            if where == "QR_REQUIRED":
                fatal = (f"{m.session_id} needs a QR scan on {m.target}: the stop route did not "
                         "keep its auth — stopped before moving more")
            return Outcome(False, f"{head}: {where} on {m.target}; {back}", fatal=fatal)
        return Outcome(True, f"{head}{await self._record(m)}")

    async def _start_on(self, dst: InstanceConfig, m: Move) -> str:
        """The session's state on ``dst`` once CONNECTED, failed, or out of time."""
        try:
            method, path = self._route(self.rb.start_route, m.session_id)
            code, _ = await self.api.call(dst, method, path,
                                          {"sessionId": m.session_id, "accountUuid": m.uuid})
            if not 200 <= code < 300:
                return f"the start answered HTTP {code}"
            deadline = time.monotonic() + self.rb.connect_timeout
            while True:
                state = await self._status(dst, m.session_id)
                if state in ("CONNECTED", "QR_REQUIRED") or time.monotonic() > deadline:
                    return state if state in ("CONNECTED", "QR_REQUIRED") else (
                        f"still {state} after {self.rb.connect_timeout:g} s")
                await asyncio.sleep(POLL)
        except Exception as exc:  # noqa: BLE001 - undone by the caller
            return f"not started ({describe_error(exc)})"

    async def _undo(self, src: InstanceConfig, dst: InstanceConfig, m: Move) -> str:
        try:
            method, path = self._route(self.rb.stop_route, m.session_id)
            await self.api.call(dst, method, path)
        except Exception:  # noqa: BLE001 - it may never have started there
            pass
        back = await self._start_on(src, m)
        return "started back on " + m.source if back == "CONNECTED" else (
            f"NOT back on {m.source} ({back}): start it there by hand")

    async def _record(self, m: Move) -> str:
        notes = ""
        if self.db is not None:
            try:
                [outcome] = await self.db.with_connection(functools.partial(
                    guarded_update, fixes=[UrlFix(m.uuid, m.old_url, m.new_url)]),
                    autocommit=False)
                if outcome == CHANGED:
                    notes += "; its row had changed to another URL: left as it is (a sync fixes it)"
            except DatabaseError as exc:
                notes += f"; the database was not updated ({exc}): a sync fixes it"
        if self.redis is not None:
            try:
                await forget_instance_urls(self.redis, [m.uuid])
            except OSError:
                notes += "; its cached URL stays up to 300 s"
        return notes

    async def _status(self, cfg: InstanceConfig, sid: str) -> str:
        code, body = await self.api.call(cfg, "GET", f"/session/{sid}/status")
        if code == 404:
            return "NOT_FOUND"
        status = body.get("status") if isinstance(body, dict) else None
        return str(status).upper() if status else f"HTTP {code}"

    @staticmethod
    def _route(route: str, sid: str) -> tuple[str, str]:
        method, _, path = route.partition(" ")
        return method, path.replace("{id}", sid)


async def run_batch(env: ActionEnv, batch: Sequence[Move]) -> list[Outcome]:
    mover = _Mover(env)
    try:
        return list(await asyncio.gather(*(mover.move(m) for m in batch)))
    finally:
        await mover.close()


def main(argv: list[str] | None = None) -> int:
    """The child process of a rebalance: its batch on stdin, outcomes on stdout."""
    import argparse

    from blazz_tui.config import load_config
    from blazz_tui.transport import complete, make_transport

    parser = argparse.ArgumentParser(prog="python -m blazz_tui.actions.move")
    parser.add_argument("-c", "--config")
    args = parser.parse_args(argv)
    request = json.loads(sys.stdin.read())
    config = load_config(args.config)
    target = config.target(request["target"])
    batch = [Move(**m) for m in request["moves"]]

    async def go() -> list[Outcome]:
        transport = make_transport(target)
        try:
            completed, _ = await complete(target, transport, 10.0)
            return await run_batch(ActionEnv(completed, transport, config.actions), batch)
        finally:
            await transport.close()

    for outcome in asyncio.run(go()):
        print(json.dumps(asdict(outcome)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A stand-in for Blazz's ``php artisan``: the Laravel side of the simulated stack.

``python -m blazz_tui.sim.artisan COMMAND [options]``, configured by a Laravel-style ``.env``
(``BLAZZ_SIM_ENV`` or ``./.env``):

- ``queue:work [connection] --queue=a,b --sleep=1 --tries=3`` — a worker on the ``jobs``
  table as Laravel's DatabaseQueue runs it: reserve (``reserved_at``, ``attempts``) the
  oldest available job of the first queue that has one, delete on success, release with a
  new id on failure, move to ``failed_jobs`` after ``--tries``; Laravel's output lines.
- ``whatsapp:sync-instance-urls [--dry-run]`` — point drifted accounts at the instance that
  really hosts their session (never a session hosted nowhere), forget their cached URL.
- ``schedule:work --sync-every=SECONDS`` — the scheduler, running the sync.
- ``reverb:start --host=H --port=P`` — a live WebSocket port that polls its restart key.
- ``sim:setup``, ``sim:seed --accounts=N``, ``sim:traffic`` — tables, accounts, load.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from blazz_tui.sim import laravel

STOP = False


def _stop(signum: int, frame: object) -> None:
    global STOP
    STOP = True


# -- queue:work ------------------------------------------------------------------------------

def queue_work(app: laravel.App, queues: list[str], sleep: float, tries: int,
               max_time: float) -> int:
    program = os.environ.get("SUPERVISOR_PROCESS_NAME", "").rsplit("_", 1)[0]
    fault_dir = os.environ.get("BLAZZ_SIM_FAULT_DIR")
    if program and fault_dir and (Path(fault_dir) / f"{program}.broken").exists():
        print(f"   ERROR  Worker cannot boot: {program} is broken (simulated fault).",
              flush=True)
        return 1
    started = time.monotonic()
    conn = app.connect()
    while not STOP and time.monotonic() - started < max_time:
        job = laravel.reserve(conn, app.engine, queues)
        if job is None:
            time.sleep(sleep)
            continue
        _run_job(app, conn, job, tries)
    conn.close()
    return 0


def _run_job(app: laravel.App, conn: Any, job: laravel.Job, tries: int) -> None:
    payload = job.payload
    name = payload.get("displayName", "App\\Jobs\\Job")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"  {stamp} {name} {'.' * max(3, 60 - len(name))} RUNNING", flush=True)
    clock = time.perf_counter()
    data = payload.get("data", {}) if isinstance(payload.get("data"), dict) else {}
    time.sleep(min(5.0, float(data.get("sim_duration", 0.01))))
    elapsed = (time.perf_counter() - clock) * 1000
    dots = "." * max(3, 52 - len(name))
    if data.get("sim_fail"):
        print(f"  {stamp} {name} {dots} {elapsed:.2f}ms FAIL", flush=True)
        error = RuntimeError(f"Simulated failure of {name} (attempt {job.attempts})")
        if job.attempts >= tries:
            laravel.fail(conn, app.engine, job, _exception_text(error))
            app.log("ERROR", f"{name} has been attempted too many times.",
                    {"job": payload.get("uuid")}, trace=True)
        else:
            laravel.release(conn, app.engine, job, delay=1)
        return
    laravel.delete(conn, app.engine, job)
    print(f"  {stamp} {name} {dots} {elapsed:.2f}ms DONE", flush=True)


def _exception_text(error: Exception) -> str:
    return (f"{type(error).__name__}: {error} in /www/wwwroot/blazz/app/Jobs/SendMessage.php:42\n"
            "Stack trace:\n#0 /www/wwwroot/blazz/vendor/laravel/framework/src/Illuminate/"
            "Queue/CallQueuedHandler.php(133): App\\Jobs\\SendMessage->handle()\n#1 {main}")


# -- the command line ------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="artisan")
    parser.add_argument("--env-file", default=os.environ.get("BLAZZ_SIM_ENV", ".env"))
    parser.add_argument("command")
    parser.add_argument("connection", nargs="?")
    parser.add_argument("--queue", default="default")
    parser.add_argument("--sleep", type=float, default=3)
    parser.add_argument("--tries", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--max-time", type=float, default=3600)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--sync-every", type=float, default=300)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--accounts", type=int, default=120)
    parser.add_argument("--rate", type=float, default=8.0)
    parser.add_argument("--duration", type=float, default=0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    app = laravel.App.from_env_file(Path(args.env_file))
    command = args.command
    try:
        if command == "queue:work":
            return queue_work(app, [q for q in args.queue.split(",") if q], args.sleep,
                              args.tries, args.max_time)
        if command == "whatsapp:sync-instance-urls":
            from blazz_tui.sim.sync import sync

            return sync(app, dry_run=args.dry_run)
        if command == "schedule:work":
            from blazz_tui.sim.sync import schedule

            return schedule(app, args.sync_every, lambda: STOP)
        if command == "reverb:start":
            from blazz_tui.sim.traffic import reverb

            return reverb(app, args.host, args.port, lambda: STOP)
        if command == "sim:setup":
            laravel.setup(app)
            return 0
        if command == "sim:seed":
            from blazz_tui.sim.traffic import seed

            return seed(app, args.accounts)
        if command == "sim:traffic":
            from blazz_tui.sim.traffic import traffic

            return traffic(app, args.rate, args.duration, lambda: STOP)
    except Exception as exc:  # noqa: BLE001 - a crashing command logs like Laravel does
        app.log("ERROR", f"{command} crashed: {exc}", trace=True)
        traceback.print_exc()
        return 1
    print(f"Command \"{command}\" is not defined.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())

"""``blazz-tui sim start|status|stop|fault|heal`` and the stack behind ``--demo``."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from blazz_tui.sim import faults
from blazz_tui.sim import pm2 as sim_pm2
from blazz_tui.sim.layout import DEFAULT_DIR, Layout, alive

READY_TIMEOUT = 90.0


class StackError(RuntimeError):
    pass


def launch(root: Path, *, owner: int | None = None, database: str | None = None,
           accounts: int = 120, chaos: bool = False, sync_every: float = 10.0,
           pm2: bool = False, remove: bool = False) -> Layout:
    """Start a keeper for a stack in ``root`` and wait until the stack is ready; with
    ``remove`` the keeper removes ``root`` once it has stopped the stack."""
    if (root / "ready").exists() and _keeperalive(root):
        raise StackError(f"a simulated stack already runs in {root} (blazz-tui sim stop)")
    root.mkdir(parents=True, exist_ok=True)
    (root / "ready").unlink(missing_ok=True)
    argv = [sys.executable, "-m", "blazz_tui.sim.stack", "--dir", str(root),
            "--accounts", str(accounts), "--sync-every", str(sync_every)]
    if owner is not None:
        argv += ["--owner", str(owner)]
    if database:
        argv += ["--database", database]
    if chaos:
        argv.append("--chaos")
    if remove:
        argv.append("--remove")
    if pm2:
        if shutil.which("pm2") is None:
            raise StackError("--pm2: pm2 is not installed (npm install -g pm2)")
        argv.append("--pm2")
    log = (root / "keeper.log").open("ab")
    with log:
        keeper = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                  start_new_session=True)
    limit = READY_TIMEOUT + accounts * 0.03  # seeding sessions takes ~15 ms each
    deadline = time.monotonic() + limit
    while not (root / "ready").exists():
        if keeper.poll() is not None:
            raise StackError(f"the simulated stack failed to start:\n{_tail(root / 'keeper.log')}")
        if time.monotonic() > deadline:
            keeper.terminate()
            raise StackError(f"the simulated stack was not ready after {limit:g} s")
        time.sleep(0.05)
    return Layout.load(root)


def stop(root: Path, timeout: float = 30.0, wait: bool = True) -> bool:
    """Stop the stack in ``root``; True if something was running. Without ``wait`` the
    keeper is only told to stop."""
    try:
        layout = Layout.load(root)
    except (OSError, ValueError):
        return False
    pid = layout.keeper_pid
    if pid is None or not alive(pid):
        from blazz_tui.sim.programs import supervisor_for

        sv = supervisor_for(layout)
        if layout.pm2:
            sim_pm2.stop(layout)
        if sv.pid is None:
            return layout.pm2
        sv.stop()  # the keeper died (SIGKILL): stop what it left
        return True
    os.kill(pid, signal.SIGTERM)
    if not wait:
        return True
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def _keeperalive(root: Path) -> bool:
    try:
        pid = Layout.load(root).keeper_pid
    except (OSError, ValueError):
        return False
    return pid is not None and alive(pid)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- the command line -----------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blazz-tui sim",
                                     description="Run a simulated Blazz stack on its own.")
    parser.add_argument("--dir", default=str(DEFAULT_DIR),
                        help=f"where the stack lives (default: {DEFAULT_DIR})")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start the stack and print the config that watches it")
    start.add_argument("--database", metavar="URL",
                       help="mysql://... URL to use instead of a SQLite file")
    start.add_argument("--accounts", type=int, default=120,
                       help="WhatsApp accounts to seed (default 120)")
    start.add_argument("--sync-every", type=float, default=10.0, metavar="SECONDS",
                       help="instance-URL sync interval (default 10 s; production: 300)")
    start.add_argument("--chaos", action="store_true", help="inject and heal faults at random")
    start.add_argument("--pm2", action="store_true",
                       help="run the instances under a PM2 daemon of the stack's own "
                            "(npm install -g pm2), as seed 003 does")
    sub.add_parser("status", help="is it running, and its programs")
    sub.add_parser("stop", help="stop every process of the stack")
    fault = sub.add_parser("fault", help="inject a fault",
                           description="Faults: " + "; ".join(
                               f"{n} {f.usage}: {f.help}" for n, f in faults.FAULTS.items()))
    fault.add_argument("name", choices=sorted(faults.FAULTS))
    fault.add_argument("args", nargs="*")
    sub.add_parser("heal", help="undo faults: fault files, broken and stopped programs")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    root = Path(args.dir).expanduser()
    if args.command == "start":
        try:
            layout = launch(root, database=args.database, accounts=args.accounts,
                            chaos=args.chaos, sync_every=args.sync_every, pm2=args.pm2)
        except StackError as exc:
            print(f"blazz-tui sim: {exc}", file=sys.stderr)
            return 1
        print(f"simulated stack running in {layout.root}")
        print(f"watch it with: blazz-tui -c {layout.config_path}")
        print(f"stop it with:  blazz-tui sim --dir {layout.root} stop\n")
        print(layout.config_path.read_text())
        return 0
    if args.command == "stop":
        print("stopped" if stop(root) else f"no simulated stack runs in {root}")
        return 0
    try:
        layout = Layout.load(root)
    except (OSError, ValueError):
        print(f"blazz-tui sim: no simulated stack in {root} (blazz-tui sim start)",
              file=sys.stderr)
        return 1
    if args.command == "status":
        return _status(layout)
    try:
        message = (faults.heal(layout) if args.command == "heal"
                   else faults.apply(layout, args.name, args.args))
    except faults.FaultError as exc:
        print(f"blazz-tui sim: {exc}", file=sys.stderr)
        return 2
    print(message)
    return 0


def _status(layout: Layout) -> int:
    running = layout.keeper_pid is not None and alive(layout.keeper_pid)
    print(f"stack in {layout.root}: {'running' if running else 'not running'}")
    if not running:
        return 1
    print(f"config: {layout.config_path}")
    try:
        infos = faults.rpc(layout).supervisor.getAllProcessInfo()
    except OSError as exc:
        print(f"supervisord not answering: {exc}")
        return 1
    for info in infos:
        print(f"  {info['group'] + ':' + info['name']:<42} {info['statename']:<9} "
              f"{info['description']}")
    if layout.pm2:
        try:
            print(sim_pm2.run(layout, "list", "--no-color").rstrip())
        except sim_pm2.Pm2Error as exc:
            print(f"PM2 not answering: {exc}")
            return 1
    return 0

"""The command line. Imports nothing of Textual unless the dashboard is started."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from blazz_tui import __version__
from blazz_tui.config import ConfigError, load_config
from blazz_tui.settings import Config, TargetConfig

if TYPE_CHECKING:
    from blazz_tui.check import CheckResult
    from blazz_tui.runtime import Runtime

FORMATS = ("text", "json", "nagios")

UNKNOWN = 3
ACTION_COMMANDS = ("restart", "start", "stop", "sync", "rebalance", "rolling-restart")


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 3 (UNKNOWN) under --check, as the monitoring-plugins guidelines ask:
    a monitor must not read a typo as CRITICAL."""

    checking = False

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(UNKNOWN if self.checking else 2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="blazz-tui",
        description="Watch a Blazz deployment (Laravel + Reverb + queue workers + WhatsApp "
                    "instances + MySQL + Redis), locally or over SSH.",
        epilog="Exit codes with --check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Actions: "
               "blazz-tui restart|start|stop NAME…|--queue Q, blazz-tui sync [--dry-run], "
               "blazz-tui rebalance [--dry-run] [--max-moves N], blazz-tui rolling-restart "
               "(PM2) (each with --help; -c, --target, --read-only and --format go before or "
               "after the action).",
    )
    parser.add_argument("-c", "--config", metavar="CONFIG",
                        help="configuration file (default: ./config.toml, then "
                             "~/.config/blazz-tui/config.toml, then Laravel .env discovery)")
    parser.add_argument("--target", metavar="NAME", help="target table to watch "
                        "(default: default_target of the config)")
    parser.add_argument("--read-only", action="store_true",
                        help="refuse every action that changes the target")
    parser.add_argument("--check", action="store_true",
                        help="collect once, print the checks and exit with their status")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="--check output format (default: text)")
    parser.add_argument("-t", "--timeout", type=float, metavar="SECONDS",
                        help="--check deadline; UNKNOWN when it expires (default: none)")
    parser.add_argument("--snapshot", metavar="PATH",
                        help="collect once and write the snapshot: .json (every section), .svg, "
                             ".html or .txt (the dashboard rendered headless); - for JSON on "
                             "stdout")
    parser.add_argument("--size", type=screen_size, metavar="COLSxROWS",
                        help="with --snapshot .svg/.html/.txt: the screen rendered (default: "
                             "this terminal's size, else "
                             f"{SNAPSHOT_SIZE[0]}x{SNAPSHOT_SIZE[1]}); from "
                             f"{MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]}")
    parser.add_argument("--demo", action="store_true",
                        help="start a simulated Blazz stack and watch it; it is stopped on exit")
    parser.add_argument("--chaos", action="store_true",
                        help="with --demo: inject and heal faults at random")
    parser.add_argument("--version", action="version", version=f"blazz-tui {__version__}")
    return parser


def run() -> int:
    """The console script: ``main`` with a reader that leaves early (``| head``) tolerated."""
    import os

    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sim"]:
        from blazz_tui.sim.cli import main as sim_main

        return sim_main(argv[1:])
    parser = build_parser()
    at = _action_at(argv, parser)
    if at is not None:
        from blazz_tui.actions.cli import main as action_main

        # The options given before the action go after its names: its parser takes them
        # there (NAME… is one run of words).
        return action_main(argv[at], [*argv[at + 1:], *argv[:at]])
    parser.checking = "--check" in argv  # type: ignore[attr-defined]
    args = parser.parse_args(argv)
    if args.timeout is not None and not (0 < args.timeout <= MAX_TIMEOUT):
        return _refuse(args, f"-t/--timeout {args.timeout:g}: must be more than 0 and at most "
                             f"{MAX_TIMEOUT} seconds (a day)")
    if args.size is not None and not _rendered(args.snapshot):
        return _refuse(args, f"--size {args.size[0]}x{args.size[1]}: a size goes with "
                             f"--snapshot PATH.svg, .html or .txt (a JSON snapshot has no "
                             f"screen)")
    if args.demo:
        return _demo(args)
    return main_with(args)


def _action_at(argv: Sequence[str], parser: argparse.ArgumentParser) -> int | None:
    """Where the action subcommand is: the first word that is neither an option nor an
    option's value (``-c CONFIG restart NAME``); None when that word is no action."""
    valued = [s for action in parser._actions if action.nargs != 0
              for s in action.option_strings]
    flags = [s for action in parser._actions for s in action.option_strings]
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--" or not word.startswith("-") or word == "-":
            return i if word in ACTION_COMMANDS else None
        name = word.partition("=")[0]
        known = [s for s in flags if s == name] or [  # argparse takes --conf for --config
            s for s in flags if name.startswith("--") and s.startswith(name)]
        attached = "=" in word or (not word.startswith("--") and len(word) > 2)
        if len(known) == 1 and known[0] in valued and not attached:
            i += 1  # its value is the next word
        i += 1
    return None


SNAPSHOT_SIZE = (120, 40)
"""The screen a snapshot renders when neither --size nor a terminal says one."""
MIN_SIZE = (40, 12)
"""The smallest screen the dashboard still shows its panels in."""
MAX_SIZE = (500, 200)
"""The largest: beyond it a snapshot is no screen anyone watched."""


def screen_size(text: str) -> tuple[int, int]:
    """``COLSxROWS`` (``80x24``) within MIN_SIZE and MAX_SIZE."""
    import re

    match = re.fullmatch(r"\s*(\d{1,9})\s*[xX×]\s*(\d{1,9})\s*", text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not COLSxROWS (80x24, say)")
    cols, rows = int(match[1]), int(match[2])
    if not (MIN_SIZE[0] <= cols <= MAX_SIZE[0] and MIN_SIZE[1] <= rows <= MAX_SIZE[1]):
        raise argparse.ArgumentTypeError(
            f"{cols}x{rows} is outside the sizes a snapshot renders: from "
            f"{MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]}")
    return cols, rows


def terminal_size() -> tuple[int, int]:
    """This terminal's size when stdout or stderr is one (kept within MIN_SIZE and
    MAX_SIZE), else SNAPSHOT_SIZE."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
            if os.isatty(fd):
                cols, rows = os.get_terminal_size(fd)
                return (min(max(cols, MIN_SIZE[0]), MAX_SIZE[0]),
                        min(max(rows, MIN_SIZE[1]), MAX_SIZE[1]))
        except (AttributeError, ValueError, OSError):
            continue  # closed, replaced by an object without a descriptor, or no size
    return SNAPSHOT_SIZE


def _rendered(path: str | None) -> bool:
    """Whether ``--snapshot path`` renders the screen (a JSON snapshot does not)."""
    return path is not None and path.endswith(SCREEN_FORMATS)


def _refuse(args: argparse.Namespace, message: str) -> int:
    """A run that cannot start: said the way the output format is read, exit 3 under --check
    (UNKNOWN), else 2."""
    if not args.check:
        print(f"blazz-tui: {message}", file=sys.stderr)
        return 2
    if args.format == "text":
        print(f"blazz-tui: {message}", file=sys.stderr)
    else:
        print(format_unknown(args.format, args.target or "", message))
    return UNKNOWN


def format_unknown(fmt: str, target: str, reason: str) -> str:
    """The answer of a check that could not run to its end (refused, interrupted)."""
    if fmt == "json":
        import json

        return json.dumps({"status": "UNKNOWN", "target": target, "summary": reason,
                           "checks": []}, indent=2)
    if fmt == "nagios":
        return f"BLAZZ UNKNOWN: {reason}"
    return f"blazz-tui check {target}: UNKNOWN ({reason})"


def _demo(args: argparse.Namespace) -> int:
    """Start a simulated stack owned by this process, watch it, and always stop it: on a
    normal exit, on Ctrl+C, on a crash — and the stack's keeper stops it by itself if this
    process is killed outright."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from blazz_tui.sim.cli import StackError, launch, stop

    if args.config:
        print("blazz-tui: --demo watches its own stack; it takes no -c", file=sys.stderr)
        return 2
    import signal

    root = Path(tempfile.mkdtemp(prefix="blazz-demo-"))
    for sig in (signal.SIGTERM, signal.SIGHUP):  # until the dashboard takes them over
        signal.signal(sig, _interrupt)
    try:
        if not (args.check or args.snapshot):
            print("starting the simulated Blazz stack…", file=sys.stderr)
        try:
            layout = launch(root, owner=os.getpid(), chaos=args.chaos, remove=True)
        except StackError as exc:
            print(f"blazz-tui: {exc}", file=sys.stderr)
            return UNKNOWN if args.check else 1
        except Interrupted as exc:
            print(f"blazz-tui: {exc} while the simulated stack started", file=sys.stderr)
            return UNKNOWN if args.check else 128 + signal.SIGTERM
        args.config = str(layout.config_path)
        args.demo = False
        return main_with(args)
    finally:
        # The keeper removes the stack's directory once it has stopped the stack; the
        # dashboard does not wait for that (it ends within a second of q), a one-shot does.
        one_shot = bool(args.check or args.snapshot)
        if not stop(root, wait=one_shot) or one_shot:
            shutil.rmtree(root, ignore_errors=True)


def main_with(args: argparse.Namespace) -> int:
    """Everything after argument parsing."""
    try:
        config = load_config(args.config)
        config.target(args.target)
    except (ConfigError, KeyError) as exc:
        return _refuse(args, exc.args[0] if isinstance(exc, KeyError) else str(exc))
    for warning in config.warnings:
        print(f"blazz-tui: {warning}", file=sys.stderr)
    if args.check or args.snapshot:
        return _one_shot(config, args)
    return _dashboard(config, args)


def _dashboard(config: Config, args: argparse.Namespace) -> int:
    from blazz_tui.app import make_app  # Textual is loaded only here

    target = config.target(args.target)
    from pathlib import Path

    from blazz_tui.actions.cli import config_args
    from blazz_tui.actions.run import ActionEnv, AuditLog
    from blazz_tui.exit_guard import ExitGuard

    notice = "BUILT-IN DEFAULTS (no config found)" if config.source == "built-in defaults" else ""
    runtime = _runtime(config, target)
    target = runtime.collector.target  # a remote one completed from the server's .env
    actions = ActionEnv(target, runtime.collector.transport, config.actions, args.read_only,
                        AuditLog(config.audit_path), config.thresholds,
                        config_args=config_args(config))
    app = make_app(target, runtime, read_only=args.read_only, notice=notice,
                   crash_dir=Path(config.state_dir), actions=actions, guard=ExitGuard())
    result = app.run()
    return app.return_code or result or 0


def _runtime(config: Config, target: TargetConfig) -> Runtime:
    """The dashboard's runtime: the target's sources, judged with the thresholds, its events
    kept in the state directory."""
    from blazz_tui.compose import runtime_for

    runtime, warning = runtime_for(config, target, events=True)
    if warning:
        print(f"blazz-tui: {warning}", file=sys.stderr)
    return runtime


MAX_TIMEOUT = 86400
"""The longest -t: a day."""
OUTPUT_TIME = 0.15
"""Seconds kept from a -t deadline for judging, printing and exiting."""


def _process_age() -> float:
    """Seconds since this process started (Python's start-up and imports included)."""
    import os

    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        with open("/proc/uptime", encoding="ascii") as f:
            return max(0.0, float(f.read().split()[0]) - started)
    except (OSError, ValueError, IndexError):
        return 0.0  # not Linux: the deadline counts from here


class Interrupted(Exception):
    """A signal asked a one-shot check to stop."""


def _interrupt(signum: int, _frame: object) -> None:
    import signal

    raise Interrupted(f"interrupted by {signal.Signals(signum).name}")


def _one_shot(config: Config, args: argparse.Namespace) -> int:
    """``--check`` and ``--snapshot``: one collection, kept to its deadline; Ctrl-C, SIGTERM
    and SIGHUP stop it at once with UNKNOWN."""
    import os
    import signal
    from dataclasses import replace

    # The sources (httpx, redis, PyMySQL...) are imported only when something is collected.
    from blazz_tui.check import FORMATTERS, run_check
    from blazz_tui.export import redact, secrets_of

    target = config.target(args.target)
    if args.snapshot and args.snapshot != "-" and not args.snapshot.endswith(SNAPSHOT_FORMATS):
        print(f"blazz-tui: --snapshot {args.snapshot}: the extension must be one of "
              f"{', '.join(SNAPSHOT_FORMATS)} (or - for JSON on stdout)", file=sys.stderr)
        return 2
    def end_now(signum: int, _frame: object) -> None:
        # At once, whatever the main thread was doing: no unwinding, no thread to wait for.
        reason = f"interrupted by {signal.Signals(signum).name}"
        os.write(sys.stdout.fileno(), f"{format_unknown(args.format, target.name, reason)}\n"
                 .encode(errors="replace"))
        os._exit(UNKNOWN)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, end_now)
    deadline = None
    if args.timeout is not None:  # -t is the whole process's: start-up and output included
        deadline = max(0.0, args.timeout - _process_age() - OUTPUT_TIME)
        if deadline == 0.0:
            print(format_unknown(args.format, target.name,
                                 f"check timed out after {args.timeout:g} s: the deadline "
                                 f"passed while blazz-tui started, before anything was read"))
            return UNKNOWN
    try:
        result = run_check(config, args.target, deadline, shown_deadline=args.timeout)
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # The time the caller waited: the process's, start-up included (as -t counts it).
    result = replace(result, elapsed=max(result.elapsed, _process_age()))
    if args.snapshot:
        text = _snapshot_text(args.snapshot, result, config, target,
                              args.size or terminal_size())
        code = _write(args.snapshot, redact(text, secrets_of(target)))
        if code or not args.check:
            return code
    print(redact(FORMATTERS[args.format](result), secrets_of(target)))
    return result.status.code


SNAPSHOT_FORMATS = (".json", ".svg", ".html", ".txt")
SCREEN_FORMATS = SNAPSHOT_FORMATS[1:]


def _snapshot_text(path: str, result: CheckResult, config: Config, target: TargetConfig,
                   size: tuple[int, int] = SNAPSHOT_SIZE) -> str:
    from blazz_tui.export import snapshot_json

    if path == "-" or path.endswith(".json"):
        return snapshot_json(result.snapshot, result.checks, result.status, target,
                             config.thresholds)
    import asyncio
    from pathlib import Path

    from blazz_tui.events import Timeline
    from blazz_tui.frame import Frame
    from blazz_tui.screen_export import render_dashboard  # Textual is loaded only here

    # The dashboard's timeline, read only: a snapshot adds nothing to it.
    events = Timeline(Path(config.state_dir).expanduser() / f"events-{target.name}.jsonl",
                      write=False).events
    frame = Frame(result.snapshot, result.checks, events=tuple(events),
                  thresholds=config.thresholds)
    return asyncio.run(render_dashboard(target, frame, Path(path).suffix, size))


def _write(path: str, text: str) -> int:
    if path == "-":
        print(text)
        return 0
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        print(f"blazz-tui: --snapshot {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0

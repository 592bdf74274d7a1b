"""``blazz-tui restart|start|stop NAME…|--queue Q`` and ``blazz-tui sync``: the plan is
printed, confirmed at a terminal prompt (or by ``--yes``), carried out and audited.

Exit codes: 0 done, 1 partly done, 2 failed, 3 refused or unknown (not confirmed too).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from collections.abc import Sequence

from blazz_tui.actions import menu, pm2, programs
from blazz_tui.actions.model import Outcome, Plan, Progress, Result
from blazz_tui.actions.run import ActionEnv, AuditLog, Execute, carry_out, refusal
from blazz_tui.config import ConfigError, load_config
from blazz_tui.settings import SYNC_MODES, Config, TargetConfig
from blazz_tui.snapshot import Snapshot

COMMANDS = (*programs.VERBS, "sync", "rebalance", pm2.ROLLING)
REFUSED = Outcome.REFUSED.code


def build_parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"blazz-tui {command}",
        description=DESCRIPTIONS.get(command, f"{command.capitalize()} supervisord programs."),
        epilog="Exit codes: 0 done, 1 partly done, 2 failed, 3 refused or not confirmed.")
    if command == "sync":
        parser.add_argument("--mode", choices=SYNC_MODES,
                            help="native (compare and fix the rows) or artisan (run the app's "
                                 "sync_command); default: actions.sync_mode of the config")
    elif command == "rebalance":
        parser.add_argument("--max-moves", type=_count, metavar="N",
                            help="move at most N sessions")
    elif command == pm2.ROLLING:
        pass
    else:
        parser.add_argument("names", nargs="*", metavar="NAME",
                            help="group:program, group:*, a group, or a program alone when "
                                 "unambiguous (as supervisorctl takes them); a PM2 process by "
                                 "its name (pm2:NAME when supervisord has the name too)")
        parser.add_argument("--queue", metavar="Q", action="append", default=[],
                            help="every worker serving queue Q (may be repeated)")
    parser.add_argument("-c", "--config", metavar="CONFIG", help="configuration file")
    parser.add_argument("--target", metavar="NAME", help="target table to act on")
    parser.add_argument("--read-only", action="store_true", help="refuse (nothing changes)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    parser.add_argument("--yes", action="store_true",
                        help="carry out the plan without asking (for scripts)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="how the plan and the result are printed (default: text)")
    return parser


DESCRIPTIONS = {
    "sync": "Instance-URL sync: point each account at the instance that hosts its session.",
    "rebalance": "Move sessions from the most loaded instances to the least loaded, none "
                 "logged out, until every instance is within the balance band.",
    pm2.ROLLING: "Restart the instances PM2 runs one at a time, each only once the last "
                 "answers /health and its sessions are CONNECTED again.",
}


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def main(command: str, argv: Sequence[str]) -> int:
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if command in programs.VERBS and not args.names and not args.queue:
        parser.error("name the programs (group:program, group:*) or give --queue Q")
    try:
        config = load_config(args.config)
        target = config.target(args.target)
    except (ConfigError, KeyError) as exc:
        print(f"blazz-tui: {exc.args[0] if isinstance(exc, KeyError) else exc}",
              file=sys.stderr)
        return REFUSED
    for warning in config.warnings:
        print(f"blazz-tui: {warning}", file=sys.stderr)
    try:
        return asyncio.run(_run(command, args, config, target))
    except KeyboardInterrupt:
        print("blazz-tui: interrupted", file=sys.stderr)
        return REFUSED


async def _run(command: str, args: argparse.Namespace, config: Config,
               target: TargetConfig) -> int:
    from blazz_tui.transport import complete, make_transport

    transport = make_transport(target)
    target, warning = await complete(target, transport, 10.0)
    if warning:
        print(f"blazz-tui: {warning}", file=sys.stderr)
    actions = config.actions
    if command == "sync" and args.mode:
        actions = dataclasses.replace(actions, sync_mode=args.mode)
    env = ActionEnv(target, transport, actions, args.read_only, AuditLog(config.audit_path),
                    config.thresholds, config_args=config_args(config))
    try:
        plan, execute = await _plan(command, args, env, config)
        if args.dry_run and not plan.refused:
            _show_plan(plan, args.format)
            return 0
        if not plan.refused:
            # JSON readers get one document, the result: the plan to confirm goes to stderr.
            print(plan.describe(limit=50), file=sys.stderr if args.format == "json"
                  else sys.stdout)
            why = None if args.yes else _unconfirmed(target)
            if why:  # refused like any other plan: said, and in the audit log
                plan = dataclasses.replace(plan, refused=f"not confirmed ({why}): nothing "
                                                         f"changed")
        result = await carry_out(plan, env, execute, _progress(args.format))
    finally:
        await transport.close()
    _show_result(result, args.format)
    return result.outcome.code


async def _plan(command: str, args: argparse.Namespace,
                env: ActionEnv, config: Config) -> tuple[Plan, Execute]:
    if command == "sync":
        offer = menu.SYNC
    elif command == "rebalance":
        offer = dataclasses.replace(menu.REBALANCE, max_moves=args.max_moves)
    elif command == pm2.ROLLING:
        offer = menu.ROLLING
    else:
        offer = menu.Offer(command, command, tuple(args.names), tuple(args.queue))
    read_already: dict[tuple[str, ...], Snapshot] = {}

    async def read(needed: tuple[str, ...]) -> Snapshot:
        """Read once: the names' routing and the plan see the same readings."""
        for sources, snapshot in read_already.items():
            if set(needed) <= set(sources):
                return snapshot
        read_already[needed] = await read_snapshot(env, config, needed)
        return read_already[needed]

    if offer.names and refusal(env) is None:
        # A name alone is supervisord's or PM2's, whichever has it (`pm2 restart NAME` is
        # how the seeds' runbook says it).
        names, why = programs.route(offer.names, await read(("supervisor", "pm2")))
        if why:
            return Plan(command, env.target.name, f"{command.capitalize()} "
                        f"{' '.join(offer.names)}", refused=why), programs.execute
        offer = dataclasses.replace(offer, names=names)
    return await menu.plan_for(offer, env, read)


async def read_snapshot(env: ActionEnv, config: Config, needed: tuple[str, ...]) -> Snapshot:
    """The sources an action plans on, read once (each within its timeout)."""
    from blazz_tui.compose import runtime_for

    runtime, _ = runtime_for(config, env.target, transport=env.transport, only=needed)
    collector = runtime.collector
    sources = collector.sources
    try:
        readings = await asyncio.gather(*(collector.read(name) for name in sources))
        for name, reading in zip(sources, readings, strict=True):
            collector.store(name, reading)
        return collector.snapshot()
    finally:
        await asyncio.gather(*(source.close() for source in sources.values()))


def config_args(config: Config) -> tuple[str, ...]:
    """How a child process (a rebalance's moves) loads this configuration."""
    from pathlib import Path

    source = Path(config.source)
    if source.is_file() and source.name != ".env":
        return ("-c", str(source.resolve()))
    return ()  # discovered (a Laravel .env, the defaults): the child, in the same cwd, too


def _show_plan(plan: Plan, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps({"plan": plan.as_dict(), "result": None}, indent=2,
                         ensure_ascii=False))
    else:
        print(plan.describe(limit=50))


def _unconfirmed(target: TargetConfig) -> str | None:
    """Why the plan shown was not confirmed at the terminal; None when it was."""
    if not sys.stdin.isatty():
        print("blazz-tui: no terminal to confirm on: pass --yes to carry out the plan",
              file=sys.stderr)
        return "no terminal to confirm on and no --yes"
    try:
        if target.production:
            answer = input(f"Production target. Type its name ({target.name}) to go on: ")
            return None if answer.strip() == target.name else \
                f"the target's name {target.name!r} was not typed"
        answer = input("Go on? [y/N] ")
    except EOFError:
        return "the terminal closed at the question"
    return None if answer.strip().lower() in ("y", "yes") else "answered no"


def _progress(fmt: str) -> Progress:
    def say(line: str) -> None:
        print(f"  … {line}", file=sys.stderr if fmt == "json" else sys.stdout, flush=True)
    return say


def _show_result(result: Result, fmt: str) -> None:
    """The result (a json one holds the plan too: printed once, with it)."""
    if fmt == "json":
        print(json.dumps({"plan": result.plan.as_dict(), "result": result.as_dict()},
                         indent=2, ensure_ascii=False))
    else:
        print(result.describe())

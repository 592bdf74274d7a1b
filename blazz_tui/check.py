"""``--check``: collect once, judge, print one of three formats, return the exit code.

Exit codes follow the monitoring-plugins guidelines: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from blazz_tui.compose import runtime_for
from blazz_tui.history import History
from blazz_tui.judge import Retries
from blazz_tui.rules import Check, Status
from blazz_tui.runtime import one_shot
from blazz_tui.settings import Config, TargetConfig
from blazz_tui.snapshot import Snapshot


@dataclass(frozen=True)
class CheckResult:
    target: str
    status: Status
    checks: tuple[Check, ...]
    """Worst first."""
    snapshot: Snapshot
    elapsed: float
    timed_out: float | None = None
    """The deadline in seconds when it expired before every source answered."""


def run_check(config: Config, target_name: str | None = None,
              deadline: float | None = None, persist: bool = True,
              shown_deadline: float | None = None) -> CheckResult:
    """One collection with every source concurrently, judged by the rules. The history
    (restarts, hit-rate samples, consecutive failures) is kept between runs in the state dir.
    ``deadline`` (seconds) is kept whatever the watched servers do; without it, the longest
    source timeout bounds the check. ``shown_deadline`` is the one to name when it expires
    (the user's -t, of which ``deadline`` is what was left after start-up)."""
    started = time.perf_counter()
    target = config.target(target_name)
    history = History(config.thresholds.flap_window, config.thresholds.cache_window)
    retries = Retries()
    state = state_path(config, target)
    if persist:
        _load_state(history, retries, state)
    runtime, warning = runtime_for(config, target, deadline=deadline, history=history,
                                   retries=retries)
    if warning:
        print(f"blazz-tui: {warning}", file=sys.stderr)
    if deadline is not None:
        deadline = max(0.0, deadline - (time.perf_counter() - started))
    collector = runtime.collector
    target = collector.target  # completed from the server's .env for a remote one
    result = one_shot(collector, runtime.judge, deadline, shown_deadline)
    if persist:
        _save_state(history, retries, state)
    frame = result.frame
    # A source cut off by the deadline is not known to be down: its checks are UNKNOWN.
    checks = tuple(replace(c, status=Status.UNKNOWN)
                   if c.source in collector.unfinished and c.status is not Status.OK else c
                   for c in frame.checks)
    # monitoring-plugins: a check that hits its timeout answers UNKNOWN, whatever it saw.
    status = Status.UNKNOWN if result.timed_out is not None else frame.status
    return CheckResult(target.name, status, checks, frame.snapshot,
                       time.perf_counter() - started, result.timed_out)


def state_path(config: Config, target: TargetConfig) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in target.name)
    return Path(config.state_dir).expanduser() / f"check-{safe}.json"


STATE_VERSION = 2
"""Of the state file: another version is not read (the run starts without history)."""


def _load_state(history: History, retries: Retries, path: Path) -> None:
    """The history and the checks' retries a previous run kept. Unreadable state is ignored
    whole: it is a cache of earlier polls, never worth failing a check for."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # no state yet: the first run has no window and no restart history
    if isinstance(data, dict) and data.get("version") == STATE_VERSION:
        history.load_data(data.get("history"))
        retries.load_data(data.get("retries"))


def _save_state(history: History, retries: Retries, path: Path) -> None:
    state = {"version": STATE_VERSION, "history": history.to_data(),
             "retries": retries.to_data()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home must not fail the check; windows just stay empty


def _headline(result: CheckResult) -> str:
    counts = {s: sum(1 for c in result.checks if c.status is s) for s in Status}
    parts = [f"{counts[s]} {s.value.lower()}" for s in
             (Status.CRITICAL, Status.WARNING, Status.UNKNOWN, Status.OK) if counts[s]]
    return ", ".join(parts)


def _problems(result: CheckResult, limit: int = 3) -> str:
    bad = [c for c in result.checks if c.status is not Status.OK]
    text = "; ".join(f"{c.name} {c.summary}" for c in bad[:limit])
    if limit and len(bad) > limit:
        text += f" (+{len(bad) - limit} more)"
    if result.timed_out is not None:
        waiting = ", ".join(n for n, r in result.snapshot.readings().items()
                            if r.error and "deadline" in r.error)
        text = (f"check timed out after {result.timed_out:g} s"
                + (f" waiting for {waiting}" if waiting else "") + (f"; {text}" if text else ""))
    return text or f"all {len(result.checks)} checks OK"


def format_text(result: CheckResult) -> str:
    width = max((len(c.name) for c in result.checks), default=10)
    lines = [f"blazz-tui check {result.target}: {result.status.value} "
             f"({_headline(result)}) in {result.elapsed:.2f} s"]
    if result.timed_out is not None:
        lines.append(_problems(result, 0))
    for c in result.checks:
        lines.append(f"{c.status.value:<8}  {c.name:<{width}}  {c.summary}")
    return "\n".join(lines)


def format_json(result: CheckResult) -> str:
    return json.dumps({
        "status": result.status.value,
        "target": result.target,
        "taken_at": result.snapshot.taken_at,
        "elapsed": round(result.elapsed, 4),
        "timed_out": result.timed_out,
        "summary": _problems(result),
        "checks": [{
            "name": c.name,
            "status": c.status.value,
            "summary": c.summary,
            "perfdata": [p.render() for p in c.perf],
        } for c in result.checks],
    }, indent=2)


def format_nagios(result: CheckResult) -> str:
    """monitoring-plugins: ``BLAZZ STATUS: summary``, details, then all perfdata at the end."""
    lines = [f"BLAZZ {result.status.value}: {_problems(result)}"]
    lines += [f"{c.status.value} {c.name}: {c.summary}" for c in result.checks]
    perf = [p.render() for c in result.checks for p in c.perf]
    text = "\n".join(line.replace("|", "/") for line in lines)
    return f"{text}\n| {' '.join(perf)}" if perf else text


FORMATTERS = {"text": format_text, "json": format_json, "nagios": format_nagios}

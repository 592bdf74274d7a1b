"""Logs source: tail log files on the target and parse Laravel's line format."""

from __future__ import annotations

import errno
import re
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from blazz_tui.settings import LogsConfig
from blazz_tui.sources.base import Reading, describe_error
from blazz_tui.transport.base import Transport

MAX_PER_POLL = 4 * 1024 * 1024
MAX_LINE = 16 * 1024
KEEP = 2000
SEND_WINDOW = 300.0
"""Seconds of send timings from the log a reading figures over."""
MAX_DETAIL = 50
SYNC_SEARCH = 16 * 1024 * 1024
ERROR_LEVELS = {"ERROR", "CRITICAL", "ALERT", "EMERGENCY"}
_LINE = re.compile(r"^\[(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2}:?\d{2}|Z)?\]"
                   r" ([\w-]+)\.([A-Z]+): ?(.*)$")
# Lines of the other logs a Blazz host has: supervisord's own ("2025-11-22 10:00:00,123 CRIT
# ..."), the Node service's JSON (winston "level":"error", pino "level":50/60) and plain text
# ("2025-11-22T10:00:00.000Z ERROR ...", "[ERROR] ...", "error: ...").
_SUPERVISORD = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),\d+ "
                          r"(CRIT|ERRO|WARN|INFO|DEBG|TRAC) (.*)$")
_JSON_LEVEL = re.compile(r'"level"\s*:\s*(?:"(\w+)"|(\d+))')
_PLAIN = re.compile(r"^(?:\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:[.,]\d+)?"
                    r"(Z|[+-]\d{2}:?\d{2})?\]?\s+)?\[?"
                    r"(ERROR|FATAL|CRITICAL|error|fatal|critical|WARN|WARNING|warn|INFO|info)\]?"
                    r"[:\s]\s*(.*)$")
# The queue workers' own console output (queue-*.log, supervisord's stdout_logfile): Laravel 8's
# "[2025-11-22 10:00:00][42] Failed:     App\Jobs\X" (Processing:, Processed:), Laravel 9+'s task
# lines "  2025-11-22 10:00:00 App\Jobs\X ...... 27.44ms DONE" (RUNNING, FAIL) and its
# components "   ERROR  Worker cannot boot." (INFO, WARN).
_WORKER_8 = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\]\[[^\]]*\] "
                       r"(Processing|Processed|Failed):\s+(\S.*)$")
_WORKER_TASK = re.compile(r"^\s*(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (\S.*?) (RUNNING|DONE|FAIL)$")
_WORKER_COMPONENT = re.compile(r"^ {2,}(INFO|WARN|ERROR)  (\S.*)$")
_DOTS = re.compile(r"\s+(?:\.+\s+)?")
_WORKER_LEVELS = {"Processing": "INFO", "Processed": "INFO", "Failed": "ERROR", "RUNNING": "INFO",
                  "DONE": "INFO", "FAIL": "ERROR", "INFO": "INFO", "WARN": "WARNING",
                  "ERROR": "ERROR"}
_SUPERVISORD_LEVELS = {"CRIT": "CRITICAL", "ERRO": "ERROR", "WARN": "WARNING", "INFO": "INFO",
                       "DEBG": "DEBUG", "TRAC": "DEBUG"}
_PINO_LEVELS = {60: "CRITICAL", 50: "ERROR", 40: "WARNING", 30: "INFO", 20: "DEBUG", 10: "DEBUG"}
_SYNC = re.compile(r"WhatsApp Instance URL Sync completed(?::\s*(\d+) updated,\s*(\d+) verified)?")


@dataclass(frozen=True)
class LogEntry:
    file: str
    time: float | None
    level: str
    message: str
    environment: str = ""
    detail: tuple[str, ...] = ()
    seq: int = 0
    """Its place in the order the source read lines (1, 2, …): two lines alike (a worker
    repeating an untimed status line) are still two lines."""


@dataclass(frozen=True)
class SyncRun:
    at: float
    updated: int | None
    verified: int | None
    file: str


@dataclass(frozen=True)
class LogFileState:
    path: str
    size: int = 0
    error: str | None = None
    errors_last_minute: int = 0


@dataclass(frozen=True)
class SendTimes:
    """Send durations the log reported (``messages.log_pattern``) within ``seconds``."""

    count: int
    total: float
    """Their sum, seconds."""
    seconds: float = SEND_WINDOW
    seen: bool = False
    """Whether any line ever matched: the app logs its sends' durations."""
    recent: SendTimes | None = None
    """The window judged: the last ``recent_seconds`` when they hold ``recent_messages``
    sends, else the newest ``recent_messages`` of the window (None: this is that window)."""


@dataclass(frozen=True, kw_only=True)
class LogsReading(Reading):
    files: tuple[LogFileState, ...] = ()
    entries: tuple[LogEntry, ...] = ()
    errors_last_minute: int = 0
    last_sync: SyncRun | None = None
    send_times: SendTimes | None = None
    """None: no pattern configured."""


@dataclass
class _Cursor:
    inode: int
    offset: int
    partial: bytes = b""
    searched_sync: bool = False


class LogsSource:
    name = "logs"

    def __init__(self, config: LogsConfig, transport: Transport, app_dir: str,
                 send_pattern: str = "", recent: tuple[float, int] = (60.0, 100)) -> None:
        self._config = config
        self._recent = recent
        """(seconds, sends) of the window judged (``MessagesConfig.recent_*``)."""
        self._send_pattern = re.compile(send_pattern) if send_pattern else None
        self._sends: deque[tuple[float, float]] = deque(maxlen=10_000)
        """(time, seconds) of the sends the log timed, oldest first (never emptied: whether
        any line ever matched)."""
        self._transport = transport
        self._app_dir = app_dir
        try:
            self._zone: ZoneInfo | None = ZoneInfo(config.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self._zone = ZoneInfo("UTC")
        self._cursors: dict[str, _Cursor] = {}
        self._entries: dict[str, deque[LogEntry]] = {}
        """The newest ``KEEP`` entries of each file: one file's flood evicts no other's."""
        self._seq = 0
        self._errors: dict[str, deque[float]] = {}
        self._last_sync: SyncRun | None = None

    def _patterns(self) -> list[str]:
        return [p if p.startswith(("/", "~")) else str(PurePosixPath(self._app_dir) / p)
                for p in self._config.files]

    async def read(self) -> LogsReading:
        started, clock = time.time(), time.perf_counter()
        paths: list[str] = []
        states: list[LogFileState] = []
        for pattern in self._patterns():
            try:
                found = await self._transport.glob(pattern)
            except OSError as exc:
                states.append(LogFileState(pattern, error=describe_error(exc)))
                continue
            if not found and not any(c in pattern for c in "*?["):
                states.append(LogFileState(pattern, error="no such file"))
            paths += [p for p in found if p not in paths]
        for path in paths:
            states.append(await self._read_file(path, started))
        now = time.time()
        # Not in time order: an untimed line counts as read now, a timed one after it may be old.
        self._errors = {path: deque(t for t in times if t >= now - 60)
                        for path, times in self._errors.items()}
        states = [replace(s, errors_last_minute=len(self._errors.get(s.path, ()))) for s in states]
        if states and all(s.error for s in states) or not states:
            error = "; ".join(f"{s.path}: {s.error}" for s in states[:3]) or \
                "no log file matches " + ", ".join(self._patterns())
            return LogsReading(files=tuple(states), error=error, attempted_at=started,
                               latency=time.perf_counter() - clock)
        entries = sorted((e for kept in self._entries.values() for e in kept),
                         key=lambda e: e.seq)
        return LogsReading(files=tuple(states), entries=tuple(entries),
                           errors_last_minute=sum(s.errors_last_minute for s in states),
                           last_sync=self._last_sync, send_times=self._send_times(now),
                           fetched_at=started, attempted_at=started,
                           latency=time.perf_counter() - clock)

    async def _read_file(self, path: str, now: float) -> LogFileState:
        try:
            stat = await self._transport.stat(path)
            cursor = self._cursors.get(path)
            if cursor is None or cursor.inode != stat.inode or not stat.inode:
                await self._refuse_foreign_link(path)  # a new file, or one SFTP cannot tell
            if cursor is None or cursor.inode != stat.inode or stat.size < cursor.offset:
                first = cursor is None
                start = max(0, stat.size - self._config.tail_bytes) if first else 0
                cursor = _Cursor(stat.inode, start)
                self._cursors[path] = cursor
                if first and start > 0:  # started mid-line: drop up to the first newline
                    cursor.partial = b""
                    head = await self._transport.read_range(path, start, min(MAX_LINE,
                                                                             stat.size - start))
                    newline = head.find(b"\n")
                    cursor.offset = start + (newline + 1 if newline >= 0 else len(head))
            if stat.size > cursor.offset + MAX_PER_POLL:
                cursor.offset, cursor.partial = stat.size - MAX_PER_POLL, b""
            data = b""
            if stat.size > cursor.offset:
                data = await self._transport.read_range(path, cursor.offset,
                                                        stat.size - cursor.offset)
                cursor.offset += len(data)
            self._ingest(path, cursor, data)
            if not cursor.searched_sync:
                cursor.searched_sync = True
                if self._last_sync is None:
                    await self._search_sync(path, cursor.offset)
        except OSError as exc:
            return LogFileState(path, error=describe_error(exc))
        return LogFileState(path, size=stat.size)

    async def _refuse_foreign_link(self, path: str) -> None:
        """A log reached through a symbolic link is read only if what it points at belongs
        to whoever owns the log's directory: the app's user can replace its log by a link,
        and blazz-tui may run as root (a link to /etc/shadow would be read and exported)."""
        real = await self._transport.realpath(path)
        if real == path:
            return
        owner = (await self._transport.stat(str(PurePosixPath(path).parent))).uid
        target = (await self._transport.stat(real)).uid
        if owner is not None and target != owner:
            raise PermissionError(errno.EACCES,
                f"a symbolic link to {real}, owned by uid {target}, not by the log "
                f"directory's owner (uid {owner}): not followed")

    def _ingest(self, path: str, cursor: _Cursor, data: bytes) -> None:
        data = cursor.partial + data
        lines = data.split(b"\n")
        cursor.partial = lines.pop()
        if len(cursor.partial) > MAX_LINE:
            cursor.partial = cursor.partial[:MAX_LINE]
        for raw in lines:
            line = raw[:MAX_LINE].decode("utf-8", "replace").rstrip("\r")
            if len(raw) > MAX_LINE:
                line += " …[cut]"
            self._add_line(path, line)

    def _add_line(self, path: str, line: str) -> None:
        kept = self._entries.setdefault(path, deque(maxlen=KEEP))
        match = _LINE.match(line)
        if match is None:
            worker = self._worker_format(line)
            last = kept[-1] if kept else None
            if worker is None and last is not None and last.environment and line.strip() \
                    and len(last.detail) < MAX_DETAIL:  # a Laravel stack trace goes on
                kept[-1] = replace(last, detail=last.detail + (line,))
            elif line.strip():
                level, at, message = worker or self._other_format(line)
                kept.append(self._numbered(LogEntry(path, at, level, message)))
                if level in ERROR_LEVELS:
                    self._errors.setdefault(path, deque()).append(at or time.time())
            return
        stamp, _, _, env, level, message = match.groups()
        at = self._parse_time(stamp, match.group(3))
        entry = self._numbered(LogEntry(path, at, level, message, env))
        kept.append(entry)
        if level in ERROR_LEVELS and at is not None:
            self._errors.setdefault(path, deque()).append(at)
        self._note_sync(entry)
        self._note_send(entry)

    def _numbered(self, entry: LogEntry) -> LogEntry:
        self._seq += 1
        return replace(entry, seq=self._seq)

    def _worker_format(self, line: str) -> tuple[str, float | None, str] | None:
        """(level, time, message) of a queue worker's own console line (Laravel 8's or 9+'s),
        its padding and dots taken out; None for any other line."""
        found = _WORKER_8.match(line)
        if found:
            stamp, status, job = found.groups()
            return _WORKER_LEVELS[status], self._parse_time(stamp, None), f"{status}: {job}"
        found = _WORKER_TASK.match(line)
        if found:
            stamp, job, status = found.groups()
            return (_WORKER_LEVELS[status], self._parse_time(stamp, None),
                    _DOTS.sub(" ", f"{job} {status}"))
        found = _WORKER_COMPONENT.match(line)
        if found:
            tag, message = found.groups()
            return _WORKER_LEVELS[tag], None, message
        return None

    def _other_format(self, line: str) -> tuple[str, float | None, str]:
        """(level, time, message) of a line in supervisord's, a Node logger's or a plain
        format; level "" when none is recognised."""
        found = _SUPERVISORD.match(line)
        if found:
            stamp, level, message = found.groups()
            return _SUPERVISORD_LEVELS[level], self._parse_time(stamp, None), message
        if line.startswith("{"):
            level_match = _JSON_LEVEL.search(line)
            if level_match:
                name, number = level_match.groups()
                level = (name.upper() if name else
                         _PINO_LEVELS.get(int(number) // 10 * 10, "INFO"))
                return ("CRITICAL" if level == "FATAL" else level), None, line
            return "", None, line
        found = _PLAIN.match(line)
        if found:
            stamp, offset, level, message = found.groups()
            level = level.upper()
            level = {"FATAL": "CRITICAL", "WARN": "WARNING"}.get(level, level)
            return level, self._parse_time(stamp, offset) if stamp else None, message
        return "", None, line

    def _note_sync(self, entry: LogEntry) -> None:
        sync = _SYNC.search(entry.message)
        if sync is None or entry.time is None:
            return
        if self._last_sync is None or entry.time >= self._last_sync.at:
            updated, verified = sync.groups()
            self._last_sync = SyncRun(entry.time, int(updated) if updated else None,
                                      int(verified) if verified else None, entry.file)

    def _note_send(self, entry: LogEntry) -> None:
        found = self._send_pattern.search(entry.message) if self._send_pattern else None
        if found is None or entry.time is None:
            return
        groups = found.groupdict()
        try:
            took = float(groups["ms"]) / 1000 if groups.get("ms") else float(groups["seconds"])
        except (KeyError, TypeError, ValueError):
            return
        if took == took and 0 <= took < 86_400:  # a garbage figure is no send time
            self._sends.append((entry.time, took))

    def _send_times(self, now: float) -> SendTimes | None:
        if self._send_pattern is None:
            return None
        window = [(at, took) for at, took in self._sends if at >= now - SEND_WINDOW]
        seconds, wanted = self._recent
        minute = [took for at, took in window if at >= now - seconds]
        newest = window[-wanted:]
        if len(minute) >= wanted:
            recent = SendTimes(len(minute), sum(minute), seconds, seen=True)
        else:
            span = max(seconds, now - newest[0][0]) if newest else SEND_WINDOW
            recent = SendTimes(len(newest), sum(t for _, t in newest), min(span, SEND_WINDOW),
                               seen=True)
        return SendTimes(len(window), sum(t for _, t in window), seen=bool(self._sends),
                         recent=recent)

    def _parse_time(self, stamp: str, offset: str | None) -> float | None:
        try:
            moment = datetime.fromisoformat(stamp.replace(" ", "T") + (
                "+00:00" if offset == "Z" else (offset or "")))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self._zone)
        return moment.timestamp()

    async def _search_sync(self, path: str, end: int) -> None:
        """Look backwards for the last sync line once, beyond the first tail."""
        chunk = 1024 * 1024
        position = max(0, end - self._config.tail_bytes)
        while position > 0 and end - position < SYNC_SEARCH:
            start = max(0, position - chunk)
            data = await self._transport.read_range(path, start, position - start + MAX_LINE)
            for raw in reversed(data.split(b"\n")):
                if b"Instance URL Sync completed" in raw:
                    match = _LINE.match(raw.decode("utf-8", "replace"))
                    if match:
                        at = self._parse_time(match.group(1), match.group(3))
                        if at is not None:
                            self._note_sync(LogEntry(path, at, match.group(5), match.group(6)))
                            return
            position = start

    def failed(self, error: str, attempted_at: float, latency: float) -> LogsReading:
        return LogsReading.failed(error, attempted_at, latency)

    async def close(self) -> None:
        pass

"""A queue's oldest jobs and most recent failures, read on demand (the queue details screen).

Two bounded statements, both walking an index: ``jobs`` by (queue, id) from the oldest end,
``failed_jobs`` by primary key from the newest end (it has no index on ``queue``, so the
newest ``FAILED_SCAN`` rows are examined and this queue's are kept).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

FAILED_SCAN = 2_000
PAYLOAD_CHARS = 4_000
_DISPLAY_NAME = re.compile(r'"displayName"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Job:
    id: int
    name: str
    """The payload's ``displayName`` (the job class), or ``?``."""
    attempts: int
    created_at: float
    available_at: float
    reserved_at: float | None


@dataclass(frozen=True)
class FailedJob:
    id: int
    uuid: str
    failed_at: float
    exception: str
    """The first line of the exception."""


@dataclass(frozen=True)
class QueueJobs:
    queue: str
    oldest: tuple[Job, ...] = ()
    failed: tuple[FailedJob, ...] = ()
    error: str | None = None
    failed_error: str | None = None


class Rows(Protocol):
    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...


def read_jobs(s: Rows, queue: str, limit: int) -> tuple[Job, ...]:
    rows = s.rows(
        "SELECT id, attempts, reserved_at, available_at, created_at, "
        f"SUBSTR(payload, 1, {PAYLOAD_CHARS}) FROM jobs WHERE queue = ? ORDER BY id LIMIT ?",
        (queue, limit))
    return tuple(Job(int(i), job_name(payload), int(att or 0), float(created or 0),
                     float(avail or 0), None if res is None else float(res))
                 for i, att, res, avail, created, payload in rows)


def read_failed(s: Rows, queue: str, limit: int, epoch: Any) -> tuple[FailedJob, ...]:
    rows = s.rows(
        "SELECT id, uuid, failed_at, SUBSTR(exception, 1, 500) FROM "
        "(SELECT id, uuid, queue, failed_at, exception FROM failed_jobs "
        f"ORDER BY id DESC LIMIT {FAILED_SCAN}) newest WHERE queue = ? ORDER BY id DESC LIMIT ?",
        (queue, limit))
    return tuple(FailedJob(int(i), str(uuid or ""), epoch(at), first_line(exc))
                 for i, uuid, at, exc in rows)


def job_name(payload: Any) -> str:
    """The job class from a (possibly truncated) Laravel payload."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload or "")
    found = _DISPLAY_NAME.search(text)
    if found is None:
        return "?"
    try:
        return str(json.loads(f'"{found.group(1)}"'))
    except ValueError:
        return found.group(1)


def first_line(text: Any) -> str:
    value = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text or "")
    return value.strip().splitlines()[0] if value.strip() else ""

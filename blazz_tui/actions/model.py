"""The plan an operator confirms and the result of carrying it out."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """One line of a plan: what it acts on, and what will happen to it."""

    subject: str
    """``blazz-queue:blazz-queue_00``, ``session_abc``…"""
    detail: str
    """``restart (RUNNING, pid 1234)``, ``wa-3001 → wa-3002``…"""
    data: Any = field(default=None, compare=False, repr=False)
    """What execute needs (a typed record of the action's module)."""


@dataclass(frozen=True)
class Plan:
    action: str
    """``restart``, ``start``, ``stop``, ``sync``."""
    target: str
    title: str
    """``Restart 2 programs``: the question's first line."""
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()
    """What the plan leaves alone and why (``44 already right``, ``3 lost: need a QR rescan``)."""
    refused: str | None = None
    """Why it cannot be carried out; nothing is changed."""

    def describe(self, limit: int = 20) -> str:
        """The plan as the operator reads it before confirming."""
        lines = [self.title]
        lines += [f"  {c.subject}: {c.detail}" for c in self.changes[:limit]]
        if len(self.changes) > limit:
            lines.append(f"  … and {len(self.changes) - limit} more")
        lines += [f"  ({note})" for note in self.notes]
        if self.refused:
            lines.append(f"refused: {self.refused}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "target": self.target, "title": self.title,
                "changes": [{"subject": c.subject, "detail": c.detail} for c in self.changes],
                "notes": list(self.notes), "refused": self.refused}


class Outcome(enum.Enum):
    DONE = 0
    PARTLY = 1
    FAILED = 2
    REFUSED = 3
    UNKNOWN = 4
    """What was asked may or may not have happened (the link was lost and not back)."""

    @property
    def code(self) -> int:
        """The CLI's exit code."""
        return self.value


@dataclass(frozen=True)
class Result:
    plan: Plan
    done: tuple[str, ...] = ()
    """``subject: what happened`` for each change carried out."""
    skipped: tuple[str, ...] = ()
    """Changes left alone while executing (a row changed meanwhile, cancelled)."""
    failed: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    """Changes whose outcome could not be read (asked, then no answer)."""
    error: str | None = None
    """Why the action stopped or was refused as a whole."""
    duration: float = 0.0
    refused: bool = False

    @property
    def outcome(self) -> Outcome:
        if self.refused:
            return Outcome.REFUSED
        if self.unknown:
            return Outcome.UNKNOWN
        if self.failed or self.error:
            return Outcome.PARTLY if self.done else Outcome.FAILED
        return Outcome.DONE

    def describe(self) -> str:
        head = {Outcome.DONE: "done", Outcome.PARTLY: "partly done", Outcome.FAILED: "failed",
                Outcome.REFUSED: "refused", Outcome.UNKNOWN: "outcome unknown"}[self.outcome]
        lines = [f"{self.plan.title}: {head} in {self.duration:.1f} s"
                 + (f" — {self.error}" if self.error else "")]
        lines += [f"  ✓ {line}" for line in self.done]
        lines += [f"  – {line}" for line in self.skipped]
        lines += [f"  ✗ {line}" for line in self.failed]
        lines += [f"  ? {line}" for line in self.unknown]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome.name, "done": list(self.done),
                "skipped": list(self.skipped), "failed": list(self.failed),
                "unknown": list(self.unknown),
                "error": self.error, "duration": round(self.duration, 3)}


Progress = Callable[[str], None]
"""Told one line at a time how an execute goes (called on the executing thread)."""

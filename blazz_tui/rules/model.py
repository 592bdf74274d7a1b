"""Checks: a name, a status, a one-line summary, and monitoring-plugins perfdata."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from blazz_tui.fmt import visible


class Status(Enum):
    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"

    @property
    def code(self) -> int:
        """The monitoring-plugins exit code."""
        return _CODES[self]

    @property
    def rank(self) -> int:
        """Severity order for "worst first": OK < UNKNOWN < WARNING < CRITICAL."""
        return _RANKS[self]


_CODES = {Status.OK: 0, Status.WARNING: 1, Status.CRITICAL: 2, Status.UNKNOWN: 3}
_RANKS = {Status.OK: 0, Status.UNKNOWN: 1, Status.WARNING: 2, Status.CRITICAL: 3}


@dataclass(frozen=True)
class Perf:
    """``'label'=value[UOM];warn;crit;min;max`` — warn/crit as range expressions:
    ``10`` alerts above 10, ``99:`` alerts below 99."""

    label: str
    value: float
    uom: str = ""
    warn: str = ""
    crit: str = ""
    min: float | None = None
    max: float | None = None

    def render(self) -> str:
        # The guidelines allow any label but for '=' and quotes (doubled); a queue name comes
        # from the jobs table and may hold anything, a newline included.
        label = visible(self.label).replace("=", "_").replace("'", "''")
        parts = [f"{_num(self.value)}{self.uom}", self.warn, self.crit,
                 "" if self.min is None else _num(self.min),
                 "" if self.max is None else _num(self.max)]
        while parts and parts[-1] == "":
            parts.pop()
        return f"'{label}'=" + ";".join(parts)


def _num(value: float) -> str:
    """A plain decimal (no exponent, as the guidelines' ``[-0-9.]``), 6 significant digits:
    74.9999 stays 74.9999, 0.0002 stays 0.0002."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    text = f"{value:.6g}"
    if "e" in text:  # very large or very small
        text = f"{value:.3f}" if abs(value) >= 1 else f"{value:.12f}"
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    summary: str
    source: str = ""
    """The source whose polls count as attempts for ``retries``."""
    perf: tuple[Perf, ...] = ()
    subjects: tuple[str, ...] = ()
    """What a check that gathers several things is about — the programs it names, the queues,
    the instances whose session lists it waits for — so a cause claims it only when every
    one of them is that cause's (``causes``)."""

    @property
    def host(self) -> bool:
        """One of the host's own checks (``host``, ``host-cpu``…), not Blazz's."""
        return self.name == "host" or self.name.startswith("host-")


def worst(checks: Iterable[Check]) -> Status:
    statuses = [c.status for c in checks]
    return max(statuses, key=lambda s: s.rank) if statuses else Status.UNKNOWN


def by_severity(checks: Iterable[Check]) -> list[Check]:
    """Worst first; ties keep their order."""
    return sorted(checks, key=lambda c: -c.status.rank)


def upper(value: float, warn: float, crit: float) -> Status:
    """Higher is worse: alert above the limit, as the range ``warn`` means in perfdata."""
    if value > crit:
        return Status.CRITICAL
    return Status.WARNING if value > warn else Status.OK


def lower(value: float, warn: float, crit: float) -> Status:
    """Lower is worse: alert below the limit, as the range ``warn:`` means in perfdata."""
    if value < crit:
        return Status.CRITICAL
    return Status.WARNING if value < warn else Status.OK

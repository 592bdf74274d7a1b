"""Host and process figures of a remote Linux host: the one small command per poll that prints
them from ``/proc`` (and ``df``, ``ps``), and its parsing into the transport's dataclasses —
the same figures psutil gives locally, computed the same way."""

from __future__ import annotations

import shlex

from blazz_tui.transport.base import CommandResult, FoundProcess, HostStats, ProcessStats

PS_COMMAND = "ps -ww -eo pid=,etimes=,rss=,args="


class RemoteCommandError(OSError):
    pass


def _checked(result: CommandResult, what: str) -> str:
    if result.exit_code != 0 and not result.stdout.strip():
        detail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else \
            f"exit code {result.exit_code}"
        raise RemoteCommandError(f"{what} failed on the target: {detail}")
    return result.stdout


FACTS_COMMAND = "getconf CLK_TCK; getconf PAGESIZE"
"""Asked once per link: clock ticks per second and the page size."""


def parse_facts(result: CommandResult) -> tuple[float, int]:
    try:
        tick, page = _checked(result, "getconf").split()[:2]
        return float(tick), int(page)
    except ValueError as exc:
        raise RemoteCommandError(f"unexpected getconf output on the target ({exc})") from None


def host_command(disk_path: str) -> str:
    """The lines of /proc/stat, /proc/meminfo and /proc/loadavg the figures need (read by
    the shell itself: no process started), then ``df`` of the disk."""
    return ("while read -r k rest; do case $k in cpu*|btime) echo \"$k $rest\";; esac; "
            "done < /proc/stat; "
            "while read -r k v u; do case $k in MemTotal:|MemAvailable:) echo \"$k $v\";; "
            "esac; done < /proc/meminfo; "
            "read -r l < /proc/loadavg; echo \"$l\"; "
            f"df -Pk -- {shlex.quote(disk_path)}")


def parse_host(result: CommandResult, disk_path: str, tick: float) -> HostStats:
    lines = _checked(result, "reading /proc").splitlines()
    try:
        cpu = next(line.split() for line in lines if line.startswith("cpu "))
        ticks = [float(v) for v in cpu[1:]]
        count = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
        boot = next(float(line.split()[1]) for line in lines if line.startswith("btime "))
        mem = {line.split(":")[0]: int(line.split()[1]) * 1024
               for line in lines if line.startswith(("MemTotal:", "MemAvailable:"))}
        load_line = next(line for line in lines if line.count("/") == 1
                         and len(line.split()) == 5)
        load = tuple(float(v) for v in load_line.split()[:3])
        df = lines[-1].split()
        disk_total, disk_used, disk_free = (int(v) * 1024 for v in df[1:4])
    except (StopIteration, IndexError, ValueError) as exc:
        raise RemoteCommandError(f"unexpected /proc output on the target ({exc})") from None
    # user nice system idle iowait irq softirq steal guest guest_nice; guest is in user.
    guest = sum(ticks[8:10])
    total = (sum(ticks) - guest) / tick
    idle = (ticks[3] + (ticks[4] if len(ticks) > 4 else 0.0)) / tick
    mem_total, available = mem["MemTotal"], mem.get("MemAvailable", 0)
    used = mem_total - available
    return HostStats(
        cpu_busy=total - idle, cpu_total=total, cpu_count=max(1, count),
        memory_total=mem_total, memory_used=used,
        memory_percent=round(100.0 * used / mem_total, 1) if mem_total else 0.0,
        load=(load[0], load[1], load[2]), disk_path=disk_path,
        disk_total=disk_total, disk_used=disk_used,
        disk_percent=round(100.0 * disk_used / (disk_used + disk_free), 1)
        if disk_used + disk_free else 0.0,
        boot_time=boot)


class ProcessSampler:
    """Per-process CPU % as psutil's ``cpu_percent(None)``: the CPU time used since the
    previous sample over the time between them (0.0 on a process's first sample). A process's
    command line is read once."""

    def __init__(self, tick: float, page: int) -> None:
        self.tick, self._page = tick, page
        self._last: dict[int, tuple[float, float]] = {}
        self._cmdlines: dict[int, tuple[tuple[str, ...], str | None]] = {}
        """Per pid: its command line and working directory, read once."""

    def command(self, pids: list[int]) -> str:
        """Each process's stat and statm (read by the shell itself), and the command line
        and working directory (``pwd -P`` in a subshell: no program started) of the ones not
        seen before."""
        parts = ["read -r u _ < /proc/uptime; echo \"$u\""]
        for pid in (int(p) for p in pids):
            once = "echo =; echo =" if pid in self._cmdlines else \
                (f"tr '\\000' '\\001' < /proc/{pid}/cmdline; echo; "
                 f"(cd /proc/{pid}/cwd && pwd -P) || echo")
            parts.append(f"if read -r s < /proc/{pid}/stat; then echo @{pid}; echo \"$s\"; "
                         f"read -r m < /proc/{pid}/statm; echo \"$m\"; {once}; fi")
        return "{ " + "; ".join(parts) + "; } 2>/dev/null"

    def parse(self, result: CommandResult) -> dict[int, ProcessStats]:
        lines = _checked(result, "reading /proc").splitlines()
        try:
            uptime = float(lines[0])
        except (IndexError, ValueError) as exc:
            raise RemoteCommandError(f"unexpected /proc output on the target ({exc})") from None
        found: dict[int, ProcessStats] = {}
        i = 1
        while i < len(lines):
            if not lines[i].startswith("@"):
                i += 1
                continue
            try:
                pid = int(lines[i][1:])
                fields = lines[i + 1].rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime
                rss = int(lines[i + 2].split()[1]) * self._page
                text, cwd = lines[i + 3], lines[i + 4]
            except (IndexError, ValueError):
                i += 1
                continue
            if text != "=" or pid not in self._cmdlines:
                self._cmdlines[pid] = (tuple(a for a in text.split("\x01") if a),
                                       cwd if cwd.startswith("/") else None)
            previous = self._last.get(pid)
            percent = 100.0 * (cpu - previous[0]) / (uptime - previous[1]) \
                if previous and uptime > previous[1] else 0.0
            self._last[pid] = (cpu, uptime)
            cmdline, directory = self._cmdlines[pid]
            found[pid] = ProcessStats(pid, round(max(0.0, percent), 1), rss, cmdline,
                                      directory)
            i += 5
        for gone in set(self._last) - set(found):
            del self._last[gone]
            self._cmdlines.pop(gone, None)
        return found


def parse_ps(result: CommandResult, words: tuple[str, ...], now: float) -> list[FoundProcess]:
    """Processes whose command line holds any of ``words``. ``ps`` prints arguments joined
    by spaces: an argument that held a space is split (worker options never do)."""
    found = []
    for line in _checked(result, "ps").splitlines():
        parts = line.split(None, 3)
        if len(parts) < 4 or not any(word in parts[3] for word in words):
            continue
        try:
            pid, elapsed, rss = int(parts[0]), int(parts[1]), int(parts[2]) * 1024
        except ValueError:
            continue
        found.append(FoundProcess(pid, now - elapsed, tuple(parts[3].split()), rss))
    return found

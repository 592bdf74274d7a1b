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


def host_command(disk_path: str) -> str:
    return ("getconf CLK_TCK; cat /proc/stat /proc/meminfo /proc/loadavg; "
            f"df -Pk -- {shlex.quote(disk_path)}")


def parse_host(result: CommandResult, disk_path: str) -> HostStats:
    lines = _checked(result, "reading /proc").splitlines()
    try:
        tick = float(lines[0])
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


def process_command(pids: list[int]) -> str:
    listed = " ".join(str(int(p)) for p in pids)
    return ("getconf CLK_TCK; getconf PAGESIZE; cut -d' ' -f1 /proc/uptime; "
            f"for p in {listed}; do [ -r /proc/$p/stat ] || continue; echo \"@$p\"; "
            "cat /proc/$p/stat /proc/$p/statm; tr '\\000' '\\001' < /proc/$p/cmdline; echo; "
            "done 2>/dev/null")


class ProcessSampler:
    """Per-process CPU % as psutil's ``cpu_percent(None)``: the CPU time used since the
    previous sample over the time between them (0.0 on a process's first sample)."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[float, float]] = {}

    def parse(self, result: CommandResult) -> dict[int, ProcessStats]:
        lines = _checked(result, "reading /proc").splitlines()
        try:
            tick, page, uptime = float(lines[0]), int(lines[1]), float(lines[2])
        except (IndexError, ValueError) as exc:
            raise RemoteCommandError(f"unexpected /proc output on the target ({exc})") from None
        found: dict[int, ProcessStats] = {}
        i = 3
        while i < len(lines):
            if not lines[i].startswith("@"):
                i += 1
                continue
            try:
                pid = int(lines[i][1:])
                fields = lines[i + 1].rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
                rss = int(lines[i + 2].split()[1]) * page
                cmdline = tuple(a for a in lines[i + 3].split("\x01") if a)
            except (IndexError, ValueError):
                i += 1
                continue
            previous = self._last.get(pid)
            percent = 100.0 * (cpu - previous[0]) / (uptime - previous[1]) \
                if previous and uptime > previous[1] else 0.0
            self._last[pid] = (cpu, uptime)
            found[pid] = ProcessStats(pid, round(max(0.0, percent), 1), rss, cmdline)
            i += 4
        for gone in set(self._last) - set(found):
            del self._last[gone]
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

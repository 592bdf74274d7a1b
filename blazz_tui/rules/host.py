"""The host: CPU, memory, disk, load."""

from __future__ import annotations

from collections.abc import Iterator

from blazz_tui.fmt import duration, size
from blazz_tui.rules.model import Check, Perf, Status, upper
from blazz_tui.settings import Thresholds
from blazz_tui.snapshot import Snapshot


def host_checks(snap: Snapshot, t: Thresholds) -> Iterator[Check]:
    h = snap.host
    if h is None:
        return
    if h.error is not None:
        yield Check("host", Status.UNKNOWN, f"host stats unavailable: {h.error}", "host")
    if h.stats is None:
        return
    s = h.stats
    # CPU is a rate over at least a second since the previous sample (for --check, since the
    # previous run): with none, no check and no perfdata — the load average stands in.
    if h.cpu_percent is not None:
        yield Check("host-cpu", upper(h.cpu_percent, t.cpu_warn, t.cpu_crit),
                    f"{h.cpu_percent:.0f} % of {s.cpu_count} CPUs over "
                    f"{duration(h.cpu_window)}", "host",
                    (Perf("cpu", round(h.cpu_percent, 1), "%", f"{t.cpu_warn:g}",
                          f"{t.cpu_crit:g}", 0, 100),))
    yield Check("host-memory", upper(s.memory_percent, t.memory_warn, t.memory_crit),
                f"{s.memory_percent:.0f} % used ({size(s.memory_used)} of "
                f"{size(s.memory_total)})", "host",
                (Perf("memory", s.memory_percent, "%", f"{t.memory_warn:g}",
                      f"{t.memory_crit:g}", 0, 100),))
    yield Check("host-disk", upper(s.disk_percent, t.disk_warn, t.disk_crit),
                f"{s.disk_path} {s.disk_percent:.0f} % used ({size(s.disk_used)} of "
                f"{size(s.disk_total)})", "host",
                (Perf("disk", s.disk_percent, "%", f"{t.disk_warn:g}", f"{t.disk_crit:g}",
                      0, 100),))
    per_cpu = s.load[0] / max(1, s.cpu_count)
    yield Check("host-load", upper(per_cpu, t.load_per_cpu_warn, t.load_per_cpu_crit),
                f"load {s.load[0]:.2f} {s.load[1]:.2f} {s.load[2]:.2f} on {s.cpu_count} CPUs",
                "host", (Perf("load1", s.load[0], "", f"{t.load_per_cpu_warn * s.cpu_count:g}",
                              f"{t.load_per_cpu_crit * s.cpu_count:g}", 0),))

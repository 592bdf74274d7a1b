"""Benchmark: does ``--check -t 2`` end by 2.5 s whatever the servers do?

Run ``python bench/deadlines.py``. Each case is a real hostile socket (the tests' own,
``tests/fixtures/hostile.py``) configured as one source, with that source's own timeout set
to a minute, so only the deadline can end the check: a supervisord, a database, a Redis and
an instance that accept and never answer or answer a byte a second, and 200 and 1,000
instances on ports nothing listens on. For each, the exit code and the wall time of the
whole process (start-up included, as a cron job or Nagios sees it), 5 runs; beside them, the
same process doing nothing but start (``--version``), the floor of any run.

Figures only; nothing is asserted.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.hostile import (  # noqa: E402
    HostileServer,
    closed_ports,
    hostile,
    one_source_config,
)

HTTP = b"HTTP/1.1 200 OK\r\n"
RUNS = 5


def config(root: Path, body: str) -> Path:
    return one_source_config(root, body + "[targets.t.poll]\n" + "".join(
        f"{source} = {{ interval = 2, timeout = 60 }}\n"
        for source in ("supervisor", "instances", "database", "redis")))


def timed(argv: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    code = subprocess.run(argv, capture_output=True).returncode
    return time.perf_counter() - start, code


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="blazz-deadlines-"))
    floor = statistics.median(timed(["blazz-tui", "--version"])[0] for _ in range(RUNS))
    print(f"floor: blazz-tui --version as a process, median {floor:.2f} s\n")
    print(f"{'--check -t 2 against':<48} {'exit':>5} {'median':>8} {'max':>7}")
    sock = str(root / "sv.sock")
    cases: list[tuple[str, AbstractContextManager[HostileServer | None], object]] = [
        ("supervisord, trickling", hostile("trickle", unix_path=sock, prefix=HTTP),
         lambda s: f'[[targets.t.supervisor]]\nurl = "unix://{sock}"\n'),
        ("database, accepts and never answers", hostile("silent"),
         lambda s: f'[targets.t.database]\nurl = "mysql://root@127.0.0.1:{s.port}/b"\n'),
        ("Redis, trickling", hostile("trickle", prefix=b"$100\r\n"),
         lambda s: f'[targets.t.redis]\nurl = "redis://127.0.0.1:{s.port}/0"\n'),
        ("instance, trickling", hostile("trickle", prefix=HTTP),
         lambda s: f'[[targets.t.instances]]\nname = "wa"\nurl = "http://127.0.0.1:{s.port}"\n'),
    ]
    for count in (200, 1000):
        ports = closed_ports(count)
        cases.append((f"{count} instances on closed ports", nullcontext(None),
                      lambda s, ports=ports: "".join(
                          f'[[targets.t.instances]]\nname = "wa-{p}"\n'
                          f'url = "http://127.0.0.1:{p}"\n' for p in ports)))
    for label, server_cm, body in cases:
        with server_cm as server:
            path = config(root, body(server))  # type: ignore[operator]
            if Path(sock).exists() and "supervisord" not in label:
                Path(sock).unlink()
            results = [timed(["blazz-tui", "-c", str(path), "--check", "-t", "2"])
                       for _ in range(RUNS)]
        codes = sorted({code for _, code in results})
        times = [t for t, _ in results]
        print(f"{label:<48} {','.join(map(str, codes)):>5} {statistics.median(times):7.2f}s "
              f"{max(times):6.2f}s")


if __name__ == "__main__":
    main()

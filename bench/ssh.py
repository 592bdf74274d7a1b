"""Benchmark: watching a Blazz stack over SSH.

Run ``python bench/ssh.py`` (needs the machine's MariaDB and Debian's openssh-server). A real
sshd on a loopback port serves the simulated stack (1,000 accounts on MariaDB); the client
side has its own home (``~/.ssh/config`` alias, known_hosts, key), as a laptop would.

1. ``blazz-tui --check`` on the remote target against the anchor the issue names:
   ``ssh host bash health-check.sh`` (the seeds' script, 6 probes) — a fresh connection each,
   paired and alternated, medians.
2. The dashboard over SSH for ``SECONDS`` at a 1 s refresh (every source polled each second):
   CPU on the laptop side (blazz-tui), CPU on the server side (the sshd serving the link and
   every command it ran), bytes per second on the link (``ss``'s byte counters of the one
   TCP connection). Anchor in the same run: the dashboard on the same stack, locally.
3. A dropped link (the server side of the connection killed): time until blazz-tui knows,
   and until every source has fresh data again; anchor: OpenSSH's own client on the same
   server, time until it notices the same kill.

Figures only; nothing is asserted.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from _harness import Terminal, Usage, complete, config_with, scale_stack
from check_speed import health_check_script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from blazz_tui.collect import Collector  # noqa: E402
from blazz_tui.config import load_config  # noqa: E402
from blazz_tui.transport import make_transport  # noqa: E402
from tests.fixtures.sshd import SshSetup, ssh_setup  # noqa: E402

RUNS = 11
SECONDS = 60.0


def with_remote(config: Path) -> Path:
    text = config.read_text()
    demo = text[text.index("[targets.demo]"):]
    remote = demo.replace("targets.demo", "targets.remote").replace(
        'transport = "local"', 'transport = "ssh"\nssh = "blazz-test"')
    path = config.with_name(f"remote-{config.name}")
    path.write_text(text + "\n" + remote)
    path.chmod(0o600)
    return path


def ssh_client(home: Path) -> list[str]:
    """OpenSSH's client with the bench's home (it reads ~/.ssh from the passwd entry, not
    from $HOME)."""
    return ["ssh", "-F", str(home / ".ssh" / "config"),
            "-o", f"UserKnownHostsFile={home / '.ssh' / 'known_hosts'}"]


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1, 2) or not done.stdout:  # --check's 0-2; the script's 0
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def link_bytes(port: int) -> int:
    """Bytes both ways so far on the established TCP connections to sshd's ``port``."""
    out = subprocess.run(["ss", "-tinH", "state", "established", f"( dport = :{port} )"],
                         capture_output=True, text=True).stdout
    return sum(int(n) for n in re.findall(r"bytes_(?:acked|received):(\d+)", out))


def server_cpu(setup: SshSetup) -> float:
    """CPU seconds of the sshd processes serving connections and of what they ran."""
    total = 0.0
    for proc in setup.server.sessions():
        try:
            for p in [proc, *proc.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def check_pairs(config: Path, layout_script: str, home: Path) -> None:
    check = ["blazz-tui", "-c", str(config), "--target", "remote", "--check"]
    anchor = [*ssh_client(home), "blazz-test", "bash", layout_script]
    pairs = [(wall(check), wall(anchor)) for _ in range(RUNS)]
    ours = statistics.median(p[0] for p in pairs)
    theirs = statistics.median(p[1] for p in pairs)
    print(f"1. one check over SSH, a fresh connection each, median of {RUNS} pairs")
    print(f"   blazz-tui --check --target remote (every source)   {ours:6.3f} s")
    print(f"   ssh blazz-test bash health-check.sh (6 probes)      {theirs:6.3f} s")
    print(f"   ratio, median of the pairs: "
          f"{statistics.median(p[0] / p[1] for p in pairs):.2f}x\n")


def dashboard_cost(config: Path, setup: SshSetup, seconds: float) -> None:
    print(f"2. the dashboard for {seconds:g} s, every source polled each second")
    for name, target in (("locally (anchor)", "demo"), ("over SSH", "remote")):
        term = Terminal(["blazz-tui", "-c", str(config), "--target", target])
        try:
            if term.wait_for(complete, 60) is None:
                print(f"   {name}: no complete screen within 60 s")
                continue
            usage = Usage(term.proc.pid)
            cpu0, bytes0, t0 = server_cpu(setup), link_bytes(setup.server.port), \
                time.perf_counter()
            end = t0 + seconds
            while time.perf_counter() < end:
                usage.sample()
                time.sleep(1.0)
            elapsed = time.perf_counter() - t0
            laptop, rss, _ = usage.result()
            server = (server_cpu(setup) - cpu0) / elapsed * 100
            rate = (link_bytes(setup.server.port) - bytes0) / elapsed
            extra = f", server side {server:4.1f} %, link {rate / 1024:6.1f} KiB/s" \
                if target == "remote" else ""
            print(f"   {name:<18} blazz-tui {laptop:4.1f} % of one core, {rss:5.1f} MiB{extra}")
        finally:
            term.close()
    print()


async def drop_and_recover(config: Path, setup: SshSetup) -> tuple[float, float]:
    cfg = load_config(str(config))
    target = cfg.target("remote")
    transport = make_transport(target)
    collector = Collector(target, transport, cfg.thresholds)

    async def poll() -> bool:
        readings = await asyncio.gather(*(collector.read(n) for n in collector.sources))
        return all(r.error is None for r in readings)

    try:
        await poll()
        killed = time.perf_counter()
        setup.server.kill_sessions()
        while transport.link is not None and transport.link.up:
            await asyncio.sleep(0.001)
        detected = time.perf_counter() - killed
        while not await poll():  # as the runtime: a poll a second at most
            await asyncio.sleep(0.05)
        return detected, time.perf_counter() - killed
    finally:
        await collector.close()


def ssh_client_notices(setup: SshSetup) -> float:
    ssh = subprocess.Popen([*ssh_client(setup.home), "-N", "-o", "ServerAliveInterval=5",
                            "blazz-test"],
                           stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not setup.server.sessions() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        killed = time.perf_counter()
        setup.server.kill_sessions()
        ssh.wait(30)
        return time.perf_counter() - killed
    finally:
        if ssh.poll() is None:
            ssh.send_signal(signal.SIGTERM)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else SECONDS
    tmp = Path(tempfile.mkdtemp(prefix="blazz-bench-ssh-"))
    setup = ssh_setup(tmp)
    os.environ["HOME"] = str(setup.home)
    os.environ.pop("SSH_AUTH_SOCK", None)
    try:
        with scale_stack(1000) as layout:
            time.sleep(3)
            config = with_remote(config_with(layout, interval=1))
            check_pairs(config, health_check_script(layout), setup.home)
            dashboard_cost(config, setup, seconds)
            print("3. the server side of the link killed")
            for run in range(3):
                detected, recovered = asyncio.run(drop_and_recover(config, setup))
                anchor = ssh_client_notices(setup)
                print(f"   run {run + 1}: blazz-tui knows in {detected * 1000:6.1f} ms, every "
                      f"source fresh again after {recovered:5.2f} s; OpenSSH's ssh notices in "
                      f"{anchor * 1000:6.1f} ms")
    finally:
        setup.server.stop()


if __name__ == "__main__":
    main()

"""`sim start --pm2`: the simulated instances under a real PM2 daemon, as seed 003 runs them."""

from __future__ import annotations

import shutil

import pytest

from blazz_tui.sim.cli import stop
from tests.fixtures.stack import StackFactory, check, checks_by_name, sim
from tests.sim.test_demo_lifecycle import sim_processes
from tests.sim.test_stack_faults import wait_for

pytestmark = pytest.mark.skipif(shutil.which("pm2") is None,
                                reason="pm2 is not installed (npm install -g pm2)")


def test_instances_under_pm2_are_watched_faulted_healed_and_stopped(
        stack_factory: StackFactory) -> None:
    layout = stack_factory(pm2=True)
    port = layout.instance_ports[1]

    checks = checks_by_name(check(layout)[1])
    assert [checks[f"pm2:{layout.pm2_name(p)}"]["status"] for p in layout.instance_ports] \
        == ["OK"] * 4
    assert not any(name.startswith("program:blazz-whatsapp") for name in checks)

    sim(layout, "fault", "kill-instance", str(port))
    checks = wait_for(layout, lambda c: c[f"instance:wa-{port}"]["status"] == "CRITICAL")
    assert checks[f"instance:wa-{port}"]["summary"].endswith(
        f"PM2 process {layout.pm2_name(port)} is stopped (0 restarts)")

    assert sim(layout, "heal").startswith(f"healed; started {layout.pm2_name(port)}")
    wait_for(layout, lambda c: c[f"instance:wa-{port}"]["status"] == "OK")

    stop(layout.path)
    assert sim_processes(str(layout.pm2_home)) == []  # the daemon and its instances too

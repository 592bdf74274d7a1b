"""The core never loads Textual: --check must run without it. (Rich may be loaded: httpx
imports it for its own command line when it is installed.)"""

from __future__ import annotations

import subprocess
import sys

CORE = ["blazz_tui.cli", "blazz_tui.check", "blazz_tui.collect", "blazz_tui.runtime",
        "blazz_tui.judge", "blazz_tui.blocking", "blazz_tui.clients.supervisor_rpc",
        "blazz_tui.export",
        "blazz_tui.rules", "blazz_tui.config", "blazz_tui.sources.supervisor",
        "blazz_tui.sources.instances", "blazz_tui.sources.database", "blazz_tui.sources.redis",
        "blazz_tui.sources.logs", "blazz_tui.transport", "blazz_tui.actions.cli",
        "blazz_tui.actions.menu"]


def test_importing_the_core_does_not_import_textual() -> None:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_a_sources_library_is_imported_only_when_the_target_has_that_source() -> None:
    code = ("import sys\n"
            "from blazz_tui.collect import Collector\n"
            "from blazz_tui.settings import DatabaseConfig, TargetConfig, Thresholds\n"
            "from blazz_tui.transport.local import LocalTransport\n"
            "t = TargetConfig(redis=None, database=DatabaseConfig(url='sqlite:///x.sqlite'))\n"
            "Collector(t, LocalTransport(), Thresholds())\n"
            "print(sorted(m for m in ('redis', 'pymysql') if m in sys.modules))\n"
            "t = TargetConfig()\n"
            "Collector(t, LocalTransport(), Thresholds())\n"
            "print(sorted(m for m in ('redis', 'pymysql') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[]", "['pymysql',", "'redis']"]

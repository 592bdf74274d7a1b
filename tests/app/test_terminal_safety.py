"""What the watched system writes cannot drive the operator's terminal: control characters in
a followed log (user-controlled text in Laravel logs) are shown escaped."""

from __future__ import annotations

import time
from pathlib import Path

from blazz_tui.app import make_app
from blazz_tui.collect import Collector
from blazz_tui.judge import Judge
from blazz_tui.runtime import Runtime
from blazz_tui.settings import LogsConfig, TargetConfig, Thresholds
from blazz_tui.transport.local import LocalTransport
from tests.app.support import screen_text, until

ATTACK = "\x1b]0;pwned\x07 \x1b[2J\x1b[H"


async def test_control_characters_in_a_followed_log_are_shown_escaped(tmp_path: Path) -> None:
    log = tmp_path / "laravel.log"
    log.write_text("")
    target = TargetConfig(name="t", supervisor=(), instances=(), database=None, redis=None,
                          ports=(), logs=LogsConfig(files=(str(log),)))
    collector = Collector(target, LocalTransport(), Thresholds())
    app = make_app(target, Runtime(collector, Judge(Thresholds())))
    async with app.run_test(size=(120, 40)) as pilot:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        with log.open("a") as f:
            f.write(f"[{stamp}] production.ERROR: x {ATTACK}\n")
        await until(lambda: "pwned" in screen_text(app))
        await pilot.pause()
        text = screen_text(app)
    assert "\x1b" not in text and "\x07" not in text
    assert "x \\x1b]0;pwned\\x07 \\x1b[2J\\x1b[H" in text

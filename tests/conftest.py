"""Shared fixtures: each real server lives in its own plugin module under tests/fixtures."""

pytest_plugins = [
    "tests.fixtures.redis_server",
    "tests.fixtures.mysql",
    "tests.fixtures.supervisord",
    "tests.fixtures.instances",
    "tests.fixtures.stack",
    "tests.fixtures.sshd",
    "tests.fixtures.pm2",
    "tests.fixtures.laravel_app",
]

import pytest  # noqa: E402 - after the plugins, which pytest reads first


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees the same terminal, one of 16 million colours, whatever TERM the runner
    has (TERM=xterm, or none, is a 16-colour terminal, and the dashboard then draws in the
    terminal's own colours). A test of another terminal says so itself."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)

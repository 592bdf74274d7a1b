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

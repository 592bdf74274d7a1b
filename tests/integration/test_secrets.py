"""No password, whatever characters it holds, appears in any output: --check in every format,
--snapshot in every format, the events file — and that file is readable by its owner only.

The sources fail against real sockets (a MariaDB refusing the password, closed ports), which
is when messages carry the most about where they tried to connect."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.hostile import closed_ports

SECRETS = ["db# /?@:%&=+ pw", "rd/?#@:%&=+ x", "in st@nce:%/?#", "sv p@ss/?#:=+"]


def write_config(tmp_path: Path) -> Path:
    redis, instance, supervisor = closed_ports(3)
    from urllib.parse import quote

    user_info = f"ops:{quote(SECRETS[2], safe='')}"
    path = tmp_path / "config.toml"
    path.write_text(f'''default_target = "t"
state_dir = "{tmp_path / 'state'}"
[targets.t]
ports = []
[[targets.t.supervisor]]
url = "http://127.0.0.1:{supervisor}/RPC2"
username = "ops"
password = "{SECRETS[3]}"
[[targets.t.instances]]
name = "wa-1"
url = "http://{user_info}@127.0.0.1:{instance}"
[targets.t.database]
url = "mysql://root@127.0.0.1:3306/blazz_secret_test"
password = "{SECRETS[0]}"
[targets.t.redis]
url = "redis://127.0.0.1:{redis}/0"
password = "{SECRETS[1]}"
[targets.t.logs]
files = []
''')
    path.chmod(0o600)
    return path


def outputs(tmp_path: Path, config: Path) -> list[str]:
    texts = []
    for fmt in ("text", "json", "nagios"):
        result = subprocess.run([sys.executable, "-m", "blazz_tui", "-c", str(config), "--check",
                                 "--format", fmt], capture_output=True, text=True, timeout=60)
        texts += [result.stdout, result.stderr]
    for suffix in (".json", ".txt", ".svg"):
        path = tmp_path / f"snapshot{suffix}"
        result = subprocess.run([sys.executable, "-m", "blazz_tui", "-c", str(config),
                                 "--snapshot", str(path)], capture_output=True, text=True,
                                timeout=60)
        texts += [result.stdout, result.stderr, path.read_text()]
    return texts


@pytest.mark.slow
def test_no_password_reaches_any_output(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    texts = outputs(tmp_path, config)
    assert any("access denied" in t for t in texts)  # the database refused: it was tried
    for secret in SECRETS:
        from urllib.parse import quote

        for form in {secret, quote(secret, safe=""), quote(secret)}:
            assert not any(form in text for text in texts), form


def test_the_events_file_is_private(tmp_path: Path) -> None:
    from blazz_tui.events import Timeline
    from blazz_tui.rules import Check, Status

    timeline = Timeline(tmp_path / "events.jsonl")
    timeline.observe([Check("database", Status.CRITICAL, "unreachable")], 1.0)
    assert stat.S_IMODE((tmp_path / "events.jsonl").stat().st_mode) == 0o600


@pytest.mark.slow
def test_a_server_echoing_the_request_gets_no_credential_into_any_output(
        tmp_path: Path) -> None:
    import base64
    from urllib.parse import quote

    from tests.fixtures.hostile import echoing

    password, key = "s3cret-sv-pw", "k3y-of-the-instance"
    with echoing() as port:
        config = tmp_path / "config.toml"
        config.write_text(f'''default_target = "t"
state_dir = "{tmp_path / 'state'}"
[targets.t]
ports = []
database = false
redis = false
[[targets.t.supervisor]]
url = "http://127.0.0.1:{port}/RPC2"
username = "ops"
password = "{password}"
[[targets.t.instances]]
name = "wa-1"
url = "http://ops:{quote(password)}@127.0.0.1:{port}"
api_key = "{key}"
[targets.t.logs]
files = []
''')
        texts = outputs(tmp_path, config)
    assert any("supervisord answered HTTP 502" in t for t in texts)  # it was reached
    encoded = base64.b64encode(f"ops:{password}".encode()).decode()
    for form in (password, key, encoded, encoded.rstrip("=")):
        assert not any(form in text for text in texts), form

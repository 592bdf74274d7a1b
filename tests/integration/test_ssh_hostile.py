"""SSH faults an operator's own ``~/.ssh`` causes (issue 22), each against a real OpenSSH server:
a host-key type known_hosts does not hold, a port-less known_hosts entry for a server on another
port, and a ``~/.ssh/config`` that includes itself. Each is refused with what happened, in the
operator's terms, and leaves their files as they were."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from blazz_tui.settings import SshConfig
from blazz_tui.transport.base import TransportError
from blazz_tui.transport.ssh import SshTransport
from blazz_tui.transport.ssh_files import KnownHosts
from tests.fixtures.sshd import SshSetup, keygen, ssh_setup

pytestmark = pytest.mark.slow


@pytest.fixture
def ecdsa_sshd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshSetup]:
    """An sshd whose only host key is ECDSA, reached as ``blazz-test``."""
    setup = ssh_setup(tmp_path, "ecdsa-sshd", host_key_type="ecdsa")
    monkeypatch.setenv("HOME", str(setup.home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    try:
        yield setup
    finally:
        setup.server.stop()
        shutil.rmtree(setup.server.directory, ignore_errors=True)


async def link_error(ssh: SshConfig) -> str:
    """Why the link to ``ssh`` could not be set up."""
    transport = SshTransport(ssh)
    try:
        with pytest.raises(TransportError) as caught:
            await transport.ready()
    finally:
        await transport.close()
    return str(caught.value)


async def link_comes_up(ssh: SshConfig) -> bool:
    transport = SshTransport(ssh)
    try:
        await transport.ready()
        return transport.link.up
    finally:
        await transport.close()


def hashed(line: str, tmp_path: Path) -> str:
    """``line`` with its host name hashed, as ``HashKnownHosts yes`` writes it."""
    path = tmp_path / "to_hash"
    path.write_text(line + "\n")
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(path)], check=True,
                   capture_output=True)
    return path.read_text().strip()


def server_key(setup: SshSetup) -> str:
    """The server's host key as known_hosts writes it: ``kind base64``."""
    return setup.server.host_key_line().split(" ", 1)[1]


# -- a host-key type known_hosts does not hold ------------------------------------------------


async def test_a_host_key_type_known_hosts_lacks_is_named_not_reported_as_a_reset(
        ecdsa_sshd: SshSetup, tmp_path: Path) -> None:
    known = ecdsa_sshd.server.ssh_dir / "known_hosts"
    kind, key = keygen(tmp_path / "old_ed25519").split()[:2]
    known.write_text(f"[127.0.0.1]:{ecdsa_sshd.server.port} {kind} {key}\n")

    error = await link_error(SshConfig(host="blazz-test", accept_new_host_key=True))

    assert "reset" not in error and "Connection lost" not in error
    assert "offers host-key algorithm(s) ecdsa-sha2-nistp256" in error
    assert f"{known} holds only ssh-ed25519 for [127.0.0.1]:{ecdsa_sshd.server.port}" in error
    assert "nothing accepted" in error
    assert known.read_text() == f"[127.0.0.1]:{ecdsa_sshd.server.port} {kind} {key}\n"


async def test_a_server_offering_the_known_host_key_type_still_connects(
        ecdsa_sshd: SshSetup) -> None:
    assert await link_comes_up(SshConfig(host="blazz-test"))


# -- a port-less known_hosts entry ------------------------------------------------------------


@pytest.mark.parametrize("hash_it", [False, True], ids=["plain", "hashed"])
async def test_a_portless_known_hosts_entry_does_not_vouch_for_another_port(
        sshd: SshSetup, tmp_path: Path, hash_it: bool) -> None:
    line = f"127.0.0.1 {server_key(sshd)}"  # the right key, but for port 22
    known = sshd.server.ssh_dir / "known_hosts"
    known.write_text((hashed(line, tmp_path) if hash_it else line) + "\n")
    before = known.read_text()

    error = await link_error(SshConfig(host="blazz-test"))

    assert "host key of blazz-test is unknown" in error
    assert sshd.server.fingerprint() in error
    assert known.read_text() == before


async def test_a_hashed_host_and_port_entry_is_trusted(sshd: SshSetup, tmp_path: Path) -> None:
    known = sshd.server.ssh_dir / "known_hosts"
    known.write_text(hashed(sshd.server.host_key_line(), tmp_path) + "\n")

    assert await link_comes_up(SshConfig(host="blazz-test"))


def test_on_port_22_known_hosts_is_looked_up_by_the_bare_host(tmp_path: Path) -> None:
    key = " ".join(keygen(tmp_path / "k").split()[:2])
    path = tmp_path / "known_hosts"
    path.write_text(f"example.org {key}\n[other.org]:22 {key}\n")
    known = KnownHosts(path)

    assert len(known.match("example.org", "", 22)[0]) == 1
    assert known.match("other.org", "", 22)[0] == []
    assert known.match("example.org", "", 2222)[0] == []


# -- an ~/.ssh/config that includes itself ----------------------------------------------------


@pytest.mark.parametrize("loop", ["itself", "through-another-file"])
async def test_a_config_that_includes_itself_is_named_and_nothing_changes(
        sshd: SshSetup, loop: str) -> None:
    ssh = sshd.server.ssh_dir
    config = ssh / "config"
    if loop == "itself":
        config.write_text(config.read_text() + "Include ~/.ssh/config\n")
    else:
        config.write_text(config.read_text() + "Include extra.conf\n")
        (ssh / "extra.conf").write_text("Include ~/.ssh/config\n")
    files = {p: p.read_bytes() for p in ssh.iterdir()}

    error = await link_error(SshConfig(host="blazz-test"))

    assert "RecursionError" not in error
    assert f"{config} includes itself" in error and "Include loop" in error
    assert {p: p.read_bytes() for p in ssh.iterdir()} == files


async def test_a_file_included_twice_is_not_a_loop(sshd: SshSetup) -> None:
    ssh = sshd.server.ssh_dir
    (ssh / "common.conf").write_text("ServerAliveCountMax 3\n")
    (ssh / "a.conf").write_text("Include common.conf\n")
    (ssh / "b.conf").write_text("Include ~/.ssh/common.conf\n")
    config = ssh / "config"
    config.write_text("Include a.conf b.conf\n" + config.read_text())

    assert await link_comes_up(SshConfig(host="blazz-test"))

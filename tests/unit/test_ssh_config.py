"""An SSH target names as little as ``ssh = "alias"``: ``~/.ssh/config`` supplies the rest."""

from __future__ import annotations

import pytest

from blazz_tui.config import ConfigError, parse_config


def target(body: str):  # type: ignore[no-untyped-def]
    return parse_config(f'[targets.prod]\ntransport = "ssh"\n{body}\n', "t.toml").target()


def test_an_alias_alone_leaves_user_and_port_to_the_ssh_config() -> None:
    ssh = target('ssh = "prod"').ssh
    assert (ssh.host, ssh.user, ssh.port) == ("prod", None, None)
    assert ssh.destination == "prod"


@pytest.mark.parametrize(("text", "expected"), [
    ("deploy@10.0.0.5:2222", ("10.0.0.5", "deploy", 2222)),
    ("deploy@blazz.example", ("blazz.example", "deploy", None)),
    ("blazz.example:22", ("blazz.example", None, 22)),
    ("ops@[2001:db8::1]:2200", ("2001:db8::1", "ops", 2200)),
])
def test_user_host_and_port_in_one_string(text: str, expected: tuple[object, ...]) -> None:
    ssh = target(f'ssh = "{text}"').ssh
    assert (ssh.host, ssh.user, ssh.port) == expected
    assert ssh.destination == text


def test_a_table_sets_the_rest() -> None:
    ssh = target('[targets.prod.ssh]\nhost = "prod"\naccept_new_host_key = true\n'
                 'key_file = "~/.ssh/blazz"').ssh
    assert (ssh.host, ssh.accept_new_host_key, ssh.key_file) == ("prod", True, "~/.ssh/blazz")


@pytest.mark.parametrize(("body", "message"), [
    ('ssh = "deploy@prod:ssh"', "t.toml:3: targets.prod.ssh: bad port in 'deploy@prod:ssh'"),
    ('ssh = "prod:70000"', "targets.prod.ssh: port 70000 is not between 1 and 65535"),
    ('ssh = "-oProxyCommand=x"', "is not a host name or ssh alias"),
    ("", "transport 'ssh' needs ssh = \"alias\" (or user@host:port)"),
])
def test_a_bad_destination_is_refused_with_where_it_is(body: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        target(body)
    assert message in str(caught.value)

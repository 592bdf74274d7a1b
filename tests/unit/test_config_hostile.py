"""Configuration files written carelessly or with intent: each is refused with the file, the
table and the key named, and a message that is safe to print."""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import pytest

from blazz_tui.config import ConfigError, _holds_literal_secret, load_config, parse_config
from blazz_tui.settings import Thresholds

MINIMAL = """
default_target = "prod"
[targets.prod]
transport = "local"
[[targets.prod.instances]]
name = "wa-3001"
url = "http://127.0.0.1:3001"
"""

THRESHOLD_FLOATS = [f.name for f in dataclasses.fields(Thresholds) if f.type == "float"]


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "c.toml", {})
    return str(raised.value)


def load_refusal(path: Path | str) -> str:
    with pytest.raises(ConfigError) as raised:
        load_config(str(path), environ={})
    return str(raised.value)


# Numbers: TOML's inf and nan are no limits.

@pytest.mark.parametrize("value", ["inf", "+inf", "-inf", "nan", "-nan"])
def test_a_threshold_that_is_not_finite_is_refused(value: str) -> None:
    assert refusal(MINIMAL + f"[thresholds]\ncpu_crit = {value}\n") == (
        f"c.toml:9: thresholds.cpu_crit: expected a finite number, got {float(value)}")


@pytest.mark.parametrize("key", THRESHOLD_FLOATS)
def test_every_float_threshold_refuses_nan(key: str) -> None:
    assert f"thresholds.{key}: expected a finite number" in refusal(
        MINIMAL + f"[thresholds]\n{key} = nan\n")


@pytest.mark.parametrize(("table", "key"), [
    ("targets.prod.ssh", "connect_timeout"), ("targets.prod.rebalance", "pause"),
    ("targets.prod.messages", "recent_seconds"), ("actions", "settle_timeout"),
])
def test_a_float_setting_outside_thresholds_refuses_infinity(table: str, key: str) -> None:
    extra = 'host = "h"\n' if table.endswith(".ssh") else ""
    message = refusal(MINIMAL + f"[{table}]\n{extra}{key} = inf\n")
    assert f": {table}.{key}: " in message and "inf" in message


def test_a_whole_number_too_large_for_64_bits_is_refused_not_a_traceback() -> None:
    message = refusal(MINIMAL + "[targets.prod.logs]\ntail_bytes = 1" + "0" * 400 + "\n")
    assert message == ("c.toml:9: targets.prod.logs.tail_bytes: is too large a number "
                       "(TOML integers are 64-bit)")


def test_a_float_setting_given_a_huge_whole_number_is_refused() -> None:
    assert "thresholds.cpu_crit: is too large a number" in refusal(
        MINIMAL + "[thresholds]\ncpu_crit = 1" + "0" * 400 + "\n")


# Nesting: tomllib recurses once a level.

@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ("{a = ", "}")])
def test_a_file_nested_too_deeply_is_a_config_error_naming_it(tmp_path: Path, opening: str,
                                                              closing: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(MINIMAL + "x = " + opening * 100_000 + "1" * (opening == "{a = ")
                    + closing * 100_000 + "\n")
    assert load_refusal(path) == (f"{path}: is nested too deeply (arrays or inline tables "
                                  "within each other, deeper than any setting goes)")


def test_the_secret_scan_walks_any_depth_without_recursion() -> None:
    deep: list[object] = [{"password": "pw"}]
    for _ in range(100_000):
        deep = [deep]
    assert _holds_literal_secret({"x": deep}) is True


# The file itself: what it is, said; never a wait.

def test_a_symbolic_link_loop_says_so(tmp_path: Path) -> None:
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    assert load_refusal(loop) == f"{loop}: is a symbolic link loop"


def test_a_fifo_is_refused_as_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "f.toml"
    os.mkfifo(fifo)
    assert load_refusal(fifo) == f"{fifo}: is not a regular file (a FIFO)"


def test_a_config_that_becomes_a_fifo_after_its_lookup_is_refused_without_blocking(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "f.toml"
    os.mkfifo(fifo)
    monkeypatch.setattr("blazz_tui.config.find_config_path", lambda *_: fifo)
    outcome: list[str] = []

    def load() -> None:
        try:
            load_config(str(fifo), environ={})
        except ConfigError as exc:
            outcome.append(str(exc))

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(timeout=5)
    if reader.is_alive():  # unblock the open() so the thread can end
        with open(fifo, "w"):
            pass
        pytest.fail("opening a FIFO as the configuration blocked")
    assert outcome == [f"{fifo}: is not a regular file (a FIFO)"]


def test_a_character_device_is_refused_as_not_a_regular_file() -> None:
    assert load_refusal("/dev/null") == "/dev/null: is not a regular file (a character device)"


def test_a_dangling_symbolic_link_names_where_it_points(tmp_path: Path) -> None:
    link = tmp_path / "c.toml"
    link.symlink_to(tmp_path / "gone.toml")
    assert load_refusal(link) == (f"{link}: no such configuration file (a symbolic link to "
                                  f"{str(tmp_path / 'gone.toml')!r}, which does not exist)")


def test_a_config_toml_in_the_working_directory_that_is_a_fifo_is_said_not_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    os.mkfifo(tmp_path / "config.toml")
    with pytest.raises(ConfigError, match=r"config.toml: is not a regular file \(a FIFO\)"):
        load_config(cwd=tmp_path, environ={})


# Encoding.

def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_config(str(path), environ={}).default_target == "prod"


def test_parse_config_accepts_text_starting_with_a_byte_order_mark() -> None:
    assert parse_config("\ufeff" + MINIMAL, "c.toml", {}).default_target == "prod"


def test_a_file_with_a_byte_order_mark_and_a_readable_secret_still_gets_its_warning(
        tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (MINIMAL + 'api_key = "literal"\n').encode())
    os.chmod(path, 0o644)
    assert "readable by others" in load_config(str(path), environ={}).warnings[0]


def test_a_file_that_is_not_utf8_says_so_with_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(MINIMAL.encode() + b'[targets.prod.logs]\ntimezone = "caf\xe9"\n')
    assert load_refusal(path) == f"{path}:9: is not UTF-8 text (byte 0xe9): save it as UTF-8"


# Names reach the terminal as they are: no control characters.

@pytest.mark.parametrize(("body", "where"), [
    ('[targets."\\u001b[31mprod"]\n', r"targets.'\x1b[31mprod': "),
    ('[[targets.prod.instances]]\nname = "wa\\u001b]0;pwned\\u0007"\n'
     'url = "http://127.0.0.1:3002"\n', "targets.prod.instances[1].name: "),
    ('[[targets.prod.supervisor]]\nname = "main\\r"\n', "targets.prod.supervisor[0].name: "),
    ('[[targets.prod.ports]]\nname = "reverb\\u009b2J"\nport = 8080\n',
     "targets.prod.ports[0].name: "),
    ('[[targets.prod.workers]]\nprogram = "q\\u001b[2J"\nqueues = ["default"]\n',
     "targets.prod.workers[0].program: "),
    ('[[targets.prod.workers]]\nprogram = "q"\nqueues = ["de\\tfault"]\n',
     "targets.prod.workers[0].queues: "),
    ('[targets.prod.queues]\nwatch = ["a\\u202eb"]\n', "targets.prod.queues.watch: "),
])
def test_a_name_with_a_control_character_is_refused_and_shown_escaped(body: str,
                                                                       where: str) -> None:
    message = refusal(MINIMAL + body)
    assert where in message and "holds a control character" in message
    assert message.isprintable()  # the bad character is escaped, never written raw


def test_an_unknown_key_with_a_control_character_is_named_escaped() -> None:
    message = refusal(MINIMAL + '"x\\u001b[2J" = 1\n')
    assert r"targets.prod.instances[0].'x\x1b[2J': unknown key" in message
    assert message.isprintable()


# Instances are told apart by name and by host and port.

def test_two_instances_with_one_name_are_refused_naming_both() -> None:
    message = refusal(MINIMAL + '[[targets.prod.instances]]\nname = "wa-3001"\n'
                      'url = "http://127.0.0.1:3002"\n')
    assert message == ("c.toml:9: targets.prod.instances[1].name: 'wa-3001' is already the "
                       "name of targets.prod.instances[0] (line 5): each instance needs its "
                       "own name")


def test_two_instances_reaching_one_host_and_port_are_refused_naming_both() -> None:
    message = refusal(MINIMAL + '[[targets.prod.instances]]\nname = "wa-again"\n'
                      'url = "http://localhost:3001/"\n')
    assert message == ("c.toml:10: targets.prod.instances[1].url: reaches 127.0.0.1:3001, "
                       "as targets.prod.instances[0] (line 5) does: one instance cannot be "
                       "listed twice")


def test_two_targets_may_each_have_an_instance_of_the_same_name_and_port() -> None:
    other = MINIMAL.replace("prod", "staging").replace('default_target = "staging"\n', "")
    config = parse_config(MINIMAL + other, "c.toml", {})
    assert [t.instances[0].name for t in config.targets] == ["wa-3001", "wa-3001"]

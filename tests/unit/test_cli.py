"""The command line refuses bad input with a clear message and the right exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "blazz_tui", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_bad_config_with_check_is_unknown_and_names_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[thresholds]\nretries = "x"\n')
    result = run("--check", "-c", str(config))
    assert result.returncode == 3
    assert f"{config}:2: thresholds.retries: expected a whole number" in result.stderr


def test_bad_config_in_nagios_format_prints_an_unknown_status_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[targets.x]\ntransprot = 'local'\n")
    result = run("--check", "--format", "nagios", "-c", str(config))
    assert result.returncode == 3
    assert result.stdout.startswith("BLAZZ UNKNOWN: ")
    assert "did you mean 'transport'?" in result.stdout


def test_unknown_target_is_refused(tmp_path: Path) -> None:
    result = run("--check", "--target", "nope", "-c", str(Path.cwd() / "config.toml"))
    assert result.returncode == 3
    assert "no target named 'nope'" in result.stderr


def test_snapshot_with_an_unknown_extension_is_refused_before_collecting(tmp_path: Path) -> None:
    result = run("--snapshot", str(tmp_path / "out.png"), "-c", str(Path.cwd() / "config.toml"))
    assert result.returncode == 2
    assert "extension must be one of .json, .svg, .html, .txt" in result.stderr
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e10", "1e999"])
def test_a_timeout_outside_a_second_to_a_day_is_refused(value: str) -> None:
    result = run("--check", "-t", value)
    assert result.returncode == 3
    assert f"-t/--timeout {float(value):g}: must be more than 0 and at most 86400 seconds" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_a_deadline_spent_before_the_check_starts_is_unknown_at_once() -> None:
    result = run("--check", "--format", "nagios", "-t", "0.001")
    assert result.returncode == 3
    assert result.stdout.startswith("BLAZZ UNKNOWN: check timed out after 0.001 s: the "
                                    "deadline passed while blazz-tui started")
    assert result.stderr == ""


def test_a_bad_config_in_json_format_prints_a_json_unknown(tmp_path: Path) -> None:
    import json

    config = tmp_path / "bad.toml"
    config.write_text('[thresholds]\nretries = "x"\n')
    result = run("--check", "--format", "json", "-c", str(config))
    document = json.loads(result.stdout)
    assert result.returncode == 3
    assert document["status"] == "UNKNOWN" and document["checks"] == []
    assert document["summary"].endswith("thresholds.retries: expected a whole number, got "
                                        "str 'x'")


def test_a_usage_error_under_check_is_unknown_not_critical() -> None:
    assert run("--check", "--format", "xml").returncode == 3
    assert run("--check", "-t", "soon").returncode == 3
    assert run("--format", "xml").returncode == 2  # not a check: an ordinary usage error


def test_a_sim_fault_delay_that_is_not_a_finite_number_is_refused() -> None:
    from blazz_tui.sim.faults import FaultError, _positive

    for text in ("inf", "nan", "-3", "soon"):
        with pytest.raises(FaultError, match="must be a positive, finite number"):
            _positive(text, "delay")


def test_the_action_subcommands_are_the_ones_the_actions_provide() -> None:
    from blazz_tui.actions.cli import COMMANDS
    from blazz_tui.cli import ACTION_COMMANDS

    assert ACTION_COMMANDS == COMMANDS
    assert run("restart").returncode == 2  # nothing named: a usage error
    assert "--queue" in run("restart", "--help").stdout


def quiet_config(tmp_path: Path) -> Path:
    """A target with nothing to read: a snapshot of it is quick, and a refusal plain."""
    path = tmp_path / "quiet.toml"
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n[targets.t]\nports = []\n'
                    "supervisor = []\ninstances = []\ndatabase = false\nredis = false\n"
                    "pm2 = false\n[targets.t.logs]\nfiles = []\n")
    path.chmod(0o600)
    return path


def screen(path: Path) -> tuple[int, int]:
    """(columns, rows) of a .txt snapshot."""
    lines = path.read_text().rstrip("\n").split("\n")
    return max(len(line) for line in lines), len(lines)


def test_a_snapshot_is_rendered_at_the_size_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    result = run("--snapshot", str(out), "--size", "80x24", "-c", str(quiet_config(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert screen(out) == (80, 24)


def test_a_snapshot_without_a_terminal_or_a_size_is_120_by_40(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    assert run("--snapshot", str(out), "-c", str(quiet_config(tmp_path))).returncode == 0
    assert screen(out) == (120, 40)


def test_a_snapshot_taken_at_a_terminal_has_the_terminals_size(tmp_path: Path) -> None:
    import fcntl
    import os
    import pty
    import struct
    import termios

    out = tmp_path / "out.txt"
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    try:
        done = subprocess.run([sys.executable, "-m", "blazz_tui", "--snapshot", str(out), "-c",
                               str(quiet_config(tmp_path))], stdout=follower, stderr=follower,
                              stdin=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0
    assert screen(out) == (100, 30)


@pytest.mark.parametrize(("size", "why"), [
    ("0x0", "0x0 is outside the sizes a snapshot renders: from 40x12 to 500x200"),
    ("10x5", "10x5 is outside the sizes a snapshot renders"),
    ("99999x99999", "99999x99999 is outside the sizes a snapshot renders"),
    ("big", "'big' is not COLSxROWS (80x24, say)"),
])
def test_a_snapshot_size_out_of_bounds_or_garbled_is_refused(tmp_path: Path, size: str,
                                                             why: str) -> None:
    out = tmp_path / "out.txt"
    result = run("--snapshot", str(out), "--size", size, "-c", str(quiet_config(tmp_path)))
    assert result.returncode == 2
    assert f"argument --size: {why}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_bad_snapshot_size_under_check_is_unknown(tmp_path: Path) -> None:
    result = run("--check", "--snapshot", str(tmp_path / "out.txt"), "--size", "10x5",
                 "-c", str(quiet_config(tmp_path)))
    assert result.returncode == 3
    assert "argument --size: 10x5 is outside" in result.stderr


def test_a_size_for_a_snapshot_that_has_no_screen_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run("--snapshot", str(out), "--size", "80x24", "-c", str(quiet_config(tmp_path)))
    assert result.returncode == 2
    assert "--size 80x24: a size goes with --snapshot PATH.svg, .html or .txt" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("before", [
    ("-c", "{config}", "--target", "t", "--read-only"),
    ("--config={config}", "--read-only", "--target=t"),
    ("-c{config}", "--read-only"),
])
def test_global_options_go_before_the_action_as_after_it(tmp_path: Path,
                                                         before: tuple[str, ...]) -> None:
    config = str(quiet_config(tmp_path))
    options = [word.format(config=config) for word in before]

    ahead = run(*options, "restart", "blazz-reverb")
    behind = run("restart", "blazz-reverb", *options)

    assert ahead.returncode == behind.returncode == 3, ahead.stderr
    assert "runs with --read-only: it changes nothing" in ahead.stdout
    assert ahead.stdout == behind.stdout


def test_the_output_format_goes_before_the_action_too(tmp_path: Path) -> None:
    import json

    result = run("-c", str(quiet_config(tmp_path)), "--format", "json", "sync", "--dry-run")
    assert json.loads(result.stdout)["result"]["outcome"] == "REFUSED"  # no database here


def test_an_option_the_action_does_not_take_is_named_before_it_as_after_it() -> None:
    result = run("--check", "restart", "blazz-reverb")
    assert result.returncode == 2
    assert "blazz-tui restart: error: unrecognized arguments: --check" in result.stderr

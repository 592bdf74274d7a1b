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

"""A failure of the dashboard itself leaves its traceback in a private file and one line."""

from __future__ import annotations

import stat
from pathlib import Path

from blazz_tui.crash import crash_line, write_crash_report


def test_the_traceback_goes_to_a_private_file_and_one_line_says_where(tmp_path: Path) -> None:
    try:
        raise KeyError("missing")
    except KeyError as exc:
        report = write_crash_report(exc, tmp_path / "state")
        line = crash_line(exc, report)
    assert report is not None and stat.S_IMODE(report.stat().st_mode) == 0o600
    assert "Traceback (most recent call last)" in report.read_text()
    assert line == (f"blazz-tui stopped on an internal error (KeyError: 'missing'); the "
                    f"traceback is in {report}")
    assert "\n" not in line

"""When the dashboard itself fails: the traceback goes to a file (0600: it may show values
from the configuration), and the terminal gets one line saying where."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path


def write_crash_report(error: BaseException, directory: Path) -> Path | None:
    """Write ``error``'s traceback to ``directory/crash-<time>.txt``; None if it cannot."""
    path = directory.expanduser() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("".join(traceback.format_exception(error)))
    except OSError:
        return None
    return path


def crash_line(error: BaseException, report: Path | None) -> str:
    where = f"the traceback is in {report}" if report else "the traceback could not be saved"
    return f"blazz-tui stopped on an internal error ({type(error).__name__}: {error}); {where}"

"""A plain `pip install .` ships every package: setuptools is given an explicit list."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_directory_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "blazz_tui").rglob("__init__.py")}
    found.add("blazz_tui.widgets")  # mapped from the top-level widgets/ folder
    assert found == listed

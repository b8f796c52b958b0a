"""Helpers shared by the tests: where the optional real public files live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_file(name: str) -> Path:
    """Path of a file in ../shared/data, or skip the test when it is not on this machine."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine (the shared data folder is optional)")
    return path


def shared_files() -> list[Path]:
    """Every CSV in ../shared/data (empty when the folder is absent)."""
    return sorted(SHARED_DATA.glob("*.csv")) if SHARED_DATA.exists() else []

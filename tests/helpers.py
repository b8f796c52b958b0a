"""Helpers shared by the tests: where the optional real public files live."""

from __future__ import annotations

import re
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


def plain(markdown: str) -> str:
    """Markdown the app escaped (``app_show.literal``) as the person sees it: without the backslashes."""
    # CommonMark escapes: a backslash before ASCII punctuation; word joiners (U+2060) are invisible.
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def plain_table(frame):
    """A table the app escaped for ``st.table``, with its text cells and row labels as shown."""
    shown = frame.map(lambda v: plain(v) if isinstance(v, str) else v)
    return shown.set_axis(frame.index.map(lambda v: plain(v) if isinstance(v, str) else v))

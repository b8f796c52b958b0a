"""Limits on the work one file may ask for, shared by the app and the command line."""

from __future__ import annotations

__all__ = ["MAX_COLUMNS", "MIN_ROWS"]

#: A header wider than this is almost always a wrong separator or a broken export, and parsing a
#: million-column line would exhaust memory long before it told the user anything useful.
MAX_COLUMNS = 2_000

#: Minimum number of customer rows for anything to be segmented.
MIN_ROWS = 2

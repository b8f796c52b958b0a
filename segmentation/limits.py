"""Limits on the work one file may ask for, shared by the app and the command line.

Every limit is checked before the work it bounds: a file's size before its bytes are read, a
workbook's unzipped size and cell count before its cells are parsed, the number of features after
encoding before a matrix is built. A file over a limit is refused with a :class:`DataError` that
says which limit and what to do, so a small hostile file (an Excel "zip bomb", a category column per
customer) cannot tie up the machine for minutes or exhaust its memory. The README lists them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from .errors import DataError
from .wording import clipped

__all__ = [
    "EXCEL_MAX_ROWS",
    "MAX_CENTRE",
    "MAX_COLUMNS",
    "MAX_FEATURES",
    "MAX_FEATURE_VALUES",
    "MAX_INPUT_BYTES",
    "MAX_RUN_CATEGORIES",
    "MAX_RUN_NUMBER",
    "MAX_WORKBOOK_BYTES",
    "MAX_WORKBOOK_CELLS",
    "MAX_WORKBOOK_TEXT_BYTES",
    "MIN_ROWS",
    "check_feature_budget",
    "read_limited",
]

#: A header wider than this is almost always a wrong separator or a broken export, and parsing a
#: million-column line would exhaust memory long before it told the user anything useful. Excel
#: workbooks are held to the same width.
MAX_COLUMNS = 2_000

#: Minimum number of customer rows for anything to be segmented.
MIN_ROWS = 2

#: Bytes read from one input file. The app's upload limit (``server.maxUploadSize``) is lower; this
#: bounds the command line, where a path may name a device or a pipe that never ends.
MAX_INPUT_BYTES = 2_000_000_000

#: Excel's own last row: a sheet whose rows go further was not written by a spreadsheet.
EXCEL_MAX_ROWS = 1_048_576

#: Bytes a workbook may hold once unzipped (all of its parts). A workbook is a ZIP of XML text
#: that usually compresses 5-10 times, but a crafted one expands a thousand times (1 MB -> 1 GB).
MAX_WORKBOOK_BYTES = 500_000_000

#: Cells written in the sheets read, and shared strings in a workbook. Reading a workbook costs
#: about 100 times more per cell than reading a CSV, so a big table is better saved as CSV.
MAX_WORKBOOK_CELLS = 5_000_000

#: Bytes of one text in a workbook's sheets or shared strings. Excel itself keeps at most 32,767
#: characters in a cell; with markup and escapes that stays well under this.
MAX_WORKBOOK_TEXT_BYTES = 1_000_000

#: Columns of the matrix that is segmented, once each category value is a 0/1 column. k-means
#: works on every one for every customer, every start and every K: a sweep over a thousand of them
#: already takes minutes, and a customer table rarely needs more than a few dozen.
MAX_FEATURES = 1_000

#: Numbers in that matrix (customers x features): 2 GB of 8-byte numbers.
MAX_FEATURE_VALUES = 250_000_000

#: Values a category column of a run file may list: the most the preparation ever encodes for a
#: column a user chose by name (an 80,000-category run file took 3.9 GB in scoring).
MAX_RUN_CATEGORIES = 50
#: Any number in a run file (a fill, a bound, a centre's coordinate, a scale) is at most this in size:
#: numbers beyond it are errors in a file, not customers' values (as when reading a file).
MAX_RUN_NUMBER = 1e15
#: A segment centre lies within this many of its feature's scaled units of 0: the data it was fitted
#: on is scaled, so a centre near 1e308 can only be a broken or forged file.
MAX_CENTRE = 1e6

#: Bytes read at a time from a pipe or a file whose size is not known in advance.
_READ_CHUNK = 16 << 20


def read_limited(path: str | os.PathLike, *, limit: int | None = None, what: str = "customer file") -> bytes:
    """The bytes of the file at ``path``, or a :class:`DataError` before more than ``limit`` bytes
    (default :data:`MAX_INPUT_BYTES`) are read.

    A regular file is refused from its size before anything is read; a pipe is read in chunks up to
    the limit. A device (``/dev/zero``, a terminal) is no file and is refused. ``what`` names the
    file in messages (``"customer file"``, ``"run file"``). Missing files and folders raise the usual
    ``FileNotFoundError`` / ``IsADirectoryError``, for the caller to word.

    Examples
    --------
    >>> read_limited("/dev/zero")
    Traceback (most recent call last):
    ...
    segmentation.errors.DataError: '/dev/zero' is a device, not a file. Give the path of the customer file.
    """
    limit = MAX_INPUT_BYTES if limit is None else limit
    shown = clipped(os.fspath(path), 200)
    with Path(path).open("rb") as source:
        info = os.fstat(source.fileno())
        if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) or stat.S_ISSOCK(info.st_mode):
            raise DataError(f"'{shown}' is a device, not a file. Give the path of the {what}.")
        regular = stat.S_ISREG(info.st_mode)
        if regular and info.st_size > limit:
            raise _too_big(shown, info.st_size, limit, what)
        chunks: list[bytes] = []
        total, ended = 0, False
        if regular and info.st_size:
            # One read for a regular file; its size is only a hint (a file still being written,
            # or one in /proc), so whatever follows is read in chunks like a pipe's.
            chunks.append(source.read(info.st_size + 1))
            total = len(chunks[0])
            ended = total <= info.st_size
        while not ended and total <= limit:
            chunk = source.read(min(_READ_CHUNK, limit + 1 - total))
            ended = not chunk
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise _too_big(shown, None, limit, what)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_big(shown: str, size: int | None, limit: int, what: str) -> DataError:
    larger = f"is {_size(size)}, more than" if size is not None else "is larger than"
    hint = " or use the Spark engine (--engine spark) for bigger tables" if what == "customer file" else ""
    return DataError(
        f"'{shown}' {larger} the {_size(limit)} a {what} may have here. Give a smaller {what} (only the rows "
        f"and columns you need){hint}."
    )


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def check_feature_budget(n_rows: int, n_features: int, *, widest: Mapping[str, int] | None = None) -> None:
    """Refuse, before the matrix is built, a table that encodes into too many features to segment.

    ``n_features`` counts the matrix's columns once every category value is a 0/1 column; at most
    :data:`MAX_FEATURES`, and ``n_rows * n_features`` at most :data:`MAX_FEATURE_VALUES`.

    Parameters
    ----------
    n_rows : int
        Customers to segment.
    n_features : int
        Columns of the matrix after encoding.
    widest : mapping of str to int, optional
        The columns that make the most features (name -> features), widest first, so the message
        can name those to leave out.

    Raises
    ------
    DataError
        Saying how many features the columns make, the limit, and which columns to leave out.

    Examples
    --------
    >>> check_feature_budget(2_000, 40)
    >>> check_feature_budget(2_000, 39_980, widest={"Region": 20, "Store": 20})
    Traceback (most recent call last):
    ...
    segmentation.errors.DataError: The chosen columns make 39,980 columns to segment on once each category value is a 0/1 column, more than the 1,000 k-means can work with here. Leave out the widest category columns ('Region' (20 values), 'Store' (20 values)): choose the columns to use (on the command line, --features).
    """
    if n_features <= MAX_FEATURES and n_rows * n_features <= MAX_FEATURE_VALUES:
        return
    named = ""
    if widest:
        shown = [f"'{clipped(name, 60)}' ({count:,} values)" for name, count in list(widest.items())[:4]]
        more = f" and {len(widest) - 4:,} more" if len(widest) > 4 else ""
        named = f" ({', '.join(shown)}{more})"
    what_to_do = (
        f"Leave out the widest category columns{named}: choose the columns to use (on the command line, --features)."
    )
    if n_features > MAX_FEATURES:
        raise DataError(
            f"The chosen columns make {n_features:,} columns to segment on once each category value is a 0/1 "
            f"column, more than the {MAX_FEATURES:,} k-means can work with here. {what_to_do}"
        )
    raise DataError(
        f"{n_rows:,} customers with {n_features:,} columns to segment on (each category value a 0/1 column) "
        f"are {n_rows * n_features:,} numbers, more than the {MAX_FEATURE_VALUES:,} this machine segments in "
        f"memory. {what_to_do} Or segment a sample of the customers, or use the Spark engine (--engine spark)."
    )

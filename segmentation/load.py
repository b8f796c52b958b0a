"""Read a customer file (CSV or Excel) into a table, whatever its dialect.

Marketers' exports come from many tools: ``;``-separated files with decimal commas from a German
Excel, tab-separated reports, UTF-8 files with a byte-order mark, cp1252 files with accents, workbooks
with several sheets. :func:`load_table` sniffs all of this and returns a :class:`Table` that keeps two
views of the same rows:

* ``raw``: every cell exactly as written in the file (text), so the labelled download gives the user
  their own values back, untouched;
* ``frame``: the typed view the analysis uses: numbers as floats (decimal comma understood), text
  stripped, the usual missing markers (``NA``, ``N/A``, ``?``, ``-``, ``null``...) as missing.

No row is ever dropped. Anything that cannot be a customer table raises :class:`DataError` with a
message the user can act on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .cells import sniff_decimal, typed_view, written_as_number
from .dates import date_order_notes
from .decode import ENCODING_NAMES
from .errors import DataError
from .limits import MAX_COLUMNS, MIN_ROWS, read_limited
from .read_excel import read_excel
from .read_text import DELIMITER_NAMES, megabytes, read_delimited
from .wording import clipped, short_list

__all__ = ["MAX_COLUMNS", "MIN_ROWS", "Table", "file_hash", "load", "load_table"]


@dataclass(frozen=True)
class Table:
    """A customer file as read, in two aligned views.

    Attributes
    ----------
    raw : DataFrame
        Every cell as written in the file (``str``; a short row's missing fields are ``""``). Row
        ``i`` of ``raw`` is row ``i`` of ``frame``; the index is ``0..n-1``.
    frame : DataFrame
        The typed view: numeric columns as ``float64`` (missing as NaN), other columns as ``str``
        with surrounding spaces removed and missing markers as missing.
    name : str
        The file name (or ``"data"``), used in messages and download names.
    file_hash : str
        SHA-256 of the file's bytes: the identity of the data in caches and run files.
    n_bytes : int
        Size of the file in bytes.
    format : str
        ``"csv"`` or ``"xlsx"``.
    delimiter, encoding, decimal : str
        What was sniffed (or given); for Excel files ``delimiter`` and ``encoding`` are ``""``.
    notes : tuple of str
        Plain-language remarks about the reading: renamed headers, a sheet chosen, a header row
        repeated inside the data, and so on.
    header_repeats : tuple of int
        Positions (0-based) of rows that repeat the header line; they are kept but carry no values.
    """

    raw: pd.DataFrame
    frame: pd.DataFrame
    name: str = "data"
    file_hash: str = ""
    n_bytes: int = 0
    format: str = "csv"
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    notes: tuple[str, ...] = ()
    header_repeats: tuple[int, ...] = field(default=())

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, name: str = "data") -> Table:
        """Wrap a DataFrame from a notebook as a Table (its cells, as text, are the raw view).

        Examples
        --------
        >>> Table.from_frame(pd.DataFrame({"Age": [31, 45], "Gender": ["F", "M"]})).frame["Age"].tolist()
        [31.0, 45.0]
        """
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        raw = frame.astype(str).where(frame.notna(), "")
        typed = {}
        for column in frame.columns:
            series = frame[column]
            if pd.api.types.is_bool_dtype(series):
                typed[column] = series.astype("float64")
            elif pd.api.types.is_numeric_dtype(series):
                typed[column] = series.astype("float64")
            elif pd.api.types.is_datetime64_any_dtype(series):
                typed[column] = series.dt.strftime("%Y-%m-%d")
            else:
                typed[column] = series.astype("str").str.strip().mask(series.isna())
        return cls(raw=raw, frame=pd.DataFrame(typed, index=frame.index), name=name)

    @property
    def n_rows(self) -> int:
        """Number of customer rows (the header not counted)."""
        return len(self.raw)

    @property
    def columns(self) -> list[str]:
        """Column names, after cleaning (stripped, blanks named, duplicates made unique)."""
        return list(self.raw.columns)

    @cached_property
    def customer_rows(self) -> np.ndarray:
        """Which rows hold any value (bool): a line of separators, a repeated header or a totals row holds none."""
        return self.frame.notna().any(axis=1).to_numpy()

    def describe_format(self) -> str:
        """One line saying how the file was read, e.g. ``"CSV, semicolon-separated, UTF-8"``."""
        if self.format == "xlsx":
            return "Excel workbook"
        parts = ["CSV", f"{DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated"]
        parts.append(ENCODING_NAMES.get(self.encoding, self.encoding))
        if self.decimal == ",":
            parts.append("decimal comma")
        return ", ".join(parts)


def file_hash(data: bytes) -> str:
    """Return the SHA-256 hex digest of ``data``, the identity of a file in caches and run files."""
    return hashlib.sha256(data).hexdigest()


def load(source: bytes | str | Path, **options) -> pd.DataFrame:
    """Read a customer CSV or Excel file into a typed DataFrame.

    A shortcut for ``load_table(source, **options).frame``; see :func:`load_table`.

    Examples
    --------
    >>> load(b"Age;Income\\n31;1.234,5\\n45;2.000\\n")["Income"].tolist()
    [1234.5, 2000.0]
    """
    return load_table(source, **options).frame


def load_table(
    source: bytes | str | Path,
    *,
    name: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
    min_rows: int = MIN_ROWS,
    on_stage: Callable[[str], None] | None = None,
) -> Table:
    """Read a customer file, sniffing its format, and return both raw and typed views.

    Parameters
    ----------
    source : bytes, str or Path
        The file's content, or a path to it.
    name : str, optional
        File name for messages; defaults to the path's name or ``"data"``.
    sep : str, optional
        Field separator. Sniffed among ``,`` ``;`` tab and ``|`` when not given; when none fits and
        the columns are separated by runs of spaces, those (``segmentation.read_text.SPACES``).
    encoding : str, optional
        Text encoding. Sniffed when not given: a byte-order mark (UTF-8 or UTF-16), then UTF-8,
        then Windows-1252, then Latin-1.
    sheet : str, optional
        For Excel workbooks, the sheet to read; defaults to the first sheet that holds data.
    max_bytes : int, optional
        Refuse files larger than this, with a message saying the limit.
    min_rows : int, default :data:`MIN_ROWS`
        Refuse files with fewer customer rows. Segmenting needs two; scoring new customers
        against saved segments works for one (``min_rows=1``).

    Returns
    -------
    Table

    Raises
    ------
    DataError
        If the file is empty, binary (an image, an archive, NUL bytes), a web page or JSON, has
        merge-conflict markers, an unclosed quote, every line wrapped in quotes, rows with more
        fields than the header, more than :data:`MAX_COLUMNS` columns, or fewer than ``min_rows``
        customer rows.

    Examples
    --------
    >>> table = load_table(b"CustomerID,Gender,Age\\n1,Male,19\\n2,Female,21\\n")
    >>> table.n_rows, table.columns
    (2, ['CustomerID', 'Gender', 'Age'])
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        shown = clipped(path, 200)
        try:
            data = read_limited(path)
        except FileNotFoundError:
            raise DataError(f"There is no file at '{shown}'. Check the path and try again.") from None
        except IsADirectoryError:
            raise DataError(f"'{shown}' is a folder, not a file. Give the path of the CSV file.") from None
        name = name or path.name
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise TypeError(f"source must be bytes or a path, not {type(source).__name__}")
    name = name or "data"

    if max_bytes is not None and len(data) > max_bytes:
        raise DataError(
            f"'{name}' is {megabytes(len(data))}, over the {megabytes(max_bytes)} limit. "
            "Upload a smaller export (fewer rows or only the columns you need)."
        )
    if not data or data.isspace():  # no copy of a big file's bytes, unlike data.strip()
        raise DataError(f"'{name}' is empty. Export the customer table again and upload the new file.")

    n_bytes = len(data)
    stage = on_stage or (lambda _name: None)
    stage("read bytes")
    # hashlib lets go of the GIL: a big file is hashed on the other core while it is decoded and checked.
    with ThreadPoolExecutor(1, thread_name_prefix="file-hash") as pool:
        hashing = pool.submit(file_hash, data)
        if data[:4] == b"PK\x03\x04":
            raw, notes = read_excel(data, name=name, sheet=sheet)
            fmt, delimiter, enc, decimal = "xlsx", "", "", "."
        else:
            raw, notes, delimiter, enc = read_delimited(data, name=name, sep=sep, encoding=encoding, on_stage=stage)
            fmt = "csv"
        digest = hashing.result()
    # A big file's bytes are as large as the file: let them go before typing.
    del data, source, hashing

    raw, more_notes, header_repeats = _clean_header_and_rows(raw, name=name, min_rows=min_rows)
    notes = notes + more_notes
    if fmt == "csv":
        decimal = sniff_decimal(raw, delimiter, notes=notes)
    stage("decimal mark, header")
    frame = typed_view(raw, decimal=decimal, blank_rows=header_repeats)
    stage("typed view")
    notes += date_order_notes(frame)
    totals = _totals_row(raw, frame)
    if totals is not None:
        # A spreadsheet's "Total" line would become a one-customer segment of its own.
        frame = frame.mask(np.broadcast_to((frame.index == totals)[:, None], frame.shape))
        label = next(v.strip() for v in raw.iloc[totals] if v.strip())
        notes.append(
            f"Row {totals + 1:,} ('{label}') looks like a totals row (it holds the sum of the rows above); "
            "it is kept in the download but not segmented."
        )
    stage("totals row")
    return Table(
        raw=raw,
        frame=frame,
        name=name,
        file_hash=digest,
        n_bytes=n_bytes,
        format=fmt,
        delimiter=delimiter,
        encoding=enc,
        decimal=decimal,
        notes=tuple(notes),
        header_repeats=tuple(header_repeats),
    )


# --------------------------------------------------------------------------------------------------
# Header and rows


def _clean_header_and_rows(
    raw: pd.DataFrame, *, name: str, min_rows: int = MIN_ROWS
) -> tuple[pd.DataFrame, list[str], list[int]]:
    if raw.shape[0] == 0:
        raise DataError(f"'{name}' is empty. Export the customer table again and upload the new file.")
    first = [str(v).strip() for v in raw.iloc[0]]
    notes: list[str] = []
    headerless = any(first) and all(written_as_number(v) for v in first if v)
    if headerless:
        header = [f"Column {i + 1}" for i in range(len(first))]
        body = raw
        notes.append(
            "The first line holds numbers, not column names, so it was kept as a customer row and "
            f"the columns were named {short_list(header, limit=2)}."
        )
    else:
        header = _unique_header(first, notes)
        body = raw.iloc[1:]
    body = body.reset_index(drop=True)
    body.columns = header
    if body.shape[0] == 0:
        raise DataError(
            f"'{name}' has column names ({short_list(header)}) but no customer rows. "
            "Export the table again with its data."
        )
    if body.shape[0] < min_rows:
        raise DataError(
            f"'{name}' has only {body.shape[0]} customer row; segmentation needs at least "
            f"{min_rows} (and usually hundreds). Upload the full customer table."
        )
    repeats = [] if headerless else _header_repeats(body, first)
    if repeats:
        rows = ", ".join(f"{r + 1:,}" for r in repeats[:5])
        notes.append(
            f"{len(repeats)} row(s) repeat the header line (row {rows}); they are kept in the "
            "download but have no values to segment."
        )
    return body, notes, repeats


_TOTAL_LABELS = frozenset(
    {
        "total",
        "totals",
        "grand total",
        "sum",
        "summe",
        "gesamt",
        "gesamtsumme",
        "somme",
        "total général",
        "totaal",
        "totale",
    }
)


def _totals_row(raw: pd.DataFrame, frame: pd.DataFrame) -> int | None:
    """The last filled row, if it is labelled like "Total" and holds the sum of a number column above it."""
    for row in range(len(raw) - 1, max(len(raw) - 4, 0), -1):  # past up to two trailing blank rows
        cells = [str(v).strip() for v in raw.iloc[row]]
        if any(cells):
            break
    else:
        return None
    label = next(c for c in cells if c).lower().rstrip(":").strip()
    if label not in _TOTAL_LABELS:
        return None
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values) or np.isnan(values.iloc[row]):
            continue
        above = values.iloc[:row].dropna()
        if len(above) >= 2 and abs(values.iloc[row] - above.sum()) <= 0.005 * max(abs(above.sum()), 1e-9):
            return row
    return None


def _unique_header(names: list[str], notes: list[str]) -> list[str]:
    header: list[str] = []
    blanks = []
    for i, value in enumerate(names):
        if not value:
            value = f"Column {i + 1}"
            blanks.append(value)
        header.append(value)
    if blanks:
        notes.append(f"{len(blanks)} column(s) had no name and were called {short_list(blanks)}.")
    seen: dict[str, int] = {}
    unique = []
    for value in header:
        if value in seen:
            seen[value] += 1
            new = f"{value} ({seen[value]})"
            while new in header or new in unique:
                seen[value] += 1
                new = f"{value} ({seen[value]})"
            notes.append(f"Two columns are called '{value}'; the later one is now '{new}'.")
            unique.append(new)
        else:
            seen[value] = 1
            unique.append(value)
    return unique


def _header_repeats(body: pd.DataFrame, header: list[str]) -> list[int]:
    if body.shape[1] == 0 or not any(header):
        return []
    first_col = body.iloc[:, 0]
    if header[0]:
        # A literal search finds the few rows that may hold the name, without a stripped copy of the column.
        first_col = first_col[first_col.str.contains(header[0], regex=False).to_numpy(dtype=bool)]
    candidates = first_col.index[(first_col.str.strip() == header[0]).to_numpy(dtype=bool)]
    repeats = []
    for row in candidates:
        values = [str(v).strip() for v in body.iloc[row]]
        if values == header:
            repeats.append(int(row))
    return repeats

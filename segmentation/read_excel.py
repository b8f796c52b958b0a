"""Read an Excel workbook (.xlsx) into cells: the first sheet with data, title rows above the table skipped.

A workbook is a ZIP of XML parts, and a crafted one expands a thousandfold (1 MB on disk, 1 GB of
text unzipped). So before a cell is parsed, the parts' unzipped sizes, the number of cells and shared
strings and the longest text are checked against :mod:`segmentation.limits`, from the ZIP's directory
and a fast pass over the bytes; then each sheet is read row by row as written in the file, so an
empty, formatted cell far to the right costs nothing, and reading stops at Excel's last row, at the
column limit and at the cell budget.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import IO

import numpy as np
import pandas as pd

from .errors import DataError
from .limits import (
    EXCEL_MAX_ROWS,
    MAX_COLUMNS,
    MAX_WORKBOOK_BYTES,
    MAX_WORKBOOK_CELLS,
    MAX_WORKBOOK_TEXT_BYTES,
    MIN_ROWS,
)
from .wording import clipped, number_list, short_list

__all__ = ["read_excel"]


def read_excel(data: bytes, *, name: str, sheet: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The cells of the workbook's customer sheet (as text, the header row first) and notes.

    Raises
    ------
    DataError
        If the bytes are a ZIP archive but no workbook, a damaged workbook, a workbook over a limit
        of :mod:`segmentation.limits`, or a workbook without data (or without the sheet asked for).
    """
    archive = _archive(data, name=name)
    _check_parts(archive, name=name)
    with _damaged_workbook(name):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        frame, chosen, notes = _customer_sheet(book, name=name, sheet=sheet)
    finally:
        book.close()
    frame, title_notes = _without_title_rows(frame, sheet=str(chosen))
    notes += title_notes
    frame = frame.dropna(axis=1, how="all")
    raw = frame.map(_excel_cell_text).astype(str)
    # Dates show without a time of day, unless some cell of the column has one (then all keep theirs).
    stamps = frame.map(lambda value: isinstance(value, datetime))
    for column in stamps.columns[stamps.any()]:
        text = raw.loc[stamps[column], column]
        if text.str.endswith(" 00:00:00").all():
            raw.loc[stamps[column], column] = text.str.removesuffix(" 00:00:00")
    raw = raw.reset_index(drop=True)
    raw.columns = range(raw.shape[1])
    return raw, notes


def _customer_sheet(book, *, name: str, sheet: str | None) -> tuple[pd.DataFrame, str, list[str]]:
    """The sheet asked for, or the first one holding a table; sheets after it are not read."""
    sheets = {ws.title: ws for ws in book.worksheets}
    budget = _CellBudget(name)
    if sheet is not None:
        if sheet not in sheets:
            raise DataError(
                f"The workbook has no sheet called '{clipped(sheet, 60)}'. Its sheets are: "
                f"{short_list([clipped(s, 60) for s in sheets], limit=10)}."
            )
        return _sheet_frame(book, sheets[sheet], budget), sheet, []
    first_with_data = None
    chosen = None
    for title, ws in sheets.items():
        frame = _sheet_frame(book, ws, budget)
        if len(frame) and first_with_data is None:
            first_with_data = (title, frame)
        # A cover sheet (a title, a date) often comes first: prefer the first sheet holding a table.
        if len(frame) > MIN_ROWS:
            chosen = (title, frame)
            break
    chosen = chosen or first_with_data
    if chosen is None:
        raise DataError(f"Every sheet of '{name}' is empty. Put the customer table in the first sheet.")
    notes = []
    if len(sheets) > 1:
        notes.append(
            f"The workbook has {len(sheets)} sheets ({short_list([clipped(s, 60) for s in sheets], limit=10)}); "
            f"the customers were read from '{clipped(chosen[0], 60)}', the first one with a table."
        )
    return chosen[1], chosen[0], notes


#: At most this many rows above a sheet's column names are taken for a title.
_MAX_TITLE_ROWS = 5


def _without_title_rows(frame: pd.DataFrame, *, sheet: str) -> tuple[pd.DataFrame, list[str]]:
    """The sheet without the title above its table ("Customer export March 2024"), and a note.

    Reports often start with a title, a date or a filter line, each in a single cell, then the
    column names. Leading rows with one filled cell are dropped when the row after them looks like
    those column names: two or more text cells, as many as the widest of the rows below it, none of
    them repeated as a value below it, and when the title reads like one (words, a blank row under
    it, or numbers in the table). Anything else is left as it is, so a customer row is not taken for
    a title.

    ``frame`` holds the sheet's non-blank rows; its index is the sheet row number minus one.
    """
    head = frame.iloc[: _MAX_TITLE_ROWS + 1]
    filled = [[not _blank_cell(v) for v in row] for row in head.itertuples(index=False)]
    titles = 0
    while titles < len(filled) and sum(filled[titles]) == 1:
        titles += 1
    if titles == 0 or titles == len(filled):
        return frame, []
    header = [v for v, is_filled in zip(head.iloc[titles], filled[titles], strict=True) if is_filled]
    below = frame.iloc[titles + 1 : titles + 51]
    widest = max((sum(not _blank_cell(v) for v in row) for row in below.itertuples(index=False)), default=0)
    if len(header) < 2 or not all(isinstance(v, str) for v in header) or len(header) < widest:
        return frame, []
    lines = [
        next(str(v).strip() for v in row if not _blank_cell(v)) for row in head.iloc[:titles].itertuples(index=False)
    ]
    # Column names do not come back as values below them; a customer's "F" or "Paris" usually does.
    header_row = head.iloc[titles]
    if any(
        not _blank_cell(name) and (below[column].astype("str").str.strip() == str(name).strip()).any()
        for column, name in header_row.items()
    ):
        return frame, []
    # And a title reads like one: words, a blank row under it, or numbers in the table below.
    gap = int(frame.index[titles]) > int(frame.index[titles - 1]) + 1
    numbers_below = any(isinstance(v, int | float) and not _blank_cell(v) for v in below.to_numpy().ravel())
    if not (gap or numbers_below or any(" " in line for line in lines)):
        return frame, []
    rows = [int(i) + 1 for i in frame.index[:titles]]
    what = f"Row {rows[0]}" if titles == 1 else f"Rows {number_list(rows)}"
    note = (
        f"{what} of sheet '{sheet}' ({short_list([clipped(t, 60) for t in lines], limit=2)}) "
        f"{'is' if titles == 1 else 'are'} a title above the table, not customers: skipped, and the column "
        f"names were read from row {int(frame.index[titles]) + 1}."
    )
    return frame.iloc[titles:], [note]


def _blank_cell(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _archive(data: bytes, *, name: str) -> zipfile.ZipFile:
    """The workbook's ZIP archive; a ZIP that holds no workbook is refused here."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise DataError(
            f"'{name}' starts like a ZIP archive or an Excel workbook, but it is damaged (perhaps cut short by a "
            "failed download). Export or download it again."
        ) from None
    names = archive.namelist()
    if "[Content_Types].xml" not in names and not any(n.startswith("xl/") for n in names):
        raise DataError(f"'{name}' is a ZIP archive, not a CSV or Excel workbook. Unzip it and upload the CSV inside.")
    return archive


#: Bytes inflated at a time by the pass over a workbook's parts; smaller than the longest text
#: allowed, so a text over the limit always spans a chunk's end, where it is measured.
_SCAN_CHUNK = 256 << 10

_SAVE_AS_CSV = "Save the sheet as CSV (in Excel: File > Save As > CSV UTF-8) and upload that."


def _check_parts(archive: zipfile.ZipFile, *, name: str) -> None:
    """Refuse a workbook over the limits before any of its XML is parsed.

    The ZIP's directory gives each part's unzipped size, which the reader cannot exceed (Python's
    ``zipfile`` stops there and checks the CRC); one pass over the XML then counts the cells of each
    sheet and the shared strings, and measures the longest text. Parts under ``customXml/`` (where
    Power Query keeps long encoded blobs) are not cells and are not read by the loader.
    """
    parts = archive.infolist()
    unzipped = sum(part.file_size for part in parts)
    if unzipped > MAX_WORKBOOK_BYTES:
        raise DataError(
            f"'{name}' unzips to {unzipped / 1e6:,.0f} MB of spreadsheet text, more than the "
            f"{MAX_WORKBOOK_BYTES / 1e6:,.0f} MB a workbook may hold here (an .xlsx file is compressed; "
            f"this one expands {unzipped / max(1, sum(p.compress_size for p in parts)):,.0f} times). {_SAVE_AS_CSV}"
        )
    strings = 0
    for part in parts:
        path = part.filename
        if not path.lower().endswith((".xml", ".rels")) or path.startswith("customXml/"):
            continue
        with _damaged_workbook(name), archive.open(part) as source:
            scan = _scan_part(source)
        if scan.longest_text > MAX_WORKBOOK_TEXT_BYTES:
            raise DataError(
                f"'{name}' holds a text of more than {MAX_WORKBOOK_TEXT_BYTES / 1e6:,.0f} MB (in its part "
                f"'{clipped(path, 60)}'), while an Excel cell holds at most 32,767 characters: the workbook was "
                f"not saved by Excel, or is damaged. {_SAVE_AS_CSV}"
            )
        if "/worksheets/" in path and scan.cells > MAX_WORKBOOK_CELLS:
            raise _too_many_cells(name, scan.cells)
        strings += scan.shared_strings
        if strings > MAX_WORKBOOK_CELLS:
            raise DataError(
                f"'{name}' holds more than {MAX_WORKBOOK_CELLS:,} different texts (shared strings), more than a "
                f"workbook may hold here. {_SAVE_AS_CSV}"
            )


def _too_many_cells(name: str, cells: int) -> DataError:
    return DataError(
        f"'{name}' has {cells:,} cells or more, more than the {MAX_WORKBOOK_CELLS:,} a workbook may hold here "
        f"(reading a workbook is much slower than reading a CSV). {_SAVE_AS_CSV}"
    )


class _Scan:
    """What one pass over an XML part found: cells, shared strings, the longest text (bytes)."""

    __slots__ = ("cells", "longest_text", "shared_strings")

    def __init__(self) -> None:
        self.cells = self.shared_strings = self.longest_text = 0


def _scan_part(source: IO[bytes]) -> _Scan:
    """Count cell and shared-string tags and measure the longest run of text, a chunk at a time.

    Plain byte counts, no XML parsing: fast enough to run before the parser (a tenth of its time).
    A tag cut by a chunk's end is carried to the next chunk; a text is measured between two ``<``.
    """
    scan = _Scan()
    carry = b""
    run = 0  # bytes since the last "<"
    # Past any limit, the rest of the part would change no answer.
    while max(scan.cells, scan.shared_strings) <= MAX_WORKBOOK_CELLS and scan.longest_text <= MAX_WORKBOOK_TEXT_BYTES:
        chunk = source.read(_SCAN_CHUNK)
        if not chunk:
            break
        first = chunk.find(b"<")
        if first < 0:
            run += len(chunk)
        else:
            scan.longest_text = max(scan.longest_text, run + first)
            run = len(chunk) - chunk.rfind(b"<") - 1
        scan.longest_text = max(scan.longest_text, run)
        data = carry + chunk
        cut = data.rfind(b"<", max(0, len(data) - 4))
        body, carry = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
        scan.cells += body.count(b"<c ") + body.count(b"<c>")
        scan.shared_strings += body.count(b"<si>") + body.count(b"<si ")
    return scan


class _CellBudget:
    """Cells parsed so far from the sheets of one workbook, against :data:`MAX_WORKBOOK_CELLS`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cells = 0

    def spend(self, cells: int) -> None:
        self.cells += cells
        if self.cells > MAX_WORKBOOK_CELLS:
            raise _too_many_cells(self.name, self.cells)


def _sheet_frame(book, sheet, budget: _CellBudget) -> pd.DataFrame:
    """A sheet's rows that hold a value, as objects; the index is the sheet's row number minus one.

    Error cells (``#DIV/0!``, ``#N/A``) keep their text: ``pandas.read_excel`` turns them into empty
    cells, which would change the user's cells in the download and hide them from the audit.
    """
    index: list[int] = []
    rows: list[list[object]] = []
    width = 0
    for number, cells in _sheet_rows(book, sheet, name=budget.name):
        budget.spend(len(cells))
        filled = [(cell["column"], cell["value"]) for cell in cells if cell["value"] is not None]
        if not filled:
            continue  # a row of empty, formatted cells: nothing to read
        last = max(column for column, _ in filled)
        if last > MAX_COLUMNS:
            raise DataError(
                f"Sheet '{clipped(sheet.title, 60)}' of '{budget.name}' has a value in column {last:,} (row "
                f"{number:,}); a customer table has at most {MAX_COLUMNS:,} columns. Delete what lies to the "
                "right of the table, or save the sheet as CSV with only the columns you need."
            )
        row: list[object] = [None] * last
        for column, value in filled:
            row[column - 1] = value
        rows.append(row)
        index.append(number - 1)
        width = max(width, last)
    # Rows end at their last value: pad them (pandas 4 will not).
    return pd.DataFrame([row + [None] * (width - len(row)) for row in rows], index=index, dtype=object)


def _sheet_rows(book, sheet, *, name: str) -> Iterator[tuple[int, list[dict]]]:
    """The sheet's rows as openpyxl parses them in read-only mode: (row number, written cells).

    ``ReadOnlyWorksheet.iter_rows`` pads every row to its last written cell (16,384 wide for one
    formatted cell in column XFD) and yields every missing row number up to the next one (a
    thousand billion for a row numbered so), so its own parser is used here, on the same part, with
    the same shared strings and date formats, and the rows are taken as written.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    with _damaged_workbook(name), book._archive.open(sheet._worksheet_path) as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            if number > EXCEL_MAX_ROWS:
                raise DataError(
                    f"Sheet '{clipped(sheet.title, 60)}' of '{name}' has a row numbered {number:,}, past Excel's "
                    f"last row ({EXCEL_MAX_ROWS:,}): the workbook was not saved by Excel, or is damaged. "
                    f"{_SAVE_AS_CSV}"
                )
            yield number, cells


#: What openpyxl and the XML and ZIP readers raise for a workbook whose parts are broken: invalid XML,
#: a missing part ("no valid workbook part" is an OSError; the bytes are in memory, so no disk error
#: can be among them), a shared string that is not there, a cell reference like "ZZZZ1". Memory
#: errors and the limits' own DataError are not among them: they must never read as "damaged".
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    AttributeError,
    SyntaxError,
    TypeError,
    ValueError,
)


@contextlib.contextmanager
def _damaged_workbook(name: str) -> Iterator[None]:
    """Turn the errors of a broken workbook into one DataError naming the file."""
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        yield
    except DataError:
        raise
    except (*_DAMAGED, InvalidFileException) as error:
        detail = clipped(f"{type(error).__name__}: {' '.join(str(error).split())}", 120)
        raise DataError(
            f"'{name}' is an Excel workbook that cannot be read: it is damaged or was not saved by Excel "
            f"({detail}). Open it in Excel and save it again, or save the sheet as CSV, and upload the new file."
        ) from None


def _excel_cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)

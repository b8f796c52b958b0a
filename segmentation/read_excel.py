"""Read an Excel workbook (.xlsx) into cells: the first sheet with data, title rows above the table skipped."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pandas as pd

from .errors import DataError
from .limits import MIN_ROWS
from .wording import clipped, number_list, short_list

__all__ = ["read_excel"]


def read_excel(data: bytes, *, name: str, sheet: str | None) -> tuple[pd.DataFrame, list[str]]:
    try:
        sheets = _excel_sheets(data)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a zip that is not a workbook
        raise DataError(
            f"'{name}' is a ZIP archive, not a CSV or Excel workbook. Unzip it and upload the CSV inside."
        ) from None
    notes = []
    if sheet is not None:
        if sheet not in sheets:
            raise DataError(f"The workbook has no sheet called '{sheet}'. Its sheets are: {', '.join(sheets)}.")
        chosen = sheet
    else:
        filled = {s: f.dropna(how="all").shape[0] for s, f in sheets.items()}
        with_data = [s for s, rows in filled.items() if rows > 0]
        if not with_data:
            raise DataError(f"Every sheet of '{name}' is empty. Put the customer table in the first sheet.")
        # A cover sheet (a title, a date) often comes first: prefer the first sheet holding a table.
        tables = [s for s in with_data if filled[s] > MIN_ROWS]
        chosen = (tables or with_data)[0]
        if len(sheets) > 1:
            notes.append(
                f"The workbook has {len(sheets)} sheets ({', '.join(map(str, sheets))}); "
                f"the customers were read from '{chosen}', the first one with a table."
            )
    frame, title_notes = _without_title_rows(sheets[chosen].dropna(how="all"), sheet=str(chosen))
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


def _excel_sheets(data: bytes) -> dict[str, pd.DataFrame]:
    """Every worksheet's cell values; error cells (``#DIV/0!``, ``#N/A``) keep their text.

    ``pandas.read_excel`` turns error cells into empty ones, which would change the user's cells in
    the download and hide them from the audit.
    """
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        sheets = {}
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # some writers store wrong dimensions; read what is there
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            width = max(map(len, rows), default=0)  # rows end at their last cell: pad them, as pandas 4 will not
            sheets[sheet.title] = pd.DataFrame([row + [None] * (width - len(row)) for row in rows], dtype=object)
        return sheets
    finally:
        book.close()


def _excel_cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)

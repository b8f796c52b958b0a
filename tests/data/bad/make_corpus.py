"""Generate the big or binary part of the bad-file corpus into ``tests/data/bad/generated/``.

The small hostile files next to this script are committed as they are. The ones that are big (a
million-column line, megabyte cells, a file over the upload limit) or binary (Excel workbooks) are
written by :func:`generate` instead, so the repository stays small and every byte of them can be read
here. ``tests/test_bad_files.py`` calls :func:`generate` from a session fixture; to look at the files
by hand, run ``python tests/data/bad/make_corpus.py``. The folder is git-ignored.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "generated"

#: Columns in the million-column lines.
WIDE_FIELDS = 1_000_000
#: Characters in each of the long cells.
LONG_CELL = 1_000_000
#: Size the over-the-limit file reaches; the tests load it with a 5 MB limit.
OVER_LIMIT_BYTES = 6_000_000

_HEADER = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)"


def generate(folder: Path = GENERATED) -> list[Path]:
    """Write every generated corpus file into ``folder`` and return their paths (sorted).

    Files are rewritten each time, so a change to this script always reaches the tests.
    """
    folder.mkdir(parents=True, exist_ok=True)
    writers = {
        "wide_header_1m_columns.csv": _wide_header,
        "wide_data_row_1m_fields.csv": _wide_data_row,
        "long_cells.csv": _long_cells,
        "over_upload_limit.csv": _over_limit,
        "xlsx_several_sheets.xlsx": _xlsx_several_sheets,
        "xlsx_cover_sheet_first.xlsx": _xlsx_cover_sheet_first,
        "xlsx_errors_dates_formulas.xlsx": _xlsx_errors_dates_formulas,
        "xlsx_empty_workbook.xlsx": _xlsx_empty,
        "xlsx_header_only.xlsx": _xlsx_header_only,
        "xlsx_formatted_to_column_xfd.xlsx": _xlsx_formatted_to_column_xfd,
        "xlsx_value_in_column_xfd.xlsx": _xlsx_value_in_column_xfd,
        "xlsx_row_past_excel_limit.xlsx": _xlsx_row_past_excel_limit,
    }
    paths = []
    for name, write in writers.items():
        path = folder / name
        path.write_bytes(write())
        paths.append(path)
    return sorted(paths)


def _customer_rows(n: int) -> list[str]:
    """``n`` plausible customer rows, the same every time (no randomness)."""
    rows = []
    for i in range(n):
        gender = "Female" if i % 5 in (0, 2, 3) else "Male"
        age = 18 + (i * 7) % 53
        income = 15 + (i * 13) % 123
        score = 1 + (i * 29) % 99
        rows.append(f"{i + 1},{gender},{age},{income},{score}")
    return rows


def _wide_header() -> bytes:
    # An export that lost its line breaks, or a column-per-day log: one line, a million fields.
    header = ",".join(f"c{i}" for i in range(WIDE_FIELDS))
    values = ",".join("1" for _ in range(WIDE_FIELDS))
    return f"{header}\n{values}\n{values}\n".encode()


def _wide_data_row() -> bytes:
    # A sane header and rows, then one line where something pasted a million values.
    rows = _customer_rows(4)
    wide = ",".join(str(i % 10) for i in range(WIDE_FIELDS))
    return "\n".join([_HEADER, rows[0], wide, *rows[1:]]).encode() + b"\n"


def _long_cells() -> bytes:
    # Free-text cells of a megabyte (a pasted e-mail thread, a base64 image), one number of a
    # million digits, and ordinary columns beside them.
    note = ("Lorem ipsum, dolor; sit|amet\t" * (LONG_CELL // 29 + 1))[:LONG_CELL]
    quoted = '"' + note.replace('"', '""') + '"'
    digits = "9" * LONG_CELL
    lines = [
        "CustomerID,Age,Spend,Note",
        f"1,31,40,{quoted}",
        "2,45,52,short",
        f"3,22,{digits},{quoted}",
        "4,60,70,",
        f"5,33,35,{'x' * LONG_CELL}",
        "6,52,90,ok",
    ]
    return ("\n".join(lines) + "\n").encode()


def _over_limit() -> bytes:
    line_bytes = len(_customer_rows(1)[0]) + 10
    rows = _customer_rows(OVER_LIMIT_BYTES // line_bytes * 2)
    text = _HEADER + "\n" + "\n".join(rows) + "\n"
    data = text.encode()
    assert len(data) > OVER_LIMIT_BYTES, len(data)
    return data


def _workbook_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_several_sheets() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Empty"
    customers = book.create_sheet("Customers")
    customers.append(["CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"])
    for row in _customer_rows(12):
        cid, gender, age, income, score = row.split(",")
        customers.append([int(cid), gender, int(age), float(income) + 0.5, int(score)])
    summary = book.create_sheet("Summary")
    summary.append(["Gender", "Customers"])
    summary.append(["Female", 7])
    summary.append(["Male", 5])
    return _workbook_bytes(book)


def _xlsx_cover_sheet_first() -> bytes:
    # Many CRM exports open with a cover sheet: a title and a date, the table on the next sheet.
    from openpyxl import Workbook

    book = Workbook()
    cover = book.active
    cover.title = "Read me"
    cover["A1"] = "Customer export, all regions"
    customers = book.create_sheet("Customers")
    customers.append(["CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"])
    for row in _customer_rows(10):
        cid, gender, age, income, score = row.split(",")
        customers.append([int(cid), gender, int(age), int(income), int(score)])
    return _workbook_bytes(book)


def _xlsx_errors_dates_formulas() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Customers"
    sheet.append(["Name", "Signup", "Last visit", "Spend", "Website"])
    rows = [
        ("Ana", date(2023, 1, 5), datetime(2024, 1, 5, 14, 30), 40, "plain.example"),
        ("Bo", date(2023, 2, 11), datetime(2024, 2, 3), "#DIV/0!", '=HYPERLINK("http://evil.example")'),
        ("Cy", date(2022, 12, 31), datetime(2023, 12, 31), 18.25, "@SUM(A1)"),
        ("Di", date(2023, 3, 15), datetime(2024, 1, 15), "#N/A", "+cmd|x"),
        ("Ed", date(2023, 6, 1), datetime(2024, 3, 1), 70, "-2+3"),
        ("Fay", date(2021, 7, 9), datetime(2024, 4, 9), 95.5, "ok"),
    ]
    for row in rows:
        sheet.append(list(row))
    # openpyxl would store the formula-looking strings as formulas (read back empty without a cached
    # value); a text cell is what a spreadsheet holds when a user typed them into a text column.
    for cell in sheet["E"][1:]:
        cell.data_type = "s"
    return _workbook_bytes(book)


def _xlsx_empty() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.create_sheet("Sheet2")
    return _workbook_bytes(book)


def _xlsx_header_only() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["CustomerID", "Gender", "Age"])
    return _workbook_bytes(book)


#: Rows of the workbook whose every row is formatted out to column XFD.
FORMATTED_ROWS = 500


def _xlsx_formatted_to_column_xfd() -> bytes:
    # Formatting whole rows in some tools writes an empty, styled cell in Excel's last column.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.append(["Age", "Spend"])
    for i in range(FORMATTED_ROWS):
        sheet.append([18 + i % 53, 10 + (i * 7) % 90])
    for row in range(1, FORMATTED_ROWS + 2):
        sheet.cell(row=row, column=16_384).font = Font(bold=True)
    return _workbook_bytes(book)


def _xlsx_value_in_column_xfd() -> bytes:
    # A stray value far to the right of the table, in Excel's last column.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in ["Age", "Spend"], [31, 40], [45, 52], [22, 18]:
        sheet.append(row)
    sheet.cell(row=3, column=16_384, value="stray")
    return _workbook_bytes(book)


def _xlsx_row_past_excel_limit() -> bytes:
    # A row numbered past Excel's last (1,048,576): no spreadsheet wrote it; openpyxl will not either,
    # so the sheet's XML is edited.
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    for row in ["Age", "Spend"], [31, 40], [45, 52], [22, 18], [60, 70]:
        book.active.append(row)
    source = zipfile.ZipFile(io.BytesIO(_workbook_bytes(book)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'r="5"', b'r="2000000"').replace(b'r="A5"', b'r="A2000000"')
                content = content.replace(b'r="B5"', b'r="B2000000"')
            target.writestr(item, content)
    return buffer.getvalue()


if __name__ == "__main__":
    for path in generate():
        print(f"{path.stat().st_size:>12,}  {path.relative_to(HERE)}")

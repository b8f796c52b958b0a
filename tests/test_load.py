"""Loading: every sniffing case, and each bad file refused with a message a marketer can act on."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from helpers import shared_file

from segmentation import DataError, load, load_table, prepare
from segmentation.dates import DEFAULT_DATE_ORDER, day_month_order
from segmentation.decode import decode
from segmentation.limits import MAX_COLUMNS


@pytest.mark.parametrize(
    ("text", "sep"),
    [
        ("Name,Age,Income\nAna,31,40\nBo,45,52\n", ","),
        ("Name;Age;Income\nAna;31;40\nBo;45;52\n", ";"),
        ("Name\tAge\tIncome\nAna\t31\t40\nBo\t45\t52\n", "\t"),
        ("Name|Age|Income\nAna|31|40\nBo|45|52\n", "|"),
    ],
)
def test_delimiter_is_sniffed(text, sep):
    table = load_table(text.encode())
    assert table.delimiter == sep
    assert table.columns == ["Name", "Age", "Income"]
    assert table.frame["Income"].tolist() == [40.0, 52.0]


def test_decimal_comma_with_semicolons():
    table = load_table(b"Kunde;Umsatz;Alter\nA;1.234,5;31\nB;2.000;45\nC;3,25;50\n")
    assert table.decimal == ","
    assert table.frame["Umsatz"].tolist() == [1234.5, 2000.0, 3.25]
    assert table.raw["Umsatz"].tolist() == ["1.234,5", "2.000", "3,25"]  # the original text is kept
    assert "decimal comma" in table.describe_format()


def test_dot_thousands_are_thousands_when_the_file_has_decimal_commas():
    data = b"Kunde;Umsatz;Rabatt\nA;1.500;12,5\nB;12.345,67;3,25\nC;1.234.567;1,5\nD;800;0,5\n"
    table = load_table(data)
    assert table.decimal == ","
    assert table.frame["Umsatz"].tolist() == [1500.0, 12345.67, 1234567.0, 800.0]
    assert table.notes == ()  # the decimal commas decide: nothing was guessed


def test_semicolon_file_of_whole_thousands_reads_the_dots_as_thousands_and_says_so():
    # Only "1.500"-like numbers: fifteen hundred, or one and a half? Excel writes ";" files where the
    # decimal mark is a comma, so the dots separate thousands; the note says so and how to change it.
    table = load_table(b"Kunde;Umsatz;Alter\nA;1.500;31\nB;2.300;45\nC;12.000;50\n")
    assert table.decimal == ","
    assert table.frame["Umsatz"].tolist() == [1500.0, 2300.0, 12000.0]
    assert table.frame["Alter"].tolist() == [31.0, 45.0, 50.0]
    (note,) = table.notes
    assert "'1.500' (in 'Umsatz')" in note and "'.' as the thousands separator" in note and "is 1500" in note
    assert "If '1.500' means 1.5" in note and "('1.5')" in note


def test_mall_incomes_in_euros_written_by_a_german_excel(mall_path):
    # The real file, rewritten in memory as a German Excel would save it: ";" and "15.000" for 15000.
    mall = pd.read_csv(mall_path)
    euros = mall.assign(**{"Annual Income (k$)": mall["Annual Income (k$)"] * 1000})
    text = euros.to_csv(sep=";", index=False)
    text = "\n".join(
        ";".join(
            f"{int(v):,}".replace(",", ".") if i == 3 and v.isdigit() else v for i, v in enumerate(line.split(";"))
        )
        for line in text.splitlines()
    )
    table = load_table(text.encode(), name="mall_de.csv")
    assert table.raw["Annual Income (k$)"].iloc[0] == "15.000"
    assert table.frame["Annual Income (k$)"].tolist() == euros["Annual Income (k$)"].astype(float).tolist()
    assert any("thousands separator" in note for note in table.notes)


def test_comma_file_of_three_decimal_numbers_reads_decimals_and_says_so():
    table = load_table(b"Customer,Weight\nA,1.500\nB,2.300\nC,12.000\n")
    assert table.decimal == "."
    assert table.frame["Weight"].tolist() == [1.5, 2.3, 12.0]
    (note,) = table.notes
    assert "'.' as the decimal mark" in note and "If '1.500' means 1500" in note and "('1500')" in note


@pytest.mark.parametrize(
    ("data", "decimal", "values"),
    [
        # A leading zero cannot start a thousands group: "0,500" is a half, so is "1,500" then.
        (b"Kunde;Anteil\nA;0,500\nB;1,250\nC;2,000\n", ",", [0.5, 1.25, 2.0]),
        (b"Customer;Share\nA;0.500\nB;1.250\nC;2.000\n", ".", [0.5, 1.25, 2.0]),
        # Two groups of three can only be thousands.
        (b"Customer|Spend\nA|1.234.567\nB|2.500\nC|3.000\n", ",", [1234567.0, 2500.0, 3000.0]),
        # Currency and percent signs do not hide the decimal comma.
        ("Kunde;Umsatz;Rabatt\nA;1.500 €;12,50 €\nB;2.300 €;3,25 €\nC;800 €;1,5 %\n".encode(), ",", None),
    ],
)
def test_numbers_that_can_only_be_read_one_way_decide_the_decimal_mark(data, decimal, values):
    table = load_table(data)
    assert table.decimal == decimal
    if values is not None:
        assert table.frame.iloc[:, 1].tolist() == values
    assert not any("decimal mark" in note for note in table.notes)


def test_currency_amounts_with_thousands_dots_are_read_as_thousands():
    data = "Kunde;Umsatz;Rabatt\nA;1.500 €;12,50 €\nB;2.300 €;3,25 €\nC;12.345,67 €;1,5 €\nD;800 €;2 €\n"
    prepared = prepare(load_table(data.encode()))
    assert prepared.values["Umsatz"].tolist() == [1500.0, 2300.0, 12345.67, 800.0]
    assert prepared.values["Rabatt"].tolist() == [12.5, 3.25, 1.5, 2.0]


def test_decimal_commas_after_the_first_rows_still_decide():
    # 2,500 rows of "1.500"-like amounts first: the decimal commas further down are the evidence.
    rows = "".join(f"K{i}|{1 + i % 9}.500|{i % 50}\n" for i in range(2_500))
    table = load_table(f"Kunde|Umsatz|Punkte\n{rows}X|1.200|12,5\nY|3.000|7,25\n".encode())
    assert table.decimal == ","
    assert table.frame["Umsatz"].iloc[[0, -1]].tolist() == [1500.0, 3000.0]
    assert table.frame["Punkte"].iloc[[0, -1]].tolist() == [0.0, 7.25]
    assert table.notes == ()


def test_thousands_separators_with_decimal_point():
    table = load_table(b'Name,Spend\nA,"1,234.50"\nB,"2,000.25"\nC,17.5\n')
    assert table.decimal == "."
    assert table.frame["Spend"].tolist() == [1234.5, 2000.25, 17.5]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_encoding_is_sniffed(encoding, expected):
    data = "Nom,Ville,Âge\nJosé,Zürich,31\nFrançoise,Köln,45\n".encode(encoding)
    table = load_table(data)
    assert table.encoding == expected
    assert table.columns == ["Nom", "Ville", "Âge"]
    assert table.frame["Nom"].tolist() == ["José", "Françoise"]


def test_utf8_bom_file_with_stray_windows_bytes_keeps_them_and_says_so():
    # Before, the stray bytes became "\ufffd": 'Renée' was changed in the download, silently.
    data = "\ufeffName,City,Age\nJosé,Zürich,31\n".encode() + b"Ren\xe9e,Nice,22\nAn,B\xe9ziers,40\n"
    table = load_table(data, name="bom.csv")
    assert table.encoding == "utf-8-sig"
    assert table.raw["Name"].tolist() == ["José", "Renée", "An"]
    assert table.raw["City"].tolist() == ["Zürich", "Nice", "Béziers"]
    assert not table.raw.apply(lambda column: column.str.contains("\ufffd")).any().any()
    (note,) = table.notes
    assert "'bom.csv' is UTF-8 text except for 2 byte(s) on line(s) 3, 4" in note and "'Renée'" in note


def test_utf8_file_with_stray_windows_bytes_names_them_too():
    data = "Name,Age\nJosé,31\nChloë,40\n".encode() + b"Ren\xe9e,22\n"
    table = load_table(data, name="plain.csv")
    assert table.encoding == "utf-8"
    assert table.raw["Name"].tolist() == ["José", "Chloë", "Renée"]
    assert any("1 byte(s) on line(s) 4" in note for note in table.notes)


def test_utf8_bom_on_a_windows_1252_file_is_read_as_windows_1252():
    data = b"\xef\xbb\xbf" + "Nom,Ville,Âge\nRenée,Nîmes,22\nAnaïs,Béziers,40\n".encode("cp1252")
    table = load_table(data, name="mark.csv")
    assert table.encoding == "cp1252"
    assert table.columns == ["Nom", "Ville", "Âge"]
    assert table.raw["Ville"].tolist() == ["Nîmes", "Béziers"]
    assert any("byte-order mark, but its text is not UTF-8" in note for note in table.notes)


def test_utf16_file_cut_in_the_middle_of_a_character_says_so():
    data = "Name,Age\nAnn,31\nBo,45\n".encode("utf-16")[:-1]
    table = load_table(data, name="cut.csv")
    assert table.raw["Name"].tolist() == ["Ann", "Bo"]
    assert any("1 character(s) of 'cut.csv' could not be read as UTF-16 (line(s) 3" in note for note in table.notes)


def test_latin1_fallback_for_bytes_cp1252_cannot_decode():
    data = b"Name,Code\nA\x81b,1\nC,2\n"  # 0x81 is undefined in cp1252
    table = load_table(data)
    assert table.encoding == "latin-1"
    assert table.n_rows == 2


def test_quoted_fields_with_separators_and_newlines():
    data = b'Name,Note,Age\n"Doe, Jane","line one\nline two",31\n"Smith ""Bob""","a|b;c",45\n'
    table = load_table(data)
    assert table.n_rows == 2
    assert table.raw["Note"].tolist() == ["line one\nline two", "a|b;c"]
    assert table.raw["Name"].tolist() == ["Doe, Jane", 'Smith "Bob"']


def test_missing_markers_become_missing_but_raw_text_is_kept():
    data = b"Age,City\n31,NA\nN/A,Paris\n?,-\nnull,none\n40,\n"
    table = load_table(data)
    assert table.frame["Age"].isna().tolist() == [False, True, True, True, False]
    assert table.frame["City"].isna().tolist() == [True, False, True, True, True]
    assert table.raw["Age"].tolist() == ["31", "N/A", "?", "null", "40"]
    assert pd.api.types.is_float_dtype(table.frame["Age"])


def test_headers_are_stripped_deduplicated_and_named():
    table = load_table(b" Age , Age ,,Income\n1,2,3,4\n5,6,7,8\n")
    assert table.columns == ["Age", "Age (2)", "Column 3", "Income"]
    assert any("'Age'" in note and "'Age (2)'" in note for note in table.notes)
    assert any("Column 3" in note for note in table.notes)


def test_header_repeated_in_the_middle_is_kept_and_reported():
    table = load_table(b"Age,Income\n31,40\nAge,Income\n45,52\n")
    assert table.n_rows == 3
    assert table.header_repeats == (1,)
    assert table.frame["Age"].isna().tolist() == [False, True, False]
    assert any("repeat the header" in note for note in table.notes)


def test_headerless_numeric_file_keeps_first_row():
    table = load_table(b"1,19,15\n2,21,15\n3,20,16\n")
    assert table.n_rows == 3
    assert table.columns == ["Column 1", "Column 2", "Column 3"]


def test_short_rows_are_padded_not_dropped():
    table = load_table(b"A,B,C\n1,2,3\n4,5\n6,7,8\n")
    assert table.n_rows == 3
    assert table.raw["C"].tolist() == ["3", "", "8"]
    assert np.isnan(table.frame["C"].iloc[1])


def test_every_row_is_kept_including_blank_and_duplicate_rows():
    data = b"A,B\n1,2\n1,2\n,\n3,4\n"
    table = load_table(data)
    assert table.n_rows == 4
    assert table.raw.to_numpy().tolist() == [["1", "2"], ["1", "2"], ["", ""], ["3", "4"]]


def test_path_and_bytes_give_the_same_table(tmp_path):
    data = b"A,B\n1,2\n3,4\n"
    path = tmp_path / "customers.csv"
    path.write_bytes(data)
    from_path = load_table(path)
    from_bytes = load_table(data)
    pd.testing.assert_frame_equal(from_path.frame, from_bytes.frame)
    assert from_path.name == "customers.csv"
    assert from_path.file_hash == from_bytes.file_hash


def test_load_returns_the_typed_frame():
    frame = load(b"A,B\n1,x\n2,y\n")
    assert frame["A"].tolist() == [1.0, 2.0]
    assert frame["B"].tolist() == ["x", "y"]


def test_xlsx_with_several_sheets_reads_the_first_with_data():
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Customers")
    sheet.append(["CustomerID", "Gender", "Age"])
    sheet.append([1, "Male", 19])
    sheet.append([2, "Female", 21.5])
    buffer = io.BytesIO()
    book.save(buffer)
    table = load_table(buffer.getvalue(), name="export.xlsx")
    assert table.format == "xlsx"
    assert table.columns == ["CustomerID", "Gender", "Age"]
    assert table.raw["Age"].tolist() == ["19", "21.5"]
    assert table.frame["Age"].tolist() == [19.0, 21.5]
    assert any("'Customers'" in note for note in table.notes)


def _workbook(rows: list[list], path) -> bytes:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path.read_bytes()


def test_xlsx_title_rows_above_the_header_are_skipped_and_noted(tmp_path):
    rows = [
        ["Customer export March 2024"],
        ["Generated by CRM"],
        [],
        ["CustomerID", "Gender", "Age"],
        [1, "Male", 19],
        [2, "Female", 21],
        [3, "Female", 35],
    ]
    table = load_table(_workbook(rows, tmp_path / "export.xlsx"), name="export.xlsx")
    assert table.columns == ["CustomerID", "Gender", "Age"]
    assert table.n_rows == 3
    assert table.frame["Age"].tolist() == [19.0, 21.0, 35.0]
    (note,) = table.notes
    assert "Rows 1, 2 of sheet 'Sheet' ('Customer export March 2024', 'Generated by CRM')" in note
    assert "skipped" in note and "read from row 4" in note


@pytest.mark.parametrize(
    ("rows", "columns"),
    [
        ([["Spend"], [10], [20], [30]], ["Spend"]),  # a one-column table: every row has one cell
        ([["Name"], ["Ana", 31], ["Bo", 45], ["Cy", 50]], ["Name", "Column 2"]),  # a header with a blank
        ([["Title"], ["A", "B", None], [1, 2, 3], [4, 5, 6]], ["Title", "Column 2", "Column 3"]),
        # A header with one name above text rows: "F" comes back below, so the row under it is a customer.
        ([["Name", None, None], ["Ana", "F", "Paris"], ["Bo", "M", "Lyon"], ["Cy", "F", "Nice"]], None),
        ([["Name", None, None], ["Ana", "F", "Paris"], ["Bo", "M", "Lyon"], ["Cy", "X", "Nice"]], None),
    ],
)
def test_xlsx_rows_are_taken_for_a_title_only_above_a_full_header(tmp_path, rows, columns):
    table = load_table(_workbook(rows, tmp_path / "table.xlsx"), name="table.xlsx")
    assert table.columns == columns or (columns is None and table.columns[0] == "Name")
    assert table.n_rows == 3
    assert not any("title" in note for note in table.notes)


def test_xlsx_named_sheet_that_does_not_exist():
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["A", "B"])
    book.active.append([1, 2])
    book.active.append([3, 4])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(DataError, match="no sheet called 'Other'"):
        load_table(buffer.getvalue(), sheet="Other")


# ---------------------------------------------------------------------------------------------
# Bad files


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"   \n\n  ", "is empty"),
        (b"CustomerID,Age\n", "no customer rows"),
        (b"CustomerID,Age\n1,31\n", "only 1 customer row"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n", "PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel"),
        (b"A,B\n\x00\x01\x02\x03\x04\x05\x06\x07\x08" * 40, "binary"),
    ],
)
def test_bad_files_raise_data_error(data, message):
    with pytest.raises(DataError, match=message):
        load_table(data, name="upload.csv")


def test_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("customers.csv", "A,B\n1,2\n")
    with pytest.raises(DataError, match="ZIP archive.*Unzip"):
        load_table(buffer.getvalue())


def test_merge_conflict_markers_are_refused_with_line_numbers():
    data = b"<<<<<<< HEAD\nA,B\n1,2\n=======\nA,B\n1,3\n>>>>>>> abc123\n"
    with pytest.raises(DataError, match=r"merge-conflict markers \(lines 1, 4, 7\)"):
        load_table(data)


def test_shared_merge_conflict_file_is_refused():
    with pytest.raises(DataError, match="merge-conflict"):
        load_table(shared_file("mall_variant_merge_conflict.csv"))


def test_rows_with_too_many_fields_name_the_lines():
    with pytest.raises(DataError, match=r"line 3 has 4.*line 5 has 5"):
        load_table(b"A,B,C\n1,2,3\n4,5,6,7\n8,9,10\n1,2,3,4,5\n")


def test_too_many_columns():
    wide = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)).encode() + b"\n" + b"1," * MAX_COLUMNS + b"1\n"
    with pytest.raises(DataError, match="at most 2,000 columns"):
        load_table(wide + wide.split(b"\n")[1] + b"\n")


def test_file_over_the_limit():
    with pytest.raises(DataError, match="over the 0.0 MB limit"):
        load_table(b"A,B\n1,2\n3,4\n", max_bytes=5)


def test_missing_path():
    with pytest.raises(DataError, match="no file at"):
        load_table("/nonexistent/customers.csv")


def test_given_encoding_that_does_not_fit():
    with pytest.raises(DataError, match="not valid utf-8"):
        load_table("A,B\nJosé,1\nAn,2\n".encode("cp1252"), encoding="utf-8")


def test_given_separator_is_used():
    table = load_table(b"A;B,C\n1;2,3\n4;5,6\n", sep=",")
    assert table.columns == ["A;B", "C"]


@pytest.mark.parametrize(
    "name",
    ["Mall_Customers.csv", "mall_variant_genre.csv", "mall_variant_missing.csv", "mall_variant_duplicates.csv"],
)
def test_shared_files_keep_every_row(name):
    path = shared_file(name)
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    table = load_table(path)
    assert table.n_rows == len(lines) - 1
    # Every cell reads back exactly as written in the file.
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert table.raw.to_numpy().tolist() == expected.to_numpy().tolist()


def test_mall_missing_values_are_counted(mall_path):
    table = load_table(shared_file("mall_variant_missing.csv"))
    assert table.frame.isna().sum().to_dict() == {
        "CustomerID": 0,
        "Gender": 17,
        "Age": 10,
        "Annual Income (k$)": 14,
        "Spending Score (1-100)": 13,
    }


def test_zero_padded_ids_keep_their_text():
    table = load_table(shared_file("mall_variant_genre.csv"))
    assert table.raw["CustomerID"].iloc[0] == "0001"
    assert table.raw["CustomerID"].iloc[-1] == "0200"


def test_big_files_read_by_arrow_equal_the_c_reader(monkeypatch):
    # Above a few million characters Arrow parses the cells and types the columns; both views must
    # be exactly what the C reader and the pandas steps give (zero-padded IDs, markers, thousands).
    import importlib

    load_module = importlib.import_module("segmentation.read_text")
    rng = np.random.default_rng(0)
    n = 20_000
    ages = np.where(rng.random(n) < 0.02, "NA", rng.integers(18, 90, n).astype(str))
    incomes = [f"{v:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") for v in rng.gamma(2, 9_000, n)]
    notes = rng.choice(np.array(["", " vip ", "n/a", '"a;b"', "-0", "x"]), n)
    lines = ["ID;Name;Age;Income;Note"] + [f"{i:07d};Name {i % 97};{ages[i]};{incomes[i]};{notes[i]}" for i in range(n)]
    data = ("\n".join(lines) + "\n").encode()
    monkeypatch.setattr(load_module, "_ARROW_CHARS", 10_000)
    fast = load_table(data)
    monkeypatch.setattr(load_module, "_ARROW_CHARS", len(data) + 1)
    slow = load_table(data)
    pd.testing.assert_frame_equal(fast.raw, slow.raw)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.decimal == slow.decimal == ","
    assert fast.raw["ID"].iloc[7] == "0000007"
    assert pd.api.types.is_float_dtype(fast.frame["Income"]) and fast.frame["Age"].isna().any()


def _outcome(data: bytes):
    try:
        table = load_table(data, name="export.csv")
    except DataError as error:
        return str(error)
    return table.raw, table.frame, table.notes, table.delimiter, table.encoding


_BODY = "".join(f"{i},{18 + i % 70},{i % 97}.5\n" for i in range(2_000))


@pytest.mark.parametrize(
    "text",
    [
        "ID,Age,Spend\n" + _BODY,
        "sep=;\nID;Age;Spend\n" + _BODY.replace(",", ";") + "\x1a\r\n",  # Excel's sep line, a DOS end mark
        "ID,Age,Spend\n" + _BODY + "7,\x00,3\n",  # a NUL character
        "ID,Age,Spend\n<<<<<<< HEAD\n" + _BODY + "=======\n1,2,3\n>>>>>>> other\n",  # a merge conflict
        "<!DOCTYPE html><html>" + _BODY,  # a web page
    ],
    ids=["plain", "sep line and end mark", "NUL", "merge conflict", "web page"],
)
def test_big_ascii_files_are_checked_as_bytes_with_the_same_outcome_as_text(monkeypatch, text):
    # Above a few million characters an ASCII file's bytes stand for its text: the refusals, the
    # notes and every cell must be what decoding it first gives.
    import importlib

    read_text = importlib.import_module("segmentation.read_text")
    data = text.encode("ascii")
    decoded = []
    monkeypatch.setattr(read_text, "decode", lambda data, **kw: decoded.append(1) or decode(data, **kw))
    monkeypatch.setattr(read_text, "_ARROW_CHARS", 1_000)
    as_bytes = _outcome(data)
    assert not decoded  # the bytes were read as they are
    monkeypatch.setattr(read_text, "ascii_text", lambda data, encoding: False)
    as_text = _outcome(data)
    assert decoded
    if isinstance(as_text, str):
        assert as_bytes == as_text
        return
    for ours, theirs in zip(as_bytes[:2], as_text[:2], strict=True):
        pd.testing.assert_frame_equal(ours, theirs)
    assert as_bytes[2:] == as_text[2:]
    assert as_bytes[0].shape[0] == 2_000


def test_ascii_text_in_utf_16_without_a_byte_order_mark_is_not_read_as_bytes(monkeypatch):
    monkeypatch.setattr("segmentation.read_text._ARROW_CHARS", 1_000)
    text = "ID,Age,Spend\n" + _BODY
    data = text.encode("utf-16-le")
    assert data.isascii()  # every other byte is NUL: ASCII bytes, but not ASCII text
    table = load_table(data, name="export.csv")
    assert table.n_rows == 2_000 and table.encoding == "utf-16"


# ---------------------------------------------------------------------------------------------
# Dates: day/month or month/day


@pytest.mark.parametrize(
    ("values", "order"),
    [
        (["03/04/2024", "31/01/2024"], "day"),
        (["03/04/2024", "01/31/2024"], "month"),
        (["3-4-24", "1-13-24", None], "month"),
        (["03/04/2024", "05/06/2024"], ""),
        (["13/01/2024", "01/13/2024"], "mixed"),
    ],
)
def test_day_month_order_is_told_by_a_part_above_12(values, order):
    assert day_month_order(pd.Series(values, dtype="str")) == order


def test_ambiguous_dates_are_read_day_first_and_noted():
    table = load_table(b"Name,Signup,Spend\nA,03/04/2024,10\nB,05/06/2023,20\nC,01/12/2022,30\n")
    assert DEFAULT_DATE_ORDER == "day"
    (note,) = table.notes
    assert note.startswith("Dates in 'Signup' could be day/month or month/day")
    assert "read as day/month, so '03/04/2024' is 3 April 2024" in note and "(2024-03-04)" in note
    prepared = prepare(table)
    assert prepared.report("Signup").date_format == "%d/%m/%Y"
    assert prepared.values["Signup"].dt.strftime("%Y-%m-%d").tolist() == ["2024-04-03", "2023-06-05", "2022-12-01"]


@pytest.mark.parametrize(
    ("last", "date_format", "second"),
    [("25/01/2024", "%d/%m/%Y", "2023-01-02"), ("01/25/2024", "%m/%d/%Y", "2023-02-01")],
)
def test_one_telling_date_anywhere_decides_the_whole_column(last, date_format, second):
    # 600 dates whose days are all 12 or less, then one that tells: not in the first 500 values.
    dates = [f"{m:02d}/{d:02d}/2023" for d in range(1, 13) for m in range(1, 13)] * 5
    lines = [f"c{i},{v},{i % 7}" for i, v in enumerate([*dates[:600], last])]
    table = load_table(("Name,Signup,Spend\n" + "\n".join(lines) + "\n").encode())
    assert not any("day/month" in note for note in table.notes)
    prepared = prepare(table)
    report = prepared.report("Signup")
    assert (report.kind, report.date_format, report.unreadable) == ("date", date_format, 0)
    assert prepared.values["Signup"].iloc[1].strftime("%Y-%m-%d") == second


def test_dates_that_read_the_same_either_way_need_no_note():
    table = load_table(b"Name,Signup,Spend\nA,05/05/2024,1\nB,06/06/2023,2\nC,01/01/2022,3\n")
    assert table.notes == ()


@pytest.mark.parametrize(
    "dates",
    [
        ["03/04/0000", "04/05/0000"],  # a placeholder year: not a date either way
        ["٠٣/٠٤/٢٠٢٤", "٠٤/٠٥/٢٠٢٤"],  # non-ASCII digits: not read as dates
        ["3-4-24", "10-1-24"],  # a layout the preparation does not read as dates
    ],
)
def test_dates_that_are_not_read_as_dates_get_no_day_month_note(dates):
    data = ("Signup,Spend\n" + "\n".join(f"{d},{i}" for i, d in enumerate(dates * 5)) + "\n").encode()
    table = load_table(data)
    assert table.n_rows == 10
    assert not any("day/month" in note for note in table.notes)


# ---------------------------------------------------------------------------------------------
# Columns separated by runs of spaces (text dumps, old reporting tools, the CDNOW log)


def test_cdnow_log_is_read_as_columns_separated_by_runs_of_spaces():
    table = load_table(shared_file("transactions/CDNOW_master.txt"))
    assert table.columns == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert table.n_rows == 69_659
    assert table.delimiter == r"\s+"
    assert table.describe_format() == "CSV, space-separated, UTF-8"
    assert table.raw.iloc[0].tolist() == ["00001", "19970101", "1", "11.77"]  # zeros kept, as written
    assert table.raw.iloc[-1].tolist() == ["23570", "19970326", "2", "42.96"]
    assert table.raw["customer_id"].nunique() == 23_570
    assert table.frame["dollar_value"].iloc[:3].tolist() == [11.77, 12.0, 77.0]
    assert any("separated by runs of spaces" in note for note in table.notes)


def test_space_aligned_text_keeps_every_cell_and_row():
    data = (
        b"  ID      Name   Spend\r\n"
        b"  0007    Ana    12.50\r\n"
        b"  0012    Bo      3.00\r\n"
        b"\r\n"
        b"  0100    Cy    140.25  \r\n"
    )
    table = load_table(data)
    assert table.columns == ["ID", "Name", "Spend"]
    assert table.raw["ID"].tolist() == ["0007", "0012", "0100"]
    assert table.raw["Spend"].tolist() == ["12.50", "3.00", "140.25"]
    assert table.frame["Spend"].tolist() == [12.5, 3.0, 140.25]


def test_single_spaces_between_numbers_are_columns_too():
    table = load_table(b"a b c\n1 2 3\n4 5 6\n")
    assert table.columns == ["a", "b", "c"] and table.frame["c"].tolist() == [3.0, 6.0]


@pytest.mark.parametrize(
    "data",
    [
        b"Customer name\nAnn Lee\nBo Chan\n",  # one column of names: two words each, no numbers, not aligned
        b"Name,City\nAnn Lee,New York\nBo Chan,Los Angeles\n",  # a comma fits: spaces are inside values
        b" id  spend\n 01  12\n 02  13  4\n",  # the lines do not agree on the number of fields
    ],
)
def test_spaces_are_not_taken_for_separators_when_the_layout_is_not_clear(data):
    assert load_table(data).delimiter != r"\s+"


def test_a_value_holding_a_space_in_a_space_separated_file_names_the_line():
    lines = [" id  name  spend"] + [f" {i:04d}  Ana  {i}.50" for i in range(300)] + [" 0300  Ann Lee  9.00"]
    with pytest.raises(
        DataError, match=r"separated by runs of spaces, but line 302 has 4 values where the lines above have 3"
    ):
        load_table("\n".join(lines).encode())


# ---------------------------------------------------------------------------------------------
# Line ends and bounded reads (issue 17)


@pytest.mark.parametrize("end", ["\r\n", "\n"])
@pytest.mark.parametrize("customers", [300, 250_000])  # the second is big enough for Arrow's reader
def test_a_bare_carriage_return_in_a_cell_is_not_a_line_end(end, customers):
    rows = ["ID,Note,Spend"] + [f"{i},note {i},{i % 7}" for i in range(1, customers + 1)]
    rows[150] = "150,first\rsecond,3"
    table = load_table((end.join(rows) + end).encode(), name="notes.csv")
    assert table.n_rows == customers
    assert table.raw["Note"].iloc[149] == "first\rsecond"
    assert table.raw["Spend"].iloc[149] == "3" and table.raw["ID"].iloc[-1] == str(customers)


def test_a_path_is_read_through_the_bounded_reader(tmp_path, monkeypatch):
    path = tmp_path / "customers.csv"
    path.write_bytes(b"Age,Spend\n31,40\n45,52\n")
    monkeypatch.setattr("segmentation.limits.MAX_INPUT_BYTES", 10)
    with pytest.raises(DataError, match="'.*customers.csv' is 22 bytes, more than the 10 bytes a customer file may"):
        load_table(path)
    with pytest.raises(DataError, match="'/dev/zero' is a device, not a file"):
        load_table("/dev/zero")

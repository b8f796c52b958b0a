"""Loading: every sniffing case, and each bad file refused with a message a marketer can act on."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from helpers import shared_file

from segmentation import DataError, load, load_table
from segmentation.load import MAX_COLUMNS


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

    load_module = importlib.import_module("segmentation.load")  # the module, not the load() function
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

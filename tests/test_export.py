"""Exports: every row kept in order, original values untouched, formula cells neutralised."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from segmentation import describe, fit, labelled_csv, load_table, neutralise, prepare, summary_csv
from segmentation.export import FORMULA_PREFIX, labelled_frame


def read_back(data: bytes) -> pd.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_every_row_in_order_with_original_values(sample_bytes, sample_prepared):
    segmentation = fit(sample_prepared, 4)
    out = read_back(labelled_csv(segmentation, profile=describe(segmentation)))
    original = pd.read_csv(io.BytesIO(sample_bytes), dtype=str, keep_default_na=False)
    assert len(out) == len(original)
    pd.testing.assert_frame_equal(out[original.columns], original)
    assert out["Segment"].tolist() == [str(s) for s in segmentation.labels]
    assert set(out["Segment name"]) == set(describe(segmentation).names)


def test_original_text_is_not_normalised():
    data = "ID;Umsatz;Alter;Stadt\n007;1.234,5;31;München\n008;2.000;N/A;Köln\n009;3,25;50;  Berlin \n".encode("cp1252")
    segmentation = fit(prepare(load_table(data)), 2)
    written = labelled_csv(segmentation)
    # Given back as it came: semicolons, Windows-1252.
    out = pd.read_csv(io.BytesIO(written), sep=";", dtype=str, keep_default_na=False, encoding="cp1252")
    assert written.startswith(b"ID;Umsatz;Alter;Stadt;Segment;Segment name\r\n")
    assert out["ID"].tolist() == ["007", "008", "009"]
    assert out["Umsatz"].tolist() == ["1.234,5", "2.000", "3,25"]
    assert out["Alter"].tolist() == ["31", "N/A", "50"]
    assert out["Stadt"].tolist() == ["München", "Köln", "  Berlin "]


def test_rows_not_segmented_stay_with_an_empty_segment():
    segmentation = fit(prepare(load_table(b"Age,Spend\n20,1\n,\n22,2\n60,40\n61,41\n")), 2)
    out = read_back(labelled_csv(segmentation))
    assert len(out) == 5
    assert out.loc[1, "Segment"] == ""
    assert out.loc[1, "Segment name"].startswith("Not segmented")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("-1,5", "-1,5"),
        ("-", "-"),  # a missing-value marker, not a formula
        ("+", "+"),
        ("--", "--"),
        ("-5", "-5"),
        ("+447946000000", "+447946000000"),
        ("+44 20 7946 0958", "'+44 20 7946 0958"),  # the space is a spreadsheet operator
        ("- -1", "'- -1"),
        ("=", "'="),
        ("1e-3", "1e-3"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_formula_cells_headers_and_segment_names_are_neutralised():
    data = b'Name,=Score,Spend\n"=HYPERLINK(""http://x"")",1,10\n@SUM(A1),2,-5\n-12,3,40\n+cmd|x,4,41\n'
    segmentation = fit(prepare(load_table(data), features=["=Score", "Spend"]), 2)
    out = read_back(labelled_csv(segmentation, names=["=EVIL()", "-Safe name"]))
    assert list(out.columns)[:3] == ["Name", FORMULA_PREFIX + "=Score", "Spend"]
    assert out["Name"].tolist() == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "-12", "'+cmd|x"]
    assert out["Spend"].tolist() == ["10", "-5", "40", "41"]
    assert set(out["Segment name"]) <= {"'=EVIL()", "'-Safe name"}


def test_summary_csv(sample_prepared):
    segmentation = fit(sample_prepared, 3)
    profile = describe(segmentation, names=["=A", "B", "C"])
    out = read_back(summary_csv(profile))
    assert out["Segment"].tolist() == ["1", "2", "3", "All"]
    assert out["Name"].tolist() == ["'=A", "B", "C", "All customers"]
    assert [int(v) for v in out["Customers"]] == [*segmentation.sizes, sum(segmentation.sizes)]
    assert float(out.loc[0, "Age"]) == pytest.approx(profile.summary.loc[1, "Age"], rel=1e-5)


def test_existing_segment_column_is_not_overwritten():
    data = b"Segment,Spend\nA,1\nB,2\nA,50\nB,51\n"
    segmentation = fit(prepare(load_table(data), features=["Spend"]), 2)
    frame = labelled_frame(segmentation)
    assert frame["Segment"].tolist() == ["A", "B", "A", "B"]
    assert frame["Segment (2)"].tolist() in (["1", "1", "2", "2"], ["2", "2", "1", "1"])


def test_the_download_keeps_the_files_separator_decimal_mark_and_encoding():
    rows = ["Kunde;Umsatz;Alter;Stadt"] + [
        f"{i};{1000 + 37 * i},{i % 10};{20 + i % 50};{'Köln' if i % 3 else 'München'}" for i in range(60)
    ]
    data = ("\r\n".join(rows) + "\r\n").encode("cp1252")
    table = load_table(data, name="kunden.csv")
    assert (table.delimiter, table.decimal, table.encoding) == (";", ",", "cp1252")
    segmentation = fit(prepare(table), 3)
    written = labelled_csv(segmentation, unusual=True)
    assert not written.startswith(b"\xef\xbb\xbf")
    text = written.decode("cp1252")
    lines = text.split("\r\n")
    assert lines[0] == "Kunde;Umsatz;Alter;Stadt;Segment;Segment name;Fit score;Unusual"
    out = pd.read_csv(io.BytesIO(written), sep=";", dtype=str, keep_default_na=False, encoding="cp1252")
    original = pd.read_csv(io.BytesIO(data), sep=";", dtype=str, keep_default_na=False, encoding="cp1252")
    pd.testing.assert_frame_equal(out[original.columns], original)
    # The fit score is written with a decimal comma, as the file's own numbers are.
    assert out["Fit score"].str.fullmatch(r"-?\d,\d+|-?\d").all()
    # A typed name the file's encoding cannot hold: the whole file falls back to UTF-8 with a BOM.
    named = labelled_csv(segmentation, names=["Große Kunden ★", "b", "c"])
    assert named.startswith(b"\xef\xbb\xbf") and "Große Kunden ★" in named.decode("utf-8-sig")
    assert named.decode("utf-8-sig").startswith("Kunde;Umsatz")


def test_a_comma_separated_utf8_file_comes_back_as_before(sample_prepared):
    written = labelled_csv(fit(sample_prepared, 3))
    assert written.startswith(b"\xef\xbb\xbfCustomerID,Gender,")


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_text_tables_are_written_byte_for_byte_as_pandas_writes_them(sep):
    """The fast writer for text tables quotes, doubles quotes and ends lines exactly as pandas."""
    from segmentation.export import _text_csv, neutralise_frame

    cells = ["plain", 'say "hi"', "a,b", "a;b", "tab\there", "pipe|x", "two\nlines", "cr\rx", "", "=SUM(A1)",
             "-12.5", "+44 20", "München", "🙂", " padded ", "@x"]  # fmt: skip
    frame = pd.DataFrame(
        {
            "Name, full": pd.Series(cells, dtype="str"),
            "Plain": pd.Series([f"row {i}" for i in range(len(cells))], dtype="str"),
            "Gaps": pd.Series([None if i % 3 == 0 else str(i) for i in range(len(cells))], dtype="str"),
        }
    )
    safe = neutralise_frame(frame)
    expected = safe.to_csv(index=False, lineterminator="\r\n", sep=sep)
    assert b"".join(_text_csv(safe, sep=sep)).decode("utf-8") == expected
    assert safe.loc[9, "Name, full"] == FORMULA_PREFIX + "=SUM(A1)"
    assert safe.loc[10, "Name, full"] == "-12.5"  # a number stays a number
    assert safe.loc[15, "Name, full"] == FORMULA_PREFIX + "@x"

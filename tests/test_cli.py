"""The command line contract: flags, JSON, exit codes, byte-identical outputs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT, shared_file, shared_files

from segmentation import demo_csv
from segmentation.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "customers.csv"
    path.write_bytes(demo_csv(600))
    return path


def test_sweep_json_contract(sample_file):
    code, out, err = run("sweep", sample_file, "--k-min", "2", "--k-max", "6", "--json")
    assert code == 0, err
    payload = json.loads(out)
    for key, kind in {
        "rows": int,
        "features": list,
        "k": list,
        "inertia": list,
        "silhouette": list,
        "calinski_harabasz": list,
        "davies_bouldin": list,
        "suggested_k": int,
    }.items():
        assert isinstance(payload[key], kind), key
    assert payload["rows"] == 600
    assert payload["k"] == [2, 3, 4, 5, 6]
    assert len(payload["inertia"]) == len(payload["silhouette"]) == 5
    assert payload["suggested_k"] in payload["k"]
    assert "CustomerID" not in payload["features"]
    assert err == ""  # no progress noise with --json


def test_sweep_json_nulls_for_k_one(sample_file):
    payload = json.loads(run("sweep", sample_file, "--k-min", "1", "--k-max", "3", "--json")[1])
    assert payload["silhouette"][0] is None
    assert payload["calinski_harabasz"][0] is None
    assert payload["davies_bouldin"][0] is None


def test_mall_sweep_suggests_six():
    code, out, _ = run("sweep", shared_file("Mall_Customers.csv"), "--k-min", "1", "--k-max", "19", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["suggested_k"] == 6
    assert payload["k"] == list(range(1, 20))


def test_segment_json_contract(sample_file):
    code, out, _ = run("segment", sample_file, "--k", "4", "--json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload) >= {"rows", "k", "features", "sizes", "inertia", "silhouette"}
    assert payload["k"] == 4 and len(payload["sizes"]) == 4
    assert sum(payload["sizes"]) == payload["rows"] == 600
    assert payload["sizes"] == sorted(payload["sizes"], reverse=True)


def test_mall_five_segments_on_income_and_spending():
    code, out, _ = run(
        "segment",
        shared_file("Mall_Customers.csv"),
        "--k",
        "5",
        "--features",
        "Annual Income (k$)",
        "Spending Score (1-100)",
        "--scaler",
        "none",
        "--json",
    )
    payload = json.loads(out)
    assert payload["sizes"] == [81, 39, 35, 23, 22]
    assert payload["silhouette"] == pytest.approx(0.554, abs=0.002)


def test_segment_writes_byte_identical_files_twice(sample_file, tmp_path):
    outputs = []
    for attempt in ("a", "b"):
        files = [tmp_path / f"{attempt}_{name}" for name in ("labelled.csv", "summary.csv", "run.json")]
        code, out, _ = run(
            "segment", sample_file, "--k", "3", "--out", files[0], "--summary", files[1], "--config", files[2], "--json"
        )
        assert code == 0
        outputs.append((out, *(f.read_bytes() for f in files)))
    assert outputs[0] == outputs[1]
    labelled = pd.read_csv(tmp_path / "a_labelled.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(labelled) == 600
    assert set(labelled["Segment"]) == {"1", "2", "3"}


def test_readable_output(sample_file):
    code, out, err = run("sweep", sample_file, "--k-max", "4")
    assert code == 0
    assert "Suggested K:" in out and "Silhouette" in out
    assert "3/3" in err  # progress
    code, out, _ = run("segment", sample_file, "--k", "3")
    assert "600 customers in 3 segments" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"<<<<<<< HEAD\nA,B\n1,2\n=======\nA,B\n1,3\n>>>>>>> x\n", "merge-conflict"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
        (b"Name,Country\nAna,FR\nBo,FR\nCy,FR\nDi,FR\n", "None of the columns can be used"),
    ],
)
def test_bad_data_exits_2_with_one_error_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    for command in (["sweep", path], ["segment", path, "--k", "2"]):
        code, out, err = run(*command)
        assert code == 2
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_bad_k_and_missing_file(sample_file):
    assert run("segment", sample_file, "--k", "0")[0] == 2
    code, _, err = run("segment", sample_file, "--k", "700")
    assert code == 2 and "K must be between 1 and 30" in err
    code, _, err = run("sweep", "/no/such/file.csv")
    assert code == 2 and err.startswith("error: There is no file")


def test_usage_errors_exit_2(sample_file):
    code, _, err = run("sweep", sample_file, "--scaler", "bogus")
    assert code == 2 and err.startswith("error: ")
    assert run("segment", sample_file)[0] == 2  # --k is required


def test_real_process_never_prints_a_traceback(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "sweep", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "path",
    # The large public files (about 1 MB, 7,000 to 12,000 rows) take several seconds each.
    [pytest.param(p, marks=pytest.mark.slow) if p.stat().st_size > 100_000 else p for p in shared_files()],
    ids=lambda p: p.name,
)
def test_every_shared_file_is_segmented_or_refused(path, tmp_path):
    out_file = tmp_path / "out.csv"
    code, out, err = run("segment", path, "--k", "3", "--out", out_file, "--json")
    if code == 2:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
        return
    assert code == 0
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    labelled = pd.read_csv(out_file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(labelled) == len(lines) - 1
    assert json.loads(out)["rows"] == len(lines) - 1


# ---------------------------------------------------------------------------------------------
# Transaction logs: rolled up to one row per customer first (issue 15)


@pytest.fixture(scope="module")
def log_file(tmp_path_factory) -> Path:
    """A generated log of 300 customers' order lines, with order IDs."""
    from log_data import generated_log

    path = tmp_path_factory.mktemp("cli_log") / "orders.csv"
    generated_log(seed=7).to_csv(path, index=False)
    return path


def test_a_log_is_rolled_up_and_the_json_says_how(log_file):
    lines = pd.read_csv(log_file, dtype=str)
    code, out, err = run("sweep", log_file, "--k-max", "4", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["rows"] == 300  # customers, not order lines
    assert payload["transactions"] == {
        "rows": len(lines),
        "customers": 300,
        "customer": "Customer ID",
        "date": "Order Date",
        "amount": "Sales",
        "order": "Order No",
        "as_of": max(lines["Order Date"]),
    }
    assert "Average days between orders" not in payload["features"]  # described, not segmented on
    assert "Days since last purchase" in payload["features"] and "Total spend" in payload["features"]
    code, out, _ = run("compare", log_file, "--k", "2", "--k2", "3", "--json")
    assert code == 0 and json.loads(out)["transactions"]["customers"] == 300
    assert sum(map(sum, json.loads(out)["crosstab"])) == 300


def test_log_flags_override_what_is_found(log_file):
    lines = pd.read_csv(log_file, dtype=str)
    code, out, err = run(
        "segment", log_file, "--k", "3", "--order", "", "--amount", "", "--as-of", "2025-01-31", "--json"
    )
    assert code == 0, err
    payload = json.loads(out)
    assert payload["transactions"]["order"] is None and payload["transactions"]["amount"] is None
    assert payload["transactions"]["as_of"] == "2025-01-31"
    assert "Total spend" not in payload["features"] and sum(payload["sizes"]) == payload["rows"] == 300
    # Taken as one row per customer: every order line is segmented, as before issue 15.
    code, out, _ = run("sweep", log_file, "--k-max", "3", "--transactions", "no", "--json")
    assert code == 0 and json.loads(out)["rows"] == len(lines) and "transactions" not in json.loads(out)


def test_a_customer_file_is_unchanged_by_the_log_flags(sample_file):
    for command in (["sweep", sample_file, "--k-max", "3"], ["segment", sample_file, "--k", "3"]):
        payload = json.loads(run(*command, "--json")[1])
        assert payload["rows"] == 600 and "transactions" not in payload


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--customer", "Client"], "has no column 'Client' (given as the customer column). Its columns are"),
        (["--as-of", "next tuesday"], "The as-of date 'next tuesday' is not a date"),
        (["--as-of", "2020-01-01"], "Every purchase in 'orders.csv' is dated after the as-of date 2020-01-01"),
        (["--date", "Sales"], "Column 'Sales' does not hold dates"),
        (["--transactions", "no", "--customer", "Customer ID"], "is taken as one row per customer"),
        (
            ["--engine", "spark", "--out-transactions", "lines.csv"],
            "--out-transactions runs with --engine python only",
        ),
    ],
)
def test_log_flags_that_cannot_work_exit_2_with_a_message_to_act_on(log_file, flags, message):
    code, out, err = run("segment", log_file, "--k", "3", *flags)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and message in err, err


def test_out_transactions_needs_a_log(sample_file, tmp_path):
    code, _, err = run("segment", sample_file, "--k", "3", "--out-transactions", tmp_path / "lines.csv")
    assert code == 2 and "was read as one row per customer" in err
    assert not (tmp_path / "lines.csv").exists()


def test_segment_a_log_writes_customers_with_rfm_and_every_order_line(log_file, tmp_path):
    customers_path, lines_path = tmp_path / "customers.csv", tmp_path / "lines.csv"
    code, out, err = run("segment", log_file, "--k", "3", "--out", customers_path, "--out-transactions", lines_path)
    assert code == 0, err
    assert out.startswith("Transaction log rolled up to one row per customer: ")
    assert "Customers by RFM cell (rows) and segment (columns):" in out and "Champions" in out
    read = dict(dtype=str, keep_default_na=False, encoding="utf-8-sig")
    customers = pd.read_csv(customers_path, **read)
    assert len(customers) == 300 and customers["Customer ID"].is_unique
    assert customers.columns.tolist()[-7:] == ["R", "F", "M", "RFM", "RFM cell", "Segment", "Segment name"]
    lines = pd.read_csv(lines_path, **read)
    original = pd.read_csv(log_file, **{k: v for k, v in read.items() if k != "encoding"})
    pd.testing.assert_frame_equal(lines[original.columns], original)
    assert (lines["Status"] == "rolled up").all()
    segment_of = dict(zip(customers["Customer ID"], customers["Segment"], strict=True))
    assert (lines["Customer ID"].map(segment_of) == lines["Segment"]).all()


@pytest.mark.slow
def test_cdnow_segment_rolls_up_to_23570_customers(tmp_path):
    customers_path, lines_path = tmp_path / "customers.csv", tmp_path / "lines.csv"
    code, out, err = run(
        "segment",
        shared_file("transactions/CDNOW_master.txt"),
        "--k",
        "4",
        "--out",
        customers_path,
        "--out-transactions",
        lines_path,
        "--json",
    )
    assert code == 0, err
    payload = json.loads(out)
    assert payload["rows"] == sum(payload["sizes"]) == 23_570
    assert payload["transactions"] == {
        "rows": 69_659,
        "customers": 23_570,
        "customer": "customer_id",
        "date": "date",
        "amount": "dollar_value",
        "order": None,
        "as_of": "1998-06-30",
    }
    read = dict(dtype=str, keep_default_na=False, encoding="utf-8-sig")
    customers = pd.read_csv(customers_path, **read)
    assert len(customers) == 23_570 and customers.loc[0, "customer_id"] == "00001"  # IDs as written
    assert customers.loc[1, ["Total spend", "RFM cell"]].tolist() == ["89.00", "At Risk"]
    lines = pd.read_csv(lines_path, **read)
    assert len(lines) == 69_659 and lines["Segment"].ne("").all()


# --------------------------------------------------------------------------------------------------
# Outputs never write over an input, and are written whole or not at all (issue 17)


def _copy_of(sample_file: Path, folder: Path) -> Path:
    path = folder / "customers.csv"
    path.write_bytes(sample_file.read_bytes())
    return path


@pytest.mark.parametrize("option", ["--out", "--summary", "--config", "--cards"])
@pytest.mark.parametrize("way", ["same path", "dot-dot path", "symbolic link", "hard link"])
def test_an_output_naming_the_input_is_refused_and_the_input_kept(sample_file, tmp_path, option, way):
    source = _copy_of(sample_file, tmp_path)
    before = source.read_bytes()
    target = {
        "same path": lambda: source,
        "dot-dot path": lambda: tmp_path / "sub" / ".." / "customers.csv",
        "symbolic link": lambda: (tmp_path / "link.csv").symlink_to(source) or tmp_path / "link.csv",
        "hard link": lambda: (tmp_path / "hard.csv").hardlink_to(source) or tmp_path / "hard.csv",
    }[way]()
    (tmp_path / "sub").mkdir()
    code, out, err = run("segment", source, "--k", "3", option, target)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {option} '") and "is the customer file itself" in err
    assert len(err.strip().splitlines()) == 1
    assert source.read_bytes() == before


def test_score_refuses_to_write_over_its_run_file_and_two_outputs_on_one_path(sample_file, tmp_path):
    source = _copy_of(sample_file, tmp_path)
    run_file = tmp_path / "run.json"
    assert run("segment", source, "--k", "3", "--config", run_file)[0] == 0
    before = run_file.read_bytes()
    code, _, err = run("score", source, "--model", run_file, "--out", run_file)
    assert code == 2 and "--out" in err and "is the run file itself" in err
    assert run_file.read_bytes() == before
    code, _, err = run("segment", source, "--k", "3", "--out", tmp_path / "a.csv", "--summary", tmp_path / "a.csv")
    assert code == 2 and "--summary and --out both name" in err
    assert not (tmp_path / "a.csv").exists()  # refused before any work


def test_a_full_disk_leaves_no_partial_file_and_names_the_file(sample_file, tmp_path, monkeypatch):
    import errno
    import os

    source = _copy_of(sample_file, tmp_path)
    out_file = tmp_path / "labelled.csv"
    out_file.write_bytes(b"the previous results\n")
    real_fdopen = os.fdopen

    class FullDisk:
        """A file that takes a few bytes, then reports a full disk."""

        def __init__(self, raw):
            self.raw = raw

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.raw.close()

        def write(self, data):
            self.raw.write(data[:100])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("segmentation.cli_files.os.fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    code, _, err = run("segment", source, "--k", "3", "--out", out_file)
    assert code == 2
    assert err == f"error: '{out_file}': No space left on device; nothing was written to it\n"
    assert out_file.read_bytes() == b"the previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.csv", "labelled.csv"]  # no temporary left


def test_outputs_are_renamed_into_place_and_keep_the_files_mode(sample_file, tmp_path):
    source = _copy_of(sample_file, tmp_path)
    kept = tmp_path / "summary.csv"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    code, _, _ = run("segment", source, "--k", "3", "--summary", kept, "--out", tmp_path / "new.csv")
    assert code == 0
    assert kept.read_bytes().startswith(b"\xef\xbb\xbf") and (kept.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.csv", "new.csv", "summary.csv"]


def test_an_output_that_is_a_pipe_is_written_directly(sample_file, tmp_path):
    import os
    import threading

    source = _copy_of(sample_file, tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run("segment", source, "--k", "3", "--summary", fifo)
    reader.join(timeout=30)
    assert code == 0, err
    assert received and received[0].startswith(b"\xef\xbb\xbf")
    assert fifo.is_fifo()


# --------------------------------------------------------------------------------------------------
# Every failure: exit 2, one short error line (issue 17)


def _one_error_line(code: int, err: str) -> str:
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert len(lines[0]) <= 700
    return lines[0]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--seed", "-1"], "argument --seed: must be a whole number from 0 to 9,223,372,036,854,775,807, not '-1'"),
        (["--seed", "x"], "not 'x'"),
        (["--encoding", "hex"], "'hex' is not a text encoding (try utf-8 or cp1252"),
        (["--encoding", "rot13"], "'rot13' is not a text encoding"),
    ],
)
def test_bad_seed_and_codec_are_one_line_not_a_traceback(sample_file, options, says):
    line = _one_error_line(*run("sweep", sample_file, "--k-max", "3", *options)[::2])
    assert says in line


def test_an_output_path_holding_a_line_break_cannot_forge_a_line(sample_file):
    code, _, err = run("segment", sample_file, "--k", "2", "--out", "/no/such/folder\nerror: forged")
    line = _one_error_line(code, err)
    assert "'/no/such/folder\\nerror: forged'" in line and "No such file or directory" in line


def test_usage_errors_point_to_the_right_help(sample_file):
    _, _, err = run()
    assert "(see 'python -m segmentation --help')" in _one_error_line(2, err)
    _, _, err = run("sweep")
    assert "(see 'python -m segmentation sweep --help')" in _one_error_line(2, err)


def test_a_fifty_megabyte_header_gives_one_short_line(tmp_path):
    path = tmp_path / "header.csv"
    name = "N" * 25_000_000
    path.write_bytes(f"{name}A,{name}B\n".encode())
    line = _one_error_line(*run("sweep", path)[::2])
    assert "has column names ('NNN" in line and "but no customer rows" in line


def test_running_out_of_memory_is_one_line(sample_file, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("segmentation.cli_transactions.load_table", out_of_memory)
    line = _one_error_line(*run("sweep", sample_file)[::2])
    assert "ran out of memory" in line


def test_library_warnings_are_not_printed(tmp_path):
    import bombs

    # openpyxl warns that it drops a worksheet extension it does not know; the header-only sheet
    # then makes one error.
    path = bombs.write_workbook(
        tmp_path / "warns.xlsx",
        [b'<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'],
        [b"<si><t>Age</t></si><si><t>Spend</t></si>"],
        after_data=b'<extLst><ext uri="{00000000-0000-0000-0000-000000000000}"/></extLst>',
    )
    done = subprocess.run(
        [sys.executable, "-m", "segmentation", "sweep", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    line = _one_error_line(done.returncode, done.stderr)
    assert "'warns.xlsx' has column names ('Age', 'Spend') but no customer rows" in line


def test_help_needs_neither_pandas_nor_scikit_learn():
    # The help is read before any data: it must come at once, so no heavy library is imported for it.
    code = (
        "import sys, contextlib, io\n"
        "from segmentation.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['sweep', '--help'])\n"
        "heavy = sorted(m for m in ('pandas', 'sklearn', 'scipy', 'plotly', 'pyarrow') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == ""

"""``score`` with a log's run file on the command line: the JSON's transactions block, --as-of, --out-transactions."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from log_data import generated_log
from test_cli import run

from segmentation import demo_csv


@pytest.fixture(scope="module")
def run_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("score_log")
    generated_log(0).to_csv(folder / "log.csv", index=False)
    code, _, err = run("segment", folder / "log.csv", "--k", "3", "--config", folder / "run.json", "--json")
    assert code == 0, err
    return folder / "run.json"


@pytest.fixture(scope="module")
def new_log(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    frame = generated_log(seed=1, customers=100)
    path = tmp_path_factory.mktemp("new_log") / "new orders.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_score_json_on_a_log_counts_customers_and_says_how_it_was_rolled_up(run_file, new_log):
    path, frame = new_log
    code, out, err = run("score", path, "--model", run_file, "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["rows"] == frame["Customer ID"].nunique() == 100
    assert sum(payload["sizes"]) + payload["not_segmented"] == 100
    assert payload["transactions"] == {
        "rows": len(frame),
        "customers": 100,
        "customer": "Customer ID",
        "date": "Order Date",
        "amount": "Sales",
        "order": "Order No",
        "as_of": max(frame["Order Date"]),
    }
    assert f"Days are counted to {max(frame['Order Date'])}, the new log's last date" in payload["notes"][1]


def test_score_as_of_counts_to_the_date_given(run_file, new_log):
    path, frame = new_log
    code, out, err = run("score", path, "--model", run_file, "--as-of", "2023-12-31", "--json")
    assert code == 0, err
    payload = json.loads(out)
    kept = frame[frame["Order Date"] <= "2023-12-31"]
    assert payload["transactions"]["as_of"] == "2023-12-31"
    assert payload["rows"] == payload["transactions"]["customers"] == kept["Customer ID"].nunique()
    assert "Days are counted to 2023-12-31, the as-of date given" in payload["notes"][1]


def test_score_writes_customers_and_every_order_line(run_file, new_log, tmp_path):
    path, frame = new_log
    customers_path, lines_path = tmp_path / "customers.csv", tmp_path / "lines.csv"
    code, out, err = run("score", path, "--model", run_file, "--out", customers_path, "--out-transactions", lines_path)
    assert code == 0, err
    assert out.startswith("New transaction log rolled up to one row per customer: 736 order lines")
    assert f"Wrote order lines with their customer's segment: {lines_path}" in out
    customers = pd.read_csv(io.BytesIO(customers_path.read_bytes()), dtype=str, keep_default_na=False)
    lines = pd.read_csv(io.BytesIO(lines_path.read_bytes()), dtype=str, keep_default_na=False)
    assert len(customers) == 100 and customers["Customer ID"].is_unique
    assert len(lines) == len(frame)
    # Each order line carries the segment its customer got in the customer file.
    segment_of = dict(zip(customers["Customer ID"], customers["Segment"], strict=True))
    assert (lines["Segment"] == lines["Customer ID"].map(segment_of)).all()
    assert sorted(lines["Order No"]) == sorted(frame["Order No"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--as-of", "someday"], "The as-of date 'someday' is not a date"),
        (["--engine", "spark", "--out-transactions", "lines.csv"], "--out-transactions runs with --engine python only"),
    ],
)
def test_score_on_a_log_refuses_bad_options_with_one_line(run_file, new_log, extra, message):
    path, _ = new_log
    code, out, err = run("score", path, "--model", run_file, *extra)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_score_log_options_with_a_customer_files_run_file_are_refused(tmp_path):
    customers = tmp_path / "customers.csv"
    customers.write_bytes(demo_csv(300))
    assert run("segment", customers, "--k", "3", "--config", tmp_path / "run.json")[0] == 0
    code, _, err = run("score", customers, "--model", tmp_path / "run.json", "--out-transactions", tmp_path / "l.csv")
    assert code == 2 and "made from a customer file" in err and not (tmp_path / "l.csv").exists()
    code, _, err = run("score", customers, "--model", tmp_path / "run.json", "--as-of", "2024-01-01")
    assert code == 2 and "--as-of: these segments were made from a customer file" in err

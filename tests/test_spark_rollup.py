"""The Spark roll-up: the default engine's customers and values from the same log, and the CLI on a log.

Each log is rolled up by both engines and compared customer by customer (same customers, same
values to 1e-9, same empty cells), with the same definitions (rows, customers, columns, as-of).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import shared_file
from log_data import CDNOW, MESSY, generated_log
from spark_session import spark_session  # noqa: F401 - the fixture `spark`, the session every Spark test shares

import segmentation as sg
from segmentation import DataError
from segmentation.cli import main

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


def both_engines(spark, path: Path, **options) -> tuple[sg.Rollup, sg.spark.SparkRollup]:
    """The log rolled up by the default engine and by Spark, with the columns given or found."""
    from segmentation import spark as sgs

    table = sg.load_table(path)
    log = sgs.read(spark, path)
    columns = dict(options)
    as_of = columns.pop("as_of", None)
    if not {"customer", "date"} <= set(columns):
        found = sgs.log_columns(log)
        assert found is not None and found.options() == sg.detect_log(table).options()
        columns = {**found.options(), **columns}
    return sg.roll_up(table, **columns, as_of=as_of), sgs.roll_up(log, **columns, as_of=as_of)


def assert_same_customers(python: sg.Rollup, rolled) -> float:
    """Same customers in the same order, same columns and values; returns the largest difference."""
    expected = python.table.frame
    frame = rolled.table.frame
    got = pd.DataFrame([list(r) for r in frame.collect()], columns=frame.columns, dtype=object)
    assert got.columns.tolist() == expected.columns.tolist()
    key = expected.columns[0]
    assert got[key].tolist() == expected[key].tolist()  # the IDs as written, in order of first appearance
    worst = 0.0
    for column in expected.columns[1:]:
        ours, theirs = got[column].astype(float).to_numpy(), expected[column].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=column)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9, err_msg=column)
        worst = max(worst, float(np.nanmax(np.abs(ours - theirs), initial=0.0)))
    assert rolled.definitions() == python.definitions()
    assert rolled.rows == dict(python.accounting())
    assert (rolled.n_orders, rolled.n_refunds) == (python.n_orders, python.n_refunds)
    assert rolled.notes[0] == python.notes[0]
    return worst


def layouts_log() -> pd.DataFrame:
    """A generated log without order IDs, dates in four layouts, amounts with currency signs, messy rows."""
    log = generated_log(seed=11, customers=80).drop(columns=["Order No"])
    days = pd.to_datetime(log["Order Date"])
    layouts = ["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%Y-%m-%d %H:%M:%S"]
    log["Order Date"] = [day.strftime(layouts[i % 4]) for i, day in enumerate(days)]
    log["Sales"] = [f"${v}" if i % 3 == 0 else v for i, v in enumerate(log["Sales"])]
    messy = pd.DataFrame(
        {
            "Customer ID": ["00001", "", "00002", "00003", "00004", "00005"],
            "Order Date": ["2024-01-05", "2024-01-06", "n/a", "soon", "31/12/2099", "2024-02-01"],
            "Quantity": [1] * 6,
            "Sales": ["-500", "3", "4", "5", "6", ""],
        }
    )
    return pd.concat([log, messy], ignore_index=True)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("messy", dict(customer="Customer", date="Order date", amount="Amount", order="Order ID")),
        ("generated", {}),
        ("generated", dict(order=None, as_of="2024-12-31")),
        ("layouts", dict(customer="Customer ID", date="Order Date", amount="Sales", as_of="2025-06-30")),
        ("layouts", dict(customer="Customer ID", date="Order Date")),
    ],
)
def test_spark_rolls_up_as_the_default_engine(spark, tmp_path, name, options):
    path = tmp_path / f"{name}.csv"
    if name == "messy":
        path.write_text(MESSY)
    elif name == "generated":
        generated_log(seed=5).to_csv(path, index=False)
    else:
        layouts_log().to_csv(path, index=False)
    python, rolled = both_engines(spark, path, **options)
    assert_same_customers(python, rolled)
    if name == "messy":  # the known answers of test_transactions, from Spark
        assert rolled.n_customers == 4 and (rolled.n_orders, rolled.n_refunds) == (6, 2)
        assert rolled.rows["rolled up"] == 9


def test_cdnow_rolls_up_as_the_default_engine(spark):
    path = shared_file(CDNOW)  # space-aligned columns, zero-padded IDs, dates as yyyymmdd numbers
    python, rolled = both_engines(spark, path)
    assert rolled.n_customers == 23_570 and rolled.n_log_rows == 69_659
    assert assert_same_customers(python, rolled) == 0.0  # exact: the same sums and the same float operations


def test_a_parquet_log_with_typed_dates(spark, tmp_path):
    log = generated_log(seed=2, customers=50)
    path = tmp_path / "orders.csv"
    log.to_csv(path, index=False)
    typed = spark.createDataFrame(
        log.astype({"Sales": float, "Quantity": int}).assign(
            **{"Order Date": pd.to_datetime(log["Order Date"]).dt.date}
        )
    )
    typed.write.parquet(str(tmp_path / "orders.parquet"))
    from segmentation import spark as sgs

    columns = dict(customer="Customer ID", date="Order Date", amount="Sales", order="Order No")
    python = sg.roll_up(sg.load_table(path), **columns)
    rolled = sgs.roll_up(sgs.read(spark, tmp_path / "orders.parquet"), **columns)
    assert_same_customers(python, rolled)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(date="Sales"), "Column 'Sales' does not hold dates"),
        (dict(amount="Customer ID"), "is given for two roles"),
        (dict(as_of="2020-01-01"), "is dated after the as-of date 2020-01-01"),
        (dict(as_of="next tuesday"), "The as-of date 'next tuesday' is not a date"),
        (dict(customer="Client"), "has no column 'Client' (given as the customer column)"),
    ],
)
def test_spark_refuses_what_the_default_engine_refuses(spark, tmp_path, options, message):
    from segmentation import spark as sgs

    path = tmp_path / "orders.csv"
    generated_log(seed=1, customers=30).to_csv(path, index=False)
    columns = {"customer": "Customer ID", "date": "Order Date", **options}
    errors = []
    for roll_up, table in ((sg.roll_up, sg.load_table(path)), (sgs.roll_up, sgs.read(spark, path))):
        try:
            roll_up(table, **columns)
            errors.append(None)
        except DataError as error:
            errors.append(str(error))
    assert errors[0] == errors[1] and message in errors[0]


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_cli_on_a_log_reports_as_the_default_engine(spark, tmp_path):
    path = tmp_path / "orders.csv"
    generated_log(seed=7).to_csv(path, index=False)
    spark_json, python_json = tmp_path / "spark.json", tmp_path / "python.json"
    code, out, err = run("segment", path, "--k", "3", "--json", "--engine", "spark", "--config", spark_json)
    assert code == 0, err
    ours = json.loads(out)
    code, out, err = run("segment", path, "--k", "3", "--json", "--config", python_json)
    assert code == 0, err
    theirs = json.loads(out)
    assert ours["transactions"] == theirs["transactions"] and ours["transactions"]["customers"] == 300
    assert ours["rows"] == theirs["rows"] == sum(ours["sizes"]) == 300
    assert ours["features"] == theirs["features"]  # the days between orders described, not segmented on
    spark_run, python_run = json.loads(spark_json.read_text()), json.loads(python_json.read_text())
    assert spark_run["transactions"] == python_run["transactions"] == theirs["transactions"]
    assert spark_run["file"] == python_run["file"]  # the roll-up's identity, as the default engine records it
    assert sg.read_run_file(spark_run).transactions == spark_run["transactions"]

    flags = ("--order", "", "--amount", "", "--as-of", "2025-01-31", "--k-max", "3", "--json")
    code, out, err = run("sweep", path, *flags, "--engine", "spark")
    assert code == 0, err
    ours, theirs = json.loads(out), json.loads(run("sweep", path, *flags)[1])
    assert ours["transactions"] == theirs["transactions"] and ours["transactions"]["as_of"] == "2025-01-31"
    assert ours["rows"] == 300 and ours["features"] == theirs["features"] and "Total spend" not in ours["features"]

    code, out, err = run("segment", path, "--k", "3", "--engine", "spark", "--out", tmp_path / "customers.csv")
    assert code == 0, err
    written = pd.concat(pd.read_csv(part, dtype=str) for part in sorted((tmp_path / "customers.csv").glob("part-*")))
    assert len(written) == 300 and written["Segment"].isin(["1", "2", "3"]).all()  # one row per customer
    assert out.startswith("Transaction log rolled up to one row per customer: 2,0") and "300 customers in 3" in out

    code, out, err = run("segment", path, "--k", "3", "--engine", "spark", "--out-transactions", tmp_path / "l.csv")
    assert code == 2 and out == "" and "--out-transactions runs with --engine python only" in err
    code, out, err = run("segment", path, "--k", "3", "--engine", "spark", "--transactions", "no", "--json")
    assert code == 0 and "transactions" not in json.loads(out) and json.loads(out)["rows"] > 300


@pytest.mark.parametrize("as_of", [None, "2024-06-30"])
def test_spark_scores_a_new_log_as_the_default_engine(spark, tmp_path, as_of):
    """``score NEWLOG --model RUN.json --engine spark``: rolled up in Spark, every customer in the same segment."""
    generated_log(seed=3).to_csv(tmp_path / "log.csv", index=False)
    code, _, err = run("segment", tmp_path / "log.csv", "--k", "4", "--config", tmp_path / "run.json")
    assert code == 0, err
    new = tmp_path / "next.csv"
    generated_log(seed=4, customers=120).to_csv(new, index=False)
    dated = ["--as-of", as_of] if as_of else []
    code, out, err = run("score", new, "--model", tmp_path / "run.json", *dated, "--json", "--engine", "spark",
                         "--out", tmp_path / "spark_out.csv")  # fmt: skip
    assert code == 0, err
    ours = json.loads(out)
    code, out, err = run("score", new, "--model", tmp_path / "run.json", *dated, "--json", "--out", tmp_path / "py.csv")
    assert code == 0, err
    theirs = json.loads(out)
    assert ours["transactions"] == theirs["transactions"]
    assert ours["rows"] == theirs["rows"] > 0 and ours["sizes"] == theirs["sizes"]
    assert ours["notes"][:2] == theirs["notes"][:2]  # the roll-up's size, then the day the days count to
    written = pd.concat(pd.read_csv(part, dtype=str) for part in sorted((tmp_path / "spark_out.csv").glob("part-*")))
    expected = pd.read_csv(tmp_path / "py.csv", dtype=str, encoding="utf-8-sig")
    segment_of = dict(zip(expected["Customer ID"], expected["Segment"], strict=True))
    assert len(written) == len(expected)
    assert (written["Segment"] == written["Customer ID"].map(segment_of)).all()


def test_spark_scoring_a_log_without_its_columns_says_what_to_give(spark, tmp_path):
    generated_log(seed=3).to_csv(tmp_path / "log.csv", index=False)
    assert run("segment", tmp_path / "log.csv", "--k", "3", "--config", tmp_path / "run.json")[0] == 0
    new = tmp_path / "renamed.csv"
    generated_log(seed=4, customers=50).rename(columns={"Order Date": "When"}).to_csv(new, index=False)
    code, out, err = run("score", new, "--model", tmp_path / "run.json", "--engine", "spark")
    assert code == 2 and out == ""
    assert "has no column 'Order Date' (purchase date)" in err and err.count("\n") == 1

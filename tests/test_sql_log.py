"""SQL scoring of a transaction log: DuckDB rolls a table of order lines up and scores it as segmentation.score does.

Every customer's rolled-up values and segment from the query must equal the Python roll-up's and
score's exactly (both are checked against plain-Python answers elsewhere: tests/test_transactions.py
for the roll-up, tests/test_score_log.py for scoring a log). Messy logs (refunds, missing amounts,
customers and dates, rows without an order ID, dates after the as-of date, 8-digit dates, amounts
with three decimals) and CDNOW; the other dialects are parsed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from log_data import cdnow, cdnow_table, csv_table, generated_log

import segmentation as sg
from segmentation.sql import scoring_sql
from segmentation.transactions import DERIVED_COLUMNS, ORDER_VALUE, SPEND

duckdb = pytest.importorskip("duckdb")

ROLES = {"customer": "Customer ID", "date": "Order Date", "amount": "Sales", "order": "Order No"}


def made_from(amount: str | None, order: str | None) -> dict:
    """A run file of segments made from a generated log, rolled up with the columns given."""
    log = csv_table(generated_log(0))
    rollup = sg.roll_up(log, customer="Customer ID", date="Order Date", amount=amount, order=order)
    return sg.run_config(sg.fit(sg.prepare_customers(rollup), 3), rollup=rollup)


def messy_log(seed: int = 7) -> pd.DataFrame:
    """A generated log made messy: refunds, gaps, rows without an order ID, 8-digit dates, late rows."""
    frame = generated_log(seed=seed, customers=150)
    rng = np.random.default_rng(seed)
    orders = frame["Order No"].unique()
    refunds = rng.choice(orders, 12, replace=False)  # whole orders returned: a negative order
    is_refund = frame["Order No"].isin(refunds)
    frame.loc[is_refund, "Sales"] = "-" + frame.loc[is_refund, "Sales"]
    n = len(frame)
    pick = lambda k: rng.choice(n, k, replace=False)  # noqa: E731
    frame.loc[pick(15), "Sales"] = ""  # purchases without an amount
    frame.loc[pick(6), "Sales"] = "-1.50"  # a returned line inside an order that stays positive (mostly)
    frame.loc[pick(3), "Sales"] = "12.345"  # three decimals: the average keeps them
    frame.loc[pick(5), "Customer ID"] = ""
    frame.loc[pick(5), "Order Date"] = ""
    frame.loc[pick(20), "Order No"] = ""  # lines without an order ID: one order per customer and day
    eight = pick(40)
    frame.loc[eight, "Order Date"] = frame.loc[eight, "Order Date"].str.replace("-", "")
    # Customers with refunds only (not customers) and one order (no days between orders).
    extra = pd.DataFrame(
        [
            {"Order No": "90001", "Customer ID": "R0001", "Order Date": "2023-05-01", "Quantity": 1, "Sales": "-9.99"},
            {"Order No": "90002", "Customer ID": "S0001", "Order Date": "2023-05-02", "Quantity": 1, "Sales": "3.01"},
            {"Order No": "90003", "Customer ID": "S0002", "Order Date": "2023-05-02", "Quantity": 1, "Sales": ""},
        ]
    )
    return pd.concat([frame, extra], ignore_index=True)


def duckdb_scored(frame: pd.DataFrame, model: dict, *, typed: str = "", **options) -> pd.DataFrame:
    """The query's result over ``frame`` loaded into DuckDB (as text, or with ``typed`` SQL changing types)."""
    con = duckdb.connect()
    con.register("frame", frame.astype(str))
    con.execute(f"CREATE TABLE lines AS SELECT * {typed} FROM frame")
    return con.execute(scoring_sql(model, "lines", **options)).df()


def assert_same_customers(sql: pd.DataFrame, python: sg.Scored, customer: str) -> None:
    """Every customer in both, with equal rolled-up values (exactly) and segment."""
    expected = python.table.frame.set_index(customer).assign(Segment=python.labels)
    got = sql.set_index(customer)
    assert sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index]
    for column in [c for c in DERIVED_COLUMNS if c in expected.columns]:
        np.testing.assert_array_equal(
            got[column].astype(float).to_numpy(), expected[column].astype(float).to_numpy(), err_msg=column
        )
    np.testing.assert_array_equal(got["Segment"].to_numpy(dtype=np.int64), expected["Segment"].to_numpy())
    names = dict(enumerate(python.names, start=1))
    assert (got["Segment name"] == got["Segment"].map(names)).all()


@pytest.mark.parametrize(
    ("amount", "order"),
    [("Sales", "Order No"), ("Sales", None), (None, "Order No")],
    ids=["orders", "days", "no-amount"],
)
def test_duckdb_rolls_a_messy_log_up_and_scores_it_as_python_does(amount, order):
    model = made_from(amount, order)
    frame = messy_log()
    as_of = "2024-03-31"  # rows after it are left out
    python = sg.score(csv_table(frame), model, as_of=as_of)
    sql = duckdb_scored(frame, model, as_of=as_of)
    assert_same_customers(sql, python, "Customer ID")
    assert len(sql) == python.table.n_rows
    # Without amounts there are no refunds: the refund-only customer is a customer then.
    assert ("R0001" in set(sql["Customer ID"])) == (amount is None)
    if amount:
        row = sql.set_index("Customer ID").loc["S0001"]
        assert row[SPEND] == 3.01 and row[ORDER_VALUE] == 3.01
        assert np.isnan(sql.set_index("Customer ID").loc["S0002", SPEND])


def test_duckdb_counts_to_the_run_files_as_of_date_by_default_and_says_so():
    model = made_from("Sales", "Order No")
    frame = messy_log(seed=8)
    as_of = model["transactions"]["as_of"]
    query = scoring_sql(model, "lines")
    assert f"-- Days are counted to {as_of} (the run file's as-of date;" in query
    assert "-- Days are counted to 2024-02-29 (the as-of date given)" in scoring_sql(model, "lines", as_of="29/02/2024")
    assert_same_customers(duckdb_scored(frame, model), sg.score(csv_table(frame), model, as_of=as_of), "Customer ID")


def test_duckdb_reads_date_columns_and_numbers_typed_by_the_warehouse():
    model = made_from("Sales", "Order No")
    frame = generated_log(seed=9, customers=120)
    typed = 'REPLACE (CAST("Order Date" AS DATE) AS "Order Date", CAST("Sales" AS DOUBLE) AS "Sales")'
    python = sg.score(csv_table(frame), model, as_of="2024-01-15")
    assert_same_customers(duckdb_scored(frame, model, typed=typed, as_of="2024-01-15"), python, "Customer ID")
    as_timestamps = 'REPLACE (CAST("Order Date" AS TIMESTAMP) + INTERVAL 13 HOUR AS "Order Date")'
    assert_same_customers(duckdb_scored(frame, model, typed=as_timestamps, as_of="2024-01-15"), python, "Customer ID")


@pytest.mark.parametrize("typed", ["", 'REPLACE (CAST("date" AS BIGINT) AS "date")'], ids=["text", "numbers"])
def test_duckdb_agrees_with_python_on_every_cdnow_customer(typed):
    rollup = cdnow()
    model = sg.run_config(sg.fit(sg.prepare_customers(rollup), 4, random_state=0), rollup=rollup)
    python = sg.score(cdnow_table(), model, as_of="1998-03-31")
    sql = duckdb_scored(cdnow_table().raw, model, typed=typed, as_of="1998-03-31")
    assert len(sql) == python.table.n_rows > 20_000
    assert_same_customers(sql, python, "customer_id")


@pytest.mark.parametrize("dialect", ["postgres", "bigquery", "snowflake", "spark"])
def test_the_other_dialects_parse(dialect):
    query = scoring_sql(made_from("Sales", "Order No"), "sales.order_lines", dialect=dialect, as_of="2024-03-31")
    assert query.startswith("-- Rolls the order lines of sales.order_lines up to one row per customer")
    if dialect == "postgres":
        pglast = pytest.importorskip("pglast")
        assert len(pglast.parse_sql(query)) == 1
        return
    sqlglot = pytest.importorskip("sqlglot")
    statements = [s for s in sqlglot.parse(query, read=dialect) if s is not None]
    assert len(statements) == 1, dialect


def test_an_as_of_date_for_a_customer_files_run_file_is_refused():
    model = sg.run_config(sg.fit(sg.prepare(sg.load_table(sg.demo_csv(200))), 3))
    with pytest.raises(sg.DataError, match="An as-of date counts the days of a transaction log"):
        scoring_sql(model, "customers", as_of="2024-06-30")
    assert not scoring_sql(model, "customers").startswith("--")

"""From a file to customers: the rule the app and the command line share (roll up when the file is a log)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from log_data import csv_table, generated_log

import segmentation as sg
from segmentation import Customers, DataError, LogOptions, load_table, prepare_customers, roll_up_if_log
from segmentation.transactions import INTERVAL, ORDER_VALUE, ORDERS, RECENCY, SPEND, TENURE


def test_roll_up_if_log_rolls_up_a_log_and_keeps_a_customer_table():
    rollup = roll_up_if_log(csv_table(generated_log(customers=40)))
    assert rollup.n_customers == 40 and rollup.columns.order == "Order No"
    assert rollup.columns.reasons[0].startswith("'Customer ID' repeats 40 customer IDs")  # as detected, with why
    sample = load_table(sg.demo_csv(300))
    assert roll_up_if_log(sample) is None
    assert roll_up_if_log(csv_table(generated_log(customers=40)), transactions="no") is None


def test_roll_up_if_log_takes_the_columns_named_and_finds_the_rest():
    table = csv_table(generated_log(customers=40))
    # No order column: orders become purchase days; no amount column: no spend.
    rollup = roll_up_if_log(table, order="", amount="")
    assert rollup.columns.options() == {"customer": "Customer ID", "date": "Order Date", "amount": None, "order": None}
    assert SPEND not in rollup.table.columns and rollup.columns.reasons == ()
    as_of = roll_up_if_log(table, as_of="2024-12-31")
    assert as_of.as_of == pd.Timestamp("2024-12-31")
    # A customer table rolled up on purpose: one order per row.
    sample = load_table(sg.demo_csv(300))
    by_hand = roll_up_if_log(sample, customer="CustomerID", date="Member Since")
    assert by_hand.n_customers == 300 and (by_hand.table.frame[ORDERS] == 1).all()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"transactions": "no", "customer": "Customer ID"}, "is taken as one row per customer, so the customer column"),
        ({"transactions": "maybe"}, "transactions must be one of 'auto', 'yes', 'no', not 'maybe'"),
        ({"transactions": "yes"}, "No customer and date column was found in 'customers.csv'"),
        ({"amount": "Spending Score (1-100)"}, "does not look like a transaction log"),
        ({"customer": "Client"}, "has no column 'Client' (given as the customer column)"),
    ],
)
def test_roll_up_if_log_refuses_choices_that_cannot_work(options, message):
    table = load_table(sg.demo_csv(300), name="customers.csv")
    with pytest.raises(DataError, match=re.escape(message)):
        roll_up_if_log(table, **options)


def test_prepare_customers_describes_the_days_between_orders_unless_chosen():
    rollup = roll_up_if_log(csv_table(generated_log(customers=60)))
    prepared = prepare_customers(rollup)
    assert prepared.columns == (RECENCY, ORDERS, SPEND, ORDER_VALUE, TENURE)
    assert {r.column: r.role for r in prepared.reports}[INTERVAL] == "describe"
    assert prepare_customers(rollup, features=[RECENCY, INTERVAL]).columns == (RECENCY, INTERVAL)
    described = prepare_customers(rollup, describe=[TENURE])
    assert TENURE not in described.columns and INTERVAL not in described.columns
    assert INTERVAL not in [
        r.column for r in prepare_customers(rollup, ignore=[INTERVAL]).reports if r.role != "ignore"
    ]


def test_customers_of_a_file_are_its_rows_or_its_rolled_up_customers():
    log = csv_table(generated_log(customers=40))
    customers = Customers.of(log)
    assert customers.file is log and customers.table is customers.rollup.table and customers.table.n_rows == 40
    assert customers.prepare().n_rows == 40 and INTERVAL not in customers.prepare().columns
    as_rows = Customers.of(log, LogOptions(transactions="no"))
    assert as_rows.rollup is None and as_rows.table is log and as_rows.prepare().n_rows == log.n_rows
    # Hashable: the app keys its caches on the options.
    assert hash(LogOptions(order="")) == hash(LogOptions(order="")) and LogOptions() != LogOptions(order="")


def test_prepare_customers_says_why_the_days_between_orders_are_only_described():
    rollup = roll_up_if_log(csv_table(generated_log(customers=60)))
    one_order = int((rollup.table.frame[ORDERS] == 1).sum())
    assert one_order > 0
    note = prepare_customers(rollup).notes[-1]
    assert note.startswith(f"'{INTERVAL}' is shown per segment but does not form the segments: {one_order:,} customers")


def test_a_log_where_everyone_bought_once_is_prepared_without_the_empty_column():
    sample = load_table(sg.demo_csv(300))
    rollup = roll_up_if_log(sample, customer="CustomerID", date="Member Since")
    assert rollup.table.frame[INTERVAL].isna().all()
    prepared = prepare_customers(rollup)
    assert INTERVAL not in prepared.columns and prepared.n_rows == 300

"""Recognising a transaction log: the customer, date, amount and order columns, and files that are no log."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import shared_file
from log_data import csv_table, generated_log

import segmentation as sg
from segmentation import LogColumns, detect_log, load_table
from segmentation.log_columns import column_text


def test_detects_order_amount_and_date_in_a_generated_log():
    found = detect_log(csv_table(generated_log()))
    assert found.options() == {"customer": "Customer ID", "date": "Order Date", "amount": "Sales", "order": "Order No"}
    assert found.reasons[0].startswith("'Customer ID' repeats 300 customer IDs")
    assert "'Order Date' holds dates, written like" in found.reasons[1] and "(yyyy-mm-dd)" in found.reasons[1]


def test_detects_a_log_without_column_names():
    # As CDNOW without its first line: zero-padded IDs and 8-digit dates, so every cell is a number.
    frame = generated_log(seed=4).drop(columns=["Order No"])
    frame["Order Date"] = frame["Order Date"].str.replace("-", "")
    body = frame.to_csv(index=False, header=False).encode()
    found = detect_log(load_table(body))
    assert found.customer == "Column 1" and found.date == "Column 2" and found.amount == "Column 4"
    assert found.order is None


@pytest.mark.parametrize("name", ["Mall_Customers.csv", "telco_churn.csv", "online_shoppers_intention.csv"])
def test_customer_tables_are_not_logs(name):
    assert detect_log(load_table(shared_file(name))) is None


def test_the_sample_customers_are_not_a_log():
    # Repeated whole numbers (incomes) next to a date (member since) are not customer IDs.
    assert detect_log(load_table(sg.demo_csv())) is None


def test_a_code_of_something_else_is_not_a_customer_id():
    frame = pd.DataFrame({"Store ID": [f"{i % 7}" for i in range(60)], "Signup": ["2024-01-01"] * 60, "Age": range(60)})
    assert detect_log(csv_table(frame)) is None


def test_cdnow_columns_are_found_with_their_reasons():
    from log_data import cdnow_table

    found = detect_log(cdnow_table())
    assert found == LogColumns("customer_id", "date", "dollar_value", None, found.reasons)
    assert found.reasons[1] == "'date' holds dates, written like '19970101' (yyyymmdd)."


def test_column_text_is_the_cells_as_written_missing_where_the_typed_view_is():
    table = load_table(b"ID,Amount\n007,1.5\n008,n/a\n 009 ,2\n")
    assert column_text(table, "ID").tolist() == ["007", "008", "009"]
    assert column_text(table, "Amount").isna().tolist() == [False, True, False]

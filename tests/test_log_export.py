"""A segmented log's downloads: one row per customer with RFM, and every order line with its customer's segment."""

from __future__ import annotations

import io

import log_data
import numpy as np
import pandas as pd
from log_data import MESSY, csv_table, generated_log

import segmentation as sg
from segmentation import customers_csv, customers_frame, load_table, order_lines_csv, order_lines_frame


def segmented(table: sg.Table, k: int = 3) -> tuple[sg.Rollup, sg.Segmentation]:
    rollup = sg.roll_up_if_log(table)
    return rollup, sg.fit(sg.prepare_customers(rollup), k)


def test_customers_have_their_derived_columns_rfm_and_segment():
    table = csv_table(generated_log(customers=80))
    rollup, result = segmented(table)
    frame = customers_frame(result, rollup, names=["Big", "Mid", "Small"])
    assert frame.columns.tolist() == [
        *rollup.table.columns,
        "R",
        "F",
        "M",
        "RFM",
        "RFM cell",
        "Segment",
        "Segment name",
    ]
    assert len(frame) == 80 and frame["Customer ID"].tolist() == rollup.table.raw["Customer ID"].tolist()
    scores = sg.rfm_scores(rollup)
    assert frame["RFM"].tolist() == scores["RFM"].tolist()
    assert frame["RFM cell"].tolist() == scores["RFM cell"].tolist()
    assert frame["Segment"].astype(int).tolist() == result.labels.tolist()
    assert set(frame["Segment name"]) == {"Big", "Mid", "Small"}
    # The CSV holds the same rows, read back as text.
    back = pd.read_csv(
        io.BytesIO(customers_csv(result, rollup)), dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    assert back.shape == frame.shape and back["Customer ID"].tolist() == frame["Customer ID"].tolist()


def test_order_lines_keep_every_row_as_read_with_the_segment_and_why():
    table = load_table(MESSY.encode(), name="messy.csv")
    rollup = sg.roll_up_if_log(table)
    result = sg.fit(sg.prepare_customers(rollup), 2)
    frame = order_lines_frame(table, rollup, result)
    assert len(frame) == table.n_rows == 13
    pd.testing.assert_frame_equal(frame[table.columns], table.raw)
    assert frame.columns.tolist()[-4:] == ["Segment", "Segment name", "RFM cell", "Status"]
    assert frame["Status"].tolist() == rollup.row_status.astype(str).tolist()
    # Rows without a customer in the table (no ID, or refunds only) have no segment; the others
    # carry their customer's, even a line whose date could not be read.
    no_customer = rollup.customer_row < 0
    assert (frame.loc[no_customer, "Segment"] == "").all() and (frame.loc[no_customer, "Segment name"] == "").all()
    expected = result.labels[rollup.customer_row[~no_customer]].astype(str)
    assert frame.loc[~no_customer, "Segment"].tolist() == expected.tolist()
    assert frame.loc[4, "Status"] == "with an unreadable date" and frame.loc[4, "Segment"] != ""
    by_customer = frame[~no_customer].groupby("Customer")["Segment"].nunique()
    assert (by_customer == 1).all()


def test_order_lines_csv_neutralises_formulas_and_names_added_columns_apart():
    frame = pd.DataFrame(
        {
            "Customer": ["=1+1", "B", "=1+1", "B", "C", "C"],
            "Date": ["2024-01-01", "2024-01-02", "2024-02-01", "2024-02-02", "2024-02-03", "2024-02-10"],
            "Segment": ["old", "old", "old", "old", "old", "old"],
        }
    )
    table = csv_table(frame)
    rollup = sg.roll_up_if_log(table, customer="Customer", date="Date")
    result = sg.fit(sg.prepare_customers(rollup), 2)
    text = order_lines_csv(table, rollup, result).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert back.columns.tolist() == ["Customer", "Date", "Segment", "Segment (2)", "Segment name", "RFM cell", "Status"]
    assert back["Customer"].tolist()[0] == "'=1+1" and back["Segment"].tolist() == ["old"] * 6


def test_cdnow_downloads_have_23570_customers_and_69659_lines():
    rollup = log_data.cdnow()
    result = sg.fit(sg.prepare_customers(rollup), 4)
    customers = customers_frame(result, rollup)
    assert len(customers) == 23_570 and customers["customer_id"].is_unique
    assert customers["RFM cell"].ne("").all()
    lines = order_lines_frame(log_data.cdnow_table(), rollup, result)
    assert len(lines) == 69_659 and lines["Segment"].ne("").all() and (lines["Status"] == "rolled up").all()
    # Each line carries its customer's segment.
    segment_of = dict(zip(customers["customer_id"], customers["Segment"], strict=True))
    assert (lines["customer_id"].map(segment_of) == lines["Segment"]).all()
    assert np.array_equal(lines["customer_id"].to_numpy(), log_data.cdnow_table().raw["customer_id"].to_numpy())

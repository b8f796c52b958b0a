"""Scoring a new transaction log with a log's run file: rolled up the same way, as of a said date, then scored."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import pytest
from log_data import MESSY, csv_table, generated_log
from test_transactions import expected_per_customer

import segmentation as sg
from segmentation.transactions import DERIVED_COLUMNS


@pytest.fixture(scope="module")
def made() -> tuple[sg.Customers, sg.Segmentation, dict]:
    """Segments made from a generated log, and their run file."""
    customers = sg.Customers.of(csv_table(generated_log(0)))
    segmentation = sg.fit(customers.prepare(), 3)
    return customers, segmentation, sg.run_config(segmentation, rollup=customers.rollup)


def as_customer_file(model: dict) -> dict:
    """The same run file without its transactions block: it scores a customer table."""
    return {key: value for key, value in model.items() if key != "transactions"}


def test_a_new_log_is_rolled_up_then_scored_as_its_customers(made):
    _, _, model = made
    frame = generated_log(seed=1, customers=120)
    scored = sg.score(csv_table(frame), model)
    # The customers, rolled up in plain Python, scored as a customer table with the same segments.
    expected = expected_per_customer(frame, order="Order No")
    customers = pd.DataFrame(
        [
            {"Customer ID": c, **{k: np.nan if v is None else v for k, v in values.items()}}
            for c, values in expected.items()
        ]
    )
    by_hand = sg.score(customers, as_customer_file(model))
    got = pd.Series(scored.labels, index=scored.table.frame["Customer ID"])
    want = pd.Series(by_hand.labels, index=customers["Customer ID"])
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)
    assert scored.table.n_rows == len(expected) == 120 and sum(scored.sizes) == 120
    assert list(scored.table.columns) == ["Customer ID", *DERIVED_COLUMNS]
    assert scored.log.n_rows == len(frame) and scored.rollup.n_customers == 120


def test_the_log_the_segments_were_made_from_gets_its_own_segments_back(made):
    customers, segmentation, model = made
    scored = sg.score(customers.file, model, as_of=model["transactions"]["as_of"])
    np.testing.assert_array_equal(scored.labels, segmentation.labels)
    assert scored.notes[1] == f"Days are counted to {model['transactions']['as_of']}, the as-of date given."


def test_by_default_days_count_to_the_new_logs_last_date_and_the_notes_say_so(made):
    _, _, model = made
    frame = generated_log(seed=2, customers=50)
    scored = sg.score(csv_table(frame), model)
    last = max(frame["Order Date"])
    assert scored.rollup.as_of == pd.Timestamp(last)
    assert scored.notes[1] == (
        f"Days are counted to {last}, the new log's last date (the segments were made counting to "
        f"{model['transactions']['as_of']}); give an as-of date (--as-of on the command line) to count to another day."
    )
    assert sum(n.startswith("Days are counted") for n in scored.notes) == 1


def test_an_explicit_as_of_date_counts_to_it_and_leaves_later_rows_out(made):
    _, _, model = made
    frame = generated_log(seed=3, customers=80)
    as_of = date(2023, 9, 30)
    scored = sg.score(csv_table(frame), model, as_of="2023-09-30")
    kept = frame[frame["Order Date"] <= as_of.isoformat()]
    expected = expected_per_customer(kept, order="Order No", as_of=as_of)
    table = scored.table.frame.set_index("Customer ID")
    assert sorted(table.index) == sorted(expected)
    for customer, values in expected.items():
        assert table.loc[customer, "Days since last purchase"] == values["Days since last purchase"]
        assert table.loc[customer, "Total spend"] == values["Total spend"]
    after = int((frame["Order Date"] > "2023-09-30").sum())
    assert any(f"{after:,} rows are dated after the as-of date 2023-09-30" in n for n in scored.notes)
    same = sg.score(csv_table(frame), model, as_of=date(2023, 9, 30))
    np.testing.assert_array_equal(same.labels, scored.labels)


def test_a_messy_log_is_scored_with_its_roll_up_notes():
    log = sg.load_table(MESSY.encode(), name="messy.csv")
    rollup = sg.roll_up(log, customer="Customer", date="Order date", amount="Amount", order="Order ID")
    model = sg.run_config(sg.fit(sg.prepare_customers(rollup), 2), rollup=rollup)
    scored = sg.score(log, model)
    # Refund-only C04 and the row without a customer are not customers; every other customer is placed.
    assert sorted(scored.table.frame["Customer"]) == ["C01", "C02", "C03", "C05"]
    assert (scored.labels > 0).all()
    for note in rollup.notes[2:]:
        assert note in scored.notes
    lines = sg.scored_order_lines_frame(scored)
    assert len(lines) == log.n_rows
    assert lines["Status"].tolist() == scored.rollup.row_status.astype(str).tolist()


def test_every_order_line_carries_its_customers_segment(made):
    _, _, model = made
    frame = generated_log(seed=4, customers=60)
    frame.loc[0, "Customer ID"] = ""  # left out: no customer
    scored = sg.score(csv_table(frame), model)
    lines = pd.read_csv(io.BytesIO(sg.scored_order_lines_csv(scored)), dtype=str, keep_default_na=False)
    assert len(lines) == len(frame)
    segment_of = dict(zip(scored.table.frame["Customer ID"], scored.labels.astype(str), strict=True))
    for customer, segment, status in zip(lines["Customer ID"], lines["Segment"], lines["Status"], strict=True):
        assert segment == segment_of.get(customer, ""), customer
        assert (status == "rolled up") == (customer != "")
    names = dict(zip(lines["Segment"], lines["Segment name"], strict=True))
    assert names[""] == "" and names["1"] == "Segment 1"


def test_a_customer_table_scored_with_a_logs_run_file_is_told_what_to_give(made):
    customers, segmentation, model = made
    table = sg.load_table(sg.customers_csv(segmentation, customers.rollup), name="customers.csv")
    with pytest.raises(sg.DataError, match="looks like one row per customer already. Score the log of purchases"):
        sg.score(table, model)


def test_a_log_missing_a_column_of_the_run_files_log_is_told_which(made):
    _, _, model = made
    frame = generated_log(seed=5, customers=30).rename(columns={"Order No": "Invoice"})
    with pytest.raises(sg.DataError, match=r"has no column 'Order No' \(order ID\), which the log"):
        sg.score(csv_table(frame), model)


def test_a_log_scored_with_a_customer_files_run_file_is_told_so():
    table = sg.load_table(sg.demo_csv(200))
    model = sg.run_config(sg.fit(sg.prepare(table), 3))
    with pytest.raises(sg.DataError, match="looks like a transaction log .* made from a customer file"):
        sg.score(csv_table(generated_log(seed=6, customers=30)), model)
    with pytest.raises(sg.DataError, match="An as-of date counts the days of a transaction log"):
        sg.score(table, model, as_of="2024-06-30")


def test_a_new_log_much_shorter_than_the_segments_history_gets_a_note(made):
    """Next quarter's orders alone make every customer look new: the notes say so, not 'another unit'."""
    _, _, model = made
    frame = generated_log(seed=5, customers=150)
    last = pd.to_datetime(frame["Order Date"]).max()
    quarter = frame[pd.to_datetime(frame["Order Date"]) > last - pd.Timedelta(days=90)]
    notes = sg.score(csv_table(quarter), model).notes
    (shorter,) = [n for n in notes if n.startswith("The new log covers")]
    assert "give the whole history" in shorter and notes.index(shorter) == 2
    assert not any("Days since first purchase" in n and "median" in n for n in notes)
    # The whole history: no such note.
    assert not any(n.startswith("The new log covers") for n in sg.score(csv_table(frame), model).notes)

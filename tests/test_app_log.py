"""The app on a transaction log, driven with AppTest: rolled up on upload, segmented per customer, RFM
cells beside the segments, the roll-up form, and the downloads (issue 15)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from helpers import plain, plain_table
from streamlit.testing.v1 import AppTest
from test_app import app, sidebar_text, visit

import segmentation


@pytest.fixture(autouse=True)
def fresh_caches():
    import app_state

    app_state.clear_caches()
    yield
    app_state.clear_caches()


def cdnow_bytes() -> bytes:
    from helpers import shared_file
    from log_data import CDNOW

    return shared_file(CDNOW).read_bytes()


def small_log() -> bytes:
    """A generated log of 120 customers' order lines (order IDs, amounts, ISO dates)."""
    from log_data import generated_log

    return generated_log(seed=3, customers=120).to_csv(index=False).encode()


def upload_log(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "text/plain")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def log_form(at: AppTest, **choices) -> AppTest:
    """Fill the upload page's roll-up form (by its labels) and submit it."""
    widgets = {w.label: w for w in [*at.radio, *at.selectbox, *at.date_input]}
    for label, value in choices.items():
        widgets[label].set_value(value)
    next(b for b in at.button if b.label == "Read the file this way").click().run()
    assert not at.exception
    return at


@pytest.mark.slow
def test_a_transaction_log_is_rolled_up_on_upload_and_segmented_per_customer(downloads):
    at = upload_log(app(), "CDNOW_master.txt", cdnow_bytes())
    summary = plain(next(i.value for i in at.info if "transaction log" in i.value))
    assert "69,659 purchases by 23,570 customers, 1997-01-01 to 1998-06-30." in summary
    assert "Days are counted to 1998-06-30, the last date in the log." in summary
    assert {m.label: m.value for m in at.metric}["Customers"] == "23,570"
    assert "23,570 customers from 69,659 rows" in sidebar_text(at)
    columns = at.dataframe[2].value.set_index("Column")  # the customer preview, the file's, then the column table
    assert columns.loc["customer_id", "Role"] == "ignore"
    assert columns.loc["Days since last purchase", "Role"] == "segment"
    assert columns.loc["Average days between orders", ["Role", "Missing"]].tolist() == ["describe", 12_054]
    assert any("12,054 customers with one order have none" in plain(w.value) for w in at.warning)

    visit(at, "pages/clusters.py")
    import app_state

    k = at.session_state[app_state.CHOSEN_K]
    assert at.data_editor[0].value["Customers"].sum() == 23_570
    rfm = plain_table(next(t.value for t in at.table if "All customers" in plain(" ".join(map(str, t.value.columns)))))
    assert rfm.index.tolist()[:3] == ["Champions", "Loyal Customers", "Potential Loyalists"] and len(rfm) == 11
    assert rfm.iloc[:, -1].str.replace(",", "").astype(int).sum() == 23_570
    labels = [b.label for b in at.download_button]
    assert labels[-1] == "Every order line with its customer's segment (CSV)"
    read = dict(dtype=str, keep_default_na=False, encoding="utf-8-sig")
    customers = pd.read_csv(io.BytesIO(downloads[f"CDNOW_master_segments_K{k}.csv"]()), **read)
    assert len(customers) == 23_570 and customers["customer_id"].is_unique
    assert {"R", "F", "M", "RFM", "RFM cell", "Segment", "Days since last purchase"} <= set(customers.columns)
    lines = pd.read_csv(io.BytesIO(downloads[f"CDNOW_master_order_lines_K{k}.csv"]()), **read)
    assert len(lines) == 69_659 and lines["Segment"].ne("").all()
    segment_of = dict(zip(customers["customer_id"], customers["Segment"], strict=True))
    assert (lines["customer_id"].map(segment_of) == lines["Segment"]).all()


def test_the_roll_up_form_reads_a_log_another_way():
    at = upload_log(app(), "orders.csv", small_log())
    import app_state

    n_lines = len(pd.read_csv(io.BytesIO(small_log())))
    assert {m.label: m.value for m in at.metric}["Customers"] == "120"
    assert at.session_state[app_state.OPTIONS].log == segmentation.LogOptions()
    # No order column and an as-of date: orders become purchase days, days are counted to that date.
    log_form(at, **{"Order ID": "(none)", "Count days up to": __import__("datetime").date(2025, 6, 30)})
    log = at.session_state[app_state.OPTIONS].log
    assert (log.order, log.as_of, log.customer) == ("", "2025-06-30", "Customer ID")
    summary = plain(next(i.value for i in at.info if "transaction log" in i.value))
    assert "Days are counted to 2025-06-30, the as-of date given." in summary
    assert "The log has no order ID" in summary
    # Read as one row per customer: every order line is a row again, and nothing says "log".
    log_form(at, **{"This file is": "Already one row per customer"})
    assert {m.label: m.value for m in at.metric}["Customers (rows)"] == f"{n_lines:,}"
    assert not any("transaction log" in i.value for i in at.info)
    # And back.
    log_form(at, **{"This file is": "A log of purchases: roll it up to one row per customer"})
    assert {m.label: m.value for m in at.metric}["Customers"] == "120"


def test_a_roll_up_that_cannot_work_is_explained_and_the_previous_one_kept():
    at = upload_log(app(), "orders.csv", small_log())
    log_form(at, **{"Purchase date": "Sales", "Amount (money)": "(none)"})
    assert any(
        "does not hold dates" in plain(e.value) and "previous choice is kept" in plain(e.value) for e in at.error
    )
    assert {m.label: m.value for m in at.metric}["Customers"] == "120"


def test_a_customer_table_is_not_rolled_up_and_can_be():
    at = app()  # the sample: one row per customer
    assert not any("transaction log" in i.value for i in at.info)
    log_form(
        at,
        **{
            "This file is": "A log of purchases: roll it up to one row per customer",
            "Customer ID": "CustomerID",
            "Purchase date": "Member Since",
        },
    )
    summary = plain(next(i.value for i in at.info if "transaction log" in i.value))
    assert "3,000 purchases by 3,000 customers" in summary

"""Rolling a transaction log up to one row per customer: known answers, messy logs, CDNOW, every row accounted for."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import log_data
import numpy as np
import pandas as pd
import pytest
from log_data import MESSY, csv_table, generated_log

import segmentation as sg
from segmentation import (
    DataError,
    detect_log,
    load_table,
    rfm_crosstab,
    rfm_scores,
    roll_up,
)
from segmentation.transactions import (
    INTERVAL,
    ORDER_VALUE,
    ORDERS,
    RECENCY,
    ROW_STATUSES,
    SPEND,
    TENURE,
)


def expected_per_customer(frame: pd.DataFrame, *, order: str | None, as_of: date | None = None) -> dict:
    """Per customer, computed with plain Python over the rows: what the roll-up must give."""
    lines = defaultdict(list)
    for record in frame.to_dict("records"):
        day = date.fromisoformat(record["Order Date"])
        key = record[order] if order else day
        lines[record["Customer ID"]].append((key, day, Decimal(record["Sales"])))
    as_of = as_of or max(day for rows in lines.values() for _, day, _ in rows)
    expected = {}
    for customer, rows in lines.items():
        orders = {key for key, _, _ in rows}
        days = [day for _, day, _ in rows]
        spend = sum(amount for _, _, amount in rows)  # exact, in decimals
        first, last = min(days), max(days)
        expected[customer] = {
            RECENCY: (as_of - last).days,
            ORDERS: len(orders),
            SPEND: float(spend),
            ORDER_VALUE: float((spend / len(orders)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)),
            TENURE: (as_of - first).days,
            INTERVAL: round((last - first).days / (len(orders) - 1), 1) if len(orders) > 1 else None,
        }
    return expected


def assert_matches(rollup: sg.Rollup, expected: dict) -> None:
    frame = rollup.table.frame.set_index(rollup.columns.customer)
    assert sorted(frame.index) == sorted(expected)
    for customer, values in expected.items():
        got = frame.loc[customer]
        for column, value in values.items():
            if value is None:
                assert np.isnan(got[column]), (customer, column)
            else:
                assert got[column] == value, (customer, column, got[column], value)


# ---------------------------------------------------------------------------------------------
# Generated logs with known answers


def test_generated_log_with_order_ids_rolls_up_to_the_known_answers():
    frame = generated_log()
    rollup = roll_up(csv_table(frame), customer="Customer ID", date="Order Date", amount="Sales", order="Order No")
    assert_matches(rollup, expected_per_customer(frame, order="Order No"))
    assert rollup.n_customers == 300
    assert rollup.n_orders == frame["Order No"].nunique()
    assert (rollup.row_status == "rolled up").all()
    # Customers in order of their first row in the log, IDs as written (zeros kept).
    assert rollup.table.raw["Customer ID"].tolist() == list(dict.fromkeys(frame["Customer ID"]))


def test_without_an_order_column_orders_are_distinct_purchase_days():
    frame = generated_log(seed=1)
    # Two orders of one customer on the same day become one purchase day.
    frame.loc[len(frame)] = {**frame.iloc[0].to_dict(), "Order No": "99999", "Sales": "10.00"}
    rollup = roll_up(csv_table(frame), customer="Customer ID", date="Order Date", amount="Sales")
    assert_matches(rollup, expected_per_customer(frame, order=None))
    days = frame.groupby("Customer ID")["Order Date"].nunique().sum()
    assert rollup.n_orders == days
    assert "purchases on one day count as one order" in rollup.notes[2]


def test_as_of_date_counts_days_to_it_and_leaves_later_rows_out():
    frame = generated_log(seed=2, customers=120)
    as_of = date(2023, 9, 30)
    rollup = roll_up(csv_table(frame), customer="Customer ID", date="Order Date", amount="Sales", as_of="2023-09-30")
    before = frame[frame["Order Date"] <= as_of.isoformat()]
    assert_matches(rollup, expected_per_customer(before, order=None, as_of=as_of))
    later = (frame["Order Date"] > as_of.isoformat()).to_numpy()
    assert rollup.as_of == pd.Timestamp("2023-09-30")
    assert (rollup.row_status[later] == "dated after the as-of date").all()
    assert rollup.accounting()["dated after the as-of date"] == later.sum()
    assert f"{later.sum():,} rows are dated after the as-of date 2023-09-30" in " ".join(rollup.notes)
    # A date object gives the same roll-up.
    same = roll_up(csv_table(frame), customer="Customer ID", date="Order Date", amount="Sales", as_of=as_of)
    pd.testing.assert_frame_equal(same.table.frame, rollup.table.frame)


def test_a_log_without_amounts_has_no_spend_columns():
    frame = generated_log(seed=3, customers=50).drop(columns=["Sales"])
    rollup = roll_up(csv_table(frame), customer="Customer ID", date="Order Date", order="Order No")
    assert rollup.table.columns == ["Customer ID", RECENCY, ORDERS, TENURE, INTERVAL]
    expected = frame.groupby("Customer ID")["Order No"].nunique()
    got = rollup.table.frame.set_index("Customer ID")[ORDERS]
    assert got.sort_index().tolist() == expected.sort_index().astype(float).tolist()


# ---------------------------------------------------------------------------------------------
# Messy logs


@pytest.fixture
def messy() -> sg.Rollup:
    table = load_table(MESSY.encode(), name="messy.csv")
    found = detect_log(table)
    assert found.options() == {"customer": "Customer", "date": "Order date", "amount": "Amount", "order": "Order ID"}
    return roll_up(table, **found.options())


def test_messy_log_customers(messy):
    frame = messy.table.frame.set_index("Customer")
    # C01: order 1001 is two lines (10.00 + 5.50) on 03-01; 1003 (03-10) has no amount; 1009 has no date.
    # C02: 1002 (05.03.2024, 20), 1006 a refund of 20 on 03-15, 1008 on 03-20 with "abc" as amount.
    # C03: 1004's date is unreadable; two lines without an order ID on 03-21 make one order of 10.
    # C04 has a refund only; C05 bought once, on the last day (an 8-digit date).
    expected = pd.DataFrame(
        {
            RECENCY: [20.0, 10.0, 9.0, 0.0],
            ORDERS: [2.0, 2.0, 1.0, 1.0],
            SPEND: [15.5, 0.0, 10.0, 1.0],
            ORDER_VALUE: [15.5, 0.0, 10.0, 1.0],
            TENURE: [29.0, 25.0, 9.0, 0.0],
            INTERVAL: [9.0, 15.0, np.nan, np.nan],
        },
        index=pd.Index(["C01", "C02", "C03", "C05"], name="Customer", dtype="str"),
    )
    pd.testing.assert_frame_equal(frame, expected)
    assert messy.n_orders == 6 and messy.n_refunds == 2


def test_messy_log_accounts_for_every_row(messy):
    assert messy.row_status.tolist() == [
        "rolled up",
        "rolled up",
        "rolled up",
        "rolled up",
        "with an unreadable date",
        "without a customer ID",
        "rolled up",
        "of a customer with refunds only",
        "rolled up",
        "without a date",
        "rolled up",
        "rolled up",
        "rolled up",
    ]
    assert messy.accounting().sum() == messy.n_log_rows == 13
    assert messy.accounting().index.tolist() == list(ROW_STATUSES)
    # Every row keeps its customer when the customer is in the table, even rows left out of the figures.
    assert messy.customer_row.tolist() == [0, 0, 1, 0, 2, -1, 1, -1, 1, 0, 2, 2, 3]
    assert messy.per_row(np.array([1, 2, 2, 3]), missing=0).tolist() == [1, 1, 2, 1, 2, 0, 2, 0, 2, 1, 2, 2, 3]


def test_messy_log_notes_say_what_was_done(messy):
    assert messy.notes == (
        "10 order lines in 6 orders by 4 customers, 2024-03-01 to 2024-03-30.",
        "Days are counted to 2024-03-30, the last date in the log.",
        "2 orders have several lines; each order's lines are added up.",
        "2 rows have no order ID (rows 11 and 12); a customer's such rows on one day count as one order.",
        "Dates in 'Order date' are written in 4 layouts: 8 as yyyy-mm-dd, 1 as yyyy/mm/dd, 1 as dd.mm.yyyy and "
        "1 as yyyymmdd; all were read.",
        "2 orders add up to a negative amount (refunds or returns, -25.00 in all): they reduce their customer's "
        "total spend and are not counted as purchases.",
        "2 rows have no amount in 'Amount' (rows 4 and 9; 'abc' in row 9 is not a number): they count as "
        "purchases but add nothing to spend.",
        "1 row has no customer ID (row 6).",
        "1 row has no date in 'Order date' (row 10).",
        "1 row has a date that cannot be read ('yesterday' in row 5).",
        "1 row belongs to customers with refunds only, no purchase (row 8); those customers are not in the "
        "customer table.",
        "Every row is accounted for: 9 rolled up and 4 left out (1 without a customer ID, 1 without a date, 1 with "
        "an unreadable date and 1 of a customer with refunds only).",
    )
    assert messy.table.notes == messy.notes


@pytest.mark.parametrize(
    ("dates", "layout"),
    [
        (["20240305", "20240301", "20240310"], "yyyymmdd"),
        (["05/03/2024", "01/03/2024", "10/03/2024"], "dd/mm/yyyy"),
        (["03/05/2024", "03/01/2024", "03/10/2024", "12/31/2023"], "mm/dd/yyyy"),
        (["2024-03-05 10:22:01", "2024-03-01 08:00:00", "2024-03-10 23:59:59"], "yyyy-mm-dd hh:mm:ss"),
        (["2024-03-05", "01.03.2024", "20240310"], "several"),
    ],
)
def test_dates_in_any_common_layout(dates, layout):
    # One customer buying on 1, 5 and 10 March 2024 (and on 31 Dec 2023 in the month-first case).
    frame = pd.DataFrame({"Customer": ["0001"] * len(dates) + ["0002"], "Date": dates + [dates[0]]})
    rollup = roll_up(csv_table(frame), customer="Customer", date="Date")
    first = rollup.table.frame.iloc[0]
    assert rollup.last_date == pd.Timestamp("2024-03-10")
    assert first[RECENCY] == 0 and first[ORDERS] == len(dates)
    assert first[TENURE] == (9 if len(dates) == 3 else 70)
    assert rollup.table.frame.iloc[1][RECENCY] == 5 or layout == "mm/dd/yyyy"
    several = [n for n in rollup.notes if "layouts" in n]
    assert bool(several) == (layout == "several")


def test_amounts_with_currency_signs_and_decimal_commas():
    text = "Kunde;Datum;Umsatz\nK1;01.03.2024;1.234,50 €\nK1;02.03.2024;-34,50 €\nK2;02.03.2024;12,00 €\n"
    rollup = roll_up(load_table(text.encode()), customer="Kunde", date="Datum", amount="Umsatz")
    assert rollup.table.frame[SPEND].tolist() == [1200.0, 12.0]  # the refund of 34.50 reduces K1's spend
    assert rollup.table.frame[ORDERS].tolist() == [1.0, 1.0]  # and is not a purchase
    assert rollup.n_refunds == 1


def test_a_refund_inside_an_order_reduces_the_order():
    frame = pd.DataFrame(
        {
            "Customer": ["A", "A", "A", "B", "B"],
            "Order": ["1", "1", "2", "3", "4"],
            "Date": ["2024-01-01", "2024-01-01", "2024-02-01", "2024-01-05", "2024-02-01"],
            "Amount": [30.0, -10.0, 5.0, 8.0, 4.0],
        }
    )
    rollup = roll_up(csv_table(frame), customer="Customer", date="Date", amount="Amount", order="Order")
    assert rollup.table.frame[SPEND].tolist() == [25.0, 12.0]
    assert rollup.table.frame[ORDER_VALUE].tolist() == [12.5, 6.0]
    assert rollup.n_refunds == 0


def test_an_order_id_shared_by_two_customers_is_an_order_of_each_and_an_order_is_dated_by_its_first_line():
    frame = pd.DataFrame(
        {
            "Customer": ["A", "B", "A", "A", "B"],
            "Order": ["7", "7", "8", "8", "9"],
            "Date": ["2024-03-01", "2024-03-02", "2024-03-05", "2024-03-09", "2024-03-10"],
            "Amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    rollup = roll_up(csv_table(frame), customer="Customer", date="Date", amount="Amount", order="Order")
    result = rollup.table.frame.set_index("Customer")
    assert result[ORDERS].tolist() == [2.0, 2.0]
    assert result[SPEND].tolist() == [8.0, 7.0]
    # A's order 8 has lines on 03-05 and 03-09: it is an order of 03-05, 5 days before the last date.
    assert result.loc["A", RECENCY] == 5 and result.loc["A", INTERVAL] == 4.0
    assert rollup.n_orders == 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"customer": "Client", "date": "Date"}, "has no column 'Client' (given as the customer column)"),
        ({"customer": "Customer", "date": "Amount"}, "Column 'Amount' does not hold dates"),
        ({"customer": "Customer", "date": "Date", "amount": "Note"}, "Column 'Note' does not hold amounts"),
        ({"customer": "Customer", "date": "Date", "order": "Customer"}, "is given for two roles"),
        ({"customer": "Customer", "date": "Date", "as_of": "soon"}, "The as-of date 'soon' is not a date"),
        ({"customer": "Customer", "date": "Date", "as_of": "2020-01-01"}, "Every purchase in 'orders.csv' is dated"),
    ],
)
def test_bad_choices_raise_a_data_error_a_marketer_can_act_on(options, message):
    frame = pd.DataFrame(
        {
            "Customer": ["A", "A", "B"],
            "Date": ["2024-01-01", "2024-01-02", "2024-01-03"],
            "Amount": [1.5, 2.5, 3.5],
            "Note": ["gift", "late", "x"],
        }
    )
    with pytest.raises(DataError, match=re.escape(message)):
        roll_up(csv_table(frame), **options)


# ---------------------------------------------------------------------------------------------
# CDNOW, the real log


@pytest.fixture(scope="module")
def cdnow() -> sg.Rollup:
    return log_data.cdnow()


def test_cdnow_rolls_up_to_its_23570_customers(cdnow):
    assert cdnow.n_log_rows == 69_659 and cdnow.n_customers == 23_570
    assert cdnow.notes[0] == "69,659 purchases by 23,570 customers, 1997-01-01 to 1998-06-30."
    assert cdnow.as_of == pd.Timestamp("1998-06-30")
    assert cdnow.accounting()["rolled up"] == 69_659
    assert cdnow.n_orders == 67_591  # distinct customer and day pairs
    frame = cdnow.table.frame
    assert frame[SPEND].sum() == pytest.approx(2_500_315.63, abs=0.01)  # every dollar_value, no refunds
    assert frame[ORDERS].sum() == 67_591
    assert (frame[ORDERS] == 1).sum() == frame[INTERVAL].isna().sum() == 12_054
    assert cdnow.definitions() == {
        "rows": 69_659,
        "customers": 23_570,
        "customer": "customer_id",
        "date": "date",
        "amount": "dollar_value",
        "order": None,
        "as_of": "1998-06-30",
    }


@pytest.mark.parametrize(
    ("customer", "recency", "orders", "spend", "tenure", "interval"),
    [
        # " 00001 19970101  1   11.77": one purchase, 545 days before 1998-06-30.
        ("00001", 545, 1, 11.77, 545, None),
        # Two lines on 1997-01-12 (12.00 and 77.00): one order of 89.00.
        ("00002", 534, 1, 89.00, 534, None),
        # Six days from 1997-01-02 to 1998-05-28 (511 days, 5 gaps): 20.76+20.76+19.54+57.45+20.96+16.99.
        ("00003", 33, 6, 156.46, 544, 102.2),
        # The last two lines of the file: 1997-03-25 (51.12) and 1997-03-26 (42.96).
        ("23570", 461, 2, 94.08, 462, 1.0),
    ],
)
def test_cdnow_customers_checked_by_hand(cdnow, customer, recency, orders, spend, tenure, interval):
    row = cdnow.table.frame.set_index("customer_id").loc[customer]
    assert (row[RECENCY], row[ORDERS], row[SPEND], row[TENURE]) == (recency, orders, spend, tenure)
    assert row[ORDER_VALUE] == round(spend / orders, 2)
    assert np.isnan(row[INTERVAL]) if interval is None else row[INTERVAL] == interval


def test_cdnow_customer_table_writes_amounts_as_the_log_does(cdnow):
    raw = cdnow.table.raw.set_index("customer_id")
    assert raw.loc["00002", [SPEND, ORDER_VALUE, RECENCY, ORDERS]].tolist() == ["89.00", "89.00", "534", "1"]
    assert raw.loc["00001", INTERVAL] == "" and raw.loc["00003", INTERVAL] == "102.2"
    # How the log was read comes first among the customer table's notes, then how it was rolled up.
    assert "separated by runs of spaces" in cdnow.table.notes[0]
    assert cdnow.table.notes[1:] == cdnow.notes


def test_cdnow_customer_table_segments_like_any_customer_file(cdnow):
    prepared = sg.prepare(cdnow.table)
    assert "customer_id" not in prepared.columns  # an identifier, as in any customer file
    # Half of CDNOW's customers bought once and have no days between orders: mostly blank, the
    # column is described, as in any customer file (and as the roll-up's own defaults do).
    assert set(prepared.columns) == {RECENCY, ORDERS, SPEND, ORDER_VALUE, TENURE}
    assert (
        prepared.report(INTERVAL).role == "describe"
        and "Missing for 51% of customers" in prepared.report(INTERVAL).reason
    )
    segmentation = sg.fit(prepared, 4)
    scores = rfm_scores(cdnow)
    table = rfm_crosstab(scores["RFM cell"], segmentation.labels)
    assert table["All customers"].sum() == 23_570
    assert table.drop(columns="All customers").sum().tolist() == list(segmentation.sizes)
    # Every order line gets its customer's segment.
    per_line = cdnow.per_row(segmentation.labels, missing=0)
    assert len(per_line) == 69_659 and (per_line > 0).all()


# ---------------------------------------------------------------------------------------------
# Everything that comes in is either refused clearly or every row is accounted for


@pytest.mark.parametrize("seed", range(5))
def test_random_messy_logs_account_for_every_row(seed):
    rng = np.random.default_rng(seed)
    n = 400
    customers = rng.choice(np.array(["", "A1", "A2", "B7", "C9", "D3", "NA"]), n)
    layouts = ["2024-01-05", "05.02.2024", "20240310", "", "n/a", "31/02/2024", "2024-13-01"]
    dates = rng.choice(np.array(layouts), n, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05])
    amounts = rng.choice(np.array(["12.50", "-3", "", "abc", "7", "0"]), n)
    text = io.StringIO()
    pd.DataFrame({"Customer": customers, "Date": dates, "Amount": amounts}).to_csv(text, index=False)
    table = load_table(text.getvalue().encode())
    rollup = roll_up(table, customer="Customer", date="Date", amount="Amount")
    accounting = rollup.accounting()
    assert accounting.sum() == n
    no_customer = np.isin(customers, ["", "NA"])
    assert accounting["without a customer ID"] == no_customer.sum()
    assert accounting["without a date"] == (~no_customer & np.isin(dates, ["", "n/a"])).sum()
    assert accounting["with an unreadable date"] == (~no_customer & np.isin(dates, ["31/02/2024", "2024-13-01"])).sum()
    rolled = (rollup.row_status == "rolled up").to_numpy()
    assert (rollup.customer_row[rolled] >= 0).all()
    assert rollup.table.frame[ORDERS].sum() == rollup.n_orders

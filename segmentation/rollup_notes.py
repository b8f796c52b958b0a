"""What a marketer reads about a roll-up: its size and dates, how orders were counted, and every row left out.

Every row of a log gets a status (:data:`ROW_STATUSES`, numbered by :class:`RowStatus`): rolled up,
or left out and why. :func:`rollup_notes` writes the notes :attr:`segmentation.Rollup.notes` carries,
naming the rows as the loader does ("rows 4, 9 and 12", counted from 1 after the header).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd

from .load import Table
from .log_columns import LogColumns, column_text
from .log_dates import day_text, layout_words
from .wording import and_joined, clipped

__all__ = ["ROW_STATUSES", "RowStatus", "rollup_notes"]

#: What became of each row of the log (:attr:`segmentation.Rollup.row_status`), in this order.
ROW_STATUSES = (
    "rolled up",
    "without a customer ID",
    "without a date",
    "with an unreadable date",
    "dated after the as-of date",
    "of a customer with refunds only",
)


class RowStatus(IntEnum):
    """The positions of :data:`ROW_STATUSES`, as the roll-up stores them (one small integer per row)."""

    ROLLED_UP = 0
    NO_CUSTOMER = 1
    NO_DATE = 2
    BAD_DATE = 3
    AFTER_AS_OF = 4
    REFUNDS_ONLY = 5


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    """The rows of a mask as the loader names them: "row 7", "rows 4, 9 and 12", "rows 1, 2 ... and 95 more"."""
    positions = np.flatnonzero(mask)
    shown = [f"{p + 1:,}" for p in positions[:limit]]
    more = len(positions) - limit
    listed = ", ".join(shown) + f" and {more:,} more" if more > 0 else and_joined(shown)
    return f"{'row' if len(positions) == 1 else 'rows'} {listed}"


def _count(n: int, noun: str, verb: str = "") -> str:
    """A count, its noun and a verb agreeing with it: "1 row has", "2 rows have"."""
    plural = {"has": "have", "is": "are", "adds": "add", "belongs": "belong"}
    words = f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
    return f"{words} {verb if n == 1 else plural[verb]}" if verb else words


def rollup_notes(
    table: Table,
    *,
    columns: LogColumns,
    status: np.ndarray,
    counted: np.ndarray,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    date_text: pd.Series,
    layouts: dict[str, int],
    amounts: pd.Series | None,
    scale: int,
    first_date: pd.Timestamp,
    last_date: pd.Timestamp,
    as_of_day: int,
    as_of_given: bool,
) -> list[str]:
    """The roll-up's notes, first its size and dates ("69,659 purchases by 23,570 customers, 1997-01-01
    to 1998-06-30."), then the as-of date, how orders were counted, dates in several layouts, refunds
    and missing amounts, and one note per reason rows were left out.

    ``status`` holds each log row's :class:`RowStatus`; ``counted`` marks the rows rolled up;
    ``orders`` and ``customers`` are :func:`segmentation.orders.orders_of` and
    :func:`segmentation.orders.per_customer` of those rows, amounts in 1/``scale`` units.
    """
    n_lines = int(counted.sum())
    n_customers = len(customers)
    purchases = int((~orders["refund"]).sum())
    span = f"{first_date:%Y-%m-%d} to {last_date:%Y-%m-%d}"
    if columns.order is not None and n_lines != purchases:
        notes = [
            f"{_count(n_lines, 'order line')} in {_count(purchases, 'order')} by {_count(n_customers, 'customer')}, {span}."
        ]
    else:
        notes = [f"{_count(n_lines, 'purchase')} by {_count(n_customers, 'customer')}, {span}."]
    as_of_text = day_text(as_of_day)
    which = "the as-of date given" if as_of_given else "the last date in the log"
    notes.append(f"Days are counted to {as_of_text}, {which}.")
    several = int((orders["lines"] > 1).sum())
    if columns.order is None and several:
        notes.append(
            f"The log has no order ID, so a customer's purchases on one day count as one order: "
            f"{_count(purchases, 'order')}, {several:,} of them with several lines (their amounts added up)."
        )
    elif several:
        notes.append(f"{_count(several, 'order', 'has')} several lines; each order's lines are added up.")
    if columns.order is not None:
        no_order = counted & column_text(table, columns.order).isna().to_numpy()
        if no_order.any():
            notes.append(
                f"{_count(int(no_order.sum()), 'row', 'has')} no order ID ({_rows(no_order)}); a customer's such rows "
                "on one day count as one order."
            )
    if len(layouts) > 1:
        by_count = sorted(layouts.items(), key=lambda item: -item[1])
        notes.append(
            f"Dates in '{columns.date}' are written in {len(layouts)} layouts: "
            + and_joined([f"{count:,} as {layout_words(layout)}" for layout, count in by_count])
            + "; all were read."
        )
    if amounts is not None:
        notes += _amount_notes(
            table, columns.amount, counted=counted, amounts=amounts, scale=scale, orders=orders, customers=customers
        )
    notes += _left_out_notes(status, date_text=date_text, date=columns.date, as_of_text=as_of_text)
    return notes


def _amount_notes(
    table: Table,
    column: str,
    *,
    counted: np.ndarray,
    amounts: pd.Series,
    scale: int,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
) -> list[str]:
    notes = []
    refunds = orders["refund"]
    if refunds.any():
        total = float(orders.loc[refunds, "amount"].sum()) / scale
        notes.append(
            f"{_count(int(refunds.sum()), 'order', 'adds')} up to a negative amount (refunds or returns, {total:,.2f} in "
            "all): they reduce their customer's total spend and are not counted as purchases."
        )
    missing = counted & amounts.isna().to_numpy()
    if missing.any():
        text = table.frame[column].notna().to_numpy() & missing  # written, but not a number
        unreadable = ""
        if text.any():
            first = int(np.flatnonzero(text)[0])
            example = clipped(str(table.raw[column].iloc[first]).strip(), 30)
            unreadable = f"; '{example}' in row {first + 1:,} is not a number" + (
                f", nor are {int(text.sum()) - 1:,} more" if text.sum() > 1 else ""
            )
        notes.append(
            f"{_count(int(missing.sum()), 'row', 'has')} no amount in '{column}' ({_rows(missing)}{unreadable}): "
            "they count as purchases but add nothing to spend."
        )
        unknown = int(customers["spend"].isna().sum())
        if unknown:
            notes.append(f"{_count(unknown, 'customer', 'has')} no amount at all; their total spend is left empty.")
    return notes


def _left_out_notes(status: np.ndarray, *, date_text: pd.Series, date: str, as_of_text: str) -> list[str]:
    """One note per reason a row was left out of the roll-up, naming the rows, and the count of each."""
    notes = []
    no_customer = status == RowStatus.NO_CUSTOMER
    if no_customer.any():
        notes.append(f"{_count(int(no_customer.sum()), 'row', 'has')} no customer ID ({_rows(no_customer)}).")
    no_date = status == RowStatus.NO_DATE
    if no_date.any():
        notes.append(f"{_count(int(no_date.sum()), 'row', 'has')} no date in '{date}' ({_rows(no_date)}).")
    bad = status == RowStatus.BAD_DATE
    if bad.any():
        examples = [f"'{clipped(date_text.iloc[p], 30)}' in row {p + 1:,}" for p in np.flatnonzero(bad)[:3]]
        more = int(bad.sum()) - len(examples)
        listed = ", ".join(examples) + f" and {more:,} more" if more > 0 else and_joined(examples)
        notes.append(f"{_count(int(bad.sum()), 'row', 'has')} a date that cannot be read ({listed}).")
    after = status == RowStatus.AFTER_AS_OF
    if after.any():
        notes.append(
            f"{_count(int(after.sum()), 'row', 'is')} dated after the as-of date {as_of_text} ({_rows(after)})."
        )
    refunds_only = status == RowStatus.REFUNDS_ONLY
    if refunds_only.any():
        notes.append(
            f"{_count(int(refunds_only.sum()), 'row', 'belongs')} to customers with refunds only, no purchase "
            f"({_rows(refunds_only)}); those customers are not in the customer table."
        )
    counts = np.bincount(status, minlength=len(ROW_STATUSES))
    left_out = int(len(status) - counts[RowStatus.ROLLED_UP])
    if left_out:
        parts = [f"{counts[i]:,} {ROW_STATUSES[i]}" for i in range(1, len(ROW_STATUSES)) if counts[i]]
        notes.append(
            f"Every row is accounted for: {counts[RowStatus.ROLLED_UP]:,} rolled up and {left_out:,} left out "
            f"({and_joined(parts)})."
        )
    return notes

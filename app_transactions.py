"""The app's glue for transaction logs: the roll-up's summary and form, the RFM cross-table, the log's downloads.

Used by the upload page (what the roll-up did, and the form that overrides it) and the Segments page
(the RFM cells beside the segments, the customer and order-line downloads). It defines no session
state and no cache: the current file, its roll-up and its options come from :mod:`app_state`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

import app_show
import app_state
import segmentation as sg

#: The upload form's two readings of a file.
A_LOG = "A log of purchases: roll it up to one row per customer"
CUSTOMER_TABLE = "Already one row per customer"

#: The form's choice for "no such column".
NO_COLUMN = "(none)"


def summary(rollup: sg.Rollup) -> str:
    """What the upload page says first about a log, in Markdown: its size and dates, and what was done."""
    return (
        f"**This file is a transaction log**: {app_show.literal(rollup.notes[0])} It was rolled up to one row "
        "per customer (the table below), so every page works on customers."
    )


def scored_summary(rollup: sg.Rollup) -> str:
    """What the score page says first about a new log, in Markdown: rolled up as the segments' log was."""
    return (
        f"**The new file is a transaction log**, rolled up to one row per customer with the columns of the log the "
        f"segments were made from: {app_show.literal(rollup.notes[0])}"
    )


def new_log_wanted(transactions: dict) -> str:
    """What the score page asks for when the segments came from a log, in Markdown: a new log, with its columns."""
    roles = (("customer", "the customer"), ("date", "the date"), ("amount", "the amount"), ("order", "the order ID"))
    named = [f"'{app_show.literal(transactions[role])}' ({what})" for role, what in roles if transactions.get(role)]
    return (
        "These segments were made from a **transaction log**, so upload the new period's log (one row per order or "
        f"order line) with the same columns: {', '.join(named)}. It is rolled up to customers the same way, then "
        "each customer is placed in a segment."
    )


#: What the score page's downloads hold, for a new log.
SCORED_CUSTOMERS_HELP = "One row per customer of the new log: the customer ID, the columns rolled up from it, then Segment and Segment name."
SCORED_LINES_HELP = (
    "Every row of the new log, unchanged, plus its customer's Segment and Segment name and a Status (rolled up, or "
    "why not)."
)


def roll_up_notes(rollup: sg.Rollup) -> list[str]:
    """The roll-up's notes after its first (said by :func:`summary`), as Markdown."""
    return [app_show.literal(note) for note in rollup.notes[1:]]


def other_notes(prepared: sg.Prepared) -> tuple[str, ...]:
    """The notes on reading and preparing the file, without the roll-up's (shown apart)."""
    rollup = app_state.rollup()
    shown = set(rollup.notes) if rollup is not None else set()
    return tuple(note for note in prepared.notes if note not in shown)


@dataclass(frozen=True)
class FormChoices:
    """What the upload page's roll-up form shows first: the file's columns and the current choices."""

    columns: tuple[str, ...]
    is_log: bool
    customer: str | None
    date: str | None
    amount: str
    order: str
    as_of: date | None
    last_date: date | None


def form_choices() -> FormChoices:
    """The roll-up form's starting values: the current roll-up's, or what detection finds."""
    customers = app_state.customers()
    rollup = customers.rollup
    columns = tuple(customers.file.columns)
    found = rollup.columns if rollup is not None else sg.detect_log(customers.file)
    last = rollup.last_date.date() if rollup is not None else None
    return FormChoices(
        columns=columns,
        is_log=rollup is not None,
        customer=found.customer if found else None,
        date=found.date if found else None,
        amount=(found.amount or NO_COLUMN) if found else NO_COLUMN,
        order=(found.order or NO_COLUMN) if found else NO_COLUMN,
        as_of=rollup.as_of.date() if rollup is not None else None,
        last_date=last,
    )


def options_from_form(
    reading: str, *, customer: str | None, date_column: str | None, amount: str, order: str, as_of: date | None
) -> sg.LogOptions:
    """The form's answers as roll-up options (an as-of date equal to the log's last date is left implicit).

    Raises
    ------
    DataError
        When a log's customer or date column is not chosen.
    """
    if reading == CUSTOMER_TABLE:
        return sg.LogOptions(transactions="no")
    missing = [what for what, column in (("customer ID", customer), ("purchase date", date_column)) if not column]
    if missing:
        raise sg.DataError(f"Choose the {' and the '.join(missing)} column to roll the log up.")
    current = form_choices()
    keep_default = as_of is None or (current.last_date == as_of and app_state.options().log.as_of is None)
    return sg.LogOptions(
        transactions="yes",
        customer=customer,
        date=date_column,
        amount="" if amount == NO_COLUMN else amount,
        order="" if order == NO_COLUMN else order,
        as_of=None if keep_default else as_of.isoformat(),
    )


def rfm_table(result: sg.Segmentation, names: tuple[str, ...], *, share: bool = False) -> pd.DataFrame:
    """Customers by RFM cell (rows, best first) and segment (columns, as named on the page), as text to show.

    With ``share``, each segment's customers in percent (each column adds up to 100%).
    """
    from segmentation.charts import segment_label  # plotly: not on the upload page

    table = sg.rfm_crosstab(app_state.rfm_scores()["RFM cell"], result.labels, share=share)
    labels = {f"Segment {i}": segment_label(i, name) for i, name in enumerate(names, start=1)}
    shown = table.map(lambda v: f"{v:.0%}" if v == v else "–") if share else table.map(lambda v: f"{v:,}")
    return shown.rename(columns=labels)


def labelled_download(result: sg.Segmentation, *, names: tuple[str, ...], unusual: bool) -> Callable[[], bytes]:
    """The labelled download, made when asked: for a log one row per customer with RFM scores and cell, else
    every row of the file. What it needs is taken now (a click's download runs outside the session)."""
    rollup = app_state.rollup()
    if rollup is None:
        return lambda: sg.labelled_csv(result, names=names, unusual=unusual)
    return lambda: sg.customers_csv(result, rollup, names=names, unusual=unusual)


def labelled_help() -> str:
    """What the labelled download holds, for its button."""
    if app_state.rollup() is None:
        return (
            "Every row of your file, unchanged, plus Segment and Segment name; in your file's separator and encoding."
        )
    return (
        "One row per customer: the customer ID, the columns rolled up from your log, the RFM scores (R, F, M "
        "from 1 to 5) and RFM cell, then Segment and Segment name."
    )


def order_lines_download(result: sg.Segmentation, *, names: tuple[str, ...]) -> Callable[[], bytes]:
    """Every row of the log as read, with its customer's segment, RFM cell and status, made when asked."""
    customers = app_state.customers()
    return lambda: sg.order_lines_csv(customers.file, customers.rollup, result, names=names)

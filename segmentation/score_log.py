"""Scoring a new transaction log: rolled up the way the run file's log was, before it is scored.

A run file made from a log carries how that log was rolled up (its ``"transactions"`` block: the
customer, date, amount and order columns and the as-of date). :func:`roll_up_new_log` rolls a new
log up with the same columns, so :func:`segmentation.score` places its customers exactly as it
places the rows of a customer file. The days are counted to the as-of date given, else to the new
log's own last date (the run file's as-of date is months old by the time a new log is scored), and
the notes always say which. :func:`file_kind_hint` words the mix-ups: a customer table scored with a
log's run file, or a log with a customer file's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date as Date
from datetime import datetime
from typing import Any

import pandas as pd

from .errors import DataError
from .load import Table
from .log_columns import detect_log
from .transactions import TENURE, Rollup, roll_up
from .wording import and_joined, quoted, short_list

__all__ = ["LOG_ROLES", "file_kind_hint", "roll_up_new_log"]

#: The roles of a log's columns, in the order a run file's ``"transactions"`` block names them.
LOG_ROLES = ("customer", "date", "amount", "order")

_WORDS = {"customer": "customer ID", "date": "purchase date", "amount": "amount", "order": "order ID"}


def roll_up_new_log(
    table: Table,
    transactions: dict[str, Any],
    *,
    model_columns: tuple[str, ...] | list[str],
    as_of: str | Date | datetime | pd.Timestamp | None = None,
    spec: dict[str, Any] | None = None,
    roll_up_with: Callable[..., Any] = roll_up,
) -> tuple[Rollup, list[str]]:
    """Roll a new log up with the columns of a run file's log, and say to which day the days count.

    Parameters
    ----------
    table : Table
        The new log, as loaded (or a :class:`segmentation.spark.SparkTable` with ``roll_up_with``).
    transactions : dict
        A run file's ``"transactions"`` block (:attr:`segmentation.RunModel.transactions`).
    model_columns : sequence of str
        The columns the segments were made from (to tell a customer table from a log).
    as_of : str or date, optional
        The day the days are counted to; by default the new log's last date.
    spec : dict, optional
        The run file's preparation (:attr:`segmentation.RunModel.spec`): its range of days since the
        first purchase says how long a history the segments were made from, so a new log covering
        much less of it gets a note (its customers look newer and less frequent than they are).
    roll_up_with : callable, default :func:`segmentation.roll_up`
        The engine's roll-up: :func:`segmentation.spark.roll_up` rolls the log up in Spark with the
        same definitions, and the same checks and notes apply.

    Returns
    -------
    rollup : Rollup
    notes : list of str
        The roll-up's notes, the one on the as-of date worded for scoring.

    Raises
    ------
    DataError
        When a column of the run file's log is missing from the new file (worded for a customer
        table when the file has the segments' own columns), or as :func:`segmentation.roll_up`.

    Examples
    --------
    >>> log = Table.from_frame(pd.DataFrame({"Customer": ["A", "B", "A"], "Date": ["2024-03-01", "2024-03-02", "2024-03-09"]}))
    >>> block = {"customer": "Customer", "date": "Date", "amount": None, "order": None, "as_of": "2024-01-31"}
    >>> rollup, notes = roll_up_new_log(log, block, model_columns=["Orders"])
    >>> rollup.n_customers, notes[1]
    (2, "Days are counted to 2024-03-09, the new log's last date (the segments were made counting to 2024-01-31); give an as-of date (--as-of on the command line) to count to another day.")
    """
    columns = {role: transactions.get(role) for role in LOG_ROLES}
    missing = [role for role, column in columns.items() if column is not None and column not in table.columns]
    if missing:
        raise DataError(_missing_message(table, columns, missing, model_columns))
    rollup = roll_up_with(table, **columns, as_of=as_of)
    then = transactions["as_of"]
    since = "" if then == rollup.as_of.strftime("%Y-%m-%d") else f" (the segments were made counting to {then})"
    if as_of is None:
        note = (
            f"Days are counted to {rollup.as_of:%Y-%m-%d}, the new log's last date{since}; give an as-of date "
            "(--as-of on the command line) to count to another day."
        )
    else:
        note = f"Days are counted to {rollup.as_of:%Y-%m-%d}, the as-of date given{since}."
    # The roll-up's own as-of note ("... the last date in the log.") is replaced, not repeated.
    notes = [rollup.notes[0], note, *(n for n in rollup.notes[1:] if not n.startswith("Days are counted to "))]
    shorter = _shorter_history_note(rollup, spec)
    if shorter:
        notes.insert(2, shorter)
    return rollup, notes


def _shorter_history_note(rollup: Any, spec: dict[str, Any] | None) -> str:
    """A note when the new log covers much less time than the log the segments were made from."""
    made_from = next((c for c in (spec or {}).get("columns", []) if c.get("column") == TENURE), None)
    if made_from is None or not made_from.get("range"):
        return ""
    history = float(made_from["range"][1])  # the longest days since a first purchase, back then
    covered = (rollup.as_of - rollup.first_date).days
    if history < 60 or covered >= 0.5 * history:
        return ""
    return (
        f"The new log covers {covered:,} days ({rollup.first_date:%Y-%m-%d} to {rollup.as_of:%Y-%m-%d}); the segments "
        f"were made from a log covering about {history:,.0f} days. Orders and days since the first purchase count "
        "only what a log holds, so its customers look newer and less frequent than they are: give the whole history "
        "(the earlier orders too) to place customers as the segments were made."
    )


def _missing_message(
    table: Table, columns: dict[str, str | None], missing: list[str], model_columns: tuple[str, ...] | list[str]
) -> str:
    named = and_joined([f"'{columns[role]}' ({_WORDS[role]})" for role in missing])
    listed = and_joined([f"'{column}'" for column in columns.values() if column is not None])
    if all(column in table.columns for column in model_columns):
        return (
            f"These segments were made from a transaction log, so they score a log of purchases with the columns "
            f"{listed}; '{table.name}' has no {named} but has the rolled-up columns {quoted(model_columns)}, so it "
            "looks like one row per customer already. Score the log of purchases instead, or make segments from a "
            "customer file."
        )
    return (
        f"'{table.name}' has no column {named}, which the log the segments were made from had. A new log is rolled "
        f"up the same way, so it needs the columns {listed}. Its columns are {short_list(table.columns, limit=8)}. "
        "Rename the columns to match, or make new segments."
    )


def file_kind_hint(table: Table) -> str:
    """For a file missing the columns of segments made from a customer file: a hint when it is a log.

    Returns ``""`` when the file does not look like a transaction log.
    """
    found = detect_log(table)
    if found is None:
        return ""
    return (
        f" '{table.name}' looks like a transaction log (purchases of '{found.customer}' by '{found.date}'), but these "
        "segments were made from a customer file (one row per customer), so a log cannot be rolled up for them: "
        "score a customer file, or make segments from a log first."
    )

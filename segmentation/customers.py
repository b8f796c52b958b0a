"""From a file to the customers to segment: a transaction log is rolled up first, a customer table is used as it is.

The app and the command line follow one rule, :func:`roll_up_if_log`: with ``transactions="auto"``
a file that looks like a log (:func:`segmentation.detect_log`) is rolled up to one row per
customer, and the columns found can be overridden; :func:`log_columns_of` is that rule without the
roll-up (the Spark engine's). :class:`LogOptions` holds those choices (hashable, so the app keys its
caches on them), :class:`Customers` a file read that way, and :func:`prepare_customers` prepares a
roll-up with its defaults (:func:`customer_options`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date as Date
from datetime import datetime

import pandas as pd

from .errors import DataError
from .load import Table
from .log_columns import LogColumns, detect_log
from .options import TRANSACTIONS
from .prepare import Prepared, prepare
from .transactions import INTERVAL, Rollup, check_columns, roll_up
from .wording import and_joined, clipped, quoted, short_list

__all__ = [
    "DESCRIBED_BY_DEFAULT",
    "TRANSACTIONS",
    "Customers",
    "LogOptions",
    "customer_options",
    "log_columns_of",
    "prepare_customers",
    "roll_up_if_log",
]

#: Derived columns shown per segment but not segmented on unless chosen: a customer with one order
#: has no days between orders (half of CDNOW's customers), and the median filled in for them would
#: place one-off buyers among the regular ones.
DESCRIBED_BY_DEFAULT = (INTERVAL,)


@dataclass(frozen=True)
class LogOptions:
    """How a file is read as customers (the options of :func:`roll_up_if_log`, hashable).

    Columns left None are the ones found; ``""`` says "none" for the amount or the order column.

    Examples
    --------
    >>> LogOptions(order="").options()
    {'transactions': 'auto', 'customer': None, 'date': None, 'amount': None, 'order': '', 'as_of': None}
    """

    transactions: str = "auto"
    customer: str | None = None
    date: str | None = None
    amount: str | None = None
    order: str | None = None
    as_of: str | None = None

    def options(self) -> dict[str, str | None]:
        """These choices as :func:`roll_up_if_log`'s options."""
        return {
            "transactions": self.transactions,
            "customer": self.customer,
            "date": self.date,
            "amount": self.amount,
            "order": self.order,
            "as_of": self.as_of,
        }


@dataclass(frozen=True)
class Customers:
    """A file read for segmenting: the file as loaded and, when it is a transaction log, its roll-up.

    Attributes
    ----------
    file : Table
        The file as loaded (for a log, one row per order line).
    rollup : Rollup or None
        The roll-up, when the file was taken as a log.
    """

    file: Table
    rollup: Rollup | None = None

    @classmethod
    def of(cls, file: Table, options: LogOptions | None = None) -> Customers:
        """The customers of a loaded file, rolled up as ``options`` say (by default: when it is a log).

        Raises
        ------
        DataError
            As :func:`roll_up_if_log`.
        """
        return cls(file, roll_up_if_log(file, **(options or LogOptions()).options()))

    @property
    def table(self) -> Table:
        """What is segmented: the roll-up's customer table, or the file itself."""
        return self.file if self.rollup is None else self.rollup.table

    def prepare(self, **options) -> Prepared:
        """The customers prepared by :func:`segmentation.prepare` (a roll-up with :func:`prepare_customers`)."""
        return prepare(self.file, **options) if self.rollup is None else prepare_customers(self.rollup, **options)


def roll_up_if_log(
    table: Table,
    *,
    transactions: str = "auto",
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    order: str | None = None,
    as_of: str | Date | datetime | pd.Timestamp | None = None,
) -> Rollup | None:
    """Roll the file up when it is a transaction log: the one rule of the app and the command line.

    Columns not given are the ones :func:`detect_log` finds. With ``transactions="auto"`` a file
    is rolled up when it looks like a log, or when its customer or date column is named; ``"yes"``
    rolls it up whatever it looks like (the customer and date columns must then be found or
    named); ``"no"`` keeps it as one row per customer.

    Parameters
    ----------
    table : Table
        The file as loaded.
    transactions : {"auto", "yes", "no"}, default "auto"
        See :data:`TRANSACTIONS`.
    customer, date, amount, order : str, optional
        Columns of the log, as named in the file; ``""`` for "no amount column" or "no order
        column" when one was found that is not.
    as_of : str or date, optional
        The day the days are counted to (by default the log's last date).

    Returns
    -------
    Rollup or None
        None when the file is taken as one row per customer.

    Raises
    ------
    DataError
        When a column or the as-of date is given for a file taken as one row per customer, when a
        log's customer or date column is neither found nor named, or as :func:`roll_up`.

    Examples
    --------
    >>> log = Table.from_frame(pd.DataFrame({"Customer": ["A", "B", "A"], "Date": ["2024-03-01"] * 3}))
    >>> roll_up_if_log(log).n_customers, roll_up_if_log(log, transactions="no")
    (2, None)
    """
    columns = log_columns_of(
        table, transactions=transactions, customer=customer, date=date, amount=amount, order=order, as_of=as_of
    )
    if columns is None:
        return None
    # With the reasons each column was taken, when they were found.
    return replace(roll_up(table, **columns.options(), as_of=as_of), columns=columns)


def log_columns_of(
    table: Table,
    *,
    transactions: str = "auto",
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    order: str | None = None,
    as_of: object = None,
) -> LogColumns | None:
    """The columns :func:`roll_up_if_log` rolls the file up by, or None when it is taken as customers.

    The rule alone, without the roll-up: the Spark engine applies it to a log's first rows.
    Options and errors as :func:`roll_up_if_log` (``as_of`` only counts as given or not); the
    columns carry the reasons they were found when none was overridden.
    """
    if transactions not in TRANSACTIONS:
        raise DataError(f"transactions must be one of {quoted(TRANSACTIONS)}, not '{clipped(transactions, 20)}'.")
    given = {"customer": customer, "date": date, "amount": amount, "order": order}
    named = [f"{role} column" for role, column in given.items() if column]
    named += ["as-of date"] if as_of is not None else []
    if transactions == "no":
        if named:
            raise DataError(
                f"'{table.name}' is taken as one row per customer, so the {and_joined(named)} given cannot be used "
                "(they are for a transaction log). Drop them, or let the file be rolled up."
            )
        return None
    check_columns(table, **{role: column or None for role, column in given.items()})
    found = detect_log(table)
    if transactions == "auto" and found is None and not (customer or date):
        if named:
            raise DataError(
                f"'{table.name}' does not look like a transaction log (no column repeats customer IDs beside a date "
                f"column), so the {and_joined(named)} given cannot be used. Name its customer and date columns to "
                "roll it up, or drop them."
            )
        return None
    detected = found.options() if found is not None else dict.fromkeys(given)
    # A column named for one role is no longer the one found for another ("--date Sales" frees "Sales").
    explicit = {column for column in given.values() if column}
    chosen = {
        role: (column or None) if column is not None else (None if detected[role] in explicit else detected[role])
        for role, column in given.items()
    }
    missing = [role for role in ("customer", "date") if chosen[role] is None]
    if missing:
        raise DataError(
            f"No {and_joined(missing)} column was found in '{table.name}'; name it (its columns are "
            f"{short_list(table.columns, limit=8)})."
        )
    return found if found is not None and found.options() == chosen else LogColumns(**chosen)


def prepare_customers(rollup: Rollup, **options) -> Prepared:
    """Prepare the rolled-up customers as :func:`segmentation.prepare` does, with the roll-up's defaults.

    Unless ``features`` are chosen, the columns of :data:`DESCRIBED_BY_DEFAULT` are described per
    segment rather than segmented on (with any ``describe`` given).

    Examples
    --------
    >>> log = Table.from_frame(pd.DataFrame({
    ...     "Customer": ["A", "B", "A", "C", "B", "D"],
    ...     "Date": ["2024-03-01", "2024-03-02", "2024-03-09", "2024-03-10", "2024-03-20", "2024-03-21"],
    ... }))
    >>> prepare_customers(roll_up(log, customer="Customer", date="Date")).columns
    ('Days since last purchase', 'Orders', 'Days since first purchase')
    """
    frame = rollup.table.frame
    missing = {c: int(frame[c].isna().sum()) for c in DESCRIBED_BY_DEFAULT if c in frame.columns}
    chosen, notes = customer_options(
        rollup.table.columns[1:], missing=missing, n_customers=rollup.n_customers, **options
    )
    prepared = prepare(rollup.table, **chosen)
    return replace(prepared, notes=(*prepared.notes, *notes)) if notes else prepared


def customer_options(
    columns: Sequence[str], *, missing: Mapping[str, int], n_customers: int, **options
) -> tuple[dict, list[str]]:
    """:func:`segmentation.prepare`'s options for rolled-up customers, and the notes on the defaults taken.

    Parameters
    ----------
    columns : sequence of str
        The customer table's columns after the customer ID (derived names as written there).
    missing : mapping of str to int
        Empty cells of the columns of :data:`DESCRIBED_BY_DEFAULT` in the customer table.
    n_customers : int
        Rows of the customer table.
    **options
        The options given to prepare.

    Returns
    -------
    options : dict
        ``options``, with the columns of :data:`DESCRIBED_BY_DEFAULT` added to ``describe``
        unless ``features`` are chosen.
    notes : list of str
        Why each such column does not form the segments.
    """
    if options.get("features") is not None:
        return options, []
    # The derived columns keep their names unless the log used one (see _customer_frame).
    chosen = list(options.get("describe") or ())
    ignored = set(options.get("ignore") or ())
    defaults = [
        c
        for c in columns
        if c in DESCRIBED_BY_DEFAULT and c not in chosen + list(ignored) and missing.get(c, 0) < n_customers
    ]  # a column with no value at all (every customer bought once) is left out as any empty column
    notes = [
        f"'{column}' is shown per segment but does not form the segments: {missing[column]:,} customers with one "
        "order have none. Give it the role segment to use it."
        for column in defaults
        if missing.get(column)
    ]
    return {**options, "describe": chosen + defaults}, notes

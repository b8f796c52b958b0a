"""Recognising a transaction log: which columns hold the customer ID, the date, the amount and the order.

A log has a column of customer IDs repeated over several rows and a date column, often an amount of
money and an order (invoice, receipt) ID. :func:`detect_log` finds them by their names and values and
says why in :class:`LogColumns`; :func:`segmentation.roll_up` then makes one row per customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cells import lenient_numbers
from .load import Table
from .log_dates import layout_words, read_days

__all__ = ["MIN_ROWS_PER_CUSTOMER", "LogColumns", "column_text", "detect_log"]

#: A log has at least this many rows per customer ID on average (a customer table has one).
MIN_ROWS_PER_CUSTOMER = 1.5

#: Share of the first values of a column that must read as dates (in any layouts) for it to be the
#: log's date column.
_DATE_SHARE = 0.9

#: Values read to recognise the columns of a log (the counts of distinct IDs use every row).
_SAMPLE = 2_000


@dataclass(frozen=True)
class LogColumns:
    """The columns of a transaction log, as named in the file.

    Attributes
    ----------
    customer : str
        The customer ID of each row.
    date : str
        The date of each purchase.
    amount : str or None
        The amount of money of each row (order or order line), when the log has one.
    order : str or None
        The order ID, when the log has one (several lines of one order share it).
    reasons : tuple of str
        Why each column was taken, in plain words.
    """

    customer: str
    date: str
    amount: str | None = None
    order: str | None = None
    reasons: tuple[str, ...] = ()

    def options(self) -> dict[str, str | None]:
        """The columns as :func:`roll_up`'s options: ``roll_up(table, **found.options())``.

        Examples
        --------
        >>> LogColumns("Customer", "Date", amount="Amount").options()
        {'customer': 'Customer', 'date': 'Date', 'amount': 'Amount', 'order': None}
        """
        return {"customer": self.customer, "date": self.date, "amount": self.amount, "order": self.order}


def detect_log(table: Table) -> LogColumns | None:
    """Recognise a transaction log: repeated customer IDs and a date, with an amount and an order ID if any.

    The customer column repeats its IDs (at least :data:`MIN_ROWS_PER_CUSTOMER` rows per ID on
    average) and has a customer-like name ("Customer ID", "client", "user", "member"...), or an
    ID-like name and values ("ID", "CustNo": codes without spaces), or, in a file without names,
    ID-like values. The date column reads as dates in any common layout, including 8-digit
    ``yyyymmdd`` numbers; a date-like name wins among several. The amount is a number column named
    like money ("amount", "sales", "dollar_value"...), or the one number column with decimals; the
    order ID a column named like an order, invoice or receipt number.

    Parameters
    ----------
    table : Table
        A loaded file.

    Returns
    -------
    LogColumns or None
        The columns found, with the reasons; None when the file is not a log (no repeated
        customer IDs or no date), for example a table with one row per customer.

    Examples
    --------
    >>> log = Table.from_frame(pd.DataFrame({
    ...     "Customer": ["A7", "B2", "A7", "A7"],
    ...     "Date": ["2024-03-01", "2024-03-02", "2024-03-09", "2024-04-01"],
    ...     "Amount": [12.5, 30.0, 7.25, 18.0],
    ... }))
    >>> detect_log(log).options()
    {'customer': 'Customer', 'date': 'Date', 'amount': 'Amount', 'order': None}
    """
    if table.n_rows < 2:
        return None
    names = table.columns
    dates = {column: found for column in names if (found := _date_layout(table, column)) is not None}
    if not dates:
        return None
    customer = _pick_customer(table, [c for c in names if c not in dates])
    if customer is None:
        return None
    customer_name, n_customers, n_rows = customer
    date = max(dates, key=lambda c: (_named(c, _DATE_WORDS), -names.index(c)))
    rest = [c for c in names if c not in (customer_name, date) and c not in dates]
    order = _pick_order(table, rest, n_customers=n_customers)
    amount = _pick_amount(table, [c for c in rest if order is None or c != order[0]])
    reasons = [
        f"'{customer_name}' repeats {n_customers:,} customer IDs over {n_rows:,} rows "
        f"({n_rows / n_customers:.1f} rows per customer on average).",
        f"'{date}' holds dates, written like '{dates[date][1]}' ({dates[date][0]}).",
    ]
    if amount is not None:
        reasons.append(f"'{amount[0]}' holds the amounts, e.g. '{amount[1]}'.")
    else:
        reasons.append("No column holds amounts of money: the roll-up counts orders and days, without spend.")
    if order is not None:
        reasons.append(f"'{order[0]}' holds {order[1]:,} order IDs: lines with the same ID make one order.")
    else:
        reasons.append("No order ID column: a customer's purchases on one day count as one order.")
    return LogColumns(
        customer=customer_name,
        date=date,
        amount=None if amount is None else amount[0],
        order=None if order is None else order[0],
        reasons=tuple(reasons),
    )


_CUSTOMER_WORDS = tuple(
    "customer client cust user member account buyer shopper subscriber guest patient donor household contact kunde cliente".split()
)
_ORDER_WORDS = tuple("order invoice transaction receipt basket ticket bill txn bestellung rechnung".split())
_DATE_WORDS = tuple("date day time timestamp created purchased ordered datum fecha".split())
_AMOUNT_WORDS = tuple(
    "amount revenue sales spend spent total value paid payment net gross turnover monetary dollar dollars euro euros usd eur gbp umsatz betrag montant importe".split()
)
_PRICE_WORDS = tuple("price cost unitprice".split())
_ID_WORDS = tuple("id no nr num number code key ref".split())

#: An ID as exports write them: digits, maybe zero-padded, maybe after a few letters ("C00123",
#: "cust-77"), or a hexadecimal key; never spaces or a decimal point.
_ID_VALUE = r"^(?:[A-Za-z]{0,8}[-_#]?\d[\w-]*|[0-9A-Fa-f-]{8,})$"


def _tokens(name: str) -> list[str]:
    """The words of a column name: "CustomerID" and "customer_id" both give ["customer", "id"]."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return re.findall(r"[a-z]+|\d+", spaced.lower())


def _named(name: str, words: tuple[str, ...]) -> bool:
    tokens = _tokens(name)
    joined = "".join(tokens)
    return any(word in tokens or (len(word) >= 5 and word in joined) for word in words)


def column_text(table: Table, column: str, *, first: int | None = None) -> pd.Series:
    """A column's cells as written (surrounding spaces removed), missing where the typed view is missing.

    With ``first``, only the first ``first`` present cells: the others are not stripped (on a million
    rows, stripping a whole column to look at its head cost 0.02-0.05 s, on every column of every upload).
    """
    typed, raw = table.frame[column], table.raw[column]
    if first is not None:
        rows = np.flatnonzero(typed.notna().to_numpy())[:first]
        typed, raw = typed.iloc[rows], raw.iloc[rows]
    if not pd.api.types.is_float_dtype(typed):
        return typed  # the typed view of a text column is already the stripped text, markers missing
    return raw.str.strip().mask(typed.isna())


def _has_decimals(typed: pd.Series) -> bool:
    """Whether a column holds numbers with decimals among its first values: amounts or measures, never IDs or dates."""
    return pd.api.types.is_float_dtype(typed) and bool((typed.dropna().iloc[:_SAMPLE] % 1 != 0).any())


def _date_layout(table: Table, column: str) -> tuple[str, str] | None:
    """(layout in words, an example) when the column's first values are dates with plausible years."""
    if _has_decimals(table.frame[column]):
        return None
    head = column_text(table, column, first=_SAMPLE)
    if len(head) == 0 or head.str.contains(r"\d", regex=True).mean() < _DATE_SHARE:
        return None
    days, readable, layouts = read_days(head)
    years = days[readable].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    if readable.mean() < _DATE_SHARE or not ((years >= 1900) & (years <= 2100)).all():
        return None
    main = max(layouts, key=layouts.get)
    return layout_words(main), head[readable].iloc[0]


def _pick_customer(table: Table, columns: list[str]) -> tuple[str, int, int] | None:
    """The customer ID column among ``columns``: (name, distinct IDs, rows with an ID), or None.

    By name first: a customer word ("CustomerID", "client", "user_id"), then a name that is only an
    ID word ("ID", "No"). A column with another name ("Store ID", "Annual Income") is taken only for
    values shaped like customer IDs, zero-padded or after letters ("00001", "C123"), as in a file
    without column names: repeated whole numbers are more often a measure or a code of something else.
    """
    best, best_rank = None, None
    for column in columns:
        if _named(column, _ORDER_WORDS) or _named(column, _AMOUNT_WORDS + _PRICE_WORDS):
            continue
        if _has_decimals(table.frame[column]):
            continue
        head = column_text(table, column, first=_SAMPLE)
        if len(head) == 0:
            continue
        if _named(column, _CUSTOMER_WORDS):
            strength = 2
        elif set(_tokens(column)) <= set(_ID_WORDS) and head.str.match(_ID_VALUE).mean() >= 0.9:
            strength = 1
        elif _id_shaped(head):
            strength = 0
        else:
            continue
        ids = column_text(table, column)
        n_rows = int(ids.notna().sum())
        n_ids = int(ids.nunique())
        if n_ids < 2 or n_rows / n_ids < MIN_ROWS_PER_CUSTOMER:
            continue
        rank = (strength, n_ids)
        if best_rank is None or rank > best_rank:
            best, best_rank = (column, n_ids, n_rows), rank
    return best


def _id_shaped(values: pd.Series) -> bool:
    """Whether text values look like IDs by themselves: codes after letters, or zero-padded to one width."""
    if values.str.match(r"^[A-Za-z]{1,8}[-_#]?\d+$").mean() >= 0.9:
        return True
    lengths = values.str.len()
    one_width = bool((lengths == lengths.iloc[0]).all())
    padded = lengths.iloc[0] >= 3 and values.str.startswith("0").any()  # "00017", not a lone "0"
    return bool(values.str.match(r"^\d+$").all() and one_width and padded)


def _pick_order(table: Table, columns: list[str], *, n_customers: int) -> tuple[str, int] | None:
    """The order ID column among ``columns``: (name, distinct order IDs), or None."""
    best = None
    for column in columns:
        if not _named(column, _ORDER_WORDS) or _named(column, _AMOUNT_WORDS + _PRICE_WORDS):
            continue
        if _has_decimals(table.frame[column]):
            continue
        head = column_text(table, column, first=_SAMPLE)
        if len(head) == 0 or head.str.match(_ID_VALUE).mean() < 0.9:
            continue
        n_orders = int(column_text(table, column).nunique())
        if n_orders >= n_customers and (best is None or n_orders > best[1]):
            best = (column, n_orders)
    return best


def _pick_amount(table: Table, columns: list[str]) -> tuple[str, str] | None:
    """The amount column among ``columns``: (name, an example as written), or None."""
    candidates = []
    for position, column in enumerate(columns):
        numbers, example = _numbers_head(table, column)
        if numbers is None:
            continue
        if _named(column, _AMOUNT_WORDS):
            strength = 2
        elif _named(column, _PRICE_WORDS):
            strength = 1
        elif (numbers % 1 != 0).mean() >= 0.5 and not _named(column, _ID_WORDS):
            strength = 0  # numbers with cents, no name to go by: money more often than not
        else:
            continue
        candidates.append((strength, -position, column, example))
    if not candidates:
        return None
    unnamed = [c for c in candidates if c[0] == 0]
    if max(candidates)[0] == 0 and len(unnamed) > 1:
        return None  # several unnamed number columns with decimals: no telling which is money
    _, _, column, example = max(candidates)
    return column, example


def _numbers_head(table: Table, column: str) -> tuple[pd.Series | None, str]:
    """The first numbers of a column that holds numbers (plain, or with currency signs), and an example."""
    typed = table.frame[column]
    present = typed.dropna().iloc[:_SAMPLE]
    if len(present) == 0:
        return None, ""
    example = str(table.raw[column][present.index[0]]).strip()
    if pd.api.types.is_float_dtype(typed):
        return present, example
    numbers, _, bad = lenient_numbers(present, decimal=table.decimal)
    if bad.mean() > 0.1:
        return None, ""
    return numbers.dropna(), example

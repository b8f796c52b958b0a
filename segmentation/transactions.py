"""From a log of orders to one row per customer: recency, orders and spend, and the classic RFM cells.

Most marketers' data is a log of orders or order lines, not a customer table: segmented row by row,
every line would become a "customer". :func:`detect_log` recognises a log (a column of repeated
customer IDs, a date, and an amount and an order ID when there are), :func:`roll_up` turns it into
a customer :class:`~segmentation.Table` in the user's units (days since the last and the first
purchase, orders, total spend, average order value, average days between orders) that
:func:`segmentation.prepare` and every later stage take as they take any customer file, and
:func:`rfm_scores` gives each customer the R, F and M scores and the named RFM cell marketers know,
shown beside the k-means segments by :func:`rfm_crosstab`.

The RFM cells follow Putler's published segment table ("RFM Analysis For Successful Customer
Segmentation", https://www.putler.com/rfm-analysis/, a table many RFM tools reproduce). It places
eleven segments on a chart of the recency score (R) against the mean of the frequency and monetary
scores ((F + M) / 2), each as ranges on the chart's 0-5 axes: Champions R 4-5 and F&M 4-5, Loyal
Customers 2-5 / 3-5, Potential Loyalists 3-5 / 1-3, New Customers 4-5 / 0-1 (Putler: "Recent
Customers"), Promising 3-4 / 0-1, Need Attention 2-3 / 2-3 (Putler: "Customers Needing Attention"),
About To Sleep 2-3 / 0-2, At Risk 0-2 / 2-5, Can't Lose Them 0-1 / 4-5, Hibernating 1-2 / 1-2, Lost
0-2 / 0-2. A score ``s`` fills the interval
``(s - 1, s]`` of its axis (so "R 4-5" is R = 5); read that way the rectangles tile the chart, and
where one lies inside another (Champions in Loyal Customers, Can't Lose Them in At Risk,
Hibernating in Lost) the smaller one wins. See :data:`RFM_SCHEME`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date as Date
from datetime import datetime

import numpy as np
import pandas as pd

from .cells import lenient_numbers
from .dates import DATE_FORMATS, DEFAULT_DATE_ORDER, day_month_order, read_dates
from .errors import DataError
from .load import Table
from .wording import and_joined, clipped, free_name, quoted, short_list

__all__ = [
    "DERIVED_COLUMNS",
    "ORDERS",
    "ORDER_VALUE",
    "RECENCY",
    "RFM_CELLS",
    "RFM_SCHEME",
    "ROW_STATUSES",
    "SPEND",
    "TENURE",
    "INTERVAL",
    "MIN_ROWS_PER_CUSTOMER",
    "LogColumns",
    "Rollup",
    "detect_log",
    "rfm_crosstab",
    "rfm_scores",
    "roll_up",
]


#: The columns of the rolled-up customer table, after the customer ID, in the user's units (days,
#: and the currency of the amount column).
RECENCY = "Days since last purchase"
ORDERS = "Orders"
SPEND = "Total spend"
ORDER_VALUE = "Average order value"
TENURE = "Days since first purchase"
INTERVAL = "Average days between orders"
DERIVED_COLUMNS = (RECENCY, ORDERS, SPEND, ORDER_VALUE, TENURE, INTERVAL)

#: What became of each row of the log (:attr:`Rollup.row_status`), in this order.
ROW_STATUSES = (
    "rolled up",
    "without a customer ID",
    "without a date",
    "with an unreadable date",
    "dated after the as-of date",
    "of a customer with refunds only",
)
_ROLLED_UP, _NO_CUSTOMER, _NO_DATE, _BAD_DATE, _AFTER, _REFUNDS_ONLY = range(len(ROW_STATUSES))

#: Putler's segments as (name, R range, F&M range) on the 0-5 axes of its chart, in the order they
#: are tried: a customer whose R lies in ``(low, high]`` of the first and whose (F + M) / 2 lies in
#: ``(low, high]`` of the second belongs to the first segment that matches. Can't Lose Them comes
#: before At Risk and Hibernating before Lost because they lie inside them.
RFM_SCHEME = (
    ("Champions", (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5)),
    ("Potential Loyalists", (3, 5), (1, 3)),
    ("New Customers", (4, 5), (0, 1)),
    ("Promising", (3, 4), (0, 1)),
    ("Need Attention", (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (0, 2)),
    ("Can't Lose Them", (0, 1), (4, 5)),
    ("At Risk", (0, 2), (2, 5)),
    ("Hibernating", (1, 2), (1, 2)),
    ("Lost", (0, 2), (0, 2)),
)
#: The RFM cells' names, best first.
RFM_CELLS = tuple(name for name, _, _ in RFM_SCHEME)

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


@dataclass(frozen=True)
class Rollup:
    """A transaction log rolled up to one row per customer.

    Attributes
    ----------
    table : Table
        One row per customer who made a purchase, in order of their first row in the log: the
        customer ID as written (under the log's column name), then :data:`RECENCY`, :data:`ORDERS`,
        :data:`SPEND` and :data:`ORDER_VALUE` (when the log has amounts), :data:`TENURE` and
        :data:`INTERVAL` (NaN for a customer with one order). Give it to
        :func:`segmentation.prepare` like any customer file.
    columns : LogColumns
        The log's columns used.
    as_of : Timestamp
        The day the days are counted to: the log's last date, or the one given.
    first_date, last_date : Timestamp
        The first and last dates of the rows rolled up.
    customer_row : ndarray of int64, shape (n_log_rows,)
        For each row of the log, the position in ``table`` of its customer; -1 when the row has no
        customer ID or its customer is not in ``table`` (no purchase rolled up).
    row_status : Series of category, shape (n_log_rows,)
        What became of each row of the log, one of :data:`ROW_STATUSES`.
    n_orders : int
        Purchases (orders, or purchase days when the log has no order column) in the roll-up.
    n_refunds : int
        Orders (or days) whose amounts add up to less than zero: they reduce spend and are not
        counted as purchases.
    notes : tuple of str
        What a marketer reads about the roll-up: its size and dates, and every row left out.
    """

    table: Table
    columns: LogColumns
    as_of: pd.Timestamp
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    customer_row: np.ndarray
    row_status: pd.Series
    n_orders: int
    n_refunds: int = 0
    notes: tuple[str, ...] = ()

    @property
    def n_log_rows(self) -> int:
        """Rows of the log (every one has a :attr:`row_status`)."""
        return len(self.customer_row)

    @property
    def n_customers(self) -> int:
        """Customers in the roll-up (rows of :attr:`table`)."""
        return self.table.n_rows

    def accounting(self) -> pd.Series:
        """Rows of the log by what became of them (every status, zeros kept); they add up to the log's rows."""
        return self.row_status.value_counts(sort=False).reindex(list(ROW_STATUSES), fill_value=0).rename("Rows")

    def definitions(self) -> dict[str, object]:
        """How the log was rolled up, for a run file or a JSON report: rows, customers, columns, as-of date."""
        return {
            "rows": self.n_log_rows,
            "customers": self.n_customers,
            **self.columns.options(),
            "as_of": self.as_of.strftime("%Y-%m-%d"),
        }

    def per_row(self, values: np.ndarray | pd.Series | list, *, missing: object) -> np.ndarray:
        """Spread one value per customer (such as each customer's segment) to every row of the log.

        Parameters
        ----------
        values : array-like, shape (n_customers,)
            One value per row of :attr:`table`.
        missing : object
            The value of rows without a customer in :attr:`table` (for segments, ``0``).

        Returns
        -------
        ndarray, shape (n_log_rows,)
        """
        values = np.asarray(values)
        if len(values) != self.n_customers:
            raise ValueError(f"values has {len(values)} entries, not one per customer ({self.n_customers})")
        known = self.customer_row >= 0
        picked = values[np.where(known, self.customer_row, 0)] if len(values) else np.full(len(known), missing)
        return np.where(known, picked, missing)


# --------------------------------------------------------------------------------------------------
# Recognising a log


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


def _text(table: Table, column: str) -> pd.Series:
    """A column's cells as written (surrounding spaces removed), missing where the typed view is missing."""
    typed = table.frame[column]
    if not pd.api.types.is_float_dtype(typed):
        return typed  # the typed view of a text column is already the stripped text, markers missing
    return table.raw[column].str.strip().mask(typed.isna())


def _has_decimals(typed: pd.Series) -> bool:
    """Whether a column holds numbers with decimals among its first values: amounts or measures, never IDs or dates."""
    return pd.api.types.is_float_dtype(typed) and bool((typed.dropna().iloc[:_SAMPLE] % 1 != 0).any())


def _date_layout(table: Table, column: str) -> tuple[str, str] | None:
    """(layout in words, an example) when the column's first values are dates with plausible years."""
    if _has_decimals(table.frame[column]):
        return None
    head = _text(table, column).dropna().iloc[:_SAMPLE]
    if len(head) == 0 or head.str.contains(r"\d", regex=True).mean() < _DATE_SHARE:
        return None
    days, readable, layouts = _read_log_days(head)
    years = days[readable].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    if readable.mean() < _DATE_SHARE or not ((years >= 1900) & (years <= 2100)).all():
        return None
    main = max(layouts, key=layouts.get)
    return _layout_words(main), head[readable].iloc[0]


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
        head = _text(table, column).dropna().iloc[:_SAMPLE]
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
        ids = _text(table, column)
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
        head = _text(table, column).dropna().iloc[:_SAMPLE]
        if len(head) == 0 or head.str.match(_ID_VALUE).mean() < 0.9:
            continue
        n_orders = int(_text(table, column).nunique())
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


# --------------------------------------------------------------------------------------------------
# Dates in a log


def _read_log_days(text: pd.Series) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Read text as dates: each row's day (days since 1970-01-01; 0 where unread), whether it was
    read, and how many rows each layout read.

    A log repeats a few hundred dates over millions of rows, so each distinct value is read once
    (parsing 10 million dates takes seconds, looking them up a fraction of that).
    """
    codes, distinct = pd.factorize(text)
    dates, layout_of = _read_distinct_dates(pd.Series(distinct, dtype="str"))
    read = dates.notna().to_numpy()
    day_of = np.where(read, dates.to_numpy().astype("datetime64[D]").astype(np.int64), 0)
    position = np.maximum(codes, 0)
    readable = (codes >= 0) & read[position]
    days = np.where(readable, day_of[position], 0)
    rows = np.bincount(layout_of[position[readable]], minlength=len(DATE_FORMATS))
    return days, readable, {DATE_FORMATS[i]: int(rows[i]) for i in np.argsort(-rows, kind="stable") if rows[i]}


def _read_distinct_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Read text as dates, each in the first layout that reads it; NaT where none does.

    The layout most values follow is found by :func:`segmentation.dates.read_dates`; the values it
    does not read are tried in the other layouts of :data:`segmentation.dates.DATE_FORMATS`, day
    or month first as the whole column shows. Returns the dates and, for each value, the position
    of its layout in ``DATE_FORMATS`` (-1 where none reads it).
    """
    found, _, main = read_dates(values)
    layout_of = np.full(len(values), -1, dtype=np.int64)
    # In seconds, whatever pandas parsed in: every layout's dates go into one column.
    if found is None:
        dates = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    else:
        dates = found.astype("datetime64[s]")
        layout_of[dates.notna().to_numpy()] = DATE_FORMATS.index(main)
    others = values[values.notna() & dates.isna()]
    if others.empty:
        return dates, layout_of
    order = day_month_order(others) or DEFAULT_DATE_ORDER
    for i, layout in enumerate(DATE_FORMATS):
        if layout == main or (order != "mixed" and _wrong_order(layout, order)):
            continue
        parsed = pd.to_datetime(others, format=layout, errors="coerce")
        read = parsed.notna()
        if read.any():
            dates.loc[read.index[read]] = parsed[read].astype("datetime64[s]")
            layout_of[read.index[read]] = i
            others = others[~read]
            if others.empty:
                break
    return dates, layout_of


def _wrong_order(layout: str, order: str) -> bool:
    """Whether a day/month layout reads day and month the other way from ``order``."""
    first = layout[:2]
    if first not in ("%d", "%m") or layout[2] not in "/-":
        return False
    return first != ("%d" if order == "day" else "%m")


_LAYOUT_PARTS = {"%Y": "yyyy", "%y": "yy", "%m": "mm", "%d": "dd", "%H": "hh", "%M": "mm", "%S": "ss"}


def _layout_words(layout: str) -> str:
    """A date layout as people write it: ``"%Y%m%d"`` is ``"yyyymmdd"``.

    Examples
    --------
    >>> _layout_words("%Y%m%d"), _layout_words("%d/%m/%Y")
    ('yyyymmdd', 'dd/mm/yyyy')
    """
    return re.sub(r"%[YymdHMS]", lambda part: _LAYOUT_PARTS[part.group()], layout).replace("T", " ")


def _as_of_day(as_of: str | Date | datetime | pd.Timestamp) -> int:
    """The as-of date as a day number (days since 1970-01-01), written in any layout a log's dates may be."""
    if isinstance(as_of, (Date, datetime, pd.Timestamp, np.datetime64)):
        return int(np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64))
    days, readable, _ = _read_log_days(pd.Series([str(as_of).strip()], dtype="str"))
    if not readable[0]:
        raise DataError(
            f"The as-of date '{clipped(as_of, 40)}' is not a date. Write it as year-month-day, e.g. 2024-06-30."
        )
    return int(days[0])


# --------------------------------------------------------------------------------------------------
# Rolling up


def roll_up(
    table: Table,
    *,
    customer: str,
    date: str,
    amount: str | None = None,
    order: str | None = None,
    as_of: str | Date | datetime | pd.Timestamp | None = None,
) -> Rollup:
    """Roll a transaction log up to one row per customer, in the user's units.

    For each customer: days since the last purchase (as of ``as_of``, by default the log's last
    date), the number of orders (distinct order IDs; distinct purchase days when there is no order
    column), the total spend and the average order value (when there is an amount column), days
    since the first purchase, and the average days between orders (NaN for one order).

    Several lines of one order (same order ID, or same customer and day) are summed into the order.
    An order whose amounts add up to less than zero is a refund: it reduces its customer's spend
    but is not a purchase (it does not count as an order, nor in the days). A line without an amount
    still counts as a purchase and adds nothing to spend; a customer without any known amount has an
    empty spend. Rows without a customer ID or a readable date, or dated after ``as_of``, are left
    out of the roll-up; every row keeps a status (:attr:`Rollup.row_status`) and the notes say how
    many were left out and which.

    Parameters
    ----------
    table : Table
        The log, as loaded (:func:`segmentation.load_table`).
    customer, date : str
        The columns of the customer ID and of the purchase date (any common layout, including
        8-digit ``yyyymmdd`` numbers; several layouts in one column are each read).
    amount, order : str, optional
        The column of each line's amount of money and of the order ID.
    as_of : str or date, optional
        The day the days are counted to (``"2024-06-30"``). Rows dated after it are left out.

    Returns
    -------
    Rollup

    Raises
    ------
    DataError
        If a column does not exist, the date column holds no dates, the amount column no numbers,
        or no row is left to roll up.

    Examples
    --------
    >>> log = Table.from_frame(pd.DataFrame({
    ...     "Customer": ["0007", "0012", "0007", "0007"],
    ...     "Date": ["20240301", "20240302", "20240309", "20240401"],
    ...     "Amount": [12.5, 30.0, 7.25, 18.0],
    ... }))
    >>> rolled = roll_up(log, customer="Customer", date="Date", amount="Amount")
    >>> rolled.table.frame[["Customer", "Days since last purchase", "Orders", "Total spend"]]
      Customer  Days since last purchase  Orders  Total spend
    0     0007                       0.0     3.0        37.75
    1     0012                      30.0     1.0        30.00
    >>> rolled.notes[0]
    '4 purchases by 2 customers, 2024-03-01 to 2024-04-01.'
    """
    _check_columns(table, customer=customer, date=date, amount=amount, order=order)
    ids = _text(table, customer)
    codes, uniques = pd.factorize(ids)  # -1 where there is no ID; IDs in order of first appearance
    has_customer = codes >= 0
    date_text = _text(table, date)
    days, readable, layouts = _purchase_days(date_text, column=date, has_customer=has_customer)
    dated = has_customer & readable
    if not dated.any():
        raise DataError(f"No row of '{table.name}' has both a customer ID and a date, so there is nothing to roll up.")
    as_of_day = _as_of_day(as_of) if as_of is not None else int(days[dated].max())
    after = dated & (days > as_of_day)
    counted = dated & ~after
    if not counted.any():
        raise DataError(
            f"Every purchase in '{table.name}' is dated after the as-of date {_day_text(as_of_day)} (the log starts "
            f"{_day_text(int(days[dated].min()))}). Give a later as-of date."
        )
    amounts = _amounts(table, amount) if amount is not None else None
    # Amounts in whole cents (or whatever unit the file's decimals show), so sums are exact: the total
    # spend is the sum of the amounts as written, not a float near it.
    scale = 10 ** _decimals(amounts.to_numpy()) if amounts is not None else 1
    minor = np.round(amounts.to_numpy() * scale) if amounts is not None else None

    order_codes = pd.factorize(_text(table, order))[0][counted] if order is not None else None
    orders = _orders(
        order_codes,
        customers=codes[counted],
        days=days[counted],
        amounts=minor[counted] if minor is not None else None,
    )
    customers = _per_customer(orders, n_ids=len(uniques), as_of_day=as_of_day)
    code_to_row = np.full(len(uniques), -1, dtype=np.int64)
    code_to_row[customers.index.to_numpy()] = np.arange(len(customers))
    customer_row = np.where(has_customer, code_to_row[np.maximum(codes, 0)], -1)

    status = np.full(table.n_rows, _ROLLED_UP, dtype=np.int8)
    status[~has_customer] = _NO_CUSTOMER
    no_date = has_customer & date_text.isna().to_numpy()
    status[no_date] = _NO_DATE
    status[has_customer & ~readable & ~no_date] = _BAD_DATE
    status[after] = _AFTER
    status[counted & (customer_row < 0)] = _REFUNDS_ONLY

    columns = LogColumns(customer, date, amount, order)
    first_date, last_date = (pd.Timestamp(_day_text(int(f(days[counted])))) for f in (np.min, np.max))
    notes = _notes(
        table,
        columns=columns,
        status=status,
        counted=counted,
        orders=orders,
        customers=customers,
        date_text=date_text,
        layouts=layouts,
        amounts=amounts,
        scale=scale,
        first_date=first_date,
        last_date=last_date,
        as_of_day=as_of_day,
        as_of_given=as_of is not None,
    )
    frame = _customer_frame(customers, ids=uniques, customer=customer, amount=amount, scale=scale)
    definition = f"{table.file_hash}|{customer}|{date}|{amount}|{order}|{_day_text(as_of_day)}"
    customer_table = replace(
        Table.from_frame(frame, name=table.name),
        # The log's identity plus the roll-up's definitions: the same log rolled up another way is other data.
        file_hash=hashlib.sha256(definition.encode()).hexdigest(),
        n_bytes=table.n_bytes,
        format=table.format,
        delimiter=table.delimiter,
        encoding=table.encoding,
        notes=tuple(notes),
    )
    return Rollup(
        table=customer_table,
        columns=columns,
        as_of=pd.Timestamp(_day_text(as_of_day)),
        first_date=first_date,
        last_date=last_date,
        customer_row=customer_row,
        row_status=pd.Series(pd.Categorical.from_codes(status, categories=list(ROW_STATUSES)), name="Status"),
        n_orders=int((~orders["refund"]).sum()),
        n_refunds=int(orders["refund"].sum()),
        notes=tuple(notes),
    )


def _purchase_days(
    date_text: pd.Series, *, column: str, has_customer: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Each row's day (days since 1970-01-01; times of day dropped), whether it was read, and the layouts read."""
    days, readable, layouts = _read_log_days(date_text)
    if has_customer.any() and readable[has_customer].mean() < 0.5:
        # Most dates unreadable: the wrong column was chosen, rather than a messy one.
        example = date_text[has_customer & ~readable].dropna()
        shown = f" (e.g. '{clipped(example.iloc[0], 30)}')" if len(example) else ""
        raise DataError(
            f"Column '{column}' does not hold dates{shown}. Choose the column with the purchase dates, "
            "written like 2024-03-05, 05/03/2024 or 20240305."
        )
    return days, readable, layouts


def _check_columns(table: Table, **columns: str | None) -> None:
    chosen = [name for name in columns.values() if name is not None]
    for role, name in columns.items():
        if name is not None and name not in table.columns:
            raise DataError(
                f"'{table.name}' has no column '{name}' (given as the {role} column). Its columns are "
                f"{short_list(table.columns, limit=8)}."
            )
    repeated = sorted({name for name in chosen if chosen.count(name) > 1})
    if repeated:
        raise DataError(f"Column {quoted(repeated)} is given for two roles; choose one column for each.")


def _day_text(day: int) -> str:
    return str(np.datetime64(day, "D"))


def _amounts(table: Table, column: str) -> pd.Series:
    """The column's amounts as floats (currency signs, thousands separators understood); NaN where none."""
    typed = table.frame[column]
    if pd.api.types.is_float_dtype(typed):
        return typed
    numbers, _, bad = lenient_numbers(typed, decimal=table.decimal)
    present = int(typed.notna().sum())
    if present and bad.sum() > 0.5 * present:
        example = typed[bad].iloc[0]
        raise DataError(
            f"Column '{column}' does not hold amounts (e.g. '{clipped(example, 30)}' in row "
            f"{bad.to_numpy().argmax() + 1:,}). Choose the column with each line's amount of money, or none."
        )
    return numbers


def _orders(
    order_codes: np.ndarray | None, *, customers: np.ndarray, days: np.ndarray, amounts: np.ndarray | None
) -> pd.DataFrame:
    """One row per order of the rows given: customer, day, amount (NaN if none known), lines, refund.

    The rows are the counted ones; ``order_codes`` numbers their order IDs (-1 where none),
    ``customers`` their customers (0..n-1). Sums run on dense order numbers with ``np.bincount``:
    no hashing of millions of keys per aggregate, as a groupby would do.
    """
    order = _order_numbers(order_codes, customers=customers, days=days)
    n = int(order.max()) + 1
    lines = np.bincount(order, minlength=n)
    day = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(day, order, days)  # an order's lines on several days: the order is from the first
    customer = np.zeros(n, dtype=np.int64)
    customer[order] = customers  # one customer per order, by construction of the order numbers
    if amounts is None:
        amount = np.full(n, np.nan)
    else:
        known = ~np.isnan(amounts)
        total = np.bincount(order, weights=np.where(known, amounts, 0.0), minlength=n)
        amount = np.where(np.bincount(order, weights=known, minlength=n) > 0, total, np.nan)
    kept = lines > 0  # order IDs whose every row was left out
    orders = pd.DataFrame({"customer": customer, "day": day, "amount": amount, "lines": lines})[kept]
    return orders.assign(refund=orders["amount"] < 0).reset_index(drop=True)


def _order_numbers(order_codes: np.ndarray | None, *, customers: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Each row's order, as a number: its order ID's, else its customer's purchase day's.

    An order ID shared by two customers (an export joining two tables, say) makes one order of
    each; rows without an order ID make one order per customer and day. Numbers may have gaps.
    """
    if order_codes is None:
        return pd.factorize(_purchase_day(customers, days))[0]
    has_id = order_codes >= 0
    ids, owners = order_codes[has_id], customers[has_id]
    n_ids = int(ids.max()) + 1 if has_id.any() else 0
    lowest, highest = np.full(n_ids, np.iinfo(np.int64).max), np.full(n_ids, -1)
    np.minimum.at(lowest, ids, owners)
    np.maximum.at(highest, ids, owners)
    used = highest >= 0
    numbers = np.empty(len(order_codes), dtype=np.int64)
    if (lowest[used] == highest[used]).all():
        numbers[has_id] = ids  # every ID is one customer's: the IDs number the orders as they are
    else:
        numbers[has_id] = pd.factorize(ids.astype(np.int64) * (int(customers.max()) + 1) + owners)[0]
    if not has_id.all():
        numbers[~has_id] = n_ids + pd.factorize(_purchase_day(customers[~has_id], days[~has_id]))[0]
    return numbers


def _purchase_day(customers: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One number per customer and day."""
    first = int(days.min())
    return customers.astype(np.int64) * (int(days.max()) - first + 1) + (days - first)


def _per_customer(orders: pd.DataFrame, *, n_ids: int, as_of_day: int) -> pd.DataFrame:
    """One row per customer (numbered 0..n_ids-1) with at least one purchase, in number order."""
    customer, day, amount = (orders[c].to_numpy() for c in ("customer", "day", "amount"))
    bought = ~orders["refund"].to_numpy()
    n_orders = np.bincount(customer[bought], minlength=n_ids)
    last = np.full(n_ids, np.iinfo(np.int64).min)
    np.maximum.at(last, customer[bought], day[bought])
    first = np.full(n_ids, np.iinfo(np.int64).max)
    np.minimum.at(first, customer[bought], day[bought])
    priced = np.bincount(customer[bought], weights=~np.isnan(amount[bought]), minlength=n_ids)
    # Refunds count in the spend of a customer who made a purchase.
    known = ~np.isnan(amount)
    spend = np.bincount(customer, weights=np.where(known, amount, 0.0), minlength=n_ids)
    spend = np.where(np.bincount(customer, weights=known, minlength=n_ids) > 0, spend, np.nan)
    kept = np.flatnonzero(n_orders > 0)
    return pd.DataFrame(
        {
            "last": last[kept],
            "first": first[kept],
            "orders": n_orders[kept],
            "priced": priced[kept],
            "spend": spend[kept],
            "recency": as_of_day - last[kept],
            "tenure": as_of_day - first[kept],
        },
        index=kept,
    )


def _customer_frame(
    customers: pd.DataFrame, *, ids: pd.Index, customer: str, amount: str | None, scale: int
) -> pd.DataFrame:
    """The customer table's columns; amounts come in 1/``scale`` units and go back to the file's units."""
    gaps = (customers["last"] - customers["first"]) / (customers["orders"] - 1).where(customers["orders"] > 1)
    columns = {
        customer: pd.Series(ids.to_numpy()[customers.index.to_numpy()], dtype="str"),
        RECENCY: customers["recency"].to_numpy(),
        ORDERS: customers["orders"].to_numpy(),
    }
    if amount is not None:
        spend = customers["spend"]
        columns[SPEND] = (spend / scale).to_numpy()
        # To the cent at least (whole amounts of 30 and 5 average 17.50), rounded half to even on the
        # exact quotient of whole units: 356.45 over 2 orders is 178.22.
        fine = max(scale, 100)
        average = np.round(spend * (fine // scale) / customers["priced"].where(customers["priced"] > 0)) / fine
        columns[ORDER_VALUE] = average.to_numpy()
    columns[TENURE] = customers["tenure"].to_numpy()
    columns[INTERVAL] = gaps.round(1).to_numpy()
    # The customer column keeps the log's name; a derived column yields if the log uses its name.
    names = {name: name if name == customer else free_name(name, [customer]) for name in columns}
    return pd.DataFrame({names[name]: values for name, values in columns.items()})


def _decimals(amounts: np.ndarray) -> int:
    """Decimals the amounts need (at most 6): 2 for cents, 0 for whole amounts.

    Examples
    --------
    >>> _decimals(np.array([11.77, 12.0, np.nan])), _decimals(np.array([5.0, -3.0])), _decimals(np.array([0.125]))
    (2, 0, 3)
    """
    known = amounts[~np.isnan(amounts)]
    decimals = 0
    # Guessed on the first values, then checked on all: one pass over millions of amounts, not six.
    for values in (known[:10_000], known):
        while decimals < 6 and not _whole(values * 10**decimals):
            decimals += 1
    return decimals


def _whole(values: np.ndarray) -> bool:
    # 11.77 * 100 is 1176.9999999999998 in floats: whole up to the float's own error.
    return bool((np.abs(values - np.round(values)) <= 1e-9 * np.maximum(np.abs(values), 1)).all())


# --------------------------------------------------------------------------------------------------
# Notes


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


def _notes(
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
    as_of_text = _day_text(as_of_day)
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
        no_order = counted & _text(table, columns.order).isna().to_numpy()
        if no_order.any():
            notes.append(
                f"{_count(int(no_order.sum()), 'row', 'has')} no order ID ({_rows(no_order)}); a customer's such rows "
                "on one day count as one order."
            )
    if len(layouts) > 1:
        by_count = sorted(layouts.items(), key=lambda item: -item[1])
        notes.append(
            f"Dates in '{columns.date}' are written in {len(layouts)} layouts: "
            + and_joined([f"{count:,} as {_layout_words(layout)}" for layout, count in by_count])
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
    no_customer = status == _NO_CUSTOMER
    if no_customer.any():
        notes.append(f"{_count(int(no_customer.sum()), 'row', 'has')} no customer ID ({_rows(no_customer)}).")
    no_date = status == _NO_DATE
    if no_date.any():
        notes.append(f"{_count(int(no_date.sum()), 'row', 'has')} no date in '{date}' ({_rows(no_date)}).")
    bad = status == _BAD_DATE
    if bad.any():
        examples = [f"'{clipped(date_text.iloc[p], 30)}' in row {p + 1:,}" for p in np.flatnonzero(bad)[:3]]
        more = int(bad.sum()) - len(examples)
        listed = ", ".join(examples) + f" and {more:,} more" if more > 0 else and_joined(examples)
        notes.append(f"{_count(int(bad.sum()), 'row', 'has')} a date that cannot be read ({listed}).")
    after = status == _AFTER
    if after.any():
        notes.append(
            f"{_count(int(after.sum()), 'row', 'is')} dated after the as-of date {as_of_text} ({_rows(after)})."
        )
    refunds_only = status == _REFUNDS_ONLY
    if refunds_only.any():
        notes.append(
            f"{_count(int(refunds_only.sum()), 'row', 'belongs')} to customers with refunds only, no purchase "
            f"({_rows(refunds_only)}); those customers are not in the customer table."
        )
    counts = np.bincount(status, minlength=len(ROW_STATUSES))
    left_out = int(len(status) - counts[_ROLLED_UP])
    if left_out:
        parts = [f"{counts[i]:,} {ROW_STATUSES[i]}" for i in range(1, len(ROW_STATUSES)) if counts[i]]
        notes.append(
            f"Every row is accounted for: {counts[_ROLLED_UP]:,} rolled up and {left_out:,} left out "
            f"({and_joined(parts)})."
        )
    return notes


# --------------------------------------------------------------------------------------------------
# RFM


def rfm_scores(rollup: Rollup) -> pd.DataFrame:
    """R, F and M scores from 1 to 5 (quintiles) and the named RFM cell of every customer.

    R ranks :data:`RECENCY` (the most recent fifth of customers scores 5), F ranks :data:`ORDERS`
    and M ranks :data:`SPEND` (the most orders and the most spend score 5). Each score splits the
    customers into five equal fifths (the first ``n // 5`` or so customers in rank order score 1,
    and so on), so customers with the same value may get neighbouring scores: ties are ranked by
    the other two measures (for R: orders, then spend; for F: spend, then recency; for M: orders,
    then recency), then by their order in the table, so the scores never depend on chance. A
    customer without a known spend has no M score; their F&M is then F alone, as it is for every
    customer of a log without amounts. The cell is the segment of :data:`RFM_SCHEME` (Putler's
    table) that holds R and (F + M) / 2.

    Parameters
    ----------
    rollup : Rollup
        A log rolled up by :func:`roll_up`.

    Returns
    -------
    DataFrame
        One row per row of ``rollup.table`` (same index): the customer ID, ``"R"``, ``"F"``,
        ``"M"`` (nullable integers), ``"RFM"`` (the three scores as one code, e.g. ``"545"``) and
        ``"RFM cell"`` (one of :data:`RFM_CELLS`).

    Examples
    --------
    >>> log = Table.from_frame(pd.DataFrame({
    ...     "Customer": ["A", "B", "A", "C", "D", "E", "A", "B"],
    ...     "Date": ["2024-01-05", "2024-02-01", "2024-03-01", "2024-01-02", "2024-01-03",
    ...              "2024-03-30", "2024-03-31", "2024-02-02"],
    ...     "Amount": [50.0, 20.0, 60.0, 5.0, 8.0, 9.0, 70.0, 25.0],
    ... }))
    >>> rfm_scores(roll_up(log, customer="Customer", date="Date", amount="Amount"))
      Customer  R  F  M  RFM             RFM cell
    0        A  5  5  5  555            Champions
    1        B  3  4  4  344      Loyal Customers
    2        C  1  1  1  111                 Lost
    3        D  2  2  2  222          Hibernating
    4        E  4  3  3  433  Potential Loyalists

    C, D and E made one order each: their F scores follow their spend (5, 8 and 9).
    """
    table = rollup.table.frame
    customer = rollup.columns.customer
    recency = -table[RECENCY].to_numpy(dtype=float)
    orders = table[ORDERS].to_numpy(dtype=float)
    spend = table[SPEND].to_numpy(dtype=float) if SPEND in table.columns else np.full(len(table), np.nan)
    r = _quintiles(recency, orders, spend)
    f = _quintiles(orders, spend, recency)
    m = _quintiles(spend, orders, recency)
    fm = np.where(np.isnan(m), f, (f + m) / 2)
    cells = _rfm_cells(r, fm)
    as_int = {
        name: pd.Series(pd.array(np.where(np.isnan(v), None, v), dtype="Int64"), index=table.index)
        for name, v in (("R", r), ("F", f), ("M", m))
    }
    code = as_int["R"].astype("str") + as_int["F"].astype("str") + as_int["M"].astype("str").fillna("")
    return pd.DataFrame(
        {
            customer: table[customer],
            "R": as_int["R"],
            "F": as_int["F"],
            "M": as_int["M"],
            "RFM": code,
            "RFM cell": pd.Series(cells, index=table.index, dtype="str"),
        },
        index=table.index,
    )


def _quintiles(values: np.ndarray, *ties: np.ndarray) -> np.ndarray:
    """Scores 1-5 by equal fifths of the customers with a value; ties ranked by ``ties``, then position."""
    scores = np.full(len(values), np.nan)
    known = ~np.isnan(values)
    n = int(known.sum())
    if n == 0:
        return scores
    position = np.arange(len(values))[known]
    keys = [np.nan_to_num(t[known], nan=-np.inf) for t in ties]
    # np.lexsort sorts by its last key first: the value, then each tie-breaker in turn, then position.
    ranked = np.lexsort((position, *reversed(keys), values[known]))
    rank = np.empty(n, dtype=np.int64)
    rank[ranked] = np.arange(n)
    scores[known] = rank * 5 // n + 1
    return scores


def _rfm_cells(r: np.ndarray, fm: np.ndarray) -> np.ndarray:
    conditions = [
        (r > r_low) & (r <= r_high) & (fm > fm_low) & (fm <= fm_high)
        for _, (r_low, r_high), (fm_low, fm_high) in RFM_SCHEME
    ]
    return np.select(conditions, list(RFM_CELLS), default="")


def rfm_crosstab(
    cells: pd.Series | np.ndarray | list, labels: pd.Series | np.ndarray | list, *, share: bool = False
) -> pd.DataFrame:
    """Customers by RFM cell and k-means segment: the classic cells beside the segments.

    Parameters
    ----------
    cells : array-like of str
        Each customer's RFM cell (``rfm_scores(rollup)["RFM cell"]``).
    labels : array-like
        Each customer's segment, in the same order: numbers ``1..k`` (``0`` for a customer not
        segmented), as :attr:`segmentation.Segmentation.labels`, or segment names.
    share : bool, default False
        Give each segment's customers as shares of the segment (columns add up to 1) instead of
        counts.

    Returns
    -------
    DataFrame
        One row per RFM cell (every cell of :data:`RFM_CELLS`, best first), one column per segment
        (``"Segment 1"``..., then ``"Not segmented"`` when some are), then ``"All customers"``.

    Examples
    --------
    >>> rfm_crosstab(["Champions", "Lost", "Lost"], [1, 2, 2]).loc[["Champions", "Lost"]]  # doctest: +NORMALIZE_WHITESPACE
    Segment    Segment 1  Segment 2  All customers
    RFM cell
    Champions          1          0              1
    Lost               0          2              2
    """
    cells = pd.Series(np.asarray(cells, dtype=object), name="RFM cell")
    labels = np.asarray(labels)
    if len(cells) != len(labels):
        raise ValueError(f"cells has {len(cells)} entries and labels {len(labels)}; give one of each per customer")
    if np.issubdtype(labels.dtype, np.number):
        names = np.where(labels > 0, np.char.add("Segment ", labels.astype(np.int64).astype(str)), "Not segmented")
        order = [f"Segment {i}" for i in sorted({int(v) for v in labels if v > 0})]
        order += ["Not segmented"] if (labels <= 0).any() else []
    else:
        names = labels.astype(str)
        order = list(dict.fromkeys(sorted(names)))
    segments = pd.Series(names, name="Segment")
    counts = pd.crosstab(cells, segments).reindex(index=list(RFM_CELLS), columns=order, fill_value=0)
    counts.index.name, counts.columns.name = "RFM cell", "Segment"
    counts["All customers"] = counts.sum(axis=1)
    if share:
        totals = counts.sum(axis=0)
        return counts / totals.where(totals > 0)
    return counts

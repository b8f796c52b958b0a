"""From a log of orders to one row per customer: recency, orders and spend, in the user's units.

Most marketers' data is a log of orders or order lines, not a customer table: segmented row by row,
every line would become a "customer". :func:`detect_log` recognises a log (a column of repeated
customer IDs, a date, and an amount and an order ID when there are), :func:`roll_up` turns it into
a customer :class:`~segmentation.Table` in the user's units (days since the last and the first
purchase, orders, total spend, average order value, average days between orders) that
:func:`segmentation.prepare` and every later stage take as they take any customer file.
Reading any file as customers (rolled up when it is a log) is :mod:`segmentation.customers`; the RFM
scores and cells are in :mod:`segmentation.rfm`, the downloads in :mod:`segmentation.log_export`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date as Date
from datetime import datetime

import numpy as np
import pandas as pd

from .cells import lenient_numbers
from .errors import DataError
from .load import Table
from .log_columns import MIN_ROWS_PER_CUSTOMER, LogColumns, column_text, detect_log
from .log_dates import day_number, day_text, read_days
from .orders import amount_decimals, orders_of, per_customer
from .rollup_notes import ROW_STATUSES, RowStatus, rollup_notes
from .wording import clipped, free_name, quoted, short_list

__all__ = [
    "COUNTED_COLUMNS",
    "DERIVED_COLUMNS",
    "INTERVAL",
    "MIN_ROWS_PER_CUSTOMER",
    "ORDERS",
    "ORDER_VALUE",
    "RECENCY",
    "ROW_STATUSES",
    "SPEND",
    "TENURE",
    "LogColumns",
    "Rollup",
    "check_columns",
    "detect_log",
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
#: The derived columns counted in days or orders (not money): their unit is the roll-up's own.
COUNTED_COLUMNS = (RECENCY, ORDERS, TENURE, INTERVAL)


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
    check_columns(table, customer=customer, date=date, amount=amount, order=order)
    ids = column_text(table, customer)
    codes, uniques = pd.factorize(ids)  # -1 where there is no ID; IDs in order of first appearance
    has_customer = codes >= 0
    date_text = column_text(table, date)
    days, readable, layouts = _purchase_days(date_text, column=date, has_customer=has_customer)
    dated = has_customer & readable
    if not dated.any():
        raise DataError(f"No row of '{table.name}' has both a customer ID and a date, so there is nothing to roll up.")
    as_of_day = day_number(as_of) if as_of is not None else int(days[dated].max())
    after = dated & (days > as_of_day)
    counted = dated & ~after
    if not counted.any():
        raise DataError(
            f"Every purchase in '{table.name}' is dated after the as-of date {day_text(as_of_day)} (the log starts "
            f"{day_text(int(days[dated].min()))}). Give a later as-of date."
        )
    amounts = _amounts(table, amount) if amount is not None else None
    # Amounts in whole cents (or whatever unit the file's decimals show), so sums are exact: the total
    # spend is the sum of the amounts as written, not a float near it.
    decimals = amount_decimals(amounts.to_numpy()) if amounts is not None else 0
    scale = 10**decimals
    minor = np.round(amounts.to_numpy() * scale) if amounts is not None else None

    order_codes = pd.factorize(column_text(table, order))[0][counted] if order is not None else None
    orders = orders_of(
        order_codes,
        customers=codes[counted],
        days=days[counted],
        amounts=minor[counted] if minor is not None else None,
    )
    customers = per_customer(orders, n_ids=len(uniques), as_of_day=as_of_day)
    code_to_row = np.full(len(uniques), -1, dtype=np.int64)
    code_to_row[customers.index.to_numpy()] = np.arange(len(customers))
    customer_row = np.where(has_customer, code_to_row[np.maximum(codes, 0)], -1)

    status = np.full(table.n_rows, RowStatus.ROLLED_UP, dtype=np.int8)
    status[~has_customer] = RowStatus.NO_CUSTOMER
    no_date = has_customer & date_text.isna().to_numpy()
    status[no_date] = RowStatus.NO_DATE
    status[has_customer & ~readable & ~no_date] = RowStatus.BAD_DATE
    status[after] = RowStatus.AFTER_AS_OF
    status[counted & (customer_row < 0)] = RowStatus.REFUNDS_ONLY

    columns = LogColumns(customer, date, amount, order)
    first_date, last_date = (pd.Timestamp(day_text(int(f(days[counted])))) for f in (np.min, np.max))
    notes = rollup_notes(
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
    definition = f"{table.file_hash}|{customer}|{date}|{amount}|{order}|{day_text(as_of_day)}"
    customer_table = replace(
        _with_amounts_written(Table.from_frame(frame, name=table.name), decimals=decimals),
        # The log's identity plus the roll-up's definitions: the same log rolled up another way is other data.
        file_hash=hashlib.sha256(definition.encode()).hexdigest(),
        n_bytes=table.n_bytes,
        format=table.format,
        delimiter=table.delimiter,
        encoding=table.encoding,
        notes=(*table.notes, *notes),  # how the log was read, then how it was rolled up
    )
    return Rollup(
        table=customer_table,
        columns=columns,
        as_of=pd.Timestamp(day_text(as_of_day)),
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
    days, readable, layouts = read_days(date_text)
    if has_customer.any() and readable[has_customer].mean() < 0.5:
        # Most dates unreadable: the wrong column was chosen, rather than a messy one.
        example = date_text[has_customer & ~readable].dropna()
        shown = f" (e.g. '{clipped(example.iloc[0], 30)}')" if len(example) else ""
        raise DataError(
            f"Column '{column}' does not hold dates{shown}. Choose the column with the purchase dates, "
            "written like 2024-03-05, 05/03/2024 or 20240305."
        )
    return days, readable, layouts


def check_columns(table: Table, **columns: str | None) -> None:
    """Refuse a column the table does not have, or one column given for two roles (``customer="ID"``...)."""
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


def _with_amounts_written(table: Table, *, decimals: int) -> Table:
    """The customer table with its amounts written as the log writes them (``89.00``, not ``89.0``).

    The raw view is what downloads show; spend keeps the log's decimals, the average order value at
    least cents.
    """
    raw = table.raw.copy()
    for column, places in ((SPEND, decimals), (ORDER_VALUE, max(decimals, 2))):
        name = free_name(column, [table.columns[0]])
        if name in raw.columns:
            values = table.frame[name]
            raw[name] = values.map(lambda v, places=places: f"{v:.{places}f}").where(values.notna(), "")
    return replace(table, raw=raw)

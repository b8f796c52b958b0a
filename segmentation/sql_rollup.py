"""A transaction log rolled up to one row per customer in SQL, with the definitions of :func:`segmentation.roll_up`.

A run file made from a log scores a table of order lines where it lives: :func:`rollup_ctes` gives
the common table expressions that roll the table up (the customer ID, then the derived columns of
:mod:`segmentation.transactions`, named alike), and :func:`segmentation.scoring_sql` scores the last
of them with the run file's segments, all in one query. Every definition mirrors the Python
roll-up (:func:`segmentation.roll_up`, :mod:`segmentation.orders`):

* rows without a customer ID or a readable date, or dated after the as-of date, are left out;
* an order is an order ID of one customer (rows without an ID: the customer's purchase day), or,
  without an order column, a customer's purchase day; it is dated by its first line;
* an order's amounts are summed in millionths as whole numbers, so the sums are exact; an order
  whose amounts add up to less than zero is a refund: it reduces spend, is not an order, and does
  not count in the days; a line without an amount is a purchase that adds nothing to spend;
* the average order value (spend over the orders with an amount) is rounded half to even to the
  cent, or to the amounts' own decimals when they have more (found over every row, as the Python
  roll-up does), and the average days between orders to a tenth, with the same floating-point
  operations as NumPy's ``round``.
"""

from __future__ import annotations

from typing import Any

from .sql_dialects import Dialect, quote_table, text_missing
from .transactions import INTERVAL, ORDER_VALUE, ORDERS, RECENCY, SPEND, TENURE

__all__ = ["rollup_columns", "rollup_ctes", "rollup_header"]

#: Amounts are summed in millionths (the Python roll-up's finest unit, six decimals).
_MICROS = 1_000_000


def rollup_columns(transactions: dict[str, Any]) -> list[str]:
    """The columns of the rolled-up customers, in the order of the Python roll-up's customer table."""
    money = [SPEND, ORDER_VALUE] if transactions.get("amount") is not None else []
    return [transactions["customer"], RECENCY, ORDERS, *money, TENURE, INTERVAL]


def rollup_ctes(transactions: dict[str, Any], table: str, d: Dialect, *, as_of: str) -> list[tuple[str, str]]:
    """The CTEs that roll ``table`` up to one row per customer; the last one holds :func:`rollup_columns`.

    Parameters
    ----------
    transactions : dict
        A run file's ``"transactions"`` block (the customer, date, amount and order columns).
    table : str
        The table of order lines, possibly qualified (``"sales.order_lines"``).
    d : Dialect
        With its ``helpers`` prefix set: the CTEs and their helper columns are named with it.
    as_of : str
        The day the days are counted to, ``yyyy-mm-dd``.
    """
    h = d.helpers
    money = transactions.get("amount") is not None
    customer, date = f"t.{d.identifier(transactions['customer'])}", transactions["date"]
    items = [
        (f"{h}customer", _text_or_null(customer, d)),
        (f"{h}ago", _days_before(as_of, f"t.{d.identifier(date)}", d)),
    ]
    if money:
        items.append((f"{h}micros", _micros(f"t.{d.identifier(transactions['amount'])}", d)))
    if transactions.get("order") is not None:
        items.append((f"{h}order", _text_or_null(f"t.{d.identifier(transactions['order'])}", d)))
    lines = f"SELECT {_list(items, d)}\n  FROM {quote_table(table, dialect=d.name)} AS t"

    cust, ago, micros, order = (d.identifier(f"{h}{name}") for name in ("customer", "ago", "micros", "order"))
    if transactions.get("order") is not None:
        # Rows without an order ID make one order per customer and day, apart from the orders with an ID.
        keys = f"{cust}, {order}, CASE WHEN {order} IS NULL THEN {ago} END"
    else:
        keys = f"{cust}, {ago}"
    order_items = [(f"{h}customer", cust), (f"{h}ago", f"MAX({ago})")]  # an order is dated by its first line
    if money:
        order_items.append((f"{h}micros", f"SUM({micros})"))  # NULL when no line has an amount
    counted = f"{cust} IS NOT NULL AND {ago} >= 0"  # a NULL day (no readable date) is not >= 0
    orders = f"SELECT {_list(order_items, d)}\n  FROM {_ref(d, 'lines')}\n  WHERE {counted}\n  GROUP BY {keys}"

    bought = f"({micros} IS NULL OR {micros} >= 0)" if money else "TRUE"
    per_customer = [
        (f"{h}customer", cust),
        (f"{h}orders", f"SUM(CASE WHEN {bought} THEN 1 ELSE 0 END)"),
        (f"{h}recency", f"MIN(CASE WHEN {bought} THEN {ago} END)"),
        (f"{h}tenure", f"MAX(CASE WHEN {bought} THEN {ago} END)"),
    ]
    if money:
        per_customer += [
            (f"{h}priced", f"SUM(CASE WHEN {bought} AND {micros} IS NOT NULL THEN 1 ELSE 0 END)"),
            (f"{h}spend", f"SUM({micros})"),  # refunds included; NULL when no order has an amount
        ]
    sums = (
        f"SELECT {_list(per_customer, d)}\n  FROM {_ref(d, 'orders')}\n  GROUP BY {cust}\n"
        f"  HAVING SUM(CASE WHEN {bought} THEN 1 ELSE 0 END) > 0"
    )
    ctes = [(f"{h}lines", lines), (f"{h}orders", orders), (f"{h}sums", sums)]
    if money:
        ctes.append((f"{h}places", _places(d)))
    ctes.append((f"{h}customers", _customer_table(transactions, d, money=money)))
    return ctes


def rollup_header(transactions: dict[str, Any], table: str, *, as_of: str, given: bool, file_name: str) -> str:
    """The query's opening comment: what it reads, the as-of date used and why, what it returns."""
    which = (
        "the as-of date given"
        if given
        else "the run file's as-of date; give another (--as-of on the command line) to count to another day"
    )
    roles = [("customer ID", transactions["customer"]), ("purchase date", transactions["date"])]
    roles += [
        (role, transactions[key])
        for role, key in (("amount", "amount"), ("order ID", "order"))
        if transactions.get(key)
    ]
    source = f" (as the segments of '{file_name}' were made)" if file_name else ""
    lines = [
        f"Rolls the order lines of {table} up to one row per customer{source}, then puts each customer into a segment.",
        f"Days are counted to {as_of} ({which}); rows dated after it are left out.",
        "Columns read: " + ", ".join(f"{name} ({role})" for role, name in roles) + ".",
        "The date column: a DATE or TIMESTAMP, text written 2024-06-30, or 8-digit yyyymmdd numbers or text;",
        "other layouts read as no date (those rows are left out). The amount column: numbers (text that is not",
        "a plain number counts as no amount).",
    ]
    # A name from the run file could hold a line break and end the comment: every invisible character goes.
    return "\n".join("-- " + "".join(c if c.isprintable() else "?" for c in line) for line in lines) + "\n"


def _customer_table(transactions: dict[str, Any], d: Dialect, *, money: bool) -> str:
    """The rolled-up customers, with the Python roll-up's column names and roundings."""
    h = d.helpers
    s = lambda name: d.identifier(f"{h}{name}")  # noqa: E731 - a short alias for the sums' columns
    ten = d.number(10.0)
    gaps = f"CAST({s('tenure')} - {s('recency')} AS {d.double}) / ({s('orders')} - 1)"
    items = [
        (transactions["customer"], s("customer")),
        (RECENCY, s("recency")),
        (ORDERS, s("orders")),
    ]
    if money:
        spend = f"CAST({s('spend')} AS {d.double})"
        coarser = f"{_MICROS_PLACES} - {s('fine')}"
        fine_units = f"CAST({_power_of_ten(coarser)} AS {d.double})"
        # The spend in units of the average's precision (cents, or finer): a whole number, exactly.
        whole = f"{spend} / {fine_units}"
        average = f"ABS({whole}) / {s('priced')}"
        per_unit = f"CAST({_power_of_ten(s('fine'))} AS {d.double})"
        items += [
            (SPEND, f"{spend} / {d.number(_MICROS)}"),
            (
                ORDER_VALUE,
                f"CASE WHEN {s('priced')} > 0 AND {s('spend')} IS NOT NULL THEN "
                f"SIGN({spend}) * {_half_even(average, d)} / {per_unit} END",
            ),
        ]
    items += [
        (TENURE, s("tenure")),
        # NumPy's round(x, 1): x * 10 rounded half to even, over 10.
        (INTERVAL, f"CASE WHEN {s('orders')} > 1 THEN {_half_even(f'{gaps} * {ten}', d)} / {ten} END"),
    ]
    origin = f"{_ref(d, 'sums')}" + (f" CROSS JOIN {_ref(d, 'places')}" if money else "")
    return f"SELECT {_list(items, d)}\n  FROM {origin}"


_MICROS_PLACES = 6


def _power_of_ten(places: str) -> str:
    """10 to a whole number of places from 0 to 6, as an exact integer (no POWER: it returns a double)."""
    cases = " ".join(f"WHEN {p} THEN {10**p}" for p in range(_MICROS_PLACES + 1))
    return f"(CASE {places} {cases} END)"


def _places(d: Dialect) -> str:
    """One row: the decimals the average order value keeps, at least 2, at most 6.

    As :func:`segmentation.orders.amount_decimals`, over every row's amount (rows left out too).
    """
    micros = d.identifier(f"{d.helpers}micros")
    cases = " ".join(f"WHEN MOD({micros}, {10 ** (_MICROS_PLACES - p)}) = 0 THEN {p}" for p in range(_MICROS_PLACES))
    places = f"COALESCE(MAX(CASE {cases} ELSE {_MICROS_PLACES} END), 0)"
    fine = d.identifier(f"{d.helpers}fine")
    # Lines without an amount have no decimals (in the CASE, NULL would fall through to six).
    return (
        f"SELECT CASE WHEN {places} < 2 THEN 2 ELSE {places} END AS {fine}\n  FROM {_ref(d, 'lines')}\n"
        f"  WHERE {micros} IS NOT NULL"
    )


def _half_even(value: str, d: Dialect) -> str:
    """A double of 0 or more rounded to a whole number, half to even (NumPy's ``rint``), in doubles.

    ``value - FLOOR(value)`` is exact for doubles from 0 to 2**52, so the test of a tie is too.
    """
    floor = f"FLOOR({value})"
    half = d.number(0.5)
    even = (
        f"({floor} - {d.number(2.0)} * FLOOR({floor} / {d.number(2.0)}))"  # 1 when odd: MOD takes no double everywhere
    )
    return (
        f"(CASE WHEN {value} - {floor} > {half} THEN {floor} + 1 "
        f"WHEN {value} - {floor} < {half} THEN {floor} ELSE {floor} + {even} END)"
    )


def _text_or_null(column: str, d: Dialect) -> str:
    """A cell as trimmed text; NULL when missing (the markers the file loader reads as missing, too)."""
    text = d.trimmed_text(column)
    return f"CASE WHEN {text_missing(text, d)} THEN NULL ELSE {text} END"


def _days_before(as_of: str, column: str, d: Dialect) -> str:
    """Days from a row's purchase date to the as-of date (negative after it); NULL when no date is read."""
    # 8-digit yyyymmdd first (numbers or text), then a DATE, TIMESTAMP or ISO text as the dialect casts it.
    timestamp = f"COALESCE({d.timestamp(column, '%Y%m%d')}, {d.timestamp(column, '')})"
    return d.days_between(f"CAST({timestamp} AS DATE)", f"DATE '{as_of}'")


def _micros(column: str, d: Dialect) -> str:
    """A line's amount in millionths, as a whole number; NULL when the cell holds no number."""
    number = d.try_double(column)
    finite = f"{number} - {number} = 0"  # 0 for finite doubles only
    return f"CASE WHEN {finite} THEN CAST(ROUND({number} * {d.number(_MICROS)}) AS {d.integer}) END"


def _ref(d: Dialect, name: str) -> str:
    return d.identifier(d.helpers + name)


def _list(items: list[tuple[str, str]], d: Dialect) -> str:
    return ",\n    ".join(f"{expression} AS {d.identifier(name)}" for name, expression in items)

"""Roll a transaction log up to one row per customer in Spark, with the default engine's definitions.

:func:`roll_up` is :func:`segmentation.roll_up` for logs of any size: the same columns (days since
the last and the first purchase, orders, total spend, average order value, average days between
orders), the same orders (an order ID's lines, else a customer's purchase day), refunds, lines
without an amount and rows left out, so both engines give the same customers and values.

Dates, and amounts that are not plain numbers (``$1,234.50``), are read by the default engine's own
readers (:func:`segmentation.log_dates.read_days`, :func:`segmentation.cells.lenient_numbers`) once
per distinct value, on the driver: a log repeats a few thousand dates over millions of rows, so
every layout the core reads is read the same way, the day/month order included, up to
:data:`MAX_DISTINCT` distinct values (more are refused with a message). Everything else (the sums,
the orders, the customers) runs in Spark. :func:`log_columns` recognises a log on its first
:data:`HEAD_ROWS` rows by the default engine's rule (:func:`segmentation.customers.log_columns_of`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..cells import MISSING_MARKERS, lenient_numbers
from ..customers import log_columns_of
from ..errors import DataError
from ..log_columns import LogColumns
from ..log_dates import day_number, day_text, read_days
from ..rollup_notes import ROW_STATUSES
from ..transactions import INTERVAL, ORDER_VALUE, ORDERS, RECENCY, SPEND, TENURE, check_columns
from ..wording import and_joined, clipped, free_name
from .frames import col
from .read import SparkTable, python_table

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import Column, DataFrame

__all__ = ["HEAD_ROWS", "MAX_DISTINCT", "SparkRollup", "log_columns", "roll_up"]

#: A log is recognised (and its columns found) on this many first rows.
HEAD_ROWS = 100_000
#: Distinct dates, and distinct amounts that are not plain numbers, read on the driver at most.
MAX_DISTINCT = 1_000_000

#: A plain number as the loader reads it with a decimal point (its ``_DOT_NUMBER``): Spark casts
#: these as pandas parses them; anything else goes through the core's lenient reading.
_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


@dataclass(frozen=True)
class SparkRollup:
    """A transaction log rolled up to one row per customer, in Spark.

    Attributes
    ----------
    table : SparkTable
        One row per customer who made a purchase, in order of their first row in the log, with the
        columns of :attr:`segmentation.Rollup.table`: the customer ID as written, then
        :data:`~segmentation.RECENCY`, :data:`~segmentation.ORDERS`, :data:`~segmentation.SPEND` and
        :data:`~segmentation.ORDER_VALUE` (with amounts), :data:`~segmentation.TENURE` and
        :data:`~segmentation.INTERVAL` (null for one order). Cached; give it to
        :func:`segmentation.spark.prepare`.
    columns : LogColumns
    as_of, first_date, last_date : Timestamp
        As :class:`segmentation.Rollup`.
    n_log_rows, n_customers, n_orders, n_refunds : int
        Rows of the log, customers in :attr:`table`, purchases and refunds (orders or days).
    rows : dict of str to int
        Rows of the log by what became of them, one entry per :data:`segmentation.ROW_STATUSES`.
    missing : dict of str to int
        Empty cells of each derived column in :attr:`table`.
    notes : tuple of str
        The roll-up's size and dates, refunds, missing amounts and the rows left out (counted, not
        listed one by one as the default engine lists them).
    """

    table: SparkTable
    columns: LogColumns
    as_of: pd.Timestamp
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    n_log_rows: int
    n_customers: int
    n_orders: int
    n_refunds: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def definitions(self) -> dict[str, object]:
        """How the log was rolled up, as :meth:`segmentation.Rollup.definitions` says it (run file, JSON)."""
        return {
            "rows": self.n_log_rows,
            "customers": self.n_customers,
            **self.columns.options(),
            "as_of": self.as_of.strftime("%Y-%m-%d"),
        }


def log_columns(table: SparkTable, *, head_rows: int = HEAD_ROWS, **options) -> LogColumns | None:
    """The log's columns by the default engine's rule, decided on the first ``head_rows`` rows.

    Parameters
    ----------
    table : SparkTable
    head_rows : int, default HEAD_ROWS
        A log's first rows repeat its customers as the whole log does (a random sample would not:
        it would hold most customers once).
    **options
        As :func:`segmentation.roll_up_if_log` (``transactions``, ``customer``, ``date``,
        ``amount``, ``order``, ``as_of``).

    Returns
    -------
    LogColumns or None
        None when the file is taken as one row per customer.

    Raises
    ------
    DataError
        As :func:`segmentation.roll_up_if_log`.
    """
    # Taken as customers whatever it holds: two rows are enough for the rule to check the flags.
    rows = 2 if options.get("transactions") == "no" else head_rows
    return log_columns_of(python_table(table.frame.limit(rows), name=table.name), **options)


def roll_up(
    data: SparkTable | DataFrame,
    *,
    customer: str,
    date: str,
    amount: str | None = None,
    order: str | None = None,
    as_of: str | Date | datetime | pd.Timestamp | None = None,
) -> SparkRollup:
    """Roll a transaction log up to one row per customer, as :func:`segmentation.roll_up` does.

    Same definitions: days since the last purchase (as of ``as_of``, by default the log's last
    date), orders (distinct order IDs; distinct purchase days without an order column), total spend
    and average order value (with an amount column), days since the first purchase, average days
    between orders (null for one order). An order's lines are summed; an order adding up to less
    than zero is a refund (it reduces spend, and is neither a purchase nor counted in the days); a
    line without an amount is a purchase adding nothing. Rows without a customer ID or a readable
    date, or dated after ``as_of``, are left out and counted.

    Parameters
    ----------
    data : SparkTable or pyspark.sql.DataFrame
        The log: text columns as :func:`segmentation.spark.read` reads a CSV, or typed Parquet
        columns (dates as dates, timestamps or text; IDs as text or whole numbers).
    customer, date, amount, order, as_of
        As :func:`segmentation.roll_up`.

    Returns
    -------
    SparkRollup

    Raises
    ------
    DataError
        As :func:`segmentation.roll_up`; and when the date column holds more than
        :data:`MAX_DISTINCT` distinct values (or the amount column as many that are not plain numbers).
    """

    table = data if isinstance(data, SparkTable) else SparkTable(frame=data)
    check_columns(table, customer=customer, date=date, amount=amount, order=order)
    cells = _cells(table.frame, customer=customer, date=date, amount=amount, order=order).persist()
    try:
        log = _with_days(cells, column=date)
        dated = _dated_summary(log, table=table, column=date)
        as_of_day = day_number(as_of) if as_of is not None else dated["last"]
        if dated["first"] > as_of_day:
            raise DataError(
                f"Every purchase in '{table.name}' is dated after the as-of date {day_text(as_of_day)} (the log starts "
                f"{day_text(dated['first'])}). Give a later as-of date."
            )
        scale = 1
        if amount is not None:
            log, scale = _with_amounts(log, table=table, column=amount)
        customers, totals = _customers(
            log, as_of_day=as_of_day, has_amount=amount is not None, has_order=order is not None
        )
        frame = _customer_frame(customers, customer=customer, amount=amount, scale=scale, as_of_day=as_of_day).persist()
        n_customers = frame.count()
        rows = _row_statuses(log, as_of_day=as_of_day, refunds_only=totals["refunds_only_rows"])
    finally:
        cells.unpersist()
    columns = LogColumns(customer, date, amount, order)
    first_date, last_date = pd.Timestamp(day_text(totals["first"])), pd.Timestamp(day_text(totals["last"]))
    notes = _notes(
        columns,
        totals=totals,
        rows=rows,
        n_customers=n_customers,
        scale=scale,
        span=f"{first_date:%Y-%m-%d} to {last_date:%Y-%m-%d}",
        as_of_text=day_text(as_of_day),
        as_of_given=as_of is not None,
    )
    definition = f"{table.file_hash}|{customer}|{date}|{amount}|{order}|{day_text(as_of_day)}"
    rolled = SparkTable(
        frame=frame,
        name=table.name,
        format=table.format,
        delimiter=table.delimiter,
        encoding=table.encoding,
        decimal=table.decimal,
        # The log's identity plus the roll-up's definitions, as the default engine records it.
        file_hash=hashlib.sha256(definition.encode()).hexdigest() if table.file_hash else "",
        notes=(*table.notes, *notes),
    )
    interval = free_name(INTERVAL, [customer])
    return SparkRollup(
        table=rolled,
        columns=columns,
        as_of=pd.Timestamp(day_text(as_of_day)),
        first_date=first_date,
        last_date=last_date,
        n_log_rows=sum(rows.values()),
        n_customers=n_customers,
        n_orders=totals["orders"],
        n_refunds=totals["refunds"],
        rows=rows,
        missing={interval: totals["one_order"]}
        | ({free_name(SPEND, [customer]): totals["no_spend"]} if amount else {}),
        notes=tuple(notes),
    )


def _text(frame: DataFrame, name: str) -> Column:
    """A column's cells as written, stripped, null where the loader reads them as missing."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, TimestampType

    value = col(name)
    if isinstance(frame.schema[name].dataType, (DateType, TimestampType)):
        return F.date_format(value, "yyyy-MM-dd")  # a typed date (Parquet): its day, in a layout read below
    stripped = F.regexp_replace(value.cast("string"), r"(?U)^\s+|\s+$", "")
    return F.when(stripped.isNull() | F.lower(stripped).isin(*sorted(MISSING_MARKERS)), None).otherwise(stripped)


def _cells(frame: DataFrame, *, customer: str, date: str, amount: str | None, order: str | None) -> DataFrame:
    """The log's columns used, as text, with each row's position (``_row``, in file order)."""
    from pyspark.sql import functions as F

    chosen = {"_customer": customer, "_date": date, "_amount_text": amount, "_order": order}
    return frame.select(
        F.monotonically_increasing_id().alias("_row"),
        *[_text(frame, name).alias(alias) for alias, name in chosen.items() if name is not None],
    )


def _distinct_values(frame: DataFrame, column: str, *, what: str, name: str) -> list[str]:
    """The distinct values of a text column in order of first appearance (at most :data:`MAX_DISTINCT`)."""
    from pyspark.sql import functions as F

    found = frame.where(col(column).isNotNull()).groupBy(column).agg(F.min("_row").alias("_first"))
    rows = found.orderBy("_first").select(column).limit(MAX_DISTINCT + 1).collect()
    if len(rows) > MAX_DISTINCT:
        raise DataError(
            f"Column '{name}' holds more than {MAX_DISTINCT:,} different {what}; the Spark engine reads them once per "
            f"distinct value. Write them plainly (dates without the time of day, amounts as 1234.50), or roll the log "
            "up with --engine python."
        )
    return [row[0] for row in rows]


def _with_days(cells: DataFrame, *, column: str) -> DataFrame:
    """The cells with each row's day (``_day``: days since 1970-01-01, null where the date is not read)."""
    from pyspark.sql import functions as F

    values = _distinct_values(cells, "_date", what="dates", name=column)
    # In order of first appearance, as the default engine meets them: its layout is decided on the first ones.
    days, readable, _ = read_days(pd.Series(values, dtype="str"))
    pairs = [(value, int(day)) for value, day, read in zip(values, days, readable, strict=True) if read]
    spark = cells.sparkSession
    if not pairs:
        return cells.withColumn("_day", F.lit(None).cast("long"))
    known = spark.createDataFrame(pairs, schema="_date string, _day long")
    return cells.join(F.broadcast(known), on="_date", how="left")


def _dated_summary(log: DataFrame, *, table: SparkTable, column: str) -> dict[str, int]:
    """First and last day of the rows with a customer and a date; refuses a column that is not dates."""
    from pyspark.sql import functions as F

    has_customer = col("_customer").isNotNull()
    row = log.agg(
        F.count(F.when(has_customer, 1)).alias("customers"),
        F.count(F.when(has_customer & col("_day").isNotNull(), 1)).alias("dated"),
        F.min(F.when(has_customer, col("_day"))).alias("first"),
        F.max(F.when(has_customer, col("_day"))).alias("last"),
    ).first()
    if row["customers"] and row["dated"] < 0.5 * row["customers"]:
        # Most dates unreadable: the wrong column was chosen, rather than a messy one.
        example = (
            log.where(has_customer & col("_day").isNull() & col("_date").isNotNull())
            .orderBy("_row")
            .select("_date")
            .first()
        )
        shown = f" (e.g. '{clipped(example[0], 30)}')" if example is not None else ""
        raise DataError(
            f"Column '{column}' does not hold dates{shown}. Choose the column with the purchase dates, "
            "written like 2024-03-05, 05/03/2024 or 20240305."
        )
    if not row["dated"]:
        raise DataError(f"No row of '{table.name}' has both a customer ID and a date, so there is nothing to roll up.")
    return {"first": int(row["first"]), "last": int(row["last"])}


def _with_amounts(log: DataFrame, *, table: SparkTable, column: str) -> tuple[DataFrame, int]:
    """The log with each row's amount in whole 1/scale units (``_minor``, null where none), and the scale.

    Amounts are whole units of their smallest decimal (cents), as in the default engine, so the sums
    are exact: the total spend is the sum of the amounts as written.
    """
    from pyspark.sql import functions as F

    plain = col("_amount_text").rlike(_PLAIN_NUMBER)
    number = F.when(plain, col("_amount_text").try_cast("double"))
    leftovers = _distinct_values(log.where(~plain), "_amount_text", what="amounts", name=column)
    if leftovers:
        read, _, _ = lenient_numbers(pd.Series(leftovers, dtype="str"), decimal=".")
        pairs = [(text, float(value)) for text, value in zip(leftovers, read, strict=True) if not np.isnan(value)]
        if pairs:
            spark = log.sparkSession
            known = spark.createDataFrame(pairs, schema="_amount_text string, _lenient double")
            log = log.join(F.broadcast(known), on="_amount_text", how="left")
            number = F.when(plain, number).otherwise(col("_lenient"))
    log = log.withColumn("_amount", number)
    present = col("_amount_text").isNotNull()
    checks = [
        F.count(F.when(present, 1)).alias("present"),
        F.count(F.when(present & col("_amount").isNull(), 1)).alias("bad"),
    ]
    # amount_decimals: the fewest decimals (at most 6) that make every amount whole, up to the float's error.
    for decimals in range(7):
        scaled = col("_amount") * F.lit(float(10**decimals))
        whole = F.abs(scaled - F.rint(scaled)) <= F.lit(1e-9) * F.greatest(F.abs(scaled), F.lit(1.0))
        checks.append(F.min(F.when(col("_amount").isNotNull(), whole.cast("int"))).alias(f"whole{decimals}"))
    row = log.agg(*checks).first()
    if row["present"] and row["bad"] > 0.5 * row["present"]:
        example = log.where(present & col("_amount").isNull()).orderBy("_row").select("_amount_text").first()[0]
        raise DataError(
            f"Column '{column}' does not hold amounts (e.g. '{clipped(example, 30)}'). Choose the column with each "
            "line's amount of money, or none."
        )
    decimals = next((d for d in range(7) if row[f"whole{d}"] in (None, 1)), 6)
    scale = 10**decimals
    return log.withColumn("_minor", F.rint(col("_amount") * F.lit(float(scale)))), scale


def _customers(
    log: DataFrame, *, as_of_day: int, has_amount: bool, has_order: bool
) -> tuple[DataFrame, dict[str, Any]]:
    """Per customer (every one with a counted row): orders, days, spend; and the roll-up's totals."""
    from pyspark.sql import functions as F

    counted = log.where(col("_customer").isNotNull() & col("_day").isNotNull() & (col("_day") <= F.lit(as_of_day)))
    day_key = F.concat(F.lit("d"), col("_day").cast("string"))
    # An order ID is one order per customer who uses it (an export joining two tables may share one);
    # rows without an ID make one order per customer and day.
    key = F.coalesce(F.concat(F.lit("o"), col("_order")), day_key) if has_order else day_key
    minor = col("_minor") if has_amount else F.lit(None).cast("double")
    orders = (
        counted.groupBy("_customer", key.alias("_key"))
        .agg(
            F.min("_day").alias("day"),  # an order's lines on several days: the order is from the first
            F.sum(minor).alias("amount"),  # null when no line has an amount
            F.count(F.lit(1)).alias("lines"),
            F.count(F.when(minor.isNull(), 1)).alias("no_amount"),
        )
        .withColumn("refund", F.coalesce(col("amount") < 0, F.lit(False)))
    )
    bought = ~col("refund")
    per = (
        orders.groupBy("_customer")
        .agg(
            F.count(F.when(bought, 1)).alias("orders"),
            F.max(F.when(bought, col("day"))).alias("last"),
            F.min(F.when(bought, col("day"))).alias("first"),
            F.count(F.when(bought & col("amount").isNotNull(), 1)).alias("priced"),
            F.sum("amount").alias("spend"),  # refunds count in the spend of a customer who made a purchase
            F.sum("lines").alias("lines"),
            F.sum("no_amount").alias("no_amount"),
            F.count(F.when(col("refund"), 1)).alias("refunds"),
            F.sum(F.when(col("refund"), col("amount"))).alias("refunded"),
            F.count(F.when(col("lines") > 1, 1)).alias("several"),
            F.min("day").alias("first_any"),
            F.max("day").alias("last_any"),
        )
        .persist()
    )
    first_row = log.where(col("_customer").isNotNull()).groupBy("_customer").agg(F.min("_row").alias("_first_row"))
    kept = per.where(col("orders") > 0)
    row = per.agg(
        F.sum("orders").alias("orders"),
        F.sum("refunds").alias("refunds"),
        F.sum("refunded").alias("refunded"),
        F.sum("several").alias("several"),
        F.sum("lines").alias("lines"),
        F.sum("no_amount").alias("no_amount"),
        F.sum(F.when(col("orders") == 0, col("lines"))).alias("refunds_only_rows"),
        F.count(F.when(col("orders") == 1, 1)).alias("one_order"),
        F.count(F.when((col("orders") > 0) & col("spend").isNull(), 1)).alias("no_spend"),
        F.min("first_any").alias("first"),
        F.max("last_any").alias("last"),
    ).first()
    totals = {key: (row[key] or 0) for key in row.asDict()}
    totals = {key: value if key == "refunded" else int(value) for key, value in totals.items()}
    return kept.join(first_row, on="_customer", how="left"), totals


def _customer_frame(
    customers: DataFrame, *, customer: str, amount: str | None, scale: int, as_of_day: int
) -> DataFrame:
    """The customer table's columns, as the default engine computes them (the same float operations)."""
    from pyspark.sql import functions as F

    # The customer column keeps the log's name; a derived column yields if the log uses its name.
    def name(column: str) -> str:
        return free_name(column, [customer])

    columns = [
        col("_customer").alias(customer),
        (F.lit(as_of_day) - col("last")).alias(name(RECENCY)),
        col("orders").cast("long").alias(name(ORDERS)),
    ]
    if amount is not None:
        # To the cent at least, rounded half to even on the quotient of whole units (np.round is rint).
        fine = max(scale, 100)
        average = F.rint(col("spend") * F.lit(float(fine // scale)) / F.when(col("priced") > 0, col("priced"))) / F.lit(
            float(fine)
        )
        columns += [(col("spend") / F.lit(float(scale))).alias(name(SPEND)), average.alias(name(ORDER_VALUE))]
    gap = (col("last") - col("first")) / F.when(col("orders") > 1, col("orders") - 1)
    columns += [
        (F.lit(as_of_day) - col("first")).alias(name(TENURE)),
        # pandas' round(1): rint of ten times the value, over ten.
        (F.rint(gap * F.lit(10.0)) / F.lit(10.0)).alias(name(INTERVAL)),
    ]
    return customers.orderBy("_first_row").select(*columns)


def _row_statuses(log: DataFrame, *, as_of_day: int, refunds_only: int) -> dict[str, int]:
    """Rows of the log by what became of them, in the order of :data:`segmentation.ROW_STATUSES`."""
    from pyspark.sql import functions as F

    has_customer = col("_customer").isNotNull()
    dated = has_customer & col("_day").isNotNull()
    row = log.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count(F.when(~has_customer, 1)).alias("no_customer"),
        F.count(F.when(has_customer & col("_date").isNull(), 1)).alias("no_date"),
        F.count(F.when(has_customer & col("_date").isNotNull() & col("_day").isNull(), 1)).alias("bad_date"),
        F.count(F.when(dated & (col("_day") > F.lit(as_of_day)), 1)).alias("after"),
    ).first()
    left_out = [row["no_customer"], row["no_date"], row["bad_date"], row["after"], refunds_only]
    counts = [int(row["rows"]) - sum(left_out), *map(int, left_out)]
    return dict(zip(ROW_STATUSES, counts, strict=True))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _notes(
    columns: LogColumns,
    *,
    totals: dict[str, Any],
    rows: dict[str, int],
    n_customers: int,
    scale: int,
    span: str,
    as_of_text: str,
    as_of_given: bool,
) -> list[str]:
    """The roll-up's notes, worded as the default engine's (:func:`segmentation.rollup_notes.rollup_notes`)."""
    lines, purchases = totals["lines"], totals["orders"]
    if columns.order is not None and lines != purchases:
        size = f"{_count(lines, 'order line')} in {_count(purchases, 'order')}"
    else:
        size = _count(lines, "purchase")
    notes = [
        f"{size} by {_count(n_customers, 'customer')}, {span}.",
        f"Days are counted to {as_of_text}, {'the as-of date given' if as_of_given else 'the last date in the log'}.",
    ]
    if totals["several"]:
        notes.append(f"{_count(totals['several'], 'order')} with several lines; each order's lines are added up.")
    if totals["refunds"]:
        notes.append(
            f"{_count(totals['refunds'], 'order')} add up to a negative amount (refunds or returns, "
            f"{totals['refunded'] / scale:,.2f} in all): they reduce their customer's total spend and are not counted "
            "as purchases."
        )
    if columns.amount is not None and totals["no_amount"]:
        notes.append(
            f"{_count(totals['no_amount'], 'row')} without an amount in '{columns.amount}': they count as purchases "
            "but add nothing to spend."
        )
    left_out = {status: n for status, n in rows.items() if status != ROW_STATUSES[0] and n}
    if left_out:
        notes.append(
            f"Every row is accounted for: {rows[ROW_STATUSES[0]]:,} rolled up and {sum(left_out.values()):,} left out "
            f"({and_joined([f'{n:,} {status}' for status, n in left_out.items()])})."
        )
    return notes

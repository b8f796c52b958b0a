"""Score any table in Spark with a run file from any engine, and write the result.

The SQL is :func:`segmentation.sql.scoring_sql`'s (dialect ``spark``), the text that
``python -m segmentation sql --dialect spark`` prints, so the labels equal :func:`segmentation.score`'s
on the same rows. The rows are customers: with a run file made from a transaction log, score the
customers :func:`segmentation.spark.roll_up` makes of a log.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cells import MISSING_MARKERS
from ..errors import DataError
from ..runfile import RunModel, read_run_file
from ..scoring import units_note, unseen_note
from ..sql import scoring_sql, values_sql
from ..transactions import COUNTED_COLUMNS
from ..wording import free_name, quoted
from .frames import TempView, col
from .read import local_path

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import Column, DataFrame

__all__ = ["score", "score_summary", "write"]


def score(
    frame: DataFrame,
    model: RunModel | dict[str, Any],
    *,
    segment_column: str = "Segment",
    name_column: str | None = "Segment name",
) -> DataFrame:
    """Put every row of ``frame`` into the segments of a run file, in Spark SQL.

    The same SQL as ``python -m segmentation sql --dialect spark`` (:func:`segmentation.sql.scoring_sql`),
    so the labels equal :func:`segmentation.score`'s on the same rows.

    Parameters
    ----------
    frame : pyspark.sql.DataFrame
        Customer rows (for a log's run file, the customers of :func:`segmentation.spark.roll_up`).
    model : RunModel or dict
        A run file, from any engine.
    segment_column : str, default "Segment"
        Name of the added segment column (``"Segment (2)"`` and so on when the table has one).
    name_column : str or None, default "Segment name"
        Name of the segment-name column (made free the same way); ``None`` leaves it out.

    Returns
    -------
    pyspark.sql.DataFrame
        Every row and column of ``frame``, then the segment (``1..K``, null when the row has no
        value in any model column) and its name.

    Raises
    ------
    DataError
        If a model column is missing from ``frame``.
    """
    model = _customers_model(model)
    columns = list(frame.columns)
    missing = [c for c in model.columns if c not in columns]
    if missing:
        raise DataError(
            f"The new file has no column {quoted(missing)}, which the segments were made from. "
            f"Its columns are: {quoted(columns)}. Rename the columns to match, or make new segments."
        )
    segment_column = free_name(segment_column, columns)
    if name_column is not None:
        name_column = free_name(name_column, [*columns, segment_column])
    with TempView(frame) as view:
        query = scoring_sql(
            model, view, dialect="spark", columns=columns, segment_column=segment_column, name_column=name_column
        )
        return frame.sparkSession.sql(query)


def score_summary(frame: DataFrame, model: RunModel | dict[str, Any]) -> dict[str, Any]:
    """What :func:`segmentation.score` tells about new customers, computed with Spark aggregates.

    Returns
    -------
    dict
        ``rows``; ``sizes`` (customers per segment, segment 1 first); ``not_segmented``;
        ``notes`` (cells that are not numbers or dates, category values never seen in the fit,
        rows without values), worded as the default engine words them.

    Raises
    ------
    DataError
        If a model column is missing, or a number/date column holds mostly something else.
    """
    from pyspark.sql import functions as F

    model = model if isinstance(model, RunModel) else read_run_file(model)
    # A log's days and order counts are the roll-up's own units (see segmentation.score).
    counted = COUNTED_COLUMNS if model.transactions is not None else ()
    model = _customers_model(model)
    label = free_name("Segment", frame.columns)
    scored = score(frame, model, segment_column=label, name_column=None)
    with TempView(scored) as view:
        query, value_columns = values_sql(model.spec, view, dialect="spark", keep=[label, *model.columns])
        values = frame.sparkSession.sql(query)
    aggregates = [F.count(col(label)).alias("segmented"), F.count(F.lit(1)).alias("rows")]
    for i, (entry, column) in enumerate(zip(model.spec["columns"], value_columns, strict=True)):
        if entry["kind"] in {"number", "date"}:
            raw = F.trim(col(entry["column"]).cast("string"))
            written = raw.isNotNull() & ~F.lower(raw).isin(*_markers())
            # As the default engine counts: a number cell is bad when it does not read as a number
            # at all (infinities read, then count as missing); a date cell when it does not parse.
            unread = raw.try_cast("double").isNull() if entry["kind"] == "number" else col(column).isNull()
            aggregates.append(F.sum(written.cast("long")).alias(f"written{i}"))
            aggregates.append(F.sum((written & unread).cast("long")).alias(f"bad{i}"))
            if entry["kind"] == "number":
                # For a ten-times check an approximate median is plenty, and it stays cheap on any
                # number of rows (an exact one counts every different value). Codes ("-1 = never")
                # are no amounts, as in segmentation.score.
                codes = entry.get("codes", [])
                amount = F.when(col(column).isin(*codes), F.lit(None)).otherwise(col(column)) if codes else col(column)
                aggregates.append(F.percentile_approx(amount, 0.5, 10_000).alias(f"median{i}"))
    row = values.agg(*aggregates).first()
    sizes_rows = values.where(col(label).isNotNull()).groupBy(label).count().collect()
    counts = {int(r[label]): int(r["count"]) for r in sizes_rows}
    sizes = [counts.get(j, 0) for j in range(1, model.k + 1)]
    notes = []
    for i, (entry, column) in enumerate(zip(model.spec["columns"], value_columns, strict=True)):
        name = entry["column"]
        if entry["kind"] in {"number", "date"}:
            present, bad = int(row[f"written{i}"] or 0), int(row[f"bad{i}"] or 0)
            if present and bad > 0.5 * present:
                what = "numbers" if entry["kind"] == "number" else "dates"
                raise DataError(
                    f"Column '{name}' held {what} when the segments were made, but in this file most of its "
                    "values are not. Check that it is the same column."
                )
            if bad and entry["kind"] == "number":
                notes.append(f"Column '{name}' has {bad:,} cell(s) that are not numbers; treated as missing.")
            median = row[f"median{i}"] if entry["kind"] == "number" else None
            note = None if median is None or name in counted else units_note(entry, float(median))
            if note:
                notes.append(note)
        else:
            unseen = "_segmentation_unseen"
            grouped = (
                values.select(_unseen_value(values, entry, column).alias(unseen))
                .where(col(unseen).isNotNull())
                .withColumn("_segmentation_order", F.monotonically_increasing_id())
                .groupBy(unseen)
                .agg(F.count(F.lit(1)).alias("count"), F.min("_segmentation_order").alias("first"))
            )
            totals = grouped.agg(F.sum("count").alias("total"), F.count(F.lit(1)).alias("distinct")).first()
            if totals["distinct"]:
                # Ties in order of appearance, as pandas lists them.
                top = grouped.orderBy(F.desc("count"), F.col("first")).limit(4).collect()
                examples = [(r[unseen], int(r["count"])) for r in top]
                notes.append(unseen_note(entry, examples, total=int(totals["total"]), distinct=int(totals["distinct"])))
    not_segmented = int(row["rows"]) - int(row["segmented"])
    if not_segmented:
        notes.append(
            f"{not_segmented:,} row(s) have no value in any of the model's columns; "
            "they stay in the download with an empty Segment."
        )
    return {"rows": int(row["rows"]), "sizes": sizes, "not_segmented": not_segmented, "notes": notes}


def write(frame: DataFrame, path: str | Path) -> None:
    """Write a scored table: Parquet, or CSV (with a header) when ``path`` ends in ``.csv``.

    Spark writes a folder of part files at ``path``. An existing path is never overwritten.
    """
    location = str(path)
    writer = frame.write.mode("errorifexists")
    local = local_path(location)
    if local is not None and local.exists():
        raise DataError(f"'{location}' already exists; choose a new path for the results (Spark writes a folder).")
    if location.lower().rstrip("/").endswith(".csv"):
        writer.option("header", True).option("escape", '"').csv(location)
    else:
        writer.parquet(location)


def _customers_model(model: RunModel | dict[str, Any]) -> RunModel:
    """The run file as a model of customer rows: a log's roll-up definitions apply before scoring, not in it."""
    model = model if isinstance(model, RunModel) else read_run_file(model)
    return model if model.transactions is None else replace(model, transactions=None)


def _unseen_value(values: DataFrame, entry: dict[str, Any], column: str) -> Column:
    """A cell's value where the fit never saw it, written as :func:`segmentation.score` writes it; else NULL."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import NumericType

    value = col(column)
    if not isinstance(values.schema[column].dataType, NumericType):
        return F.when(~value.isin(*entry["categories"]), value)
    # Codes stored as numbers: a number as number_text writes it (whole ones without decimals), and
    # a cell that holds no number as it is written.
    whole = (value == F.floor(value)) & (F.abs(value) < F.lit(1e15))
    text = F.when(whole, value.cast("long").cast("string")).otherwise(value.cast("string"))
    known = value.isin(*[float(c) for c in entry["categories"]])
    raw = F.trim(col(entry["column"]).cast("string"))
    written = raw.isNotNull() & ~F.lower(raw).isin(*_markers())
    return F.when(value.isNotNull(), F.when(~known, text)).when(written, raw)


def _markers() -> list[str]:
    return sorted(MISSING_MARKERS)

"""Prepare customers in Spark: column roles from a sample, every statistic from every row.

The roles come from :func:`segmentation.prepare` on a random sample of at most :data:`SAMPLE_ROWS`
rows (the same rules and audit text); ``pyspark.ml`` then fits on all rows: ``Imputer`` (medians),
``StringIndexer`` (categories, most frequent value), ``StandardScaler`` / ``RobustScaler`` /
``MinMaxScaler``. Medians and percentiles are Spark's approximate quantiles; standard deviations
follow scikit-learn's population convention. The features are computed with the SQL of
:mod:`segmentation.sql` (dialect ``spark``), the very expressions that score new customers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..columns import ColumnReport
from ..errors import DataError
from ..load import load_table
from ..prepare import Prepared
from ..prepare import prepare as prepare_table
from ..runfile import preparation_spec
from ..sql import features_sql, timestamp_sql, values_sql
from ..wording import number, quoted
from .frames import TempView, col
from .read import SparkTable

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SAMPLE_ROWS", "VECTOR_COLUMN", "SparkPrepared", "prepare"]

#: Column roles are decided on a random sample of at most this many rows.
SAMPLE_ROWS = 100_000
#: The column of :attr:`SparkPrepared.features` holding all scaled features as one vector, as
#: ``pyspark.ml`` reads them (each feature also has a column of its own).
VECTOR_COLUMN = "_segmentation_features"


@dataclass(frozen=True)
class SparkPrepared:
    """Customers prepared in Spark: the fitted preparation, the audit and the scaled features.

    Attributes
    ----------
    table : SparkTable
    spec : dict
        The fitted preparation, in the run file's format (:func:`segmentation.model.preparation_spec`).
    columns : tuple of str
        The columns used as features, in file order.
    feature_names : tuple of str
    reports : tuple of ColumnReport
        One per column of the table: roles from the sample, counts from every row.
    features : pyspark.sql.DataFrame
        One row per segmented customer: a column per feature and their vector; cached.
    feature_columns : tuple of str
        The names of the feature columns in ``features``.
    n_rows : int
        Rows of the table.
    n_segmented : int
        Rows with a value in at least one used column.
    sample_rows : int
        Rows the roles were decided on.
    notes : tuple of str
    scaler, outliers : str
    """

    table: SparkTable
    spec: dict[str, Any]
    columns: tuple[str, ...]
    feature_names: tuple[str, ...]
    reports: tuple[ColumnReport, ...]
    features: Any = field(repr=False)
    feature_columns: tuple[str, ...]
    n_rows: int
    n_segmented: int
    sample_rows: int
    notes: tuple[str, ...] = ()
    scaler: str = "standard"
    outliers: str = "keep"

    def audit(self) -> pd.DataFrame:
        """The audit table, as :meth:`segmentation.Prepared.audit` shows it."""
        return Prepared.audit(self)  # it reads only .reports

    def warnings(self) -> list[str]:
        """Sentences worth reading before trusting the segments (extreme values found in the sample)."""
        return [f"{r.column}: {w}" for r in self.reports if r.extremes and r.role != "ignore" for w in r.warnings[-1:]]

    def unpersist(self) -> None:
        """Free the cached features (Spark's memory) once the segments are made."""
        self.features.unpersist()


def prepare(
    data: SparkTable | DataFrame,
    *,
    features: Sequence[str] | None = None,
    scaler: str = "standard",
    outliers: str = "keep",
    sample_rows: int = SAMPLE_ROWS,
    random_state: int = 0,
    **choices,
) -> SparkPrepared:
    """Decide each column's role and fit the preparation on every row, in Spark.

    Parameters
    ----------
    data : SparkTable or pyspark.sql.DataFrame
    features : sequence of str, optional
        The columns to segment on; by default every usable column (as :func:`segmentation.prepare`).
    scaler : {"standard", "robust", "minmax", "none"}, default "standard"
    outliers : {"keep", "clip"}, default "keep"
    sample_rows : int, default SAMPLE_ROWS
        The roles are decided on a random sample of at most this many rows.
    random_state : int, default 0
        Seed of the sample.

    Returns
    -------
    SparkPrepared

    Raises
    ------
    DataError
        As :func:`segmentation.prepare`: unknown or unusable features, no usable column, fewer
        than two rows with values.
    """
    table = data if isinstance(data, SparkTable) else SparkTable(frame=data)
    frame = table.frame
    n_rows = frame.count()
    if n_rows < 2:
        raise DataError(
            f"'{table.name}' has {n_rows} customer row(s); segmentation needs at least 2 (and usually hundreds)."
        )
    sample = _sample_table(table, n_rows, sample_rows=sample_rows, random_state=random_state)
    local = prepare_table(
        sample, features=list(features) if features is not None else None, scaler=scaler, outliers=outliers, **choices
    )
    spec = preparation_spec(local)

    with TempView(frame) as view:
        spec = _with_latest_dates(frame.sparkSession, view, spec)
        values_query, value_columns = values_sql(spec, view, dialect="spark")
        values = frame.sparkSession.sql(values_query)
        present = values.where(col("_segmentation_present")).persist()
        try:
            spec, counts = _fit_columns(present, spec, value_columns, outliers=outliers)
        finally:
            present.unpersist()
        n_segmented = int(counts["rows"])
        if n_segmented < 2:
            raise DataError(
                f"Only {n_segmented} row(s) have any value in the chosen columns ({quoted(local.columns)}); "
                "segmentation needs at least 2. Choose other columns."
            )
        spec = _fit_scaler(frame.sparkSession, view, spec, scaler=scaler, n_segmented=n_segmented)
        feature_query, feature_columns = features_sql(spec, view, dialect="spark")
        scaled = frame.sparkSession.sql(feature_query).where(col("_segmentation_present"))
        # Cached on first use (the k-means), then read by every K of a sweep.
        features_frame = _with_vector(scaled, feature_columns).persist()
    feature_names = _feature_names(spec)
    reports = _full_reports(local, spec, counts, n_rows=n_rows)
    notes = list(table.notes)
    if sample.n_rows < n_rows:
        notes.append(
            f"Column roles were decided on a random sample of {sample.n_rows:,} of the {n_rows:,} rows; "
            "every count and statistic covers all rows."
        )
    if n_segmented < n_rows:
        notes.append(
            f"{n_rows - n_segmented:,} row(s) have no value in any chosen column; they are not segmented "
            "but stay in the output with an empty Segment."
        )
    return SparkPrepared(
        table=table,
        spec=spec,
        columns=tuple(local.columns),
        feature_names=tuple(feature_names),
        reports=reports,
        features=features_frame,
        feature_columns=tuple(feature_columns),
        n_rows=n_rows,
        n_segmented=n_segmented,
        sample_rows=sample.n_rows,
        notes=tuple(notes),
        scaler=scaler,
        outliers=outliers,
    )


def _sample_table(table: SparkTable, n_rows: int, *, sample_rows: int, random_state: int):
    """A random sample of the rows as a Python :class:`~segmentation.Table` (cells as Spark writes them)."""
    frame = table.frame
    if n_rows > sample_rows:
        # A little over the share needed, then cut: Spark's sample() size is only expected, not exact.
        fraction = min(1.0, 1.1 * sample_rows / n_rows)
        frame = frame.sample(withReplacement=False, fraction=fraction, seed=random_state).limit(sample_rows)
    columns = table.frame.columns
    # Cells as text (what the loader reads), under neutral names so any header survives the round trip.
    text = frame.select([col(c).cast("string").alias(f"c{i}") for i, c in enumerate(columns)])
    rows = [list(row) for row in text.collect()]
    cells = pd.DataFrame(rows, columns=[f"c{i}" for i in range(len(columns))], dtype=object)
    sample = load_table(cells.to_csv(index=False).encode("utf-8"), name=table.name, sep=",", encoding="utf-8")
    if sample.n_rows != len(rows):
        raise DataError(
            f"'{table.name}' could not be sampled: some rows hold line breaks Spark did not read as one row."
        )
    raw = sample.raw.set_axis(columns, axis=1)
    typed = sample.frame.set_axis(columns, axis=1)
    return replace(sample, raw=raw, frame=typed, name=table.name, notes=())


def _with_latest_dates(spark: SparkSession, view: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with each date column's latest date taken over every row (to the second, as in prepare)."""
    dates = [entry for entry in spec["columns"] if entry["kind"] == "date"]
    if not dates:
        return spec
    listed = ", ".join(
        f"max({timestamp_sql(e['column'], e.get('date_format') or '', dialect='spark')}) AS `l{i}`"
        for i, e in enumerate(dates)
    )
    row = spark.sql(f"SELECT {listed} FROM `{view}`").first()
    columns = []
    latest = {e["column"]: row[f"l{i}"] for i, e in enumerate(dates)}
    for entry in spec["columns"]:
        entry = dict(entry)
        if entry["kind"] == "date" and latest[entry["column"]] is not None:
            # prepare's DaysBeforeLatest keeps whole seconds.
            entry["latest"] = pd.Timestamp(latest[entry["column"]]).floor("s").isoformat()
        columns.append(entry)
    return {**spec, "columns": columns}


def _fit_columns(
    present: DataFrame, spec: dict[str, Any], value_columns: list[str], *, outliers: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Clip bounds, fill values and categories from every segmented row (Imputer, StringIndexer).

    Also returns the counts of the audit: ``rows`` (segmented), and per column ``present:C``,
    ``distinct:C`` (approximate for numbers) and ``clipped:C``.
    """
    from pyspark.ml.feature import Imputer, StringIndexer
    from pyspark.sql import functions as F

    entries = [dict(e) for e in spec["columns"]]
    numeric = [(e, c) for e, c in zip(entries, value_columns, strict=True) if e["kind"] in {"number", "date"}]
    text = [(e, c) for e, c in zip(entries, value_columns, strict=True) if e["kind"] not in {"number", "date"}]
    aggregates = [F.count(F.lit(1)).alias("rows")]
    for entry, column in zip(entries, value_columns, strict=True):
        aggregates.append(F.count(col(column)).alias(f"present:{entry['column']}"))
        aggregates.append(F.approx_count_distinct(col(column)).alias(f"distinct:{entry['column']}"))

    if numeric:
        bounds: dict[str, tuple[float, float] | None] = {e["column"]: None for e, _ in numeric}
        if outliers == "clip":
            quantiles = present.approxQuantile([c for _, c in numeric], [0.01, 0.99], 1e-4)
            bounds = {e["column"]: (float(q[0]), float(q[1])) for (e, _), q in zip(numeric, quantiles, strict=True)}
        clipped_columns = []
        for entry, column in numeric:
            bound = bounds[entry["column"]]
            value = col(column)
            if bound is not None:
                value = F.when(value < F.lit(bound[0]), F.lit(bound[0])).when(value > F.lit(bound[1]), F.lit(bound[1]))
                value = value.otherwise(col(column))
            clipped_columns.append(value.cast("double").alias(f"clip_{len(clipped_columns)}"))
        work = present.select(*clipped_columns)
        names = [f"clip_{i}" for i in range(len(numeric))]
        imputer = Imputer(strategy="median", inputCols=names, outputCols=[f"{n}_filled" for n in names])
        medians = imputer.fit(work).surrogateDF.first()
        for i, (entry, column) in enumerate(numeric):
            entry["fill"] = float(medians[names[i]])
            bound = bounds[entry["column"]]
            entry["clip"] = [bound[0], bound[1]] if bound is not None else None
            if bound is not None:
                outside = (col(column) < F.lit(bound[0])) | (col(column) > F.lit(bound[1]))
                aggregates.append(F.sum(outside.cast("long")).alias(f"clipped:{entry['column']}"))

    if text:
        indexer = StringIndexer(
            inputCols=[c for _, c in text],
            outputCols=[f"{c}_index" for _, c in text],
            stringOrderType="frequencyDesc",  # most frequent first, ties in alphabetical order
            handleInvalid="keep",
        )
        labels = indexer.fit(present.select(*[c for _, c in text])).labelsArray
        for (entry, _), found in zip(text, labels, strict=True):
            categories = sorted(str(v) for v in found)
            entry["fill"] = str(found[0])  # SimpleImputer's most frequent value, the smallest on ties
            entry["categories"] = categories
            entry["kind"] = "yes/no" if len(categories) == 2 else "category"
            entry["encoded"] = categories[1:] if entry["kind"] == "yes/no" else categories
            entry["features"] = _entry_features(entry)
    counts = present.agg(*aggregates).first().asDict()
    return {**spec, "columns": entries}, counts


def _fit_scaler(
    spark: SparkSession, view: str, spec: dict[str, Any], *, scaler: str, n_segmented: int
) -> dict[str, Any]:
    """The scaler's centre and scale from every segmented row (pyspark.ml scalers), weights folded in."""
    from pyspark.ml.feature import MinMaxScaler, RobustScaler, StandardScaler

    n_features = sum(len(_entry_features(e)) for e in spec["columns"])
    identity = {"kind": "none", "center": [0.0] * n_features, "scale": [1.0] * n_features}
    encoded_spec = {**spec, "scaler": identity}
    center, scale = np.zeros(n_features), np.ones(n_features)
    if scaler != "none":
        query, columns = features_sql(encoded_spec, view, dialect="spark")
        encoded = _with_vector(spark.sql(query).where(col("_segmentation_present")), columns)
        if scaler == "standard":
            model = StandardScaler(inputCol=VECTOR_COLUMN, outputCol="scaled", withMean=True, withStd=True).fit(encoded)
            n = n_segmented
            center = model.mean.toArray()
            # Spark's standard deviation divides by n - 1, scikit-learn's (the default engine) by n.
            scale = model.std.toArray() * math.sqrt((n - 1) / n) if n > 1 else np.ones(n_features)
        elif scaler == "robust":
            model = RobustScaler(inputCol=VECTOR_COLUMN, outputCol="scaled", withCentering=True, withScaling=True).fit(
                encoded
            )
            center, scale = model.median.toArray(), model.range.toArray()
        else:
            model = MinMaxScaler(inputCol=VECTOR_COLUMN, outputCol="scaled").fit(encoded)
            center = model.originalMin.toArray()
            spread = model.originalMax.toArray() - center
            # scikit-learn stores 1 / range and the spec inverts it again; do the same.
            with np.errstate(divide="ignore"):
                scale = 1.0 / (1.0 / spread)
        # A feature without spread keeps its unit, as scikit-learn's _handle_zeros_in_scale does.
        scale = np.where((scale == 0) | ~np.isfinite(scale), 1.0, scale)
    groups = []
    for entry in spec["columns"]:
        size = len(_entry_features(entry))
        # As CategoryWeights: a category block counts as one column, a yes/no column as a block of two.
        groups.extend([size if entry["kind"] == "category" else 2 if entry["kind"] == "yes/no" else 1] * size)
    weights = 1.0 / np.sqrt(np.asarray(groups, dtype=np.float64))
    scale = np.asarray(scale, dtype=np.float64) / weights
    return {
        **spec,
        "scaler": {"kind": scaler, "center": [float(v) for v in center], "scale": [float(v) for v in scale]},
    }


def _with_vector(frame: DataFrame, columns: Sequence[str]) -> DataFrame:
    from pyspark.ml.feature import VectorAssembler

    assembler = VectorAssembler(inputCols=list(columns), outputCol=VECTOR_COLUMN, handleInvalid="error")
    return assembler.transform(frame.select(*[col(c) for c in columns]))


def _entry_features(entry: dict[str, Any]) -> list[str]:
    column = entry["column"]
    if entry["kind"] == "number":
        return [column]
    if entry["kind"] == "date":
        return [f"{column} (days before latest)"]
    return [f"{column}: {value}" for value in entry["encoded"]]


def _feature_names(spec: dict[str, Any]) -> list[str]:
    return [name for entry in spec["columns"] for name in _entry_features(entry)]


def _full_reports(
    local: Prepared, spec: dict[str, Any], counts: dict[str, Any], *, n_rows: int
) -> tuple[ColumnReport, ...]:
    """The sample's reports, with the used columns' counts and fitted values taken from every row."""
    entries = {e["column"]: e for e in spec["columns"]}
    out = []
    for report in local.reports:
        entry = entries.get(report.column)
        if entry is None:
            out.append(report)
            continue
        missing = n_rows - int(counts[f"present:{report.column}"])
        if entry["kind"] == "number":
            filled = f"median {number(entry['fill'])}"
        elif entry["kind"] == "date":
            filled = f"median ({number(entry['fill'])} days before the latest date)"
        else:
            filled = f"most frequent value '{entry['fill']}'"
        distinct = len(entry["categories"]) if "categories" in entry else int(counts[f"distinct:{report.column}"])
        out.append(
            replace(
                report,
                kind=entry["kind"],
                missing=missing,
                distinct=distinct,
                filled_with=filled,
                clipped=int(counts.get(f"clipped:{report.column}") or 0),
                features=tuple(_entry_features(entry)),
            )
        )
    return tuple(out)

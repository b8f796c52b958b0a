"""Prepare customers in Spark: kinds and roles from a sample, every fitted value from every row.

Each column's kind, role, codes and scale come from :func:`segmentation.prepare` on a random sample
of at most :data:`SAMPLE_ROWS` rows (the same rules, options and audit text). Every fitted value is
then taken from every row, the way the default engine fits it: a number's codes (``-1`` for "never")
count as missing and are 0/1 features of their own; a log-scaled number's unit is the 10th percentile
of its positive values (:func:`segmentation.amounts.log_scale`); clip bounds and medians follow, on
the log scale where there is one; a category's values and most frequent value come from every row
(codes stored as numbers written as :func:`segmentation.cells.number_text`); a yes/no column keeps
the sample's two values; the scaler's centre and spread come from ``pyspark.ml`` (the population
standard deviation, as scikit-learn), and the weights from :func:`segmentation.pipeline.feature_weights`.
Percentiles and medians are Spark's approximate quantiles (``approxQuantile``). The features are
computed with the SQL of :mod:`segmentation.sql` (dialect ``spark``), the very expressions that
score new customers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from ..cells import number_text
from ..columns import ColumnReport
from ..errors import DataError
from ..pipeline import CLIP_PERCENTILES, feature_weights
from ..prepare import Prepared
from ..prepare import prepare as prepare_table
from ..runfile import preparation_spec
from ..sql import features_sql, present_column, timestamp_sql, values_sql
from ..wording import number, quoted
from .frames import TempView, col
from .read import SparkTable, python_table

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["QUANTILE_ERROR", "SAMPLE_ROWS", "VECTOR_COLUMN", "SparkPrepared", "prepare"]

#: Column kinds and roles are decided on a random sample of at most this many rows.
SAMPLE_ROWS = 100_000
#: Relative error of Spark's approximate quantiles (log units, clip bounds, medians).
QUANTILE_ERROR = 1e-4
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
        The fitted preparation, in the run file's format (:func:`segmentation.runfile.preparation_spec`).
    columns : tuple of str
        The columns segmented on (role ``"segment"``), in file order.
    feature_names : tuple of str
    reports : tuple of ColumnReport
        One per column of the table: kinds and roles from the sample, the segmented columns'
        counts and fitted values from every row.
    features : pyspark.sql.DataFrame
        One row per segmented customer: a column per feature and their vector; cached.
    feature_columns : tuple of str
        The names of the feature columns in ``features``.
    n_rows : int
        Rows of the table.
    n_segmented : int
        Rows with a value in at least one column segmented on.
    sample_rows : int
        Rows the kinds and roles were decided on.
    notes : tuple of str
    scaler, outliers, weighting, transform : str
        The options used.
    described : tuple of str
        The columns profiled per segment without forming them (role ``"describe"``).
    described_spec : dict
        How to read them, as spec entries (``{"columns": [...]}``): numbers with their codes, dates
        with the latest date of every row, categories and yes/no columns as categories.
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
    weighting: str = "balanced"
    transform: str = "auto"
    described: tuple[str, ...] = ()
    described_spec: dict[str, Any] = field(default_factory=lambda: {"columns": []}, repr=False)

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
    weighting: str = "balanced",
    transform: str = "auto",
    categorical: Iterable[str] = (),
    numeric: Iterable[str] = (),
    describe: Iterable[str] = (),
    ignore: Iterable[str] = (),
    transforms: Mapping[str, str] | None = None,
    sample_rows: int = SAMPLE_ROWS,
    random_state: int = 0,
) -> SparkPrepared:
    """Decide each column's kind and role, then fit the preparation on every row, in Spark.

    Parameters
    ----------
    data : SparkTable or pyspark.sql.DataFrame
    features, scaler, weighting, transform, categorical, numeric, describe, ignore, transforms
        As :func:`segmentation.prepare`.
    outliers : {"keep", "clip"}, default "keep"
        ``"set-aside"`` runs with the default engine only.
    sample_rows : int, default SAMPLE_ROWS
        The kinds and roles are decided on a random sample of at most this many rows.
    random_state : int, default 0
        Seed of the sample.

    Returns
    -------
    SparkPrepared

    Raises
    ------
    DataError
        As :func:`segmentation.prepare`: unknown or unusable columns, no usable column, fewer than
        two rows with values; and for ``outliers="set-aside"``.
    """
    if outliers == "set-aside":
        raise DataError(
            "Setting unusual customers aside (--outliers set-aside) runs with --engine python only; "
            "with --engine spark choose keep or clip."
        )
    table = data if isinstance(data, SparkTable) else SparkTable(frame=data)
    frame = table.frame
    n_rows = frame.count()
    if n_rows < 2:
        raise DataError(
            f"'{table.name}' has {n_rows} customer row(s); segmentation needs at least 2 (and usually hundreds)."
        )
    sample = _sample_table(table, n_rows, sample_rows=sample_rows, random_state=random_state)
    local = prepare_table(
        sample,
        features=list(features) if features is not None else None,
        scaler=scaler,
        outliers=outliers,
        weighting=weighting,
        transform=transform,
        categorical=categorical,
        numeric=numeric,
        describe=describe,
        ignore=ignore,
        transforms=transforms,
    )
    segmented = [local.report(c) for c in local.columns]
    spark = frame.sparkSession
    with TempView(frame) as view:
        spec = _with_latest_dates(spark, view, preparation_spec(local))
        described_spec = _with_latest_dates(spark, view, _described_spec(local))
        values_query, value_columns = values_sql(spec, view, dialect="spark")
        present = spark.sql(values_query).where(col(present_column(spec))).persist()
        try:
            n_segmented = present.count()
            spec, counts = _fit_columns(present, spec, value_columns, outliers=outliers)
        finally:
            present.unpersist()
        if n_segmented < 2:
            raise DataError(
                f"Only {n_segmented} row(s) have any value in the chosen columns ({quoted(local.columns)}); "
                "segmentation needs at least 2. Choose other columns."
            )
        spec = _fit_scaler(spark, view, spec, segmented, scaler=scaler, weighting=weighting, n_segmented=n_segmented)
        feature_query, feature_columns = features_sql(spec, view, dialect="spark")
        scaled = spark.sql(feature_query).where(col(present_column(spec)))
        # Cached on first use (the k-means), then read by every K of a sweep.
        features_frame = _with_vector(scaled, feature_columns).persist()
    reports = _full_reports(local, spec, counts, n_rows=n_rows)
    notes = list(table.notes)
    if sample.n_rows < n_rows:
        notes.append(
            f"Column kinds and roles were decided on a random sample of {sample.n_rows:,} of the {n_rows:,} rows; "
            "every count and statistic of the columns segmented on covers all rows."
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
        feature_names=tuple(name for entry in spec["columns"] for name in entry["features"]),
        reports=reports,
        features=features_frame,
        feature_columns=tuple(feature_columns),
        n_rows=n_rows,
        n_segmented=n_segmented,
        sample_rows=sample.n_rows,
        notes=tuple(notes),
        scaler=scaler,
        outliers=outliers,
        weighting=weighting,
        transform=transform,
        described=tuple(local.described),
        described_spec=described_spec,
    )


def _sample_table(table: SparkTable, n_rows: int, *, sample_rows: int, random_state: int):
    """A random sample of the rows as a Python :class:`~segmentation.Table` (cells as Spark writes them)."""
    frame = table.frame
    if n_rows > sample_rows:
        # A little over the share needed, then cut: Spark's sample() size is only expected, not exact.
        fraction = min(1.0, 1.1 * sample_rows / n_rows)
        frame = frame.sample(withReplacement=False, fraction=fraction, seed=random_state).limit(sample_rows)
    return python_table(frame, name=table.name)


def _described_spec(local: Prepared) -> dict[str, Any]:
    """The described columns as spec entries, to read them as the scoring query reads the others."""
    entries = []
    for column in local.described:
        report = local.report(column)
        if report.kind == "number":
            entries.append({"column": column, "kind": "number", "codes": [float(c) for c in report.codes]})
        elif report.kind == "date":
            entries.append(
                {"column": column, "kind": "date", "date_format": report.date_format, "latest": "1970-01-01T00:00:00"}
            )
        else:  # a flag or category: its values as written (codes stored as numbers compared as numbers)
            entries.append({"column": column, "kind": "category", "numbers": report.from_numbers})
    return {"columns": entries}


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
) -> tuple[dict[str, Any], dict[str, dict[str, int]]]:
    """Log units, clip bounds, fill values, ranges and categories from every segmented row.

    Also returns the audit's counts, per column: ``present``, ``distinct`` (approximate for numbers
    and dates), ``code_rows`` and ``clipped``.
    """
    entries = [dict(e) for e in spec["columns"]]
    pairs = list(zip(entries, value_columns, strict=True))
    numeric = [(e, c) for e, c in pairs if e["kind"] in {"number", "date"}]
    counts: dict[str, dict[str, int]] = {}
    if numeric:
        counts.update(_fit_numbers(present, numeric, clip=outliers == "clip"))
    for entry, column in pairs:
        if entry["kind"] not in {"number", "date"}:
            counts[entry["column"]] = _fit_categories(present, entry, column)
    return {**spec, "columns": entries}, counts


def _fit_numbers(
    present: DataFrame, numeric: list[tuple[dict[str, Any], str]], *, clip: bool
) -> dict[str, dict[str, int]]:
    """Fit the number and date entries in place (in three passes of quantiles); return their counts."""
    from pyspark.sql import functions as F

    names = [f"x{i}" for i in range(len(numeric))]
    # The value without its codes, as prepare sees it.
    amounts = {name: _without_codes(col(column), entry) for name, (entry, column) in zip(names, numeric, strict=True)}

    logged = [
        (name, entry) for name, (entry, _) in zip(names, numeric, strict=True) if entry.get("log_unit") is not None
    ]
    if logged:
        # amounts.log_scale: the 10th percentile of the positive values (an approximate quantile here).
        positives = present.select(*[F.when(amounts[n] > 0, amounts[n]).alias(n) for n, _ in logged])
        tenths = positives.approxQuantile([n for n, _ in logged], [0.1], QUANTILE_ERROR)
        for (_, entry), found in zip(logged, tenths, strict=True):
            entry["log_unit"] = float(found[0]) if found else 1.0
    scaled = {name: _on_scale(amounts[name], entry) for name, (entry, _) in zip(names, numeric, strict=True)}
    work = present.select(*[scaled[n].cast("double").alias(n) for n in names])

    bounds: dict[str, tuple[float, float] | None] = dict.fromkeys(names)
    if clip:
        percentiles = [p / 100 for p in CLIP_PERCENTILES]
        for name, found in zip(names, work.approxQuantile(names, percentiles, QUANTILE_ERROR), strict=True):
            bounds[name] = (float(found[0]), float(found[1])) if found else None
    clipped = work.select(*[_clipped(col(n), bounds[n]).alias(n) for n in names])
    medians = clipped.approxQuantile(names, [0.5], QUANTILE_ERROR)

    aggregates = []
    for name, (entry, column) in zip(names, numeric, strict=True):
        codes = entry.get("codes", [])
        aggregates += [
            F.count(amounts[name]).alias(f"present:{name}"),
            F.approx_count_distinct(amounts[name]).alias(f"distinct:{name}"),
            F.sum(col(column).isin(*codes).cast("long") if codes else F.lit(0)).alias(f"code_rows:{name}"),
            F.min(amounts[name]).alias(f"min:{name}"),
            F.max(amounts[name]).alias(f"max:{name}"),
        ]
        bound = bounds[name]
        if bound is not None:
            outside = (scaled[name] < F.lit(bound[0])) | (scaled[name] > F.lit(bound[1]))
            aggregates.append(F.sum(outside.cast("long")).alias(f"clipped:{name}"))
    row = present.agg(*aggregates).first().asDict()

    counts = {}
    for name, (entry, _), median in zip(names, numeric, medians, strict=True):
        entry["fill"] = float(median[0]) if median else 0.0
        bound = bounds[name]
        entry["clip"] = [bound[0], bound[1]] if bound is not None else None
        if entry["kind"] == "number":
            low, high = row[f"min:{name}"], row[f"max:{name}"]
            entry["range"] = [float(low), float(high)] if low is not None else None
        counts[entry["column"]] = {
            key: int(row.get(f"{key}:{name}") or 0) for key in ("present", "distinct", "code_rows", "clipped")
        }
    return counts


def _without_codes(value: Column, entry: dict[str, Any]) -> Column:
    from pyspark.sql import functions as F

    codes = entry.get("codes", [])
    return F.when(value.isin(*codes), F.lit(None).cast("double")).otherwise(value) if codes else value


def _on_scale(value: Column, entry: dict[str, Any]) -> Column:
    """The value as the pipeline's LogScale step gives it: ``log(1 + max(x, 0) / unit)``, or as it is."""
    from pyspark.sql import functions as F

    if entry.get("log_unit") is None:
        return value
    # when/otherwise, not greatest(): greatest() skips a NULL and would turn missing into 0.
    floored = F.when(value < F.lit(0.0), F.lit(0.0)).otherwise(value)
    return F.log(F.lit(1.0) + floored / F.lit(float(entry["log_unit"])))


def _clipped(value: Column, bound: tuple[float, float] | None) -> Column:
    from pyspark.sql import functions as F

    if bound is None:
        return value
    return (
        F.when(value < F.lit(bound[0]), F.lit(bound[0])).when(value > F.lit(bound[1]), F.lit(bound[1])).otherwise(value)
    )


def _fit_categories(present: DataFrame, entry: dict[str, Any], column: str) -> dict[str, int]:
    """Fit a category or yes/no entry in place: values, most frequent value, features; return its counts.

    A category takes every value of every row; a yes/no column keeps the two values of the sample
    (a third value counts as missing, as when scoring). Codes stored as numbers come back as
    doubles and are written as :func:`segmentation.cells.number_text`, as prepare writes them.
    """
    rows = present.where(col(column).isNotNull()).groupBy(column).count().collect()
    found: dict[str, int] = {}
    for row in rows:
        value = row[0]
        text = number_text(value) if isinstance(value, float) else str(value)
        found[text] = found.get(text, 0) + int(row[1])
    if entry["kind"] == "flag":
        found = {value: n for value, n in found.items() if value in entry["categories"]}
    categories = sorted(found) if entry["kind"] == "category" else list(entry["categories"])
    most = max(found.values(), default=0)
    # SimpleImputer's most frequent value: the smallest of the most frequent on ties.
    entry["fill"] = min((v for v, n in found.items() if n == most), default=entry["fill"])
    entry["categories"] = categories
    entry["encoded"] = categories[1:] if entry["kind"] == "flag" else categories
    entry["features"] = [f"{entry['column']}: {value}" for value in entry["encoded"]]
    return {"present": sum(found.values()), "distinct": len(found), "code_rows": 0, "clipped": 0}


def _fit_scaler(
    spark: SparkSession,
    view: str,
    spec: dict[str, Any],
    reports: list[ColumnReport],
    *,
    scaler: str,
    weighting: str,
    n_segmented: int,
) -> dict[str, Any]:
    """The scaler's centre and spread from every segmented row (pyspark.ml scalers), weights folded in."""
    from pyspark.ml.feature import MinMaxScaler as SparkMinMaxScaler
    from pyspark.ml.feature import RobustScaler as SparkRobustScaler
    from pyspark.ml.feature import StandardScaler as SparkStandardScaler

    features = {entry["column"]: tuple(entry["features"]) for entry in spec["columns"]}
    n_features = sum(len(names) for names in features.values())
    identity = {"kind": "none", "center": [0.0] * n_features, "scale": [1.0] * n_features}
    encoded_spec = {**spec, "scaler": identity}
    center, divisors = np.zeros(n_features), np.ones(n_features)
    if scaler != "none":
        query, columns = features_sql(encoded_spec, view, dialect="spark")
        encoded = _with_vector(spark.sql(query).where(col(present_column(spec))), columns)
        if scaler == "standard":
            model = SparkStandardScaler(inputCol=VECTOR_COLUMN, outputCol="scaled", withMean=True, withStd=True).fit(
                encoded
            )
            n = n_segmented
            center = model.mean.toArray()
            # Spark's standard deviation divides by n - 1, scikit-learn's (the default engine) by n.
            divisors = model.std.toArray() * math.sqrt((n - 1) / n) if n > 1 else np.ones(n_features)
        elif scaler == "robust":
            model = SparkRobustScaler(
                inputCol=VECTOR_COLUMN, outputCol="scaled", withCentering=True, withScaling=True
            ).fit(encoded)
            center, divisors = model.median.toArray(), model.range.toArray()
        else:
            model = SparkMinMaxScaler(inputCol=VECTOR_COLUMN, outputCol="scaled").fit(encoded)
            center = model.originalMin.toArray()
            divisors = model.originalMax.toArray() - center
        # A feature without spread keeps its unit, as scikit-learn's _handle_zeros_in_scale does.
        divisors = np.where((divisors == 0) | ~np.isfinite(divisors), 1.0, divisors)
    fitted = _as_scikit_learn(scaler, np.asarray(divisors, dtype=np.float64))
    weights = feature_weights(features, reports, fitted, weighting=weighting)
    # The weights fold into the scale, as in the default engine's run file: (x - c) / s * w == (x - c) / (s / w).
    scale = np.asarray(divisors, dtype=np.float64) / weights
    return {
        **spec,
        "scaler": {"kind": scaler, "center": [float(v) for v in center], "scale": [float(v) for v in scale]},
    }


def _as_scikit_learn(scaler: str, divisors: np.ndarray):
    """The fitted scikit-learn scaler :func:`~segmentation.pipeline.feature_weights` reads, with Spark's spread."""
    if scaler == "none":
        return "passthrough"
    fitted = {"standard": StandardScaler, "robust": RobustScaler, "minmax": MinMaxScaler}[scaler]()
    # scikit-learn's MinMaxScaler keeps 1 / range; the others the divisor itself.
    fitted.scale_ = 1.0 / divisors if scaler == "minmax" else divisors
    return fitted


def _with_vector(frame: DataFrame, columns: Sequence[str]) -> DataFrame:
    from pyspark.ml.feature import VectorAssembler

    assembler = VectorAssembler(inputCols=list(columns), outputCol=VECTOR_COLUMN, handleInvalid="error")
    return assembler.transform(frame.select(*[col(c) for c in columns]))


def _full_reports(
    local: Prepared, spec: dict[str, Any], counts: dict[str, dict[str, int]], *, n_rows: int
) -> tuple[ColumnReport, ...]:
    """The sample's reports, with the segmented columns' counts and fitted values taken from every row."""
    entries = {e["column"]: e for e in spec["columns"]}
    out = []
    for report in local.reports:
        entry = entries.get(report.column)
        if entry is None:
            out.append(report)
            continue
        found = counts[report.column]
        if entry["kind"] == "number":
            filled = f"median {number(entry['fill'])}"
        elif entry["kind"] == "date":
            filled = f"median ({number(entry['fill'])} days before the latest date)"
        else:
            filled = f"most frequent value '{entry['fill']}'"
        out.append(
            replace(
                report,
                missing=n_rows - found["present"],
                distinct=found["distinct"],
                code_rows=found["code_rows"],
                filled_with=filled,
                clipped=found["clipped"],
                features=tuple(entry["features"]),
            )
        )
    return tuple(out)

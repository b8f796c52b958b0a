"""Segment customers with Apache Spark: the same roles, segments and run file, for tables of any size.

For tens or hundreds of millions of customers in a data lake. A data engineer calls it from their own
``SparkSession`` (this module never starts a cluster; ``pyspark`` is imported inside the functions,
so ``import segmentation`` works without it)::

    from segmentation import spark as sgs
    table = sgs.read(spark, "s3a://lake/customers/")     # CSV or Parquet
    prepared = sgs.prepare(table, scaler="standard")     # roles and audit, as the default engine
    segments = sgs.fit(prepared, 5)                      # pyspark.ml KMeans, numbered by size
    config = sgs.run_config(segments)                    # the run file (JSON), as the app writes it
    sgs.write(sgs.score(table.frame, config), "s3a://lake/segments.parquet")

How each stage maps to Spark, and where it differs from the default engine:

* Column roles come from :func:`segmentation.prepare` on a random sample of at most
  :data:`SAMPLE_ROWS` rows (the same rules and audit text); every statistic is then computed on all
  rows with ``pyspark.ml``: ``Imputer`` (medians), ``StringIndexer`` (categories and their most
  frequent value), ``VectorAssembler`` and ``StandardScaler`` / ``RobustScaler`` / ``MinMaxScaler``
  (the scaling statistics). Medians and percentiles are Spark's approximate quantiles, so the
  fitted constants can differ slightly from the default engine's; standard deviations are
  converted to the population convention of scikit-learn, zero spreads count as 1.
* Features are computed from the fitted preparation with the SQL of :mod:`segmentation.sql`
  (dialect ``spark``), the very expressions that score new customers, so a run file fitted here
  scores identically in Python and in SQL, and the other way round.
* ``pyspark.ml.clustering.KMeans`` (k-means|| initialisation) finds the centres; segments are
  numbered 1..K by size with the same tie rule as :func:`segmentation.fit.number_by_size`. The SSE
  covers every row; the silhouette is ``ClusteringEvaluator``'s (squared Euclidean distances, so
  its values run higher than the default engine's) on a fixed sample of at most
  :data:`~segmentation.sweep.SILHOUETTE_ROWS` rows.
* CSV input: the separator, encoding, decimal mark and header names are sniffed by the Python
  loader from the head of a local file (a remote URI takes ``sep``/``encoding`` as given). Spark
  then reads plain values: numbers written with currency symbols or thousands separators and
  quoted values spanning lines are not read as the default engine reads them.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from .describe import Profile, category_strength, importance_table, segment_names
from .errors import DataError
from .export import run_document
from .fit import order_by_size
from .load import load_table
from .model import RunModel, preparation_spec, read_run_file, units_note, unseen_note
from .prepare import ColumnReport, Prepared
from .prepare import prepare as prepare_table
from .sql import features_sql, scoring_sql, timestamp_sql, values_sql
from .sweep import K_LIMIT, SILHOUETTE_ROWS, Sweep, check_k, check_range, cut_range
from .wording import free_name, number, quoted

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = [
    "SAMPLE_ROWS",
    "SparkPrepared",
    "SparkSegmentation",
    "SparkTable",
    "describe",
    "fit",
    "prepare",
    "read",
    "run_config",
    "score",
    "score_summary",
    "sweep",
    "write",
]

#: Column roles are decided on a random sample of at most this many rows.
SAMPLE_ROWS = 100_000
#: Bytes of a local CSV read by the Python loader to sniff its dialect and header.
SNIFF_BYTES = 1_000_000
#: Iterations of Spark's k-means (it stops earlier when the centres move less than ``tol``).
KMEANS_MAX_ITER = 30
KMEANS_TOL = 1e-4
# Scaled features are one column each, then one vector for pyspark.ml.
_VECTOR = "_segmentation_features"
_LABEL = "_segmentation_label"
_SQUARED = "_segmentation_squared"


@dataclass(frozen=True)
class SparkTable:
    """A customer table in Spark, with what is known of the file it came from.

    Attributes
    ----------
    frame : pyspark.sql.DataFrame
        Every row; CSV columns as text, Parquet columns as typed.
    name : str
        The file name (or ``"data"``), for messages and the run file.
    format : str
        ``"csv"``, ``"parquet"`` or ``"spark"`` (a DataFrame handed in).
    delimiter, encoding, decimal : str
        As sniffed (CSV only).
    file_hash : str
        SHA-256 of a local file's bytes (as the default engine records it); empty otherwise.
    notes : tuple of str
        Remarks about the reading.
    """

    frame: Any
    name: str = "data"
    format: str = "spark"
    delimiter: str = ""
    encoding: str = ""
    decimal: str = "."
    file_hash: str = ""
    notes: tuple[str, ...] = ()


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

    def unpersist(self) -> None:
        """Free the cached features (Spark's memory) once the segments are made."""
        self.features.unpersist()


@dataclass(frozen=True)
class SparkSegmentation:
    """Customers segmented in Spark at one K.

    Attributes
    ----------
    prepared : SparkPrepared
    k : int
    centers : ndarray of shape (k, n_features)
        Segment centres in the scaled space, segment 1 (the largest) first.
    sizes : tuple of int
        Customers per segment, segment 1 first.
    inertia : float
        SSE on every segmented customer.
    silhouette : float or None
        ``ClusteringEvaluator``'s silhouette on a fixed sample.
    silhouette_rows : int
        Customers in that sample.
    random_state : int
    """

    prepared: SparkPrepared
    k: int
    centers: np.ndarray
    sizes: tuple[int, ...]
    inertia: float
    silhouette: float | None
    silhouette_rows: int
    random_state: int = 0


# --------------------------------------------------------------------------------------------------
# Reading and writing


def read(
    spark: SparkSession,
    path: str | Path,
    *,
    sep: str | None = None,
    encoding: str | None = None,
) -> SparkTable:
    """Read a CSV or Parquet table with Spark (a local path or any URI Spark can read).

    Parameters
    ----------
    spark : SparkSession
    path : str or Path
        A file or a folder. Names ending in ``.parquet`` (or folders of Parquet files) are read as
        Parquet, anything else as CSV with a header line.
    sep, encoding : str, optional
        For CSV: sniffed from a local file's head when not given; ``","`` and UTF-8 otherwise.

    Returns
    -------
    SparkTable

    Raises
    ------
    DataError
        If there is nothing at ``path`` or a CSV cannot be read the way Spark reads it.
    """
    from pyspark.errors import AnalysisException

    location = str(path)
    local = _local_path(location)
    if local is not None and not local.exists():
        raise DataError(f"There is no file at '{location}'. Check the path and try again.")
    name = (local.name if local is not None else location.rstrip("/").rsplit("/", 1)[-1]) or "data"
    if name.lower().endswith((".xlsx", ".xls")):
        raise DataError(f"'{name}' is an Excel workbook; the Spark engine reads CSV or Parquet. Save it as CSV first.")
    try:
        if _is_parquet(location, local):
            frame = spark.read.parquet(location)
            return SparkTable(frame=frame, name=name, format="parquet", file_hash=_file_hash(local))
        head = _sniff(local, sep=sep, encoding=encoding, name=name) if local is not None else None
        delimiter = head.delimiter if head is not None else (sep or ",")
        text_encoding = head.encoding if head is not None else (encoding or "utf-8")
        if head is not None and head.decimal == ",":
            raise DataError(
                f"'{name}' writes decimals with a comma (like 12,5). The Spark engine reads numbers "
                "with a decimal point only: export the file with decimal points, or use the default engine."
            )
        frame = (
            spark.read.option("header", True)
            .option("sep", delimiter)
            .option("encoding", _java_encoding(text_encoding))
            .option("quote", '"')
            .option("escape", '"')  # CSV's doubled quotes, as Excel and Python write them
            .option("inferSchema", False)
            .option("mode", "PERMISSIVE")
            .csv(location)
        )
    except AnalysisException as error:
        raise DataError(f"Spark could not read '{location}': {_first_line(error)}") from None
    if head is not None and len(head.columns) == len(frame.columns):
        # The loader's header names: stripped, blanks named, duplicates numbered, as in the app.
        frame = frame.toDF(*head.columns)
    return SparkTable(
        frame=frame,
        name=name,
        format="csv",
        delimiter=delimiter,
        encoding=text_encoding,
        decimal=".",
        file_hash=_file_hash(local),
        notes=head.notes if head is not None else (),
    )


def write(frame: DataFrame, path: str | Path) -> None:
    """Write a scored table: Parquet, or CSV (with a header) when ``path`` ends in ``.csv``.

    Spark writes a folder of part files at ``path``. An existing path is never overwritten.
    """
    location = str(path)
    writer = frame.write.mode("errorifexists")
    local = _local_path(location)
    if local is not None and local.exists():
        raise DataError(f"'{location}' already exists; choose a new path for the results (Spark writes a folder).")
    if location.lower().rstrip("/").endswith(".csv"):
        writer.option("header", True).option("escape", '"').csv(location)
    else:
        writer.parquet(location)


# --------------------------------------------------------------------------------------------------
# Preparing


def prepare(
    data: SparkTable | DataFrame,
    *,
    features: Sequence[str] | None = None,
    scaler: str = "standard",
    outliers: str = "keep",
    sample_rows: int = SAMPLE_ROWS,
    random_state: int = 0,
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
        sample, features=list(features) if features is not None else None, scaler=scaler, outliers=outliers
    )
    spec = preparation_spec(local)

    with _TempView(frame) as view:
        spec = _with_latest_dates(frame.sparkSession, view, spec)
        values_query, value_columns = values_sql(spec, view, dialect="spark")
        values = frame.sparkSession.sql(values_query)
        present = values.where(_col("_segmentation_present")).persist()
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
        scaled = frame.sparkSession.sql(feature_query).where(_col("_segmentation_present"))
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
    from pyspark.sql import functions as F

    frame = table.frame
    if n_rows > sample_rows:
        # A little over the share needed, then cut: Spark's sample() size is only expected, not exact.
        fraction = min(1.0, 1.1 * sample_rows / n_rows)
        frame = frame.sample(withReplacement=False, fraction=fraction, seed=random_state).limit(sample_rows)
    columns = table.frame.columns
    # Cells as text (what the loader reads), under neutral names so any header survives the round trip.
    text = frame.select([F.col(_quoted(c)).cast("string").alias(f"c{i}") for i, c in enumerate(columns)])
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
        aggregates.append(F.count(_col(column)).alias(f"present:{entry['column']}"))
        aggregates.append(F.approx_count_distinct(_col(column)).alias(f"distinct:{entry['column']}"))

    if numeric:
        bounds: dict[str, tuple[float, float] | None] = {e["column"]: None for e, _ in numeric}
        if outliers == "clip":
            quantiles = present.approxQuantile([c for _, c in numeric], [0.01, 0.99], 1e-4)
            bounds = {e["column"]: (float(q[0]), float(q[1])) for (e, _), q in zip(numeric, quantiles, strict=True)}
        clipped_columns = []
        for entry, column in numeric:
            bound = bounds[entry["column"]]
            value = _col(column)
            if bound is not None:
                value = F.when(value < F.lit(bound[0]), F.lit(bound[0])).when(value > F.lit(bound[1]), F.lit(bound[1]))
                value = value.otherwise(_col(column))
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
                outside = (_col(column) < F.lit(bound[0])) | (_col(column) > F.lit(bound[1]))
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
        encoded = _with_vector(spark.sql(query).where(_col("_segmentation_present")), columns)
        if scaler == "standard":
            model = StandardScaler(inputCol=_VECTOR, outputCol="scaled", withMean=True, withStd=True).fit(encoded)
            n = n_segmented
            center = model.mean.toArray()
            # Spark's standard deviation divides by n - 1, scikit-learn's (the default engine) by n.
            scale = model.std.toArray() * math.sqrt((n - 1) / n) if n > 1 else np.ones(n_features)
        elif scaler == "robust":
            model = RobustScaler(inputCol=_VECTOR, outputCol="scaled", withCentering=True, withScaling=True).fit(
                encoded
            )
            center, scale = model.median.toArray(), model.range.toArray()
        else:
            model = MinMaxScaler(inputCol=_VECTOR, outputCol="scaled").fit(encoded)
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

    assembler = VectorAssembler(inputCols=list(columns), outputCol=_VECTOR, handleInvalid="error")
    return assembler.transform(frame.select(*[_col(c) for c in columns]))


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


# --------------------------------------------------------------------------------------------------
# Segmenting


def sweep(
    prepared: SparkPrepared,
    *,
    k_min: int = 2,
    k_max: int = 10,
    random_state: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> Sweep:
    """Fit Spark's k-means for every K in ``k_min..k_max`` and measure each, as :func:`segmentation.sweep`.

    The SSE, Calinski-Harabasz and Davies-Bouldin indices cover every row (Davies-Bouldin measures
    spread around the k-means centres); the silhouette is ``ClusteringEvaluator``'s on a fixed sample.

    Returns
    -------
    Sweep
    """
    check_range(k_min, k_max)
    k_max, notes = cut_range(k_min, k_max, _count_distinct(prepared, limit=k_max))
    ks = list(range(k_min, k_max + 1))
    sample = _silhouette_sample(prepared, random_state=random_state)
    sample_rows = sample.count()
    inertia, silhouette, ch, db = [], [], [], []
    try:
        for done, k in enumerate(ks, start=1):
            centers = _kmeans_centers(prepared, k, random_state=random_state)
            stats = _cluster_stats(prepared, centers)
            inertia.append(stats["inertia"])
            silhouette.append(_silhouette(sample, centers, prepared.feature_columns))
            ch.append(stats["calinski_harabasz"])
            db.append(stats["davies_bouldin"])
            if on_progress is not None:
                on_progress(done, len(ks))
    finally:
        sample.unpersist()
    return Sweep.from_criteria(
        ks,
        inertia,
        silhouette,
        ch,
        db,
        n_rows=prepared.n_segmented,
        silhouette_rows=sample_rows,
        random_state=random_state,
        notes=notes,
        largest_possible_k=k_max if notes else K_LIMIT,
    )


def fit(prepared: SparkPrepared, k: int, *, random_state: int = 0) -> SparkSegmentation:
    """Segment the prepared customers into ``k`` segments with Spark's k-means, numbered by size.

    Parameters
    ----------
    prepared : SparkPrepared
    k : int
        ``1..30`` and at most the number of different customers.
    random_state : int, default 0
        Seed of k-means|| and of the silhouette sample.

    Returns
    -------
    SparkSegmentation

    Raises
    ------
    DataError
        If ``k`` is out of range for the data.
    """
    check_k(k, _count_distinct(prepared, limit=k))
    centers, sizes = _kmeans_centers(prepared, k, random_state=random_state, with_sizes=True)
    order = order_by_size(np.asarray(sizes), centers)
    centers = centers[order]
    stats = _cluster_stats(prepared, centers)
    sample = _silhouette_sample(prepared, random_state=random_state)
    try:
        silhouette = _silhouette(sample, centers, prepared.feature_columns)
        sample_rows = sample.count()
    finally:
        sample.unpersist()
    return SparkSegmentation(
        prepared=prepared,
        k=k,
        centers=centers,
        sizes=tuple(int(s) for s in stats["sizes"]),
        inertia=stats["inertia"],
        silhouette=silhouette,
        silhouette_rows=sample_rows,
        random_state=random_state,
    )


def _kmeans_centers(prepared: SparkPrepared, k: int, *, random_state: int, with_sizes: bool = False):
    """Centres of Spark's k-means (k-means|| start), in Spark's order; with its cluster sizes if asked."""
    from pyspark.ml.clustering import KMeans

    if k == 1:
        from pyspark.sql import functions as F

        row = prepared.features.agg(*[F.avg(_col(c)) for c in prepared.feature_columns]).first()
        centers = np.asarray([list(row)], dtype=np.float64)
        return (centers, [prepared.n_segmented]) if with_sizes else centers
    model = KMeans(
        k=k,
        seed=random_state,
        initMode="k-means||",
        maxIter=KMEANS_MAX_ITER,
        tol=KMEANS_TOL,
        featuresCol=_VECTOR,
        predictionCol=_LABEL,
    ).fit(prepared.features)
    centers = np.asarray([np.asarray(c) for c in model.clusterCenters()], dtype=np.float64)
    if len(centers) < k:
        raise DataError(
            f"K={k} is more than the {len(centers)} different groups Spark's k-means could form. Choose a smaller K."
        )
    if not with_sizes:
        return centers
    return centers, list(model.summary.clusterSizes)


def _nearest(feature_columns: Sequence[str], centers: np.ndarray) -> tuple[Column, Column]:
    """The nearest centre (1-based, ties to the lowest) and its squared distance, as the SQL computes them."""
    from pyspark.sql import functions as F

    distances = []
    for center in centers:
        total = None
        for column, value in zip(feature_columns, center, strict=True):
            delta = _col(column) - F.lit(float(value))
            total = delta * delta if total is None else total + delta * delta
        distances.append(total)
    if len(distances) == 1:
        return F.lit(1), distances[0]
    least = F.least(*distances)
    label = None
    for j, distance in enumerate(distances, start=1):
        label = F.when(least == distance, F.lit(j)) if label is None else label.when(least == distance, F.lit(j))
    return label, least


def _cluster_stats(prepared: SparkPrepared, centers: np.ndarray) -> dict[str, Any]:
    """Sizes, SSE, Calinski-Harabasz and Davies-Bouldin of the nearest-centre assignment, in one pass."""
    from pyspark.sql import functions as F

    k = len(centers)
    label, squared = _nearest(prepared.feature_columns, centers)
    assigned = prepared.features.select(
        label.alias(_LABEL), squared.alias(_SQUARED), *[_col(c) for c in prepared.feature_columns]
    )
    rows = (
        assigned.groupBy(_LABEL)
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(_col(_SQUARED)).alias("sse"),
            F.sum(F.sqrt(_col(_SQUARED))).alias("spread"),
            *[F.sum(_col(c)).alias(f"s{i}") for i, c in enumerate(prepared.feature_columns)],
        )
        .collect()
    )
    n_features = len(prepared.feature_columns)
    sizes = np.zeros(k)
    sse = np.zeros(k)
    spread = np.zeros(k)
    sums = np.zeros((k, n_features))
    for row in rows:
        j = int(row[_LABEL]) - 1
        sizes[j], sse[j], spread[j] = row["n"], row["sse"], row["spread"]
        sums[j] = [row[f"s{i}"] for i in range(n_features)]
    n = sizes.sum()
    inertia = float(sse.sum())
    used = sizes > 0
    ch = dbi = None
    if k >= 2 and used.sum() >= 2 and used.sum() < n:
        means = sums[used] / sizes[used][:, None]
        grand = sums.sum(axis=0) / n
        between = float((sizes[used] * ((means - grand) ** 2).sum(axis=1)).sum())
        # SSE around each cluster's mean: around its centre, less the centre's offset from the mean.
        within = float((sse[used] - sizes[used] * ((centers[used] - means) ** 2).sum(axis=1)).sum())
        ch = between * (n - used.sum()) / (within * (used.sum() - 1)) if within > 0 else None
        s = spread[used] / sizes[used]
        gaps = np.sqrt(((means[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (s[:, None] + s[None, :]) / gaps
        np.fill_diagonal(ratio, -np.inf)
        dbi = float(np.nan_to_num(ratio, posinf=0.0).max(axis=1).mean())
    return {
        "sizes": sizes.astype(np.int64),
        "inertia": inertia,
        "calinski_harabasz": None if ch is None else float(ch),
        "davies_bouldin": dbi,
    }


def _silhouette_sample(prepared: SparkPrepared, *, random_state: int) -> DataFrame:
    """The fixed sample the silhouette is measured on (the same for every K), cached."""
    frame = prepared.features
    if prepared.n_segmented > SILHOUETTE_ROWS:
        fraction = min(1.0, 1.1 * SILHOUETTE_ROWS / prepared.n_segmented)
        frame = frame.sample(withReplacement=False, fraction=fraction, seed=random_state).limit(SILHOUETTE_ROWS)
    return frame.persist()


def _silhouette(sample: DataFrame, centers: np.ndarray, feature_columns: Sequence[str]) -> float | None:
    from pyspark.ml.evaluation import ClusteringEvaluator

    if len(centers) < 2:
        return None
    from pyspark.errors import IllegalArgumentException

    label, _ = _nearest(feature_columns, centers)
    labelled = sample.select(_col(_VECTOR), label.cast("double").alias(_LABEL))
    evaluator = ClusteringEvaluator(
        featuresCol=_VECTOR, predictionCol=_LABEL, metricName="silhouette", distanceMeasure="squaredEuclidean"
    )
    try:
        return float(evaluator.evaluate(labelled))
    except IllegalArgumentException:  # the sample falls in a single segment: no silhouette
        return None


def _count_distinct(prepared: SparkPrepared, *, limit: int) -> int:
    """Different customers (feature rows), or ``limit + 1`` as soon as there are more."""
    columns = [_col(c) for c in prepared.feature_columns]
    return prepared.features.select(*columns).distinct().limit(limit + 1).count()


# --------------------------------------------------------------------------------------------------
# Profiles and the run file


def describe(segmentation: SparkSegmentation, *, names: Sequence[str] | None = None) -> Profile:
    """Profile each segment in original units and name it, as :func:`segmentation.describe` does.

    Computed with Spark aggregates on every row: sizes, means and (approximate) medians of the
    number columns, shares of category values, the index against all customers, and how strongly
    each column separates the segments.
    """
    prepared = segmentation.prepared
    frame = prepared.table.frame
    spec = _profile_spec(prepared)
    config = run_config(segmentation, names=[f"Segment {i}" for i in range(1, segmentation.k + 1)])
    label = free_name("Segment", frame.columns)
    scored = score(frame, config, segment_column=label, name_column=None)
    with _TempView(scored) as view:
        query, value_columns = values_sql(spec, view, dialect="spark", keep=[label])
        values = frame.sparkSession.sql(query).where(_col(label).isNotNull()).persist()
    try:
        profile = _profile(values, label, spec, value_columns, segmentation.k, used=set(prepared.columns))
    finally:
        values.unpersist()
    auto = segment_names(profile)
    chosen = tuple(names) if names is not None else auto
    if len(chosen) != segmentation.k:
        raise ValueError(f"names must have {segmentation.k} entries, not {len(chosen)}")
    summary = profile.summary.copy()
    summary.insert(0, "Name", list(chosen))
    return Profile(chosen, summary, profile.medians, profile.index, profile.overall, profile.spread, profile.importance)


def _profile_spec(prepared: SparkPrepared) -> dict[str, Any]:
    """Every column the default engine profiles: the features, and the file's other number and category columns."""
    used = {e["column"]: e for e in prepared.spec["columns"]}
    columns = []
    for report in prepared.reports:
        if report.column in used:
            columns.append(used[report.column])
        elif report.kind == "number":
            columns.append({"column": report.column, "kind": "number"})
        elif report.kind in {"yes/no", "category"}:
            columns.append({"column": report.column, "kind": "category"})
    return {"columns": columns}


def _profile(
    values: DataFrame, label: str, spec: dict[str, Any], value_columns: list[str], k: int, *, used: set[str]
) -> Profile:
    """The default engine's :class:`~segmentation.Profile`, from aggregates over the labelled values."""
    numbers = [
        (f"{e['column']} (days before latest)" if e["kind"] == "date" else e["column"], c, e["column"])
        for e, c in zip(spec["columns"], value_columns, strict=True)
        if e["kind"] in {"number", "date"}
    ]
    categories = [
        (e["column"], c)
        for e, c in zip(spec["columns"], value_columns, strict=True)
        if e["kind"] not in {"number", "date"}
    ]
    segment_index = pd.Index(range(1, k + 1), name="Segment")
    overall_row, by_segment = _number_aggregates(values, label, [c for _, c, _ in numbers])
    counts = np.array([by_segment[s]["n"] if s in by_segment else 0 for s in segment_index], dtype=np.float64)
    per_segment = {
        key: pd.DataFrame(
            {name: [_get(by_segment, s, f"{key}{i}") for s in segment_index] for i, (name, _, _) in enumerate(numbers)},
            index=segment_index,
        )
        for key in ("mean", "median")
    }
    crosstabs = {column: _crosstab(values, label, value_column) for column, value_column in categories}
    shares, overall_shares = _shares(crosstabs, segment_index)
    summary = pd.DataFrame(
        {"Customers": counts.astype(np.int64), "Share of customers": counts / counts.sum()}, index=segment_index
    )
    summary = pd.concat([summary, per_segment["mean"], shares], axis=1)
    summary.index.name = "Segment"

    names = [name for name, _, _ in numbers]
    number_overall = pd.Series([overall_row[f"mean{i}"] for i in range(len(numbers))], index=names, dtype=np.float64)
    number_spread = pd.Series([overall_row[f"std{i}"] for i in range(len(numbers))], index=names, dtype=np.float64)
    overall = pd.concat([number_overall, overall_shares])
    spread = pd.concat([number_spread, np.sqrt(overall_shares * (1 - overall_shares))])
    with np.errstate(divide="ignore", invalid="ignore"):
        index = 100 * summary[overall.index] / overall
    # An index (100 = average) only means something for quantities that cannot be negative.
    signed = [
        name
        for i, name in enumerate(names)
        if (overall_row[f"min{i}"] is not None and overall_row[f"min{i}"] < 0) or not number_overall[name] > 0
    ]
    index[signed] = np.nan
    importance = _importance(values, numbers, overall_row, by_segment, counts, crosstabs, used=used)
    return Profile((), summary, per_segment["median"], index, overall, spread, importance)


def _number_aggregates(values: DataFrame, label: str, columns: list[str]) -> tuple[Any, dict[int, Any]]:
    """All customers' and each segment's count, mean, spread, range and median of the number columns."""
    from pyspark.sql import functions as F

    overall = values.agg(
        F.count(F.lit(1)).alias("n"),
        *[F.avg(_col(c)).alias(f"mean{i}") for i, c in enumerate(columns)],
        *[F.stddev_pop(_col(c)).alias(f"std{i}") for i, c in enumerate(columns)],
        *[F.min(_col(c)).alias(f"min{i}") for i, c in enumerate(columns)],
        *[F.max(_col(c)).alias(f"max{i}") for i, c in enumerate(columns)],
        *[F.percentile_approx(_col(c), 0.5).alias(f"median{i}") for i, c in enumerate(columns)],
    ).first()
    # The importance test fills missing values with the overall median, as the default engine does.
    fills = [overall[f"median{i}"] for i in range(len(columns))]
    rows = (
        values.groupBy(label)
        .agg(
            F.count(F.lit(1)).alias("n"),
            *[F.avg(_col(c)).alias(f"mean{i}") for i, c in enumerate(columns)],
            *[F.percentile_approx(_col(c), 0.5).alias(f"median{i}") for i, c in enumerate(columns)],
            *[
                F.sum(F.coalesce(_col(c), F.lit(fills[i]))).alias(f"sum{i}")
                for i, c in enumerate(columns)
                if fills[i] is not None
            ],
        )
        .collect()
    )
    return overall, {int(r[label]): r for r in rows}


def _crosstab(values: DataFrame, label: str, column: str) -> pd.DataFrame:
    """Customers per segment (rows) and category value (columns, sorted); missing values left out."""
    rows = values.where(_col(column).isNotNull()).groupBy(label, column).count().collect()
    table = pd.DataFrame([(int(r[label]), str(r[column]), int(r["count"])) for r in rows], columns=["s", "v", "n"])
    crosstab = table.pivot_table(index="s", columns="v", values="n", aggfunc="sum", fill_value=0)
    return crosstab.reindex(columns=sorted(crosstab.columns))


def _shares(crosstabs: dict[str, pd.DataFrame], segment_index: pd.Index) -> tuple[pd.DataFrame, pd.Series]:
    """Each category value's share per segment (columns ``"Region = North"``) and over all customers."""
    frames, overall = [], {}
    for column, crosstab in crosstabs.items():
        shares = crosstab.div(crosstab.sum(axis=1), axis=0).reindex(segment_index)
        shares.columns = [f"{column} = {v}" for v in crosstab.columns]
        frames.append(shares)
        totals = crosstab.sum(axis=0)
        overall.update({f"{column} = {v}": n / totals.sum() for v, n in totals.items()})
    frame = pd.concat(frames, axis=1) if frames else pd.DataFrame(index=segment_index)
    return frame, pd.Series(overall, dtype=np.float64)


def _importance(
    values: DataFrame,
    numbers: list[tuple[str, str, str]],
    overall_row: Any,
    by_segment: dict[int, Any],
    counts: np.ndarray,
    crosstabs: dict[str, pd.DataFrame],
    *,
    used: set[str],
) -> pd.DataFrame:
    """How strongly each column separates the segments: ANOVA F (eta) for numbers, chi² (Cramér's V)."""
    from pyspark.sql import functions as F
    from scipy.stats import f as f_distribution

    present = [s for s in range(1, len(counts) + 1) if counts[s - 1] > 0]
    groups, sizes, n_total = len(present), counts[np.asarray(present, dtype=np.int64) - 1], counts.sum()
    grand = {
        i: sum(_get(by_segment, s, f"sum{i}") for s in present) / n_total
        for i in range(len(numbers))
        if overall_row[f"median{i}"] is not None
    }
    squares = None
    if grand:
        squares = values.agg(
            *[
                F.sum(F.pow(F.coalesce(_col(numbers[i][1]), F.lit(overall_row[f"median{i}"])) - F.lit(g), 2)).alias(
                    f"sq{i}"
                )
                for i, g in grand.items()
            ]
        ).first()
    rows = []
    for i, (name, _, source) in enumerate(numbers):
        if i not in grand or groups < 2 or overall_row[f"min{i}"] == overall_row[f"max{i}"]:
            continue
        means = np.array([_get(by_segment, s, f"sum{i}") for s in present]) / sizes
        between = float((sizes * (means - grand[i]) ** 2).sum())
        total = float(squares[f"sq{i}"])
        if total <= 0 or total - between <= 0:
            continue
        f_stat = (between / (groups - 1)) / ((total - between) / (n_total - groups))
        p_value = float(f_distribution.sf(f_stat, groups - 1, n_total - groups))
        rows.append((name, source in used, "ANOVA F", float(f_stat), p_value, float(np.sqrt(between / total))))
    for column, crosstab in crosstabs.items():
        if groups < 2 or crosstab.shape[1] < 2:
            continue
        rows.append((column, column in used, "chi-squared", *category_strength(crosstab)))
    return importance_table(rows)


def run_config(
    segmentation: SparkSegmentation,
    *,
    profile: Profile | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The run file (JSON-ready dict) in exactly the schema of :func:`segmentation.run_config`.

    Validated by :func:`segmentation.read_run_file`; it scores identically in every engine.
    """
    prepared = segmentation.prepared
    config = run_document(
        segmentation,
        table=prepared.table,
        rows=prepared.n_rows,
        preparation=json.loads(json.dumps(prepared.spec)),
        profile=profile,
        names=names,
        engine="spark",
    )
    read_run_file(config)  # the same validation every engine applies when reading it back
    return config


# --------------------------------------------------------------------------------------------------
# Scoring


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
    if not isinstance(model, RunModel):
        model = read_run_file(model)
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
    with _TempView(frame) as view:
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

    if not isinstance(model, RunModel):
        model = read_run_file(model)
    label = free_name("Segment", frame.columns)
    scored = score(frame, model, segment_column=label, name_column=None)
    with _TempView(scored) as view:
        query, value_columns = values_sql(model.spec, view, dialect="spark", keep=[label, *model.columns])
        values = frame.sparkSession.sql(query)
    aggregates = [F.count(_col(label)).alias("segmented"), F.count(F.lit(1)).alias("rows")]
    for i, (entry, column) in enumerate(zip(model.spec["columns"], value_columns, strict=True)):
        if entry["kind"] in {"number", "date"}:
            raw = F.trim(_col(entry["column"]).cast("string"))
            written = raw.isNotNull() & ~F.lower(raw).isin(*_markers())
            # As the default engine counts: a number cell is bad when it does not read as a number
            # at all (infinities read, then count as missing); a date cell when it does not parse.
            unread = raw.try_cast("double").isNull() if entry["kind"] == "number" else _col(column).isNull()
            aggregates.append(F.sum(written.cast("long")).alias(f"written{i}"))
            aggregates.append(F.sum((written & unread).cast("long")).alias(f"bad{i}"))
            if entry["kind"] == "number":
                # For a ten-times check an approximate median is plenty, and it stays cheap on any
                # number of rows (an exact one counts every different value).
                aggregates.append(F.percentile_approx(_col(column), 0.5, 10_000).alias(f"median{i}"))
    row = values.agg(*aggregates).first()
    sizes_rows = values.where(_col(label).isNotNull()).groupBy(label).count().collect()
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
            note = None if median is None else units_note(entry, float(median))
            if note:
                notes.append(note)
        else:
            grouped = (
                values.where(_col(column).isNotNull() & ~_col(column).isin(*entry["categories"]))
                .withColumn("_segmentation_order", F.monotonically_increasing_id())
                .groupBy(column)
                .agg(F.count(F.lit(1)).alias("count"), F.min("_segmentation_order").alias("first"))
            )
            totals = grouped.agg(F.sum("count").alias("total"), F.count(F.lit(1)).alias("distinct")).first()
            if totals["distinct"]:
                # Ties in order of appearance, as pandas lists them.
                top = grouped.orderBy(F.desc("count"), F.col("first")).limit(4).collect()
                examples = [(r[column], int(r["count"])) for r in top]
                notes.append(unseen_note(entry, examples, total=int(totals["total"]), distinct=int(totals["distinct"])))
    not_segmented = int(row["rows"]) - int(row["segmented"])
    if not_segmented:
        notes.append(
            f"{not_segmented:,} row(s) have no value in any of the model's columns; "
            "they stay in the download with an empty Segment."
        )
    return {"rows": int(row["rows"]), "sizes": sizes, "not_segmented": not_segmented, "notes": notes}


# --------------------------------------------------------------------------------------------------
# Helpers


class _TempView:
    """A uniquely named temporary view of a DataFrame for the length of a ``with`` block.

    The queries built inside are analysed when built, so they keep working after the view is gone;
    a data engineer's session is left as it was.
    """

    def __init__(self, frame: DataFrame):
        self.frame = frame
        self.name = f"segmentation_{uuid.uuid4().hex}"

    def __enter__(self) -> str:
        self.frame.createOrReplaceTempView(self.name)
        return self.name

    def __exit__(self, *exc) -> None:
        self.frame.sparkSession.catalog.dropTempView(self.name)


def _col(name: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(_quoted(name))


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _markers() -> list[str]:
    from .load import MISSING_MARKERS

    return sorted(MISSING_MARKERS)


def _get(rows: dict[int, Any], segment: int, key: str) -> float:
    row = rows.get(segment)
    value = None if row is None else row[key]
    return np.nan if value is None else float(value)


def _local_path(location: str) -> Path | None:
    parsed = urlparse(location)
    if parsed.scheme in {"", "file"} or (len(parsed.scheme) == 1 and location[1:2] == ":"):  # C:\ on Windows
        return Path(parsed.path if parsed.scheme == "file" else location)
    return None


def _is_parquet(location: str, local: Path | None) -> bool:
    if location.lower().rstrip("/").endswith(".parquet"):
        return True
    if local is not None and local.is_dir():
        return any(p.suffix == ".parquet" for p in local.iterdir())
    return False


@dataclass(frozen=True)
class _Head:
    delimiter: str
    encoding: str
    decimal: str
    columns: list[str]
    notes: tuple[str, ...]


def _sniff(path: Path, *, sep: str | None, encoding: str | None, name: str) -> _Head | None:
    """The Python loader's reading of a local CSV's first lines: dialect and cleaned header."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_")))
        if not files:
            raise DataError(f"The folder '{path}' has no data files.")
        path = files[0]
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES + 1)
    if len(head) > SNIFF_BYTES:
        head = head[: head.rfind(b"\n", 0, SNIFF_BYTES) + 1] or head[:SNIFF_BYTES]
    table = load_table(head, name=name, sep=sep, encoding=encoding)
    return _Head(table.delimiter, table.encoding, table.decimal, table.columns, table.notes)


def _java_encoding(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "latin-1": "ISO-8859-1", "cp1252": "windows-1252"}.get(
        encoding, encoding
    )


def _file_hash(path: Path | None) -> str:
    if path is None or not path.is_file():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__

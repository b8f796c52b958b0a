"""Decide what each column is, then clean, encode and scale the data for clustering.

The tutorial this project grew from dropped ``CustomerID``, label-encoded ``Gender`` and scaled every
column. :func:`prepare` does the same for any customer table and says why, column by column, in an
audit a marketer can read:

* identifiers (unique per row, or named like ``id``/``CustomerID``/``CUST_ID``), constant columns,
  empty columns and free text are left out;
* numbers are used as they are; a numeric column with a little text in it (``n/a``, ``$12``,
  ``1,234``, ``12%``, ``#DIV/0!``) is still a number column, and the audit names the rows;
* a column with two values becomes one 0/1 column (the tutorial's label encoding); other text with few
  values is one-hot encoded; dates become "days before the latest date";
* missing values are filled (median for numbers, most frequent value for text) and counted;
* optionally, extreme values are clipped to the 1st/99th percentile; then the chosen scaler applies to
  every feature, as in the tutorial.

The fitted transform is a scikit-learn ``Pipeline`` so it can be applied again to new customers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, RobustScaler, StandardScaler

from .columns import ColumnReport, inspect_column, nothing_usable
from .errors import DataError
from .load import Table
from .wording import number, quoted

__all__ = ["SCALERS", "SCALER_NAMES", "Prepared", "prepare", "transform"]

Scaler = Literal["standard", "robust", "minmax", "none"]
Outliers = Literal["keep", "clip"]

#: The scalers a user can choose, with one line on what each is for.
SCALERS: dict[str, str] = {
    "standard": "Every feature gets the same spread (mean 0, standard deviation 1). The usual choice.",
    "robust": "Like standard, but based on the median and quartiles, so a few extreme customers matter less.",
    "minmax": "Every feature is squeezed into 0..1. Good when all features have natural bounds.",
    "none": "Use the values as they are. Only when all features share one unit, e.g. two scores out of 100.",
}
#: How each scaler is named on screen.
SCALER_NAMES: dict[str, str] = {"standard": "Standard", "robust": "Robust", "minmax": "Min-max", "none": "None"}

#: Percentiles used when outliers are clipped.
CLIP_PERCENTILES = (1.0, 99.0)


@dataclass(frozen=True)
class Prepared:
    """Customer data cleaned, encoded and scaled, with the audit of every decision.

    Attributes
    ----------
    table : Table
        The file as read (raw and typed views), every row.
    matrix : ndarray of shape (n_segmented, n_features)
        The scaled features, one row per segmented customer.
    feature_names : tuple of str
        Names of the matrix's columns, e.g. ``"Age"``, ``"Gender: Male"``.
    columns : tuple of str
        The file's columns used as features, in file order.
    rows : ndarray of int
        For each matrix row, its position in ``table`` (0-based). Usually ``0..n-1``.
    skipped : ndarray of int
        Positions of rows that were not segmented because all their feature values are missing
        (for example a repeated header line). They stay in every download.
    values : DataFrame
        The used columns in original units, one row per file row: numbers as floats (unreadable
        cells missing), dates as datetimes, categories as text. What summaries are computed on.
    reports : tuple of ColumnReport
        One per column of the file, in file order.
    notes : tuple of str
        Remarks about the whole table (duplicate rows, rows not segmented, ...).
    scaler, outliers : str
        The options used.
    pipeline : Pipeline
        The fitted scikit-learn transform from ``values`` (in ``columns`` order) to ``matrix``.
    """

    table: Table
    matrix: np.ndarray
    feature_names: tuple[str, ...]
    columns: tuple[str, ...]
    rows: np.ndarray
    skipped: np.ndarray
    values: pd.DataFrame
    reports: tuple[ColumnReport, ...]
    notes: tuple[str, ...] = ()
    scaler: str = "standard"
    outliers: str = "keep"
    pipeline: Pipeline | None = field(default=None, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        """Number of customers in the file."""
        return self.table.n_rows

    @property
    def n_segmented(self) -> int:
        """Number of customers that are segmented (rows of ``matrix``)."""
        return int(self.matrix.shape[0])

    def audit(self) -> pd.DataFrame:
        """The audit as a table: one row per column of the file, used columns first."""
        frame = pd.DataFrame(
            {
                "Column": [r.column for r in self.reports],
                "Used": [r.used for r in self.reports],
                "Treated as": [r.kind for r in self.reports],
                "Different values": [r.distinct for r in self.reports],
                "Missing": [r.missing for r in self.reports],
                "Filled with": [r.filled_with if r.used and r.missing else "" for r in self.reports],
                "Details": [r.summary() for r in self.reports],
            }
        )
        return frame.sort_values("Used", ascending=False, kind="stable").reset_index(drop=True)

    def report(self, column: str) -> ColumnReport:
        """The report for one column of the file."""
        for report in self.reports:
            if report.column == column:
                return report
        raise KeyError(column)


def prepare(
    data: Table | pd.DataFrame,
    *,
    features: list[str] | tuple[str, ...] | None = None,
    scaler: Scaler = "standard",
    outliers: Outliers = "keep",
) -> Prepared:
    """Clean, encode and scale customer data, deciding each column's role.

    Parameters
    ----------
    data : Table or DataFrame
        A loaded file (:func:`segmentation.load_table`) or any DataFrame (its cells are used as read).
    features : list of str, optional
        The columns to segment on. By default every usable column is used (identifiers, constant,
        empty and free-text columns are left out).
    scaler : {"standard", "robust", "minmax", "none"}, default "standard"
        How features are put on a common scale; see :data:`SCALERS`.
    outliers : {"keep", "clip"}, default "keep"
        ``"clip"`` moves values beyond the 1st/99th percentile of their column to that percentile.

    Returns
    -------
    Prepared

    Raises
    ------
    DataError
        If a requested feature does not exist or cannot be used, or no column can be used.

    Examples
    --------
    >>> from segmentation import load_table
    >>> table = load_table(b"CustomerID,Gender,Age\\n1,Male,19\\n2,Female,35\\n3,Female,52\\n")
    >>> prepared = prepare(table)
    >>> prepared.feature_names
    ('Gender: Male', 'Age')
    """
    if scaler not in SCALERS:
        raise ValueError(f"scaler must be one of {sorted(SCALERS)}, not {scaler!r}")
    if outliers not in ("keep", "clip"):
        raise ValueError(f"outliers must be 'keep' or 'clip', not {outliers!r}")
    table = data if isinstance(data, Table) else Table.from_frame(data)

    if features is not None:
        features = list(dict.fromkeys(features))
        unknown = [f for f in features if f not in table.columns]
        if unknown:
            raise DataError(f"The file has no column {quoted(unknown)}. Its columns are: {quoted(table.columns)}.")
        if not features:
            raise DataError("Choose at least one column to segment on.")

    reports: dict[str, ColumnReport] = {}
    values: dict[str, pd.Series] = {}
    for column in table.columns:
        explicit = features is not None and column in features
        report, series = inspect_column(table, column, explicit=explicit)
        if features is not None and report.used and not explicit:
            report = replace(report, used=False, reason=f"Not chosen. ({report.reason})")
        if explicit and not report.used:
            raise DataError(f"Column '{column}' cannot be used for segmentation: {report.reason}")
        reports[column] = report
        if report.used:
            values[column] = series

    used = [c for c in table.columns if reports[c].used]
    if not used:
        raise DataError(nothing_usable(table, list(reports.values())))
    value_frame = pd.DataFrame(values, index=table.raw.index)

    all_missing = value_frame.isna().all(axis=1).to_numpy()
    rows = np.flatnonzero(~all_missing)
    skipped = np.flatnonzero(all_missing)
    if len(rows) < 2:
        raise DataError(
            f"Only {len(rows)} row(s) have any value in the chosen columns ({quoted(used)}); "
            "segmentation needs at least 2. Choose other columns or upload the full table."
        )
    fit_frame = value_frame.iloc[rows]

    pipeline = _build_pipeline(used, {c: reports[c].kind for c in used}, scaler=scaler, outliers=outliers)
    sklearn_frame = _to_sklearn(fit_frame, reports)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        # Step by step (the same fitted objects the pipeline holds), because the weights of the last
        # step depend on the feature names the first one produces; fitting the whole pipeline after
        # that would encode every column twice.
        columns_step, scale_step, weigh_step = (step for _, step in pipeline.steps)
        encoded = columns_step.fit_transform(sklearn_frame)
        features = _features_by_column(pipeline, used, reports)
        feature_names = [name for produced in features.values() for name in produced]
        scaled = encoded if scale_step == "passthrough" else scale_step.fit_transform(encoded)
        matrix = weigh_step.set_params(groups=_block_sizes(features, reports)).fit_transform(scaled)
    matrix = np.ascontiguousarray(matrix, dtype=np.float64)
    finite = np.isfinite(matrix).all(axis=0)
    if not finite.all():
        bad = [name for name, ok in zip(feature_names, finite, strict=False) if not ok]
        raise DataError(
            f"Some values are too large to compute with (in {quoted(bad[:3])}). "
            "Check the file for values like 1e308 or overflowing numbers."
        )
    reports = _with_fit_details(reports, pipeline, fit_frame, features)
    notes = _table_notes(table, skipped)
    return Prepared(
        table=table,
        matrix=matrix,
        feature_names=tuple(feature_names),
        columns=tuple(used),
        rows=rows,
        skipped=skipped,
        values=value_frame,
        reports=tuple(reports[c] for c in table.columns),
        notes=tuple(notes),
        scaler=scaler,
        outliers=outliers,
        pipeline=pipeline,
    )


# --------------------------------------------------------------------------------------------------
# Column roles


# --------------------------------------------------------------------------------------------------
# The scikit-learn pipeline


class PercentileClipper(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Clip each column to percentiles learned in ``fit`` (missing values stay missing).

    Parameters
    ----------
    percentiles : tuple of float, default (1, 99)
        Lower and upper percentile.
    """

    def __init__(self, percentiles: tuple[float, float] = CLIP_PERCENTILES):
        self.percentiles = percentiles

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.lower_, self.upper_ = np.nanpercentile(X, self.percentiles, axis=0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        return np.clip(X, self.lower_, self.upper_)


class DaysBeforeLatest(TransformerMixin, BaseEstimator):
    """Turn dates into days before the latest date seen in ``fit`` (a fixed reference, so reruns agree)."""

    def fit(self, X, y=None):
        values = _as_datetime64(X)
        self.latest_ = np.nanmax(values.astype("datetime64[s]").astype("float64"), axis=0)
        self.n_features_in_ = values.shape[1]
        return self

    def transform(self, X):
        seconds = _as_datetime64(X).astype("datetime64[s]").astype("float64")
        return (self.latest_ - seconds) / 86_400.0

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features, dtype=object)


class CategoryWeights(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Give each category column the weight of one number column, and a yes/no column half that.

    After scaling, every one-hot feature counts like a whole number column, so a category with
    six values would count six times as much as Age, and the segments would just be its values.
    Each of the ``m`` features of a category with ``m`` values is multiplied by ``1 / sqrt(m)``, so
    the category's features together carry the weight of one column.

    A yes/no column is one 0/1 feature standing for a block of two, so it gets ``1 / sqrt(2)``.
    At full weight its two values sit two standard deviations apart with nothing in between, the
    cheapest split K-means can make: on a 50/50 column like Gender every segmentation would first
    cut customers in two by it, before any real difference in behaviour. At half the weight it
    still separates customers who differ in it, but no longer on its own.

    Parameters
    ----------
    groups : list of int, optional
        For each feature, the size of the block it belongs to (1 for number and date features,
        2 for a yes/no feature, ``m`` for each feature of an ``m``-valued category). Set by
        :func:`prepare` after the column step is fitted.
    """

    def __init__(self, groups: list[int] | None = None):
        self.groups = groups

    def fit(self, X, y=None):
        X = np.asarray(X)
        groups = np.ones(X.shape[1]) if self.groups is None else np.asarray(self.groups, dtype=np.float64)
        self.weights_ = 1.0 / np.sqrt(groups)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64) * self.weights_


def _as_datetime64(X) -> np.ndarray:
    frame = pd.DataFrame(X)
    columns = [pd.to_datetime(frame[c]).to_numpy(dtype="datetime64[s]") for c in frame.columns]
    stacked = np.column_stack(columns)
    return np.where(np.isnat(stacked), np.datetime64("NaT"), stacked)


def _build_pipeline(columns: list[str], kinds: dict[str, str], *, scaler: str, outliers: str) -> Pipeline:
    steps = []
    for column in columns:
        kind = kinds[column]
        clip = PercentileClipper() if outliers == "clip" else "passthrough"
        if kind == "number":
            transformer = Pipeline([("clip", clip), ("fill", SimpleImputer(strategy="median"))])
        elif kind == "date":
            transformer = Pipeline(
                [("days", DaysBeforeLatest()), ("clip", clip), ("fill", SimpleImputer(strategy="median"))]
            )
        else:
            transformer = Pipeline(
                [
                    ("fill", SimpleImputer(strategy="most_frequent")),
                    (
                        "encode",
                        OneHotEncoder(drop="if_binary", handle_unknown="ignore", sparse_output=False),
                    ),
                ]
            )
        steps.append((column, transformer, [column]))
    scale = {
        "standard": StandardScaler(),
        "robust": RobustScaler(),
        "minmax": MinMaxScaler(),
        "none": "passthrough",
    }[scaler]
    columns_step = ColumnTransformer(steps, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False)
    return Pipeline([("columns", columns_step), ("scale", scale), ("weigh", CategoryWeights())])


def _to_sklearn(frame: pd.DataFrame, reports: dict[str, ColumnReport]) -> pd.DataFrame:
    """Hand scikit-learn plain dtypes: float64 numbers, object text with NaN for missing."""
    out = {}
    for column in frame.columns:
        kind = reports[column].kind
        if kind in {"yes/no", "category"}:
            out[column] = frame[column].astype(object).where(frame[column].notna(), np.nan)
        else:
            out[column] = frame[column]
    return pd.DataFrame(out, index=frame.index)


def transform(prepared: Prepared, values: pd.DataFrame) -> np.ndarray:
    """Apply a fitted preparation to new rows (same columns, original units)."""
    reports = {r.column: r for r in prepared.reports}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = prepared.pipeline.transform(_to_sklearn(values[list(prepared.columns)], reports))
    return np.ascontiguousarray(out, dtype=np.float64)


def _features_by_column(
    pipeline: Pipeline, columns: list[str], reports: dict[str, ColumnReport]
) -> dict[str, tuple[str, ...]]:
    """The model features each chosen column produced, in order (a column's name may contain ': ')."""
    transformers = pipeline.named_steps["columns"].named_transformers_
    features = {}
    for column in columns:
        kind = reports[column].kind
        if kind == "date":
            features[column] = (f"{column} (days before latest)",)
        elif kind in {"yes/no", "category"}:
            categories = list(transformers[column].named_steps["encode"].categories_[0])
            shown = categories[1:] if kind == "yes/no" else categories
            features[column] = tuple(f"{column}: {value}" for value in shown)
        else:
            features[column] = (column,)
    return features


def _block_sizes(features: dict[str, tuple[str, ...]], reports: dict[str, ColumnReport]) -> list[int]:
    """For each feature, the size of the category block it belongs to (1 for number and date columns).

    A yes/no column counts as a block of two: one-hot encoded without dropping a value it would be
    two features, and its single 0/1 feature stands for both.
    """
    sizes = []
    for column, produced in features.items():
        kind = reports[column].kind
        size = 2 if kind == "yes/no" else len(produced) if kind == "category" else 1
        sizes.extend([size] * len(produced))
    return sizes


def _with_fit_details(
    reports: dict[str, ColumnReport],
    pipeline: Pipeline,
    fit_frame: pd.DataFrame,
    features: dict[str, tuple[str, ...]],
) -> dict[str, ColumnReport]:
    transformers = pipeline.named_steps["columns"].named_transformers_
    out = dict(reports)
    for column in features:
        report = reports[column]
        steps = transformers[column].named_steps
        fill = steps["fill"].statistics_[0]
        if report.kind == "number":
            filled = f"median {number(fill)}"
        elif report.kind == "date":
            filled = f"median ({number(fill)} days before the latest date)"
        else:
            filled = f"most frequent value '{fill}'"
        clipped = 0
        clip = steps.get("clip")
        if isinstance(clip, PercentileClipper):
            raw = fit_frame[column]
            if report.kind == "date":
                raw = pd.Series(steps["days"].transform(raw.to_frame())[:, 0])
            raw = raw.to_numpy(dtype=np.float64)
            clipped = int(np.sum((raw < clip.lower_[0]) | (raw > clip.upper_[0])))
        out[column] = replace(report, filled_with=filled, clipped=clipped, features=features[column])
    return out


def _table_notes(table: Table, skipped: np.ndarray) -> list[str]:
    notes = list(table.notes)
    if len(skipped):
        rows = ", ".join(f"{r + 1:,}" for r in skipped[:5])
        more = f" and {len(skipped) - 5:,} more" if len(skipped) > 5 else ""
        notes.append(
            f"{len(skipped):,} row(s) have no value in any chosen column (row {rows}{more}); "
            "they are not segmented but stay in the download with an empty Segment."
        )
    duplicated = int(table.raw.duplicated().sum())
    if duplicated:
        notes.append(
            f"{duplicated:,} row(s) are exact copies of an earlier row. They were kept; remove them "
            "from the file if they are mistakes."
        )
    return notes

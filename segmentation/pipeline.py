"""The scikit-learn pipeline from a customer's values to the features k-means measures distances on.

Per column: numbers are put on a log scale when skewed, clipped if asked, and filled with the
median; dates become days before the latest date; categories and yes/no columns are filled with
their most frequent value and one-hot encoded; a code found in a number column (``-1`` for "never")
is a yes/no feature of its own. Then one scaler for every feature and a weight per feature.

Categories are filled and encoded by :class:`MostFrequentFill` and :class:`CategoryEncoder`, which
give what ``SimpleImputer(strategy="most_frequent")`` and ``OneHotEncoder(drop="if_binary",
handle_unknown="ignore")`` give (the same ``statistics_`` and ``categories_``; a test holds them to
scikit-learn's), but read the text where it is, in Arrow: scikit-learn turns every cell into a Python
object and counts and looks them up one by one, which took 0.15 s per category column and million
rows (2.5 of the 4.6 s preparing 500,000 telco customers with 16 category columns).

The weights decide how much each column counts in the distance. ``"balanced"`` (the default):
each number or date column counts once (spread 1 after the scaler); the 0/1 features of a
category are not stretched by the scaler, so two customers with different values are sqrt(2) apart
whatever the value, which makes a category weigh at most one number column; and a yes/no column's
two values are sqrt(2) apart too, as a two-valued category's would be. However rare a value, its
holders sit no further away than that: scaled like a number, a flag held by 1% of customers would
put them ten standard deviations out, and k-means would spend a segment on them. ``"equal"`` is
scikit-learn's plain scaling of every encoded column, the tutorial's space.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from .amounts import log_scale
from .columns import ColumnReport
from .options import WEIGHTINGS
from .wording import number

__all__ = [
    "CLIP_PERCENTILES",
    "WEIGHTINGS",
    "CategoryEncoder",
    "DaysBeforeLatest",
    "FeatureWeights",
    "LogScale",
    "MostFrequentFill",
    "PercentileClipper",
    "build_pipeline",
    "code_feature",
    "feature_weights",
    "features_by_column",
    "model_input",
    "scaler_divisors",
]

#: Percentiles used when outliers are clipped.
CLIP_PERCENTILES = (1.0, 99.0)
#: Internal name of a code's yes/no input column (never shown): the column, then the code.
_CODE_KEY = "\x00code\x00{column}\x00{code}"


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


class LogScale(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """``log(1 + max(x, 0) / unit)``, the unit being a small typical value seen in ``fit``.

    See :func:`segmentation.amounts.log_scale`: the unit makes the transform the same whatever the
    column's unit (euros or thousands of euros).
    """

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.unit_ = np.asarray([log_scale(pd.Series(column)) for column in X.T])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        # Values below 0 cannot be on this scale; they only reach it in new customers' files. log(1 + y)
        # rather than log1p(y): SQL engines have only LN, and the same steps give the same doubles.
        return np.log(1.0 + np.maximum(X, 0.0) / self.unit_)


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


class FeatureWeights(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Multiply each feature by its weight in the distance (see :func:`feature_weights`).

    Parameters
    ----------
    weights : list of float, optional
        One per feature; all ones when not given. Set by :func:`segmentation.prepare` once the
        scaler is fitted, because a weight may undo the scaler's stretch of a 0/1 feature.
    copy : bool, default True
        False multiplies a float64 array in place, as scikit-learn's scalers do with ``copy=False``.
    """

    def __init__(self, weights: list[float] | None = None, copy: bool = True):
        self.weights = weights
        self.copy = copy

    def fit(self, X, y=None):
        X = np.asarray(X)
        self.weights_ = np.ones(X.shape[1]) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float64)
        return X * self.weights_ if self.copy else np.multiply(X, self.weights_, out=X)


class MostFrequentFill(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Fill each column's missing values with its most frequent value (the smallest of several).

    ``SimpleImputer(strategy="most_frequent")``'s ``statistics_`` and output, counted by pandas (see
    the module docstring). The output is a DataFrame of the same dtypes, for :class:`CategoryEncoder`.
    """

    def fit(self, X, y=None):
        frame = pd.DataFrame(X)
        self.statistics_ = np.array([_most_frequent(frame.iloc[:, i]) for i in range(frame.shape[1])], dtype=object)
        self.n_features_in_ = frame.shape[1]
        return self

    def transform(self, X):
        frame = _checked_frame(X, self.n_features_in_)
        filled = [
            frame.iloc[:, i] if pd.isna(fill) else frame.iloc[:, i].fillna(fill)
            for i, fill in enumerate(self.statistics_)
        ]
        return pd.concat(filled, axis=1)  # by position: columns may share a name


def _checked_frame(X, n_features: int) -> pd.DataFrame:
    frame = pd.DataFrame(X)
    if frame.shape[1] != n_features:
        raise ValueError(f"X has {frame.shape[1]} columns; {n_features} were seen in fit")
    return frame


def _most_frequent(values: pd.Series):
    counts = values.value_counts(dropna=True)
    if counts.empty:
        return np.nan
    tied = counts.index[counts.to_numpy() == counts.iloc[0]]
    return min(tied)


class CategoryEncoder(TransformerMixin, BaseEstimator):
    """One 0/1 feature per value of each column, seen in ``fit`` (sorted); two values give one feature.

    ``OneHotEncoder(drop="if_binary", handle_unknown="ignore", sparse_output=False)``'s
    ``categories_`` and output: a value not seen in ``fit`` (or missing) is 0 in every feature of
    its column. Text is looked up by Arrow's hash kernel (see the module docstring).
    """

    def fit(self, X, y=None):
        frame = pd.DataFrame(X)
        self.categories_ = [
            np.asarray(sorted(frame.iloc[:, i].dropna().unique()), dtype=object) for i in range(frame.shape[1])
        ]
        self.n_features_in_ = frame.shape[1]
        self.columns_ = [str(name) for name in frame.columns]
        return self

    def transform(self, X):
        frame = _checked_frame(X, self.n_features_in_)
        blocks = []
        for i, categories in enumerate(self.categories_):
            codes = _codes(frame.iloc[:, i], categories)
            width = len(categories)
            if width == 2:  # drop="if_binary": the first value is the zero of the second's feature
                codes, width = codes - 1, 1
            block = np.zeros((len(frame), width))
            known = np.flatnonzero(codes >= 0)
            block[known, codes[known]] = 1.0
            blocks.append(block)
        return np.hstack(blocks) if len(blocks) != 1 else blocks[0]

    def get_feature_names_out(self, input_features=None):
        names = []
        for column, categories in zip(self.columns_, self.categories_, strict=True):
            shown = categories[1:] if len(categories) == 2 else categories
            names += [f"{column}_{value}" for value in shown]
        return np.asarray(names, dtype=object)


def _codes(values: pd.Series, categories: np.ndarray) -> np.ndarray:
    """Each value's position in ``categories``, -1 for a value not among them (or missing)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        text = pa.array(values.array)
        found = pc.index_in(text, value_set=pa.array([str(c) for c in categories], type=text.type))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
    return pd.Index(categories).get_indexer(values.astype(object))


def _as_datetime64(X) -> np.ndarray:
    frame = pd.DataFrame(X)
    columns = [pd.to_datetime(frame[c]).to_numpy(dtype="datetime64[s]") for c in frame.columns]
    stacked = np.column_stack(columns)
    return np.where(np.isnat(stacked), np.datetime64("NaT"), stacked)


def median(values: np.ndarray) -> float:
    """The median of a column's present values: the fill for its missing ones.

    What ``SimpleImputer(strategy="median")`` computes, found by partition: scikit-learn's median of
    a masked array sorts the column, ten times slower on a million rows.
    """
    return float(np.median(values)) if len(values) else np.nan


def code_feature(column: str, code: float) -> str:
    """The name of the yes/no feature standing for a code of a number column, e.g. ``"pdays: -1"``."""
    return f"{column}: {number(code)}"


def build_pipeline(reports: list[ColumnReport], *, scaler: str, outliers: str) -> Pipeline:
    """The unfitted pipeline for the columns to segment on (their reports, in file order)."""
    steps = []
    for report in reports:
        clip = PercentileClipper() if outliers == "clip" else "passthrough"
        if report.kind == "number":
            log = LogScale() if report.transform == "log" else "passthrough"
            transformer = Pipeline([("log", log), ("clip", clip), ("fill", SimpleImputer(strategy=median))])
        elif report.kind == "date":
            transformer = Pipeline(
                [("days", DaysBeforeLatest()), ("clip", clip), ("fill", SimpleImputer(strategy=median))]
            )
        else:
            transformer = Pipeline([("fill", MostFrequentFill()), ("encode", CategoryEncoder())])
        steps.append((report.column, transformer, [report.column]))
        for code in report.codes:
            key = _CODE_KEY.format(column=report.column, code=code)
            steps.append((key, "passthrough", [key]))
    # The column step stacks its outputs into a new array, which the scaler and the weights then
    # change in place: on a million rows each copy of the features costs more than the arithmetic.
    scale = {
        "standard": StandardScaler(copy=False),
        "robust": RobustScaler(copy=False),
        "minmax": MinMaxScaler(copy=False),
        "none": "passthrough",
    }[scaler]
    columns_step = ColumnTransformer(steps, remainder="drop", sparse_threshold=0.0, verbose_feature_names_out=False)
    return Pipeline([("columns", columns_step), ("scale", scale), ("weigh", FeatureWeights(copy=False))])


def model_input(values: pd.DataFrame, reports: list[ColumnReport], codes: pd.DataFrame) -> pd.DataFrame:
    """What the pipeline reads: float64 numbers, categories as read (text or numbers), 0/1 code columns.

    Parameters
    ----------
    values : DataFrame
        The columns in original units (codes already missing).
    reports : list of ColumnReport
        The columns to segment on.
    codes : DataFrame
        For each code of each column, 1.0 where the row held it (columns named by :func:`code_feature`).
    """
    out = {}
    for report in reports:
        out[report.column] = values[report.column]
        for code in report.codes:
            out[_CODE_KEY.format(column=report.column, code=code)] = codes[code_feature(report.column, code)]
    return pd.DataFrame(out, index=values.index)


def fit_transform(pipeline: Pipeline, frame: pd.DataFrame, reports: list[ColumnReport], *, weighting: str):
    """Fit the pipeline on ``frame`` and return the features and each column's feature names.

    Step by step (the same fitted objects the pipeline holds), because the weights of the last step
    depend on the features the first one produces and on the fitted scaler.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        columns_step, scale_step, weigh_step = (step for _, step in pipeline.steps)
        encoded = columns_step.fit_transform(frame)
        features = features_by_column(pipeline, reports)
        scaled = encoded if scale_step == "passthrough" else scale_step.fit_transform(encoded)
        weights = feature_weights(features, reports, scale_step, weighting=weighting)
        matrix = weigh_step.set_params(weights=list(weights)).fit_transform(scaled)
    return np.ascontiguousarray(matrix, dtype=np.float64), features


def apply(pipeline: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """A fitted pipeline applied to more rows (e.g. customers set aside as unusual)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return np.ascontiguousarray(pipeline.transform(frame), dtype=np.float64)


def features_by_column(pipeline: Pipeline, reports: list[ColumnReport]) -> dict[str, tuple[str, ...]]:
    """The features each column produced, in order (a column's name may contain ': ')."""
    transformers = pipeline.named_steps["columns"].named_transformers_
    features = {}
    for report in reports:
        column = report.column
        if report.kind == "date":
            produced = [f"{column} (days before latest)"]
        elif report.kind in {"flag", "category"}:
            categories = list(transformers[column].named_steps["encode"].categories_[0])
            shown = categories[1:] if report.kind == "flag" else categories
            produced = [f"{column}: {value}" for value in shown]
        else:
            produced = [column]
        produced += [code_feature(column, code) for code in report.codes]
        features[column] = tuple(produced)
    return features


def scaler_divisors(scaler, n_features: int) -> np.ndarray:
    """What the fitted scaler divides each feature by (``(x - centre) / divisor``)."""
    if isinstance(scaler, StandardScaler | RobustScaler):
        return np.asarray(scaler.scale_, dtype=np.float64)
    if isinstance(scaler, MinMaxScaler):
        return 1.0 / np.asarray(scaler.scale_, dtype=np.float64)
    return np.ones(n_features)


def feature_weights(
    features: dict[str, tuple[str, ...]], reports: list[ColumnReport], scaler, *, weighting: str
) -> np.ndarray:
    """Each feature's weight in the distance (see the module docstring).

    With ``"balanced"``, a category's 0/1 features are weighted ``unit * divisor`` and a yes/no
    feature (a flag, or a code of a number column) ``unit * sqrt(2) * divisor``: the weight undoes
    the scaler's division by the feature's spread, so a rare value is not stretched. ``unit`` is 1
    when numbers are standardised (spread 1) and ``1 / sqrt(2)`` for min-max and unscaled numbers,
    where a flag is then plain 0/1.
    """
    kinds = {r.column: r for r in reports}
    per_feature = []
    for column, produced in features.items():
        report = kinds[column]
        codes = {code_feature(column, code) for code in report.codes}
        for name in produced:
            per_feature.append("flag" if name in codes else report.kind)
    n = len(per_feature)
    if weighting == "equal":
        return np.ones(n)
    divisors = scaler_divisors(scaler, n)
    unit = 1.0 if isinstance(scaler, StandardScaler | RobustScaler) else 1.0 / np.sqrt(2.0)
    weights = np.ones(n)
    for i, kind in enumerate(per_feature):
        if kind == "category":
            weights[i] = unit * divisors[i]
        elif kind == "flag":
            weights[i] = unit * np.sqrt(2.0) * divisors[i]
    return weights

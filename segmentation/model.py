"""The fitted preparation as plain JSON, and applying it to new customers without scikit-learn state.

A run file must be safe to share and to load back (no pickle), and must let anyone, in any engine,
turn a new customer row into the same feature vector the segments were fitted on. This module
extracts the fitted parameters of the scikit-learn pipeline built by :func:`segmentation.prepare`
into a small dict (:func:`preparation_spec`) and applies such a dict to a table of new customers
with NumPy (:func:`apply_spec`); tests check that both paths give the same matrix.

The spec, per used column, in file order::

    {"column": "Age", "kind": "number", "fill": 36.0, "clip": [18.0, 68.0] | null,
     "features": ["Age"]}
    {"column": "Gender", "kind": "yes/no", "fill": "Female", "categories": ["Female", "Male"],
     "encoded": ["Male"], "features": ["Gender: Male"]}
    {"column": "Region", "kind": "category", "fill": "North", "categories": [...], "encoded": [...]}
    {"column": "Joined", "kind": "date", "latest": "2024-06-30T00:00:00", "fill": 120.0, "clip": ...}

and ``"scaler": {"kind": "standard", "center": [...], "scale": [...]}`` over all features, so that
``feature = (encoded - center) / scale``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from .errors import DataError
from .kmeans import assign
from .load import Table, load_table
from .prepare import PercentileClipper, Prepared, lenient_numbers
from .wording import quoted

__all__ = ["RunModel", "Scored", "apply_spec", "preparation_spec", "read_run_file", "score"]

#: The ``format`` field every run file carries.
RUN_FORMAT = "customer-segmentation-run"
#: Run files larger than this are refused before parsing (a real one is a few kilobytes).
MAX_RUN_FILE_BYTES = 5_000_000
_KINDS = {"number", "date", "yes/no", "category"}
_SCALERS = {"standard", "robust", "minmax", "none"}


def preparation_spec(prepared: Prepared) -> dict[str, Any]:
    """The fitted preparation of ``prepared`` as a JSON-ready dict (see the module docstring)."""
    transformers = prepared.pipeline.named_steps["columns"].named_transformers_
    kinds = {r.column: r for r in prepared.reports}
    columns = []
    for column in prepared.columns:
        report = kinds[column]
        steps = transformers[column].named_steps
        entry: dict[str, Any] = {"column": column, "kind": report.kind, "features": list(report.features)}
        if report.kind in {"number", "date"}:
            entry["fill"] = float(steps["fill"].statistics_[0])
            clip = steps.get("clip")
            entry["clip"] = (
                [float(clip.lower_[0]), float(clip.upper_[0])] if isinstance(clip, PercentileClipper) else None
            )
            if report.kind == "date":
                latest = pd.Timestamp(float(steps["days"].latest_[0]), unit="s")
                entry["latest"] = latest.isoformat()
                entry["date_format"] = report.date_format
        else:
            encoder = steps["encode"]
            categories = [str(c) for c in encoder.categories_[0]]
            entry["fill"] = str(steps["fill"].statistics_[0])
            entry["categories"] = categories
            entry["encoded"] = categories[1:] if report.kind == "yes/no" else categories
        columns.append(entry)

    n_features = len(prepared.feature_names)
    scaler = prepared.pipeline.named_steps["scale"]
    if isinstance(scaler, StandardScaler):
        kind, center, scale = "standard", scaler.mean_, scaler.scale_
    elif isinstance(scaler, RobustScaler):
        kind, center, scale = "robust", scaler.center_, scaler.scale_
    elif isinstance(scaler, MinMaxScaler):
        # scikit-learn computes x * scale_ + min_; the same map as (x - data_min_) / (1 / scale_).
        kind, center, scale = "minmax", scaler.data_min_, 1.0 / scaler.scale_
    else:
        kind, center, scale = "none", np.zeros(n_features), np.ones(n_features)
    # Category weights (see CategoryWeights) fold into the scale: (x - c) / s * w == (x - c) / (s / w).
    scale = np.asarray(scale, dtype=np.float64) / prepared.pipeline.named_steps["weigh"].weights_
    return {
        "columns": columns,
        "scaler": {"kind": kind, "center": [float(v) for v in center], "scale": [float(v) for v in scale]},
    }


def apply_spec(values: pd.DataFrame, spec: dict[str, Any]) -> np.ndarray:
    """Turn new customers into features with a preparation spec.

    Parameters
    ----------
    values : DataFrame
        One column per spec column, in original units: numbers as floats (NaN for missing), dates
        as datetimes, categories as text (missing allowed). Category values never seen in the fit
        encode as all zeros.
    spec : dict
        From :func:`preparation_spec` (or a run file's ``"preparation"``).

    Returns
    -------
    ndarray of shape (n_rows, n_features)
    """
    blocks = []
    for entry in spec["columns"]:
        series = values[entry["column"]]
        if entry["kind"] in {"number", "date"}:
            if entry["kind"] == "date":
                latest = pd.Timestamp(entry["latest"])
                x = ((latest - pd.to_datetime(series)).dt.total_seconds() / 86_400.0).to_numpy(dtype=np.float64)
            else:
                x = series.to_numpy(dtype=np.float64, na_value=np.nan)
            if entry.get("clip") is not None:
                x = np.clip(x, entry["clip"][0], entry["clip"][1])
            x = np.where(np.isnan(x), entry["fill"], x)
            blocks.append(x[:, None])
        else:
            text = series.astype(object).where(series.notna(), entry["fill"]).astype(str).to_numpy()
            blocks.append(np.column_stack([(text == value).astype(np.float64) for value in entry["encoded"]]))
    encoded = np.hstack(blocks) if blocks else np.empty((len(values), 0))
    scaler = spec["scaler"]
    # One formula for every scaler (min-max included), so the SQL and Spark engines can mirror it.
    center = np.asarray(scaler["center"], dtype=np.float64)
    scale = np.asarray(scaler["scale"], dtype=np.float64)
    return (encoded - center) / scale


# --------------------------------------------------------------------------------------------------
# Run files as models: validate, then score new customers


@dataclass(frozen=True)
class RunModel:
    """A validated run file: everything needed to put new customers into the same segments.

    Attributes
    ----------
    k : int
        Number of segments.
    columns : tuple of str
        The file columns the segments were made from.
    spec : dict
        The fitted preparation (see :func:`preparation_spec`).
    centers : ndarray of shape (k, n_features)
        Segment centres in the scaled space, segment 1 first.
    names : tuple of str
        Segment names, segment 1 first.
    feature_names : tuple of str
    source : dict
        The whole run file, as read.
    """

    k: int
    columns: tuple[str, ...]
    spec: dict[str, Any]
    centers: np.ndarray
    names: tuple[str, ...]
    feature_names: tuple[str, ...]
    source: dict[str, Any]


@dataclass(frozen=True)
class Scored:
    """New customers put into the segments of a run file.

    Attributes
    ----------
    table : Table
        The new file as read, every row.
    labels : ndarray of int
        Segment of each row, ``1..k``; ``0`` when the row has no value in any model column.
    distance : ndarray of float
        Distance to the segment's centre in the scaled space (NaN when not segmented).
    names : tuple of str
        Segment names, segment 1 first.
    notes : tuple of str
        What the user should know: unseen category values, unreadable cells, rows not segmented.
    """

    table: Table
    labels: np.ndarray
    distance: np.ndarray
    names: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def sizes(self) -> tuple[int, ...]:
        """Customers per segment, segment 1 first."""
        return tuple(int(c) for c in np.bincount(self.labels, minlength=len(self.names) + 1)[1:])


def read_run_file(source: bytes | str | Path | dict[str, Any]) -> RunModel:
    """Read and validate a run file (JSON) field by field; nothing in it is ever executed.

    Parameters
    ----------
    source : bytes, str, Path or dict
        The JSON bytes or text, a path to the file, or the parsed dict.

    Returns
    -------
    RunModel

    Raises
    ------
    DataError
        If the file is not a run file of this tool or any field is missing or malformed; the
        message names the field.
    """
    if isinstance(source, dict):
        data = source
    else:
        if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
            try:
                raw = Path(source).read_bytes()
            except OSError:
                raise DataError(f"There is no run file at '{source}'.") from None
        else:
            raw = source.encode() if isinstance(source, str) else bytes(source)
        if len(raw) > MAX_RUN_FILE_BYTES:
            raise DataError("This run file is too large to be one (run files are a few kilobytes).")
        try:
            data = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError):
            raise DataError(
                "This is not a run file: it is not valid JSON. Use the run file (JSON) downloaded "
                "from the clusters page or written by 'segment --config'."
            ) from None
    return _validate(data)


def score(data: Table | pd.DataFrame | bytes | str | Path, model: RunModel | dict[str, Any]) -> Scored:
    """Put new customers into the segments of a run file, with the same preparation.

    Parameters
    ----------
    data : Table, DataFrame, bytes, str or Path
        The new customers: a loaded table, a DataFrame, or a file's bytes or path.
    model : RunModel or dict
        A run file (validated with :func:`read_run_file` when a dict is given).

    Returns
    -------
    Scored

    Raises
    ------
    DataError
        If a model column is missing from the new file or a number/date column now holds text.

    Examples
    --------
    >>> import segmentation as sg
    >>> table = sg.load_table(b"Spend,Visits\\n1,2\\n2,1\\n50,40\\n52,41\\n")
    >>> segmentation = sg.fit(sg.prepare(table), 2)
    >>> model = sg.run_config(segmentation)
    >>> score(b"Visits,Spend\\n39,51\\n1,1\\n", model).labels.tolist()
    [2, 1]
    """
    if not isinstance(model, RunModel):
        model = read_run_file(model)
    if isinstance(data, Table):
        table = data
    elif isinstance(data, pd.DataFrame):
        from .prepare import _table_from_frame

        table = _table_from_frame(data)
    else:
        table = load_table(data)

    missing = [c for c in model.columns if c not in table.columns]
    if missing:
        raise DataError(
            f"The new file has no column {quoted(missing)}, which the segments were made from. "
            f"Its columns are: {quoted(table.columns)}. Rename the columns to match, or make new segments."
        )
    values, notes = _model_values(table, model)
    present = values.notna().any(axis=1).to_numpy()
    labels = np.zeros(table.n_rows, dtype=np.int64)
    distance = np.full(table.n_rows, np.nan)
    if present.any():
        X = apply_spec(values.loc[present], model.spec)
        nearest, squared = assign(X, model.centers)
        labels[present] = nearest + 1
        distance[present] = np.sqrt(squared)
    if (~present).any():
        notes.append(
            f"{int((~present).sum()):,} row(s) have no value in any of the model's columns; "
            "they stay in the download with an empty Segment."
        )
    return Scored(table=table, labels=labels, distance=distance, names=model.names, notes=tuple(notes))


def _model_values(table: Table, model: RunModel) -> tuple[pd.DataFrame, list[str]]:
    """The new file's model columns in original units, read the way the fit read them."""
    values, notes = {}, []
    for entry in model.spec["columns"]:
        column, kind = entry["column"], entry["kind"]
        series = table.frame[column]
        if kind == "number":
            if pd.api.types.is_numeric_dtype(series):
                numbers = series.astype("float64")
                bad = pd.Series(False, index=series.index)
            else:
                numbers, _, bad = lenient_numbers(series, decimal=table.decimal)
            present = int(series.notna().sum())
            if present and bad.sum() > 0.5 * present:
                example = series[bad].iloc[0]
                raise DataError(
                    f"Column '{column}' held numbers when the segments were made, but in this file it "
                    f"holds text (e.g. '{example}' in row {int(np.flatnonzero(bad.to_numpy())[0]) + 1:,}). "
                    "Check that it is the same column."
                )
            if bad.any():
                notes.append(
                    f"Column '{column}' has {int(bad.sum()):,} cell(s) that are not numbers; treated as missing."
                )
            numbers = numbers.where(np.isfinite(numbers))
            values[column] = numbers
        elif kind == "date":
            text = series.astype("str") if not pd.api.types.is_numeric_dtype(series) else series.astype(str)
            dates = pd.to_datetime(text, format=entry.get("date_format") or None, errors="coerce")
            bad = series.notna() & dates.isna()
            if series.notna().sum() and bad.sum() > 0.5 * series.notna().sum():
                raise DataError(
                    f"Column '{column}' held dates when the segments were made, but most of its values "
                    f"here are not dates in the same format (e.g. '{series[bad].iloc[0]}')."
                )
            values[column] = dates
        else:
            text = series.astype("str").where(series.notna())
            if pd.api.types.is_numeric_dtype(series):
                text = table.raw[column].str.strip().where(series.notna())
            known = set(entry["categories"])
            unseen = text.notna() & ~text.isin(known)
            if unseen.any():
                counts = text[unseen].value_counts()
                listed = ", ".join(f"'{v}' ({n:,} row{'s' if n > 1 else ''})" for v, n in counts.iloc[:4].items())
                notes.append(
                    f"Column '{column}' has values not seen when the segments were made: {listed}; "
                    "those customers count as having none of the known values."
                )
            values[column] = text
    return pd.DataFrame(values, index=table.raw.index), notes


def _validate(data: Any) -> RunModel:
    def fail(field: str, what: str) -> DataError:
        return DataError(f"This run file is not valid: '{field}' {what}. Download the run file again from the app.")

    if not isinstance(data, dict) or data.get("format") != RUN_FORMAT:
        raise DataError(
            "This is not a run file of this tool (its 'format' is not "
            f"'{RUN_FORMAT}'). Use the run file (JSON) downloaded from the clusters page."
        )
    if data.get("version") != 1:
        raise fail("version", "must be 1 (this tool reads run files of version 1)")
    options = data.get("options")
    if not isinstance(options, dict):
        raise fail("options", "is missing")
    k = options.get("k")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 30:
        raise fail("options.k", "must be a whole number from 1 to 30")
    prep = data.get("preparation")
    if not isinstance(prep, dict) or not isinstance(prep.get("columns"), list) or not prep["columns"]:
        raise fail("preparation.columns", "must be a non-empty list")
    n_features = 0
    columns = []
    for i, entry in enumerate(prep["columns"]):
        where = f"preparation.columns[{i}]"
        if not isinstance(entry, dict):
            raise fail(where, "must be an object")
        if not isinstance(entry.get("column"), str) or not entry["column"]:
            raise fail(f"{where}.column", "must be a column name")
        kind = entry.get("kind")
        if kind not in _KINDS:
            raise fail(f"{where}.kind", f"must be one of {sorted(_KINDS)}")
        if kind in {"number", "date"}:
            if not _finite(entry.get("fill")):
                raise fail(f"{where}.fill", "must be a number")
            clip = entry.get("clip")
            if clip is not None and not (
                isinstance(clip, list) and len(clip) == 2 and all(map(_finite, clip)) and clip[0] <= clip[1]
            ):
                raise fail(f"{where}.clip", "must be null or [low, high]")
            if kind == "date":
                try:
                    pd.Timestamp(str(entry.get("latest")))
                except ValueError:
                    raise fail(f"{where}.latest", "must be a date") from None
                if not isinstance(entry.get("date_format", ""), str):
                    raise fail(f"{where}.date_format", "must be text")
            n_features += 1
        else:
            categories, encoded = entry.get("categories"), entry.get("encoded")
            if not (isinstance(categories, list) and categories and all(isinstance(c, str) for c in categories)):
                raise fail(f"{where}.categories", "must be a list of values")
            if not (
                isinstance(encoded, list) and encoded and all(isinstance(c, str) and c in categories for c in encoded)
            ):
                raise fail(f"{where}.encoded", "must list values of 'categories'")
            if not isinstance(entry.get("fill"), str):
                raise fail(f"{where}.fill", "must be a value")
            n_features += len(encoded)
        columns.append(entry["column"])
    if len(set(columns)) != len(columns):
        raise fail("preparation.columns", "names a column twice")
    scaler = prep.get("scaler")
    if not isinstance(scaler, dict) or scaler.get("kind") not in _SCALERS:
        raise fail("preparation.scaler.kind", f"must be one of {sorted(_SCALERS)}")
    for key in ("center", "scale"):
        vector = scaler.get(key)
        if not (isinstance(vector, list) and len(vector) == n_features and all(map(_finite, vector))):
            raise fail(f"preparation.scaler.{key}", f"must be {n_features} numbers")
    if any(v == 0 for v in scaler["scale"]):
        raise fail("preparation.scaler.scale", "must not contain 0")
    centers = data.get("centers")
    if not (
        isinstance(centers, list)
        and len(centers) == k
        and all(isinstance(row, list) and len(row) == n_features and all(map(_finite, row)) for row in centers)
    ):
        raise fail("centers", f"must be {k} lists of {n_features} numbers")
    names = data.get("segment_names")
    if not (isinstance(names, list) and len(names) == k and all(isinstance(n, str) and len(n) <= 200 for n in names)):
        raise fail("segment_names", f"must be {k} names of at most 200 characters")
    feature_names = data.get("feature_names", [])
    if not (isinstance(feature_names, list) and all(isinstance(f, str) for f in feature_names)):
        raise fail("feature_names", "must be a list of names")
    return RunModel(
        k=k,
        columns=tuple(columns),
        spec=prep,
        centers=np.asarray(centers, dtype=np.float64),
        names=tuple(names),
        feature_names=tuple(feature_names),
        source=data,
    )


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a run file")

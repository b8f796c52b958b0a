"""The fitted preparation as plain JSON, and applying it to new customers without scikit-learn state.

A run file must be safe to share and to load back (no pickle), and must let anyone, in any engine,
turn a new customer row into the same feature vector the segments were fitted on. This module
extracts the fitted parameters of the scikit-learn pipeline built by :func:`segmentation.prepare`
into a small dict (:func:`preparation_spec`) and applies such a dict to a table of new customers
with NumPy (:func:`apply_spec`); tests check that both paths give the same matrix.

The spec, per used column, in file order::

    {"column": "Age", "kind": "number", "fill": 36.0, "clip": [18.0, 68.0] | null,
     "range": [18.0, 70.0], "features": ["Age"]}
    {"column": "Gender", "kind": "yes/no", "fill": "Female", "categories": ["Female", "Male"],
     "encoded": ["Male"], "features": ["Gender: Male"]}
    {"column": "Region", "kind": "category", "fill": "North", "categories": [...], "encoded": [...]}
    {"column": "Joined", "kind": "date", "latest": "2024-06-30T00:00:00", "fill": 120.0, "clip": ...}

and ``"scaler": {"kind": "standard", "center": [...], "scale": [...]}`` over all features, so that
``feature = (encoded - center) / scale``. A number's ``"fill"`` is its median and ``"range"`` the
lowest and highest value of the data the segments were made from (absent in older run files); scoring
only uses them to warn when new numbers look like another unit.
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

from .cells import lenient_numbers
from .dates import DATE_FORMATS
from .errors import DataError
from .load import Table, load_table
from .nearest import assign
from .prepare import PercentileClipper, Prepared
from .wording import clipped, number, quoted

__all__ = ["RunModel", "Scored", "apply_spec", "preparation_spec", "read_run_file", "score"]

#: The ``format`` field every run file carries.
RUN_FORMAT = "customer-segmentation-run"
#: Run files larger than this are refused before parsing (a real one is a few kilobytes).
MAX_RUN_FILE_BYTES = 5_000_000
_KINDS = {"number", "date", "yes/no", "category"}
_SCALERS = {"standard", "robust", "minmax", "none"}
_OUTLIERS = {"keep", "clip"}


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
            if report.kind == "number":
                # What scoring compares new numbers with, to catch a file in other units.
                seen = prepared.values[column].iloc[prepared.rows].to_numpy(dtype=np.float64, na_value=np.nan)
                seen = seen[np.isfinite(seen)]
                entry["range"] = [float(seen.min()), float(seen.max())] if seen.size else None
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
    file_name : str
        Name of the file the segments were made from (``""`` when the run file does not say).
    """

    k: int
    columns: tuple[str, ...]
    spec: dict[str, Any]
    centers: np.ndarray
    names: tuple[str, ...]
    feature_names: tuple[str, ...]
    source: dict[str, Any]
    file_name: str = ""


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
            except (OSError, ValueError):  # ValueError: a NUL character in the path
                raise DataError(f"There is no run file at '{source}'.") from None
        else:
            raw = source.encode() if isinstance(source, str) else bytes(source)
        if len(raw) > MAX_RUN_FILE_BYTES:
            raise DataError("This run file is too large to be one (run files are a few kilobytes).")
        try:
            data = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            raise DataError(
                "This is not a run file: it is not valid JSON. Use the run file (JSON) downloaded "
                "from the Segments page or written by 'segment --config'."
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
        table = Table.from_frame(data)
    else:
        table = load_table(data, min_rows=1)  # one new customer can be scored

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
    """The new file's model columns in original units, read the way the fit read them, and the notes."""
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
            if numbers.notna().any():
                note = units_note(entry, float(numbers.median()))
                if note:
                    notes.append(note)
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
            unseen = text.notna() & ~text.isin(entry["categories"])
            if unseen.any():
                counts = text[unseen].value_counts()
                examples = list(zip(counts.index[:4], counts.iloc[:4].tolist(), strict=True))
                notes.append(unseen_note(entry, examples, total=int(unseen.sum()), distinct=len(counts)))
                if kind == "yes/no":
                    # A yes/no column is one 0/1 feature, so an unseen value would encode as 0, the
                    # first known value, and silently count as it: it counts as missing instead.
                    text = text.where(~unseen)
            # In a category, an unseen value encodes as a 0 for every known value (what scikit-learn's
            # OneHotEncoder(handle_unknown="ignore") does): distinct from all of them, so it stays.
            values[column] = text
    return pd.DataFrame(values, index=table.raw.index), notes


def unseen_note(entry: dict[str, Any], examples: list[tuple[str, int]], *, total: int, distinct: int) -> str:
    """The note for values of a yes/no or category column that were not seen in the fit.

    Shared by the engines, so they word it alike.

    Parameters
    ----------
    entry : dict
        The column's entry in the preparation spec.
    examples : list of (value, count)
        The most frequent unseen values with their number of rows, most frequent first.
    total : int
        Cells holding an unseen value.
    distinct : int
        Different unseen values.

    Returns
    -------
    str

    Examples
    --------
    >>> entry = {"column": "Gender", "kind": "yes/no", "fill": "Female", "categories": ["Female", "Male"]}
    >>> note = unseen_note(entry, [("unknown", 3)], total=3, distinct=1)
    >>> "'unknown' (3 rows)" in note, note.endswith("filled with 'Female', as empty cells are.")
    (True, True)
    """
    listed = ", ".join(f"'{clipped(value, 40)}' ({n:,} row{'s' if n > 1 else ''})" for value, n in examples)
    if distinct > len(examples):
        listed += f" and {distinct - len(examples):,} other value(s)"
    head = (
        f"Column '{entry['column']}' has {total:,} cell(s) with values not seen when the segments were made: {listed}; "
    )
    if entry["kind"] == "yes/no":
        return head + f"they count as missing and are filled with '{entry['fill']}', as empty cells are."
    categories = entry["categories"]
    known = quoted(clipped(c, 40) for c in categories[:6]) + (", ..." if len(categories) > 6 else "")
    return (
        head + f"those customers count as having none of the known values ({known}), rather than the most common one."
    )


def units_note(entry: dict[str, Any], median: float) -> str | None:
    """A warning when a number column's median in a new file is far from the data the segments were made from.

    Far means more than 10 times the median the segments were made from, or less than a tenth of
    it, or beyond its lowest..highest values (``entry["range"]``, when the run file has it) by more
    than their distance: the usual sign of another unit, such as dollars where the segments were
    made on thousands of dollars.

    Parameters
    ----------
    entry : dict
        The column's entry in the preparation spec (``"fill"`` is the median it was fitted with).
    median : float
        The column's median in the new file.

    Returns
    -------
    str or None
        The note, or None when the numbers look like the ones the segments were made from.

    Examples
    --------
    >>> entry = {"column": "Income (k$)", "fill": 60.0, "range": [15.0, 140.0]}
    >>> units_note(entry, 61.0) is None, units_note(entry, 61_500.0)[:40]
    (True, "Column 'Income (k$)' has a median of 61,")
    """
    typical = float(entry["fill"])
    seen = entry.get("range")
    far = typical != 0 and not abs(typical) / 10 <= abs(median) <= 10 * abs(typical)
    # Beyond the range by more than its own width: older customers than any seen are no reason.
    span = 0.0 if seen is None else seen[1] - seen[0]
    outside = seen is not None and not seen[0] - span <= median <= seen[1] + span
    if not (far or outside):
        return None
    then = f"median {number(typical)}" + (f", from {number(seen[0])} to {number(seen[1])}" if seen else "")
    return (
        f"Column '{entry['column']}' has a median of {number(median)} in this file, far from the numbers the "
        f"segments were made from ({then}). Check that it is in the same unit (e.g. dollars, not thousands of "
        "dollars): its customers were put into segments as if it were, which may be wrong."
    )


# --------------------------------------------------------------------------------------------------
# Validation: every field anything reads, by type and shape, so a hand-edited file fails here with
# the field's name, never later with a traceback


def _invalid(field: str, what: str) -> DataError:
    return DataError(f"This run file is not valid: '{field}' {what}. Download the run file again from the app.")


def _validate(data: Any) -> RunModel:
    if not isinstance(data, dict) or data.get("format") != RUN_FORMAT:
        raise DataError(
            "This is not a run file of this tool (its 'format' is not "
            f"'{RUN_FORMAT}'). Use the run file (JSON) downloaded from the Segments page."
        )
    if not _whole(data.get("version")) or data["version"] != 1:
        raise _invalid("version", "must be 1 (this tool reads run files of version 1)")
    if data.get("created_with") is not None and not isinstance(data["created_with"], str):
        raise _invalid("created_with", "must be text")
    file_name = _check_file(data.get("file"))
    options = data.get("options")
    if not isinstance(options, dict):
        raise _invalid("options", "must be an object")
    k = options.get("k")
    if not _whole(k) or not 1 <= k <= 30:
        raise _invalid("options.k", "must be a whole number from 1 to 30")

    prep = data.get("preparation")
    if not isinstance(prep, dict):
        raise _invalid("preparation", "must be an object")
    entries = prep.get("columns")
    if not (isinstance(entries, list) and entries):
        raise _invalid("preparation.columns", "must be a non-empty list")
    n_features = sum(_check_entry(entry, f"preparation.columns[{i}]") for i, entry in enumerate(entries))
    columns = [entry["column"] for entry in entries]
    if len(set(columns)) != len(columns):
        raise _invalid("preparation.columns", "names a column twice")
    _check_options(options, columns)

    scaler = prep.get("scaler")
    if not isinstance(scaler, dict):
        raise _invalid("preparation.scaler", "must be an object")
    if not (isinstance(scaler.get("kind"), str) and scaler["kind"] in _SCALERS):
        raise _invalid("preparation.scaler.kind", f"must be one of {sorted(_SCALERS)}")
    for key in ("center", "scale"):
        if not _numbers(scaler.get(key), n_features):
            raise _invalid(f"preparation.scaler.{key}", f"must be {n_features} numbers")
    if any(v <= 0 for v in scaler["scale"]):
        raise _invalid("preparation.scaler.scale", "must hold positive numbers only (0 would divide by zero)")

    centers = data.get("centers")
    if not (isinstance(centers, list) and len(centers) == k and all(_numbers(row, n_features) for row in centers)):
        raise _invalid("centers", f"must be {k} lists of {n_features} numbers")
    names = data.get("segment_names")
    if not (isinstance(names, list) and len(names) == k and all(isinstance(n, str) and len(n) <= 200 for n in names)):
        raise _invalid("segment_names", f"must be {k} names of at most 200 characters")
    feature_names = data.get("feature_names", [])
    if not (isinstance(feature_names, list) and all(isinstance(f, str) for f in feature_names)) or (
        feature_names and len(feature_names) != n_features
    ):
        raise _invalid("feature_names", f"must be a list of {n_features} names")
    sizes = data.get("sizes")
    if sizes is not None and not (
        isinstance(sizes, list) and len(sizes) == k and all(_whole(s) and s >= 0 for s in sizes)
    ):
        raise _invalid("sizes", f"must be {k} whole numbers")
    for key in ("inertia", "silhouette"):
        if data.get(key) is not None and not _finite(data[key]):
            raise _invalid(key, "must be a number")
    return RunModel(
        k=k,
        columns=tuple(columns),
        spec=prep,
        centers=np.asarray(centers, dtype=np.float64),
        names=tuple(names),
        feature_names=tuple(feature_names),
        source=data,
        file_name=file_name,
    )


def _check_file(file: Any) -> str:
    """The ``file`` block (what the segments were made from), checked; returns its name."""
    if file is None:
        return ""
    if not isinstance(file, dict):
        raise _invalid("file", "must be an object")
    name = file.get("name")
    if name is not None and not (isinstance(name, str) and len(name) <= 1000):
        raise _invalid("file.name", "must be a file name of at most 1,000 characters")
    for key in ("sha256", "format", "delimiter", "encoding", "decimal"):
        if file.get(key) is not None and not isinstance(file[key], str):
            raise _invalid(f"file.{key}", "must be text")
    rows = file.get("rows")
    if rows is not None and not (_whole(rows) and rows >= 0):
        raise _invalid("file.rows", "must be a whole number")
    return name or ""


def _check_options(options: dict[str, Any], columns: list[str]) -> None:
    features = options.get("features")
    if features is not None and not (
        isinstance(features, list) and all(isinstance(f, str) for f in features) and set(features) == set(columns)
    ):
        raise _invalid("options.features", "must list the columns of 'preparation.columns'")
    scaler = options.get("scaler")
    if scaler is not None and not (isinstance(scaler, str) and scaler in _SCALERS):
        raise _invalid("options.scaler", f"must be one of {sorted(_SCALERS)}")
    outliers = options.get("outliers")
    if outliers is not None and not (isinstance(outliers, str) and outliers in _OUTLIERS):
        raise _invalid("options.outliers", f"must be one of {sorted(_OUTLIERS)}")
    if options.get("seed") is not None and not _whole(options["seed"]):
        raise _invalid("options.seed", "must be a whole number")


def _check_entry(entry: Any, where: str) -> int:
    """Check one column of the preparation spec; returns its number of features."""
    if not isinstance(entry, dict):
        raise _invalid(where, "must be an object")
    if not isinstance(entry.get("column"), str) or not entry["column"]:
        raise _invalid(f"{where}.column", "must be a column name")
    kind = entry.get("kind")
    if not (isinstance(kind, str) and kind in _KINDS):
        raise _invalid(f"{where}.kind", f"must be one of {sorted(_KINDS)}")
    if kind in {"number", "date"}:
        if not _finite(entry.get("fill")):
            raise _invalid(f"{where}.fill", "must be a number")
        if entry.get("clip") is not None and not _bounds(entry["clip"]):
            raise _invalid(f"{where}.clip", "must be null or [low, high]")
        if kind == "number" and entry.get("range") is not None and not _bounds(entry["range"]):
            raise _invalid(f"{where}.range", "must be null or [lowest, highest]")
        if kind == "date":
            if not _timestamp(entry.get("latest")):
                raise _invalid(f"{where}.latest", "must be a date and time such as '2024-06-30T00:00:00'")
            date_format = entry.get("date_format")
            # Only the formats the loader reads: the SQL and Spark engines translate exactly these.
            if date_format not in (None, "", *DATE_FORMATS):
                raise _invalid(
                    f"{where}.date_format",
                    f"must be one of the date formats this tool reads ({', '.join(DATE_FORMATS)})",
                )
        n_features = 1
    else:
        categories = entry.get("categories")
        if not (
            isinstance(categories, list)
            and len(categories) >= 2
            and all(isinstance(c, str) for c in categories)
            and len(set(categories)) == len(categories)
        ):
            raise _invalid(f"{where}.categories", "must be a list of at least 2 different values")
        if kind == "yes/no" and len(categories) != 2:
            raise _invalid(f"{where}.categories", "must hold exactly 2 values for a yes/no column")
        # What the writers write: a yes/no column encodes its second value, a category every value.
        expected = categories[1:] if kind == "yes/no" else categories
        if entry.get("encoded") != expected:
            raise _invalid(f"{where}.encoded", f"must list the values {quoted(expected)} of 'categories'")
        if not (isinstance(entry.get("fill"), str) and entry["fill"] in categories):
            raise _invalid(f"{where}.fill", "must be one of the values in 'categories'")
        n_features = len(expected)
    features = entry.get("features")
    if features is not None and not (
        isinstance(features, list) and len(features) == n_features and all(isinstance(f, str) for f in features)
    ):
        raise _invalid(f"{where}.features", f"must be a list of {n_features} feature name(s)")
    return n_features


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _numbers(values: Any, n: int) -> bool:
    return isinstance(values, list) and len(values) == n and all(map(_finite, values))


def _bounds(values: Any) -> bool:
    return _numbers(values, 2) and values[0] <= values[1]


def _timestamp(value: Any) -> bool:
    """Whether ``value`` is text pandas reads as one date and time without a time zone."""
    if not isinstance(value, str):
        return False
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return not pd.isna(stamp) and stamp.tz is None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a run file")

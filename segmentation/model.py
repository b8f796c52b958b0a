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

from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from .prepare import PercentileClipper, Prepared

__all__ = ["apply_spec", "preparation_spec"]


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

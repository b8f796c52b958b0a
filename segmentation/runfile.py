"""The run file: a segmentation and its fitted preparation as plain JSON, written and read back.

A run file must be safe to share and to load back (no pickle), and must let anyone, in any engine,
turn a new customer row into the same feature vector the segments were fitted on. This module writes
it (:func:`run_config`, with the fitted scikit-learn pipeline as :func:`preparation_spec`) and reads
it back (:func:`read_run_file`, in :mod:`segmentation.run_model`, which checks every field so that
a hand-edited file fails with the field's name); :mod:`segmentation.scoring` puts new customers into
its segments.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from .describe import Profile
from .fit import Segmentation
from .pipeline import LogScale, PercentileClipper
from .prepare import Prepared
from .run_model import MAX_RUN_FILE_BYTES, RUN_FORMAT, RUN_VERSION, RunModel, read_run_file
from .transactions import Rollup

__all__ = [
    "MAX_RUN_FILE_BYTES",
    "RUN_FORMAT",
    "RUN_VERSION",
    "RunModel",
    "preparation_spec",
    "read_run_file",
    "run_config",
    "run_config_json",
    "run_document",
]


def preparation_spec(prepared: Prepared) -> dict[str, Any]:
    """The fitted preparation of ``prepared`` as a JSON-ready dict, the run file's ``"preparation"``.

    Notes
    -----
    The spec, per column segmented on, in file order::

        {"column": "Age", "kind": "number", "fill": 36.0, "clip": [18.0, 68.0] | null,
         "range": [18.0, 70.0], "features": ["Age"]}
        {"column": "pdays", "kind": "number", "codes": [-1.0], "log_unit": 180.0, "fill": 1.2,
         "clip": null, "range": [1.0, 871.0], "features": ["pdays", "pdays: -1"]}
        {"column": "Gender", "kind": "flag", "fill": "Female", "categories": ["Female", "Male"],
         "encoded": ["Male"], "features": ["Gender: Male"]}
        {"column": "Region", "kind": "category", "fill": "North", "categories": [...], "encoded": [...]}
        {"column": "Browser", "kind": "category", "numbers": true, "categories": ["1", "2", ...], ...}
        {"column": "Joined", "kind": "date", "latest": "2024-06-30T00:00:00", "fill": 120.0, "clip": ...}

    and ``"scaler": {"kind": "standard", "center": [...], "scale": [...]}`` over all features, so that
    ``feature = (encoded - center) / scale`` (the weights are folded into ``scale``). A number's
    ``"codes"`` count as missing and each is a 0/1 feature of its own, after the number's; with
    ``"log_unit"`` the number is compared as ``log(1 + max(x, 0) / log_unit)`` before clipping and
    filling; ``"fill"`` is its median (on that scale) and ``"range"`` the lowest and highest value of
    the data the segments were made from, which scoring uses to warn when new numbers look like
    another unit. A category or flag with ``"numbers": true`` holds numbers in the file, written as
    :func:`segmentation.cells.number_text`. A flag whose two values read as yes and no (``Yes``/``No``,
    ``TRUE``/``FALSE``, ``1``/``0`` ...) matches new values by that meaning, so it scores the same as
    text, a boolean or 0/1.
    """
    transformers = prepared.pipeline.named_steps["columns"].named_transformers_
    kinds = {r.column: r for r in prepared.reports}
    columns = []
    for column in prepared.columns:
        report = kinds[column]
        steps = transformers[column].named_steps
        entry: dict[str, Any] = {"column": column, "kind": report.kind, "features": list(report.features)}
        if report.kind in {"number", "date"}:
            if report.codes:
                entry["codes"] = [float(code) for code in report.codes]
            log = steps.get("log")
            if isinstance(log, LogScale):
                entry["log_unit"] = float(log.unit_[0])
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
            entry["encoded"] = categories[1:] if report.kind == "flag" else categories
            if report.from_numbers:
                entry["numbers"] = True
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
    # The weights (see segmentation.pipeline) fold into the scale: (x - c) / s * w == (x - c) / (s / w).
    scale = np.asarray(scale, dtype=np.float64) / prepared.pipeline.named_steps["weigh"].weights_
    return {
        "columns": columns,
        "scaler": {"kind": kind, "center": [float(v) for v in center], "scale": [float(v) for v in scale]},
    }


def run_config(
    segmentation: Segmentation,
    *,
    profile: Profile | None = None,
    names: list[str] | tuple[str, ...] | None = None,
    rollup: Rollup | None = None,
) -> dict[str, Any]:
    """The run as a JSON-ready dict: enough to reproduce it, and to score new customers.

    It holds no timestamp, so the same run always gives the same bytes. Give ``rollup`` when the
    customers were rolled up from a transaction log: the run file then carries the roll-up's
    definitions (``"transactions"``), so a new log is rolled up the same way before it is scored.
    """
    prepared = segmentation.prepared
    return run_document(
        segmentation,
        table=prepared.table,
        rows=prepared.table.n_rows,
        preparation=preparation_spec(prepared),
        profile=profile,
        names=names,
        transactions=None if rollup is None else rollup.definitions(),
    )


def run_document(
    segmentation,
    *,
    table,
    rows: int,
    preparation: dict[str, Any],
    profile: Profile | None = None,
    names=None,
    engine: str = "",
    transactions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run file's fields, for any engine's segmentation (same attribute names as :class:`Segmentation`).

    One writer for the schema :func:`segmentation.read_run_file` validates, so a run file from the
    Spark engine and one from the default engine differ only in their numbers. ``transactions`` is
    a roll-up's :meth:`~segmentation.Rollup.definitions` when the customers came from a log.
    """
    from . import __version__

    prepared = segmentation.prepared
    if names is None:
        names = profile.names if profile is not None else [f"Segment {i}" for i in range(1, segmentation.k + 1)]
    return {
        "format": RUN_FORMAT,
        "version": RUN_VERSION,
        "created_with": f"segmentation {__version__}" + (f" ({engine})" if engine else ""),
        "file": {
            "name": table.name,
            "sha256": table.file_hash,
            "rows": rows,
            "format": table.format,
            "delimiter": table.delimiter,
            "encoding": table.encoding,
            "decimal": table.decimal,
        },
        "options": {
            "features": list(prepared.columns),
            "scaler": prepared.scaler,
            "outliers": prepared.outliers,
            "weighting": getattr(prepared, "weighting", "balanced"),
            "transform": getattr(prepared, "transform", "auto"),
            "seed": segmentation.random_state,
            "k": segmentation.k,
        },
        # Every column of the file, as the preparation read it: what it is and what it was for.
        "columns": [
            {"name": r.column, "kind": r.kind, "role": r.role, "transform": r.transform} for r in prepared.reports
        ],
        "preparation": preparation,
        "feature_names": list(prepared.feature_names),
        "centers": [[float(v) for v in row] for row in segmentation.centers],
        "segment_names": [str(n) for n in names],
        "sizes": list(segmentation.sizes),
        "inertia": float(segmentation.inertia),
        "silhouette": None if segmentation.silhouette is None else float(segmentation.silhouette),
        **({} if transactions is None else {"transactions": dict(transactions)}),
    }


def run_config_json(segmentation: Segmentation, **options) -> str:
    """:func:`run_config` as pretty JSON text."""
    return json.dumps(run_config(segmentation, **options), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

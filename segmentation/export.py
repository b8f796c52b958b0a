"""Give the results back: labelled customers, the segment summary and the run file.

* :func:`labelled_csv`: every row of the uploaded file, in its order, every original cell exactly as
  read, plus ``Segment`` (1..K, empty for rows that could not be segmented) and ``Segment name``.
* :func:`summary_csv`: one row per segment with sizes, averages and shares.
* :func:`run_config`: the run as JSON (file hash, options, seed, K, features, fitted preparation,
  centres, names), enough to reproduce it and to score new customers.

Every CSV is written for spreadsheets: UTF-8 with a byte-order mark (so Excel shows accents), and any
text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
so a spreadsheet shows it as text instead of running it as a formula (OWASP "CSV injection").
Plain numbers such as ``-12.5``, ``+3``, ``-1.234,5`` or ``-12%`` are left alone.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import numpy as np
import pandas as pd

from .describe import Profile
from .fit import Segmentation
from .model import RUN_FORMAT, Scored, preparation_spec

__all__ = [
    "FORMULA_PREFIX",
    "RUN_FORMAT",
    "labelled_csv",
    "labelled_frame",
    "neutralise",
    "neutralise_frame",
    "run_config",
    "run_config_json",
    "scored_csv",
    "summary_csv",
    "summary_frame",
]

#: Prepended to a text cell that a spreadsheet would otherwise read as a formula.
FORMULA_PREFIX = "'"
RUN_VERSION = 1

_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
# A signed number, also with thousands separators or a percent sign ("-1.234,5", "-1,234.50",
# "-12%"): digits and separators cannot call a function, so the cell stays a number.
_PLAIN_NUMBER = re.compile(r"^[+-]?(?=[.,]?\d)(\d{1,3}([.,\u00a0\u202f ]\d{3})+|\d*)([.,]\d*)?([eE][+-]?\d+)?%?$")
_PLAIN_NUMBER_PATTERN = _PLAIN_NUMBER.pattern


def neutralise(value: object) -> object:
    """Prefix a text value that a spreadsheet would run as a formula; leave anything else alone.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-12.5"), neutralise("@SUM(A1)")
    ('\\'=HYPERLINK("http://x")', '-12.5', "'@SUM(A1)")
    """
    if isinstance(value, str) and _FORMULA_START.match(value) and not _PLAIN_NUMBER.match(value):
        return FORMULA_PREFIX + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Neutralise every text cell and every column name of ``frame`` (vectorised)."""
    names, columns = [], []
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            text = series.astype("str")
            risky = text.str.match(_FORMULA_START.pattern) & ~text.str.match(_PLAIN_NUMBER_PATTERN)
            risky &= series.notna()
            if risky.any():
                series = series.where(~risky, FORMULA_PREFIX + text)
        # By position: columns "=x" and "'=x" both show as "'=x", and neither may be lost.
        names.append(neutralise(str(frame.columns[position])))
        columns.append(series)
    out = pd.concat(columns, axis=1) if columns else pd.DataFrame(index=frame.index)
    out.columns = names
    return out


def labelled_frame(
    segmentation: Segmentation,
    *,
    profile: Profile | None = None,
    names: list[str] | tuple[str, ...] | None = None,
    unusual: bool = False,
) -> pd.DataFrame:
    """Every row of the file as read, plus its segment.

    Parameters
    ----------
    segmentation : Segmentation
    profile : Profile, optional
        Source of the segment names (``profile.names``).
    names : list of str, optional
        Segment names, segment 1 first; overrides ``profile``.
    unusual : bool, default False
        Add a ``Fit score`` column (silhouette) and an ``Unusual`` flag (yes for customers who fit
        their segment worst, see :func:`segmentation.insight.unusual_customers`).

    Returns
    -------
    DataFrame
        The raw columns (text, exactly as read), then ``Segment`` (``"1"``..``"K"``, ``""`` when
        not segmented) and ``Segment name``.
    """
    if names is None and profile is not None:
        names = profile.names
    if names is None:
        names = [f"Segment {i}" for i in range(1, segmentation.k + 1)]
    extra = {}
    if unusual:
        from .insight import unusual_customers

        extra["Fit score"] = np.round(segmentation.fit_score, 4)
        extra["Unusual"] = np.where(unusual_customers(segmentation), "yes", "")
    return _with_segments(segmentation.prepared.table.raw, segmentation.labels, names, extra)


def scored_csv(scored: Scored) -> bytes:
    """New customers scored with a run file, as CSV bytes: every row, original cells, plus Segment."""
    frame = _with_segments(scored.table.raw, scored.labels, scored.names, {})
    return _to_csv(neutralise_frame(frame))


def _with_segments(raw: pd.DataFrame, labels: np.ndarray, names, extra: dict[str, np.ndarray]) -> pd.DataFrame:
    names = [str(n) for n in names]
    segment = pd.Series(labels.astype(str), index=raw.index, dtype="str").where(labels > 0, "")
    lookup = np.array(["Not segmented (no values)", *names], dtype=object)
    columns = {
        _free_name("Segment", raw.columns): segment,
        _free_name("Segment name", raw.columns): pd.Series(lookup[labels], index=raw.index, dtype="str"),
    }
    for name, values in extra.items():
        columns[_free_name(name, raw.columns)] = pd.Series(values, index=raw.index)
    return pd.concat([raw, pd.DataFrame(columns, index=raw.index)], axis=1)


def labelled_csv(
    segmentation: Segmentation,
    *,
    profile: Profile | None = None,
    names: list[str] | tuple[str, ...] | None = None,
    unusual: bool = False,
) -> bytes:
    """The labelled customers as CSV bytes (UTF-8 with BOM, formula cells neutralised).

    See :func:`labelled_frame` for the parameters.
    """
    frame = labelled_frame(segmentation, profile=profile, names=names, unusual=unusual)
    return _to_csv(neutralise_frame(frame))


def summary_frame(profile: Profile) -> pd.DataFrame:
    """The segment summary for export: one row per segment, plus an "All customers" row."""
    summary = profile.summary.reset_index()
    overall = {
        "Segment": "All",
        "Name": "All customers",
        "Customers": int(summary["Customers"].sum()),
        "Share of customers": 1.0,
    }
    overall.update({c: profile.overall[c] for c in profile.overall.index})
    frame = pd.concat([summary, pd.DataFrame([overall])], ignore_index=True)
    frame["Segment"] = frame["Segment"].astype(str)
    return frame


def summary_csv(profile: Profile) -> bytes:
    """The segment summary as CSV bytes (UTF-8 with BOM, formula cells neutralised)."""
    return _to_csv(neutralise_frame(summary_frame(profile)), float_format="%.6g")


def run_config(
    segmentation: Segmentation,
    *,
    profile: Profile | None = None,
    names: list[str] | tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The run as a JSON-ready dict: enough to reproduce it, and to score new customers.

    It holds no timestamp, so the same run always gives the same bytes.
    """
    prepared = segmentation.prepared
    table = prepared.table
    if names is None:
        names = profile.names if profile is not None else [f"Segment {i}" for i in range(1, segmentation.k + 1)]
    from . import __version__

    return {
        "format": RUN_FORMAT,
        "version": RUN_VERSION,
        "created_with": f"segmentation {__version__}",
        "file": {
            "name": table.name,
            "sha256": table.file_hash,
            "rows": table.n_rows,
            "format": table.format,
            "delimiter": table.delimiter,
            "encoding": table.encoding,
            "decimal": table.decimal,
        },
        "options": {
            "features": list(prepared.columns),
            "scaler": prepared.scaler,
            "outliers": prepared.outliers,
            "seed": segmentation.random_state,
            "k": segmentation.k,
        },
        "preparation": preparation_spec(prepared),
        "feature_names": list(prepared.feature_names),
        "centers": [[float(v) for v in row] for row in segmentation.centers],
        "segment_names": [str(n) for n in names],
        "sizes": list(segmentation.sizes),
        "inertia": float(segmentation.inertia),
        "silhouette": None if segmentation.silhouette is None else float(segmentation.silhouette),
    }


def run_config_json(segmentation: Segmentation, **options) -> str:
    """:func:`run_config` as pretty JSON text."""
    return json.dumps(run_config(segmentation, **options), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _free_name(name: str, taken) -> str:
    taken = set(taken)
    if name not in taken:
        return name
    i = 2
    while f"{name} ({i})" in taken:
        i += 1
    return f"{name} ({i})"


def _to_csv(frame: pd.DataFrame, **options) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n", **options)
    return buffer.getvalue().encode("utf-8-sig")

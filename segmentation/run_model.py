"""Reading a run file back: every field checked, then a :class:`RunModel` to score with.

A run file is shared and may be hand-edited, so nothing in it is trusted: it is read with a size
bound, parsed as JSON (no pickle, no NaN), and each field anything reads is checked by type, shape
and bound, so a broken file fails here with the field's name, never later with a traceback.
:mod:`segmentation.runfile` writes the files this module reads.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .dates import DATE_FORMATS
from .errors import DataError
from .limits import MAX_CENTRE, MAX_FEATURES, MAX_RUN_CATEGORIES, MAX_RUN_NUMBER, read_limited
from .transactions import DERIVED_COLUMNS
from .wording import clipped, quoted

__all__ = ["MAX_RUN_FILE_BYTES", "RUN_FORMAT", "RUN_VERSION", "RunModel", "read_run_file"]

#: The ``format`` field every run file carries.
RUN_FORMAT = "customer-segmentation-run"
#: The ``version`` field of the run files this tool writes; it reads this one and the ones before.
RUN_VERSION = 2
_READABLE_VERSIONS = (1, 2)
#: Run files larger than this are refused before parsing (a real one is a few kilobytes).
MAX_RUN_FILE_BYTES = 5_000_000
_KINDS = {"number", "date", "flag", "category"}
#: Version 1 called a flag "yes/no".
_OLD_KINDS = {"yes/no": "flag"}
_SCALERS = {"standard", "robust", "minmax", "none"}
_OUTLIERS = {"keep", "clip", "set-aside"}
_WEIGHTINGS = {"balanced", "equal"}
_TRANSFORMS = {"auto", "none", "log"}


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
    transactions : dict or None
        When the segments were made from a transaction log: how it was rolled up to customers
        (``"customer"``, ``"date"``, ``"amount"``, ``"order"`` columns, ``"as_of"`` date, and the
        log's ``"rows"`` and ``"customers"``), so a new log is rolled up the same way. ``None`` for
        a customer file.
    """

    k: int
    columns: tuple[str, ...]
    spec: dict[str, Any]
    centers: np.ndarray
    names: tuple[str, ...]
    feature_names: tuple[str, ...]
    source: dict[str, Any]
    file_name: str = ""
    transactions: dict[str, Any] | None = None


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
        data = copy.deepcopy(source)  # validation normalises old fields: never in the caller's dict
    else:
        if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
            try:  # bounded: a device or an endless pipe is refused, not read into memory
                raw = read_limited(source, limit=MAX_RUN_FILE_BYTES, what="run file")
            except DataError:
                raise  # a device, or too large: said by read_limited
            except (OSError, ValueError):  # ValueError: a NUL character in the path
                raise DataError(f"There is no run file at '{clipped(str(source), 200)}'.") from None
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
    _check_text(data, "")
    return _validate(data)


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
    if not _whole(data.get("version")) or data["version"] not in _READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in _READABLE_VERSIONS)
        raise _invalid("version", f"must be {RUN_VERSION} (this tool reads run files of versions {readable})")
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

    if n_features > MAX_FEATURES:
        raise _invalid(
            "preparation.columns", f"make {n_features:,} features, more than the {MAX_FEATURES:,} segmenting allows"
        )
    centers = data.get("centers")
    if not (isinstance(centers, list) and len(centers) == k and all(_numbers(row, n_features) for row in centers)):
        raise _invalid("centers", f"must be {k} lists of {n_features} numbers")
    if any(abs(v) > MAX_CENTRE for row in centers for v in row):
        # The centres live in the scaled space, a few units from 0: far out, every customer is
        # nearest to the same one.
        raise _invalid("centers", f"must lie within {MAX_CENTRE:,.0f} scaled units of 0, as centres fitted on data do")
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
    transactions = _check_transactions(data.get("transactions"), columns)
    return RunModel(
        k=k,
        columns=tuple(columns),
        spec=prep,
        centers=np.asarray(centers, dtype=np.float64),
        names=tuple(names),
        feature_names=tuple(feature_names),
        source=data,
        file_name=file_name,
        transactions=transactions,
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


def _check_transactions(block: Any, columns: list[str]) -> dict[str, Any] | None:
    """The ``transactions`` block (how a log was rolled up to customers), checked; ``None`` when absent."""
    if block is None:
        return None
    if not isinstance(block, dict):
        raise _invalid("transactions", "must be an object")
    for key in ("customer", "date"):
        if not (isinstance(block.get(key), str) and block[key]):
            raise _invalid(f"transactions.{key}", "must be the name of a column of the log")
    for key in ("amount", "order"):
        if block.get(key) is not None and not (isinstance(block[key], str) and block[key]):
            raise _invalid(f"transactions.{key}", "must be the name of a column of the log, or null")
    named = [block[key] for key in ("customer", "date", "amount", "order") if block.get(key) is not None]
    if len(set(named)) != len(named):
        raise _invalid("transactions", "names one column for two roles")
    if not (_timestamp(block.get("as_of")) and len(block["as_of"]) == 10):
        raise _invalid("transactions.as_of", "must be a date written 2024-06-30")
    for key in ("rows", "customers"):
        if block.get(key) is not None and not (_whole(block[key]) and 0 <= block[key] <= MAX_RUN_NUMBER):
            raise _invalid(f"transactions.{key}", "must be a whole number")
    # Only the roll-up's own columns and the customer ID can be segmented on: every other column of
    # a log describes rows, not customers.
    derived = set(DERIVED_COLUMNS) | {block["customer"]}
    foreign = [c for c in columns if c not in derived]
    if foreign:
        raise _invalid("transactions", f"cannot go with segments made from {quoted(foreign)}, not a roll-up column")
    return block


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
    for name, allowed in (("weighting", _WEIGHTINGS), ("transform", _TRANSFORMS)):
        value = options.get(name)
        if value is not None and not (isinstance(value, str) and value in allowed):
            raise _invalid(f"options.{name}", f"must be one of {sorted(allowed)}")
    if options.get("seed") is not None and not _whole(options["seed"]):
        raise _invalid("options.seed", "must be a whole number")


def _check_entry(entry: Any, where: str) -> int:
    """Check one column of the preparation spec; returns its number of features."""
    if not isinstance(entry, dict):
        raise _invalid(where, "must be an object")
    if not isinstance(entry.get("column"), str) or not entry["column"]:
        raise _invalid(f"{where}.column", "must be a column name")
    kind = entry.get("kind")
    if isinstance(kind, str) and kind in _OLD_KINDS:
        kind = entry["kind"] = _OLD_KINDS[kind]
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
        codes = entry.get("codes", [])
        if not (isinstance(codes, list) and all(_finite(c) for c in codes) and len(set(codes)) == len(codes)):
            raise _invalid(f"{where}.codes", "must be a list of different numbers")
        if kind == "date" and codes:
            raise _invalid(f"{where}.codes", "are only for number columns")
        unit = entry.get("log_unit")
        if unit is not None and not (kind == "number" and _finite(unit) and unit > 0):
            raise _invalid(f"{where}.log_unit", "must be a number above 0, for a number column")
        n_features = 1 + len(codes)
    else:
        categories = entry.get("categories")
        if isinstance(categories, list) and len(categories) > MAX_RUN_CATEGORIES:
            raise _invalid(
                f"{where}.categories", f"must list at most {MAX_RUN_CATEGORIES} values (it lists {len(categories):,})"
            )
        if not (
            isinstance(categories, list)
            and len(categories) >= 2
            and all(isinstance(c, str) for c in categories)
            and len(set(categories)) == len(categories)
        ):
            raise _invalid(f"{where}.categories", "must be a list of at least 2 different values")
        if kind == "flag" and len(categories) != 2:
            raise _invalid(f"{where}.categories", "must hold exactly 2 values for a yes/no column")
        if entry.get("numbers") not in (None, True, False):
            raise _invalid(f"{where}.numbers", "must be true or false")
        # What the writers write: a flag encodes its second value, a category every value.
        expected = categories[1:] if kind == "flag" else categories
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
    """A number a run file may hold: finite and at most :data:`~segmentation.limits.MAX_RUN_NUMBER` in
    size (a 400-digit integer would overflow every float operation)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_RUN_NUMBER
    return math.isfinite(value) and abs(value) <= MAX_RUN_NUMBER


def _check_text(value: Any, where: str) -> None:
    """Every string in the file (names, categories, keys) must be writable as UTF-8: JSON's escapes
    can hold a lone surrogate ("\\ud800") that no file, screen or SQL text can."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _invalid(where or "(the file)", "holds text that is not valid Unicode (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where or "(the file)")
            _check_text(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_text(item, f"{where}[{i}]")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _numbers(values: Any, n: int) -> bool:
    return isinstance(values, list) and len(values) == n and all(map(_finite, values))


def _bounds(values: Any) -> bool:
    return _numbers(values, 2) and values[0] <= values[1]


def _timestamp(value: Any) -> bool:
    """Whether ``value`` is an ISO date and time without a time zone (not "now", "today" ...)."""
    if not isinstance(value, str) or not _ISO_TIMESTAMP.match(value):
        return False
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return not pd.isna(stamp) and stamp.tz is None


_ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a run file")

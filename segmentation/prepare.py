"""Decide what each column is and what it is for, then clean, encode, weigh and scale the data.

The tutorial this project grew from dropped ``CustomerID``, label-encoded ``Gender`` and scaled every
column. :func:`prepare` does that for any customer table, and says why, column by column, in an
audit a marketer can read (see :mod:`segmentation.columns` for the kinds and roles):

* identifiers, constant columns and free text are left out; outcomes (churn, response ...) are
  shown per segment instead of forming them;
* codes in number columns (``-1`` for "never") become missing plus a yes/no feature; heavily
  skewed amounts are compared on a log scale; impossible and extreme values are named with their
  rows, and may be clipped or set aside as unusual;
* missing values are filled (median for numbers, most frequent value otherwise) and counted;
* the scaler and the weights (see :mod:`segmentation.pipeline`) decide how much each column counts.

The fitted transform is a scikit-learn ``Pipeline`` so it can be applied again to new customers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from .amounts import find_extremes
from .columns import ColumnReport, inspect_column, nothing_usable
from .errors import DataError
from .limits import check_feature_budget
from .load import Table
from .options import OUTLIERS, SCALER_NAMES, SCALERS, TRANSFORMS
from .pipeline import (
    WEIGHTINGS,
    PercentileClipper,
    apply,
    build_pipeline,
    code_feature,
    fit_transform,
    model_input,
)
from .roles import AS_IT_IS, BLANK_FOR, described
from .wording import number, quoted

__all__ = [
    "OUTLIERS",
    "SCALERS",
    "SCALER_NAMES",
    "TRANSFORMS",
    "WEIGHTINGS",
    "Prepared",
    "column_choices",
    "prepare",
]

Scaler = Literal["standard", "robust", "minmax", "none"]
Outliers = Literal["keep", "clip", "set-aside"]


@dataclass(frozen=True)
class Prepared:
    """Customer data cleaned, encoded and scaled, with the audit of every decision.

    Attributes
    ----------
    table : Table
        The file as read (raw and typed views), every row.
    matrix : ndarray of shape (n_segmented, n_features)
        The weighted features, one row per segmented customer (customers set aside not included).
    feature_names : tuple of str
        Names of the matrix's columns, e.g. ``"Age"``, ``"Gender: Male"``, ``"pdays: -1"``.
    columns : tuple of str
        The file's columns segmented on (role ``"segment"``), in file order.
    rows : ndarray of int
        For each matrix row, its position in ``table`` (0-based). Usually ``0..n-1``.
    skipped : ndarray of int
        Positions of rows that were not segmented because all their feature values are missing
        (for example a repeated header line). They stay in every download.
    values : DataFrame
        The columns segmented on and described, in original units, one row per file row: numbers as
        floats (unreadable cells and codes missing), dates as datetimes, categories and yes/no
        columns as text; plus one 0/1 column per code (named like its feature). What summaries are
        computed on.
    reports : tuple of ColumnReport
        One per column of the file, in file order.
    notes : tuple of str
        Remarks about the whole table (duplicate rows, rows not segmented, ...).
    scaler, outliers, weighting, transform : str
        The options used.
    pipeline : Pipeline
        The fitted scikit-learn transform from ``values`` to ``matrix``.
    described : tuple of str
        The columns profiled per segment without forming them (role ``"describe"``).
    aside : ndarray of int
        Positions of customers set aside as unusual (``outliers="set-aside"``): not in ``matrix``.
    aside_matrix : ndarray of shape (len(aside), n_features)
        Their features, to find their nearest segment.
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
    weighting: str = "balanced"
    transform: str = "auto"
    described: tuple[str, ...] = ()
    aside: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    aside_matrix: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        """Number of customers in the file."""
        return self.table.n_rows

    @property
    def n_segmented(self) -> int:
        """Number of customers that place the segments (rows of ``matrix``)."""
        return int(self.matrix.shape[0])

    def audit(self) -> pd.DataFrame:
        """The audit as a table: one row per column of the file, in file order."""
        return pd.DataFrame(
            {
                "Column": [r.column for r in self.reports],
                "Kind": [r.kind for r in self.reports],
                "Role": [r.role for r in self.reports],
                "Scale": [
                    ("log" if r.transform == "log" else "as is") if r.kind == "number" else "" for r in self.reports
                ],
                "Different values": [r.distinct for r in self.reports],
                "Missing": [r.missing for r in self.reports],
                "Details": [r.summary() for r in self.reports],
            }
        )

    def report(self, column: str) -> ColumnReport:
        """The report for one column of the file."""
        for report in self.reports:
            if report.column == column:
                return report
        raise KeyError(column)

    def warnings(self) -> list[str]:
        """Plain sentences worth reading before trusting the segments: extreme values, and the like."""
        found = []
        for report in self.reports:
            if report.extremes and report.role != "ignore":
                found.append(f"{report.column}: {_extreme_sentence(report)}")
        if len(self.aside):
            found.append(
                f"{len(self.aside):,} customer(s) with an impossible or extreme value were set aside as unusual: "
                "they did not place the segments and are flagged Unusual in the download."
            )
        return found


def prepare(
    data: Table | pd.DataFrame,
    *,
    features: Iterable[str] | None = None,
    scaler: Scaler = "standard",
    outliers: Outliers = "keep",
    weighting: Literal["balanced", "equal"] = "balanced",
    transform: Literal["auto", "none", "log"] = "auto",
    categorical: Iterable[str] = (),
    numeric: Iterable[str] = (),
    describe: Iterable[str] = (),
    ignore: Iterable[str] = (),
    transforms: Mapping[str, str] | None = None,
) -> Prepared:
    """Clean, encode, weigh and scale customer data, deciding each column's kind and role.

    Parameters
    ----------
    data : Table or DataFrame
        A loaded file (:func:`segmentation.load_table`) or any DataFrame (its cells are used as read).
    features : iterable of str, optional
        The columns to segment on; the file's other usable columns are then described per
        segment. By default every usable column is segmented on, except outcomes.
    scaler : {"standard", "robust", "minmax", "none"}, default "standard"
        How number features are put on a common scale; see :data:`SCALERS`.
    outliers : {"keep", "clip", "set-aside"}, default "keep"
        What to do with extreme values; see :data:`OUTLIERS`.
    weighting : {"balanced", "equal"}, default "balanced"
        How much each column counts; see :data:`segmentation.pipeline.WEIGHTINGS`.
    transform : {"auto", "none", "log"}, default "auto"
        Which number columns are compared on a log scale; see :data:`TRANSFORMS`.
    categorical, numeric : iterable of str
        Columns to read as a category, or as a number, whatever they look like.
    describe, ignore : iterable of str
        Columns to profile per segment only, or to leave out.
    transforms : mapping of str to str, optional
        Per column, ``"auto"``, ``"none"`` or ``"log"``, instead of ``transform``.

    Returns
    -------
    Prepared

    Raises
    ------
    DataError
        If a named column does not exist or cannot be used as asked, or no column can be used.

    Examples
    --------
    >>> from segmentation import load_table
    >>> table = load_table(b"CustomerID,Gender,Age\\n1,Male,19\\n2,Female,35\\n3,Female,52\\n")
    >>> prepared = prepare(table)
    >>> prepared.feature_names
    ('Gender: Male', 'Age')
    """
    _check_option("scaler", scaler, SCALERS)
    _check_option("outliers", outliers, OUTLIERS)
    _check_option("weighting", weighting, WEIGHTINGS)
    _check_option("transform", transform, TRANSFORMS)
    table = data if isinstance(data, Table) else Table.from_frame(data)
    choice = _Choices.of(table, features, categorical, numeric, describe, ignore, transforms or {})

    reports: dict[str, ColumnReport] = {}
    values: dict[str, pd.Series] = {}
    extremes = pd.Series(False, index=table.raw.index)
    inspected = {
        column: inspect_column(table, column, explicit=choice.named(column), as_kind=choice.kind.get(column))
        for column in table.columns
    }
    chosen = _segment_on_blank_if_nothing_else({c: choice.role_of(r) for c, (r, _) in inspected.items()}, choice)
    for column in table.columns:
        report, series = chosen[column], inspected[column][1]
        if report.role == "ignore":
            reports[column] = report
            continue
        if report.kind == "number":
            scale = _transform(report, series, choice.transforms.get(column, transform))
            if scale == "log":
                reason = re.sub(
                    rf"\bNumber(?:{re.escape(AS_IT_IS)}|\.)",
                    "Number (an amount, count or duration).",
                    report.reason,
                    count=1,
                )
                report = replace(report, transform="log", reason=reason)
            else:
                report = replace(report, transform="none")
            is_code = series.isin(report.codes)
            for code in report.codes:
                values[code_feature(column, code)] = (series == code).astype("float64")
            series = series.mask(is_code)
            found = find_extremes(column, series, log=report.transform == "log")
            if found.count:
                report = replace(report, extremes=found.count, warnings=(*report.warnings, found.reason))
                if report.used and outliers == "set-aside":
                    extremes |= found.mask
                    report = replace(report, set_aside=found.count)
        reports[column] = report
        values[column] = series

    value_frame = pd.DataFrame(values, index=table.raw.index)
    used, rows, skipped, aside = _segmented_rows(table, reports, value_frame, extremes.to_numpy())
    segment_reports = [reports[c] for c in used]
    if len(rows) < 2:
        raise DataError(
            f"Only {len(rows)} row(s) have any value in the chosen columns ({quoted(used)}); "
            "segmentation needs at least 2. Choose other columns or upload the full table."
        )

    pipeline = build_pipeline(segment_reports, scaler=scaler, outliers=outliers)
    # Every row segmented (the usual case): the frame itself, not a copy of it taken row by row.
    fit_frame = value_frame if len(rows) == len(value_frame) else value_frame.iloc[rows]
    matrix, produced = fit_transform(
        pipeline, model_input(fit_frame, segment_reports, fit_frame), segment_reports, weighting=weighting
    )
    feature_names = [name for names in produced.values() for name in names]
    finite = np.isfinite(matrix).all(axis=0)
    if not finite.all():
        bad = [name for name, ok in zip(feature_names, finite, strict=False) if not ok]
        raise DataError(
            f"Some values are too large to compute with (in {quoted(bad[:3])}). "
            "Check the file for values like 1e308 or overflowing numbers."
        )
    aside_matrix = None
    if len(aside):
        aside_frame = value_frame.iloc[aside]
        aside_matrix = apply(pipeline, model_input(aside_frame, segment_reports, aside_frame))
    reports = _with_fit_details(reports, pipeline, fit_frame, produced)
    return Prepared(
        table=table,
        matrix=matrix,
        feature_names=tuple(feature_names),
        columns=tuple(used),
        rows=rows,
        skipped=skipped,
        values=value_frame,
        reports=tuple(reports[c] for c in table.columns),
        notes=tuple(_table_notes(table, skipped, reports.values())),
        scaler=scaler,
        outliers=outliers,
        pipeline=pipeline,
        weighting=weighting,
        transform=transform,
        described=tuple(c for c in table.columns if reports[c].role == "describe"),
        aside=aside,
        aside_matrix=aside_matrix,
    )


def column_choices(
    automatic: Iterable[ColumnReport],
    *,
    kinds: Mapping[str, str],
    roles: Mapping[str, str],
    scales: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """The :func:`prepare` options that give each column the kind, role and scale a user chose.

    Parameters
    ----------
    automatic : iterable of ColumnReport
        The columns as read with no choices (``Prepared.reports`` of ``prepare(table)``, or
        :func:`segmentation.columns.inspect_column` of each column).
    kinds, roles : mapping of str to str
        Per column, the kind (only ``"number"`` and ``"category"`` can be chosen) and the role.
    scales : mapping of str to str, optional
        Per number column, ``"auto"``, ``"none"`` or ``"log"``.

    Returns
    -------
    dict
        ``features`` (None when the roles are the automatic ones), ``categorical``, ``numeric``,
        ``ignore`` and ``transforms``, to pass to :func:`prepare` with the other options.

    Examples
    --------
    >>> from segmentation import load_table
    >>> auto = prepare(load_table(b"Region,Spend,Churn\\n1,10,Yes\\n2,20,No\\n3,15,No\\n1,12,Yes\\n")).reports
    >>> column_choices(auto, kinds={"Region": "category"}, roles={"Churn": "segment"})["features"]
    ('Region', 'Spend', 'Churn')
    """
    automatic = list(automatic)
    kind_of = {r.column: r.kind for r in automatic}
    role_of = {r.column: r.role for r in automatic}
    chosen_roles = {c: roles.get(c, role_of[c]) for c in role_of}
    changed = {c for c in role_of if chosen_roles[c] != role_of[c]}
    features = None
    if changed:
        features = tuple(c for c in role_of if chosen_roles[c] == "segment")
    return {
        "features": features,
        "categorical": tuple(c for c, k in kinds.items() if k == "category" and kind_of.get(c) != "category"),
        "numeric": tuple(c for c, k in kinds.items() if k == "number" and kind_of.get(c) != "number"),
        "ignore": tuple(c for c in changed if chosen_roles[c] == "ignore"),
        "transforms": {c: t for c, t in (scales or {}).items() if t != "auto"},
    }


def _check_width(table: Table, reports: list[ColumnReport]) -> None:
    """Refuse, before anything is encoded, columns that would make too many features to segment on."""
    width = {r.column: (r.distinct if r.kind == "category" else 1 + len(r.codes)) for r in reports}
    widest = {c: n for c, n in sorted(width.items(), key=lambda item: -item[1]) if n > 1}
    check_feature_budget(table.n_rows, sum(width.values()), widest=widest)


def _check_option(name: str, value: str, allowed: Mapping[str, str]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, not {value!r}")


@dataclass(frozen=True)
class _Choices:
    """What the user said about named columns, checked against the file."""

    features: tuple[str, ...] | None
    kind: dict[str, str]
    describe: frozenset[str]
    ignore: frozenset[str]
    transforms: dict[str, str]

    @classmethod
    def of(cls, table, features, categorical, numeric, describe, ignore, transforms) -> _Choices:
        lists = {
            "features": None if features is None else list(dict.fromkeys(features)),
            "categorical": list(dict.fromkeys(categorical)),
            "numeric": list(dict.fromkeys(numeric)),
            "describe": list(dict.fromkeys(describe)),
            "ignore": list(dict.fromkeys(ignore)),
            "transforms": list(transforms),
        }
        named = [c for names in lists.values() if names for c in names]
        unknown = [c for c in dict.fromkeys(named) if c not in table.columns]
        if unknown:
            raise DataError(f"The file has no column {quoted(unknown)}. Its columns are: {quoted(table.columns)}.")
        if lists["features"] is not None and not lists["features"]:
            raise DataError("Choose at least one column to segment on.")
        for first, second in (
            ("categorical", "numeric"),
            ("features", "describe"),
            ("features", "ignore"),
            ("describe", "ignore"),
        ):
            both = set(lists[first] or ()) & set(lists[second] or ())
            if both:
                raise DataError(
                    f"{quoted(sorted(both))} cannot be both {first} and {second}: choose one for each column."
                )
        bad = {c: t for c, t in transforms.items() if t not in TRANSFORMS}
        if bad:
            raise DataError(f"A column's scale must be one of {quoted(TRANSFORMS)}, not {quoted(bad.values())}.")
        kind = {c: "category" for c in lists["categorical"]} | {c: "number" for c in lists["numeric"]}
        features = None if lists["features"] is None else tuple(lists["features"])
        return cls(features, kind, frozenset(lists["describe"]), frozenset(lists["ignore"]), dict(transforms))

    @property
    def chose_roles(self) -> bool:
        """Whether the user chose any column's role (to segment on, describe or leave out)."""
        return self.features is not None or bool(self.describe) or bool(self.ignore)

    def named(self, column: str) -> bool:
        """Whether the user named the column as one to segment on or read a certain way."""
        return (self.features is not None and column in self.features) or column in self.kind

    def role_of(self, report: ColumnReport) -> ColumnReport:
        """The report with the role the user chose, or a DataError when the column cannot take it."""
        column = report.column
        if column in self.ignore:
            return replace(report, role="ignore", reason=f"Left out (as chosen). {report.reason}")
        wanted = "describe" if column in self.describe else None
        if self.features is not None:
            wanted = wanted or ("segment" if column in self.features else None)
        if wanted is None and self.features is not None and report.role == "segment":
            reason = f"Not chosen to segment on; shown per segment. {described(report.reason)}"
            return replace(report, role="describe", reason=reason)
        if wanted is None:
            if column in self.kind and not report.usable:
                raise DataError(f"Column '{column}' cannot be read as a {self.kind[column]}: {report.reason}")
            return report
        if not report.usable:
            verb = "used for segmentation" if wanted == "segment" else "described per segment"
            raise DataError(f"Column '{column}' cannot be {verb}: {report.reason}")
        if wanted == "segment" and report.role == "describe":
            return replace(
                report,
                role="segment",
                reason=re.split(f" (?:It looks like an outcome|{BLANK_FOR} )", report.reason)[0]
                + " Segmented on (as chosen).",
            )
        if wanted == "describe" and report.role != "describe":
            reason = f"Shown per segment, not used to form them (as chosen). {described(report.reason)}"
            return replace(report, role="describe", reason=reason)
        return report


def _segment_on_blank_if_nothing_else(reports: dict[str, ColumnReport], choice: _Choices) -> dict[str, ColumnReport]:
    """The reports, with mostly blank columns segmented on when no other column would be.

    A file whose every usable column is mostly blank is still segmented, on those columns, rather
    than refused. Not when the user chose roles: the other columns are then out by their choice,
    and the refusal names each column's reason.
    """
    if any(report.used for report in reports.values()) or choice.chose_roles:
        return reports
    out = dict(reports)
    for column, report in reports.items():
        blank = re.search(f" ({BLANK_FOR} [^(:]*?) ?[(:]", report.reason)
        if report.role == "describe" and blank:
            reason = f"{report.reason[: blank.start()]} {blank[1]}, but segmented on: no other column could be."
            out[column] = replace(report, role="segment", reason=reason)
    return out


def _segmented_rows(
    table: Table, reports: dict[str, ColumnReport], value_frame: pd.DataFrame, extremes: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The columns segmented on, and the rows segmented, skipped (no value) and set aside.

    A column whose every value sits in rows set aside as unusual has nothing left to fill its
    blanks from: it is shown per segment instead (``reports`` is updated), and the rows are chosen
    again without it.
    """
    while True:
        used = [c for c in table.columns if reports[c].used]
        if not used:
            raise DataError(nothing_usable(table, list(reports.values())))
        _check_width(table, [reports[c] for c in used])
        code_names = [code_feature(c, code) for c in used for code in reports[c].codes]
        # A code is a value: a customer whose only answer is "never contacted" is still segmented.
        all_missing = (value_frame[used].isna().all(axis=1) & (value_frame[code_names] == 0).all(axis=1)).to_numpy()
        aside_mask = extremes & ~all_missing
        rows = np.flatnonzero(~all_missing & ~aside_mask)
        if not aside_mask.any():
            break
        empty = [c for c in used if value_frame[c].iloc[rows].isna().all()]
        if not empty:
            break
        for column in empty:
            reports[column] = replace(
                reports[column],
                role="describe",
                reason=f"{described(reports[column].reason)} Every customer with a value here was "
                "set aside as unusual, so it is shown per segment, not used to form them.",
            )
    return used, rows, np.flatnonzero(all_missing), np.flatnonzero(aside_mask)


def _transform(report: ColumnReport, series: pd.Series, mode: str) -> str:
    """The scale a number column is compared on: ``"log"`` or ``"none"``."""
    if mode == "none":
        return "none"
    if mode == "log":
        return "log" if not (series.dropna() < 0).any() else "none"
    return report.transform


def _extreme_sentence(report: ColumnReport) -> str:
    for warning in report.warnings:
        if "impossible value" in warning or "far beyond the rest" in warning:
            return warning
    return f"{report.extremes:,} extreme value(s)."


def _with_fit_details(
    reports: dict[str, ColumnReport],
    pipeline: Pipeline,
    fit_frame: pd.DataFrame,
    features: dict[str, tuple[str, ...]],
) -> dict[str, ColumnReport]:
    transformers = pipeline.named_steps["columns"].named_transformers_
    out = dict(reports)
    for column in features:  # the columns segmented on
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
            elif not isinstance(steps["log"], str):
                raw = pd.Series(steps["log"].transform(raw.to_frame())[:, 0])
            raw = raw.to_numpy(dtype=np.float64)
            clipped = int(np.sum((raw < clip.lower_[0]) | (raw > clip.upper_[0])))
        out[column] = replace(report, filled_with=filled, clipped=clipped, features=features[column])
    return out


def _table_notes(table: Table, skipped: np.ndarray, reports: Iterable[ColumnReport]) -> list[str]:
    notes = list(table.notes)
    if len(skipped):
        rows = ", ".join(f"{r + 1:,}" for r in skipped[:5])
        more = f" and {len(skipped) - 5:,} more" if len(skipped) > 5 else ""
        notes.append(
            f"{len(skipped):,} row(s) have no value in any chosen column (row {rows}{more}); "
            "they are not segmented but stay in the download with an empty Segment."
        )
    duplicated = _copied_rows(table, reports)
    if duplicated:
        notes.append(
            f"{duplicated:,} row(s) are exact copies of an earlier row. They were kept; remove them "
            "from the file if they are mistakes."
        )
    return notes


def _copied_rows(table: Table, reports: Iterable[ColumnReport]) -> int:
    """How many rows repeat an earlier row cell for cell, as written."""
    if any(r.distinct == table.n_rows and r.missing == 0 for r in reports):
        # A column read with a different value in every row (an ID, most often) holds different
        # cells in every row: no row can repeat another, and comparing every row (seconds on
        # millions of rows) is not needed.
        return 0
    return int(table.raw.duplicated().sum())

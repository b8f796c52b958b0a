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

import re
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

from .errors import DataError
from .load import DEFAULT_DATE_ORDER, MISSING_MARKERS, Table, day_month_order, parse_numbers
from .wording import clipped, number, quoted

__all__ = [
    "SCALERS",
    "SCALER_NAMES",
    "ColumnReport",
    "Prepared",
    "candidate_columns",
    "lenient_numbers",
    "prepare",
    "transform",
]

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

#: Text columns with more distinct values than this are not one-hot encoded (too many columns).
MAX_CATEGORIES = 20
#: The same for a column the user chose by name.
_CHOSEN_CATEGORIES = 50
#: A text column counts as numeric when at least this share of its values read as numbers.
NUMERIC_SHARE = 0.8
#: A text column counts as dates when at least this share of its values read as dates.
DATE_SHARE = 0.9
#: Values beyond this magnitude are treated as errors in the file, not as customers' values.
MAX_MAGNITUDE = 1e15
#: Percentiles used when outliers are clipped.
CLIP_PERCENTILES = (1.0, 99.0)

_ID_NAME = re.compile(
    r"""^(
        id | uuid | guid | key | index | idx | row | row[ _-]?(id|no|num|number) |
        .*[ _-](id|uuid|guid|no|nr|num|number|key|code)\.? |
        .*[a-z](Id|ID|Key|No|Nr) |
        (customer|cust|client|user|member|account|acct|contact|person|record|order)[ _-]?
            (id|no|nr|num|number|key|code|ref|\#) |
        .*nummer | (kunden|kd)[ _-]?(id|nr|no)
    )$""",
    re.VERBOSE,
)
# Postcodes are written as numbers but are places: 10115 is not "more" than 10114.
_PLACE_CODE_NAME = re.compile(
    r"^(zip|zip[ _-]?code|post[ _-]?code|postal[ _-]?code|plz|postleitzahl|code[ _-]postal|cap|cep|pin[ _-]?code)$",
    re.IGNORECASE,
)
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%Y%m%d",
)
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\d{8}$")
_EXCEL_ERROR = re.compile(r"^#(N/A|NV|GETTING_DATA|[A-Z/0_]+[!?])$|^ERR:\d{3}$")
_GROUPED = {
    ".": re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?$"),
    ",": re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?([eE][+-]?\d+)?$"),
}
_SYMBOLS = re.compile(r"^\s*[$€£¥₹]\s*|\s*[$€£¥₹%]\s*$|\s+")


@dataclass(frozen=True)
class ColumnReport:
    """What :func:`prepare` decided about one column, and why.

    Attributes
    ----------
    column : str
        The column's name in the file.
    kind : str
        ``"number"``, ``"yes/no"`` (two values, one 0/1 feature), ``"category"`` (one-hot),
        ``"date"``, ``"identifier"``, ``"constant"``, ``"empty"`` or ``"text"``.
    used : bool
        Whether the column is a feature of the segmentation.
    reason : str
        The decision in plain words.
    distinct : int
        Number of different values (missing not counted).
    missing : int
        Missing cells, including cells that could not be read (see ``unreadable``).
    filled_with : str
        How missing cells were filled, e.g. ``"median 61.5"``; empty when nothing was filled.
    unreadable : int
        Cells of a number or date column that hold something else (text, Excel errors, infinities);
        they are treated as missing.
    unreadable_examples : tuple of (int, str)
        Up to three ``(row, value)`` pairs, rows counted from 1.
    converted : int
        Number cells written with symbols (``$``, ``%``, thousands separators) that were read as numbers.
    clipped : int
        Values moved to the 1st/99th percentile (only with ``outliers="clip"``).
    features : tuple of str
        The feature names this column produced.
    date_format : str
        For date columns, the ``strftime`` format the dates were read with.
    warnings : tuple of str
        Things worth a look that were not changed: negative values, rare values that may be typos.
    """

    column: str
    kind: str
    used: bool
    reason: str
    distinct: int = 0
    missing: int = 0
    filled_with: str = ""
    unreadable: int = 0
    unreadable_examples: tuple[tuple[int, str], ...] = ()
    converted: int = 0
    clipped: int = 0
    features: tuple[str, ...] = ()
    date_format: str = ""
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        """One sentence about the column for the audit table."""
        parts = [self.reason]
        if self.unreadable:
            examples = ", ".join(f"'{v}' in row {r:,}" for r, v in self.unreadable_examples)
            parts.append(
                f"Column '{self.column}' has text in {self.unreadable:,} row(s), e.g. {examples}; treated as missing."
            )
        if self.converted:
            parts.append(
                f"{self.converted:,} value(s) written with $, %, or thousands separators were read as numbers."
            )
        if self.used and self.missing:
            parts.append(f"{self.missing:,} missing value(s) filled with the {self.filled_with}.")
        if self.clipped:
            parts.append(f"{self.clipped:,} extreme value(s) clipped to the 1st/99th percentile.")
        parts.extend(self.warnings)
        return " ".join(parts)


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


def candidate_columns(table: Table) -> list[str]:
    """Columns a user may pick as features: everything but empty, constant and free-text columns."""
    reports = [_inspect(table, column, explicit=False)[0] for column in table.columns]
    return [r.column for r in reports if r.kind in {"number", "yes/no", "category", "date"} or r.used]


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
    table = data if isinstance(data, Table) else _table_from_frame(data)

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
        report, series = _inspect(table, column, explicit=explicit)
        if features is not None and report.used and not explicit:
            report = replace(report, used=False, reason=f"Not chosen. ({report.reason})")
        if explicit and not report.used:
            raise DataError(f"Column '{column}' cannot be used for segmentation: {report.reason}")
        reports[column] = report
        if report.used:
            values[column] = series

    used = [c for c in table.columns if reports[c].used]
    if not used:
        raise DataError(_nothing_usable(table, list(reports.values())))
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


def _inspect(table: Table, column: str, *, explicit: bool) -> tuple[ColumnReport, pd.Series | None]:
    """Decide one column's kind; return its report and its values in original units."""
    series = table.frame[column]
    n = len(series)
    present = series.dropna()
    missing = int(n - len(present))
    distinct = int(present.nunique())
    if len(present) == 0:
        return ColumnReport(column, "empty", False, "Every value is missing.", missing=missing), None

    # Chosen or not, a postcode is a place: only the number of places it may have changes.
    place_code = bool(_PLACE_CODE_NAME.match(column.strip()))
    if place_code:
        series = table.raw[column].str.strip().mask(series.isna())
        present = series.dropna()
    is_number = pd.api.types.is_numeric_dtype(series) and not place_code
    unreadable = 0
    unreadable_examples: tuple[tuple[int, str], ...] = ()
    converted = 0
    if not is_number and not place_code and _may_be_numbers(present, decimal=table.decimal):
        numbers, converted, bad = lenient_numbers(series, decimal=table.decimal)
        # Excel's error values (#DIV/0!, #N/A) stand where a formula's number failed: they say the
        # column is numeric, so they do not count against it (they are still reported and missing).
        errors = int(series.str.strip().str.upper().str.match(_EXCEL_ERROR.pattern).fillna(False).sum())
        readable = int(numbers.notna().sum())
        if readable and readable >= NUMERIC_SHARE * (len(present) - errors):
            is_number = True
            unreadable, unreadable_examples = _examples(series, bad)
            series = numbers
        else:
            converted = 0

    if is_number:
        series = series.astype("float64")
        extreme = ~np.isfinite(series) | (series.abs() > MAX_MAGNITUDE)
        extreme &= series.notna()
        if pd.api.types.is_numeric_dtype(table.frame[column]):
            extreme |= _unparsed(table, column)
        if extreme.any():
            raw = table.raw[column].str.strip()
            count, examples = _examples(raw, extreme)
            unreadable += count
            unreadable_examples = (unreadable_examples + examples)[:3]
            series = series.mask(extreme)
        present = series.dropna()
        distinct = int(present.nunique())
        missing = int(n - len(present))
        base = dict(
            distinct=distinct,
            missing=missing,
            unreadable=unreadable,
            unreadable_examples=unreadable_examples,
            converted=converted,
        )
        if len(present) == 0:
            return ColumnReport(column, "empty", False, "No value in it can be read as a number.", **base), None
        if not explicit and _looks_like_identifier(column, present, n):
            return ColumnReport(column, "identifier", False, _identifier_reason(column, distinct, n), **base), None
        if distinct == 1:
            reason = f"Same value ({number(present.iloc[0])}) in every row, so it cannot tell customers apart."
            return ColumnReport(column, "constant", False, reason, **base), None
        warn = _number_warnings(column, series, table)
        return ColumnReport(column, "number", True, "Number, used as it is.", warnings=warn, **base), series

    if place_code and distinct > (MAX_CATEGORIES if not explicit else _CHOSEN_CATEGORIES):
        reason = (
            f"Postcode with {distinct:,} different places: a place, not an amount, and too many "
            "places to compare customers by. A region or city column works better."
        )
        return ColumnReport(column, "text", False, reason, distinct=distinct, missing=missing), None

    text = series.astype("str")
    dates, date_bad, date_format = _dates(text)
    if dates is not None:
        unreadable, unreadable_examples = _examples(text, date_bad)
        days_present = dates.dropna()
        base = dict(
            distinct=int(days_present.nunique()),
            missing=int(n - len(days_present)),
            unreadable=unreadable,
            unreadable_examples=unreadable_examples,
        )
        if (days_present == days_present.iloc[0]).all():
            return ColumnReport(column, "constant", False, "The same date in every row.", **base), None
        reason = "Date, used as days before the latest date."
        return ColumnReport(column, "date", True, reason, date_format=date_format, **base), dates

    base = dict(distinct=distinct, missing=missing)
    mixed = _mixed_date_examples(text)
    if mixed:
        reason = (
            f"Dates written in more than one way (e.g. {mixed}); write every date the same way "
            "(for example 2024-01-31) to use this column."
        )
        return ColumnReport(column, "text", False, reason, **base), None
    if not explicit and _looks_like_identifier(column, present, n):
        return ColumnReport(column, "identifier", False, _identifier_reason(column, distinct, n), **base), None
    if distinct == 1:
        reason = f"Same value ('{present.iloc[0]}') in every row, so it cannot tell customers apart."
        return ColumnReport(column, "constant", False, reason, **base), None
    warn = _rare_value_warnings(present)
    if distinct == 2:
        low, high = sorted(present.unique())
        reason = f"Two values: encoded as 1 for '{high}', 0 for '{low}', at half the weight of a number column."
        return ColumnReport(column, "yes/no", True, reason, warnings=warn, **base), text
    limit = MAX_CATEGORIES if not explicit else _CHOSEN_CATEGORIES
    if distinct <= limit and distinct <= max(2, 0.5 * len(present)):
        reason = f"Category with {distinct} values: one 0/1 feature per value."
        return ColumnReport(column, "category", True, reason, warnings=warn, **base), text
    reason = f"Text with {distinct:,} different values (like names or free text), too many to compare customers by."
    return ColumnReport(column, "text", False, reason, **base), None


def _looks_like_identifier(column: str, present: pd.Series, n: int) -> bool:
    name = column.strip()
    if _ID_NAME.match(name) or _ID_NAME.match(name.lower()):
        # By name only when most values differ: a "Region code" with four values is a category.
        return present.nunique() >= 0.5 * len(present)
    unique = present.nunique() == len(present) and len(present) >= 0.95 * n and n >= 3
    if not unique:
        return False
    if pd.api.types.is_numeric_dtype(present):
        # A unique number column is an identifier only if it counts rows (1, 2, 3, ...): unique
        # incomes or balances are ordinary with many customers.
        values = np.sort(present.to_numpy())
        whole = np.all(values == np.round(values))
        return bool(whole and np.all(np.diff(values) == 1))
    return True


def _identifier_reason(column: str, distinct: int, n: int) -> str:
    if distinct >= n:
        return "Identifier: a different value in every row, so it says nothing about the customer."
    return f"Identifier (by its name): {distinct:,} different values in {n:,} rows, not a customer trait."


def _may_be_numbers(present: pd.Series, *, decimal: str) -> bool:
    """Whether a text column could be mostly numbers, judged on its first values (cheap on big files).

    A column needs :data:`NUMERIC_SHARE` of numbers to be one; when not even half of the first
    2,000 values are numbers (Excel error values aside), reading every row leniently is wasted.
    """
    head = present.iloc[:2_000]
    if len(head) == 0:
        return False
    numbers, _, _ = lenient_numbers(head, decimal=decimal)
    errors = int(head.str.strip().str.upper().str.match(_EXCEL_ERROR.pattern).fillna(False).sum())
    return numbers.notna().sum() >= 0.5 * (len(head) - errors)


def lenient_numbers(series: pd.Series, *, decimal: str) -> tuple[pd.Series, int, pd.Series]:
    """Read text as numbers allowing $, €, %, spaces and thousands separators.

    Returns the numbers, how many cells needed symbols removed, and a mask of present cells that
    are not numbers at all.
    """
    text = series.astype("str")
    strict = parse_numbers(text, decimal=decimal)
    # Patterns as text, not compiled, so pandas hands them to pyarrow's vectorised regex engine.
    cleaned = text.str.replace(_SYMBOLS.pattern, "", regex=True).str.replace(
        "\u2212", "-", regex=False
    )  # "−": Unicode minus
    cleaned = cleaned.str.replace(r"^\((.+)\)$", r"-\1", regex=True)  # accounting negatives: (12)
    lenient = parse_numbers(cleaned, decimal=decimal)
    # The other mark is only a thousands separator: "12,5" in a decimal-point file (or "12.5" with
    # decimal commas) is not 125, so it is reported instead of read.
    mark = "," if decimal == "." else "."
    misplaced = cleaned.str.contains(mark, regex=False) & ~cleaned.str.match(_GROUPED[decimal].pattern)
    lenient = lenient.mask(misplaced.fillna(False).astype(bool))
    present = series.notna()
    converted = int((strict.isna() & lenient.notna()).sum())
    bad = present & lenient.isna()
    return lenient, converted, bad


def _dates(text: pd.Series) -> tuple[pd.Series | None, pd.Series | None, str]:
    """Read text as dates in the format most of it follows; (None, None, "") when it is not dates.

    Dates such as 03/04/2024 are read day or month first as the whole column shows (a part above
    12), and as :data:`segmentation.load.DEFAULT_DATE_ORDER` when no value shows it; the loader
    notes that guess on the table.
    """

    present = text.dropna()
    if len(present) == 0 or not present.str.contains(r"\d", regex=True).all():
        return None, None, ""
    sample = present.iloc[:500]
    best_format, best_share = None, 0.0
    for fmt in _DATE_FORMATS:
        share = pd.to_datetime(sample, format=fmt, errors="coerce").notna().mean()
        if share > best_share:
            best_format, best_share = fmt, share
    if best_format is None or best_share < DATE_SHARE:
        return None, None, ""
    if best_format[:2] in ("%d", "%m") and best_format[2] in "/-":
        # The sample ties when its days are all 12 or less: a later 31/01 or 01/31 must decide it.
        order = day_month_order(present) or DEFAULT_DATE_ORDER
        if order != "mixed":  # written both ways: the format that reads most of them stays
            first, second = ("%d", "%m") if order == "day" else ("%m", "%d")
            best_format = first + best_format[2] + second + best_format[5:]
    dates = pd.to_datetime(text, format=best_format, errors="coerce")
    if dates.notna().sum() < DATE_SHARE * len(present):
        return None, None, ""
    return dates, text.notna() & dates.isna(), best_format


def _examples(values: pd.Series, mask: pd.Series) -> tuple[int, tuple[tuple[int, str], ...]]:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    examples = tuple((int(p) + 1, clipped(values.iloc[p], 40)) for p in positions[:3])
    return int(len(positions)), examples


def _unparsed(table: Table, column: str) -> pd.Series:
    """Cells of a number column that hold something but were not read (e.g. a number of 10,000 digits).

    Rows with no value at all in the typed view (repeated headers, a totals row) are not counted.
    """
    unparsed = table.frame[column].isna()
    if not unparsed.any():
        return unparsed
    unparsed &= ~table.raw[column].str.strip().str.lower().isin(MISSING_MARKERS)
    if unparsed.any():
        rows = table.frame.loc[unparsed].notna().any(axis=1)
        unparsed.loc[rows.index] = rows
    return unparsed


def _mixed_date_examples(text: pd.Series) -> str:
    """Two values in different date formats when most values are dates but in several formats, else ""."""
    sample = text.dropna().iloc[:500]
    if len(sample) == 0 or sample.str.match(_DATE_LIKE.pattern).mean() < NUMERIC_SHARE:
        return ""
    first_format = pd.Series(-1, index=sample.index)
    for i, fmt in enumerate(_DATE_FORMATS):
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce").notna()
        first_format = first_format.mask(parsed & (first_format < 0), i)
    if (first_format >= 0).mean() < NUMERIC_SHARE or first_format[first_format >= 0].nunique() < 2:
        return ""
    examples = sample[first_format >= 0].groupby(first_format[first_format >= 0], sort=False).first()
    return ", ".join(f"'{clipped(v, 40)}'" for v in examples.iloc[:2])


def _nothing_usable(table: Table, reports: list[ColumnReport]) -> str:
    """The message when no column can be a feature, saying why in the words that fit the file."""
    kinds = {r.kind for r in reports}
    if kinds == {"empty"}:
        return (
            f"Every cell of '{table.name}' is empty or a missing-value marker (like 'NA' or '?'), so there "
            "is nothing to segment. Export the table again with its data."
        )
    if kinds <= {"empty", "constant"}:
        same = []
        for report in reports:
            if report.kind == "constant":
                value = table.frame[report.column].dropna().iloc[0]
                shown = number(value) if isinstance(value, (int, float)) else f"'{clipped(value, 40)}'"
                same.append(f"'{report.column}' is {shown}")
        more = f" and {len(same) - 4:,} more" if len(same) > 4 else ""
        return (
            f"Every customer has the same values ({', '.join(same[:4])}{more} in every row), so there is "
            "nothing to tell them apart. Check that the export holds the real customer rows."
        )
    reasons = " ".join(f"'{r.column}': {r.reason}" for r in reports[:4])
    more = f" (and {len(reports) - 4:,} more columns)" if len(reports) > 4 else ""
    return (
        "None of the columns can be used to segment customers (they need numbers, dates or categories). "
        f"{reasons}{more}"
    )


def _number_warnings(column: str, series: pd.Series, table: Table) -> tuple[str, ...]:
    present = series.dropna()
    found = []
    negative = present < 0
    if 0 < negative.sum() <= 0.02 * len(present):
        first = int(np.flatnonzero((series < 0).to_numpy())[0])
        found.append(
            f"{int(negative.sum())} negative value(s) in a column that is otherwise positive "
            f"(e.g. {number(series.iloc[first])} in row {first + 1:,}): worth checking."
        )
    values = present.to_numpy()
    # In a small file whole-euro amounts often all differ; over hundreds of customers they repeat.
    if len(values) >= 200 and present.is_unique and np.all(values == np.round(values)):
        found.append(
            "Every customer has a different whole number here. If it is a customer, order or "
            "phone number rather than an amount, leave it out of the chosen columns."
        )
    return tuple(found)


def _rare_value_warnings(present: pd.Series) -> tuple[str, ...]:
    counts = present.value_counts()
    if len(present) < 50 or len(counts) < 3:
        return ()
    rare = counts[counts <= max(1, 0.01 * len(present))]
    if len(rare) == 0 or len(rare) == len(counts):
        return ()
    listed = ", ".join(f"'{value}' ({count} row{'s' if count > 1 else ''})" for value, count in rare.iloc[:4].items())
    return (f"Rare values that may be typos: {listed}.",)


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


def _table_from_frame(frame: pd.DataFrame) -> Table:
    """Wrap a DataFrame from a notebook as a Table (its cells, as text, are the raw view)."""
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    raw = frame.astype(str).where(frame.notna(), "")
    typed = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            typed[column] = series.astype("float64")
        elif pd.api.types.is_numeric_dtype(series):
            typed[column] = series.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(series):
            typed[column] = series.dt.strftime("%Y-%m-%d")
        else:
            typed[column] = series.astype("str").str.strip().mask(series.isna())
    return Table(raw=raw, frame=pd.DataFrame(typed, index=frame.index), name="data")

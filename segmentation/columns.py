"""Decide what each column of a customer file is, and why: the audit a marketer reads.

Identifiers (unique per row, or named like ``id``/``CustomerID``/``CUST_ID``), constant columns,
empty columns and free text are left out; numbers are used as they are, even with a little text in
them (``n/a``, ``$12``, ``1,234``, ``12%``, ``#DIV/0!``, named with their rows); a column with two
values is a yes/no column, other text with few values a category; dates become days before the
latest date. Each decision is a :class:`ColumnReport`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .amounts import find_codes, is_skewed, words
from .cells import (
    EXCEL_ERROR,
    MAX_MAGNITUDE,
    MISSING_MARKERS,
    NUMERIC_SHARE,
    lenient_numbers,
    may_be_numbers,
    number_text,
)
from .dates import mixed_date_examples, read_dates
from .load import Table
from .roles import AS_IT_IS, default_role, described
from .wording import clipped, number

__all__ = [
    "KINDS",
    "NO_SPELLINGS",
    "MAX_CATEGORIES",
    "ROLES",
    "YES_SPELLINGS",
    "ColumnReport",
    "candidate_columns",
    "default_role",
    "inspect_column",
    "nothing_usable",
    "truth",
]


#: Text columns with more distinct values than this are not one-hot encoded (too many columns).
MAX_CATEGORIES = 20


#: The same for a column the user chose by name.
_CHOSEN_CATEGORIES = 50


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


#: The kinds a column can have (the command line's JSON and the run file use these words).
KINDS = ("number", "category", "flag", "date", "id", "constant", "text")
#: What a column is for: in the distance, profiled per segment only, or left out.
ROLES = ("segment", "describe", "ignore")

# Whole numbers under these names are codes for places, channels, devices ..., not amounts.
_CODE_WORDS = frozenset(
    """region regions channel channels browser browsers os type types kind code codes status class
    group groups category categories cat cluster segment zone area territory district state country
    city store branch outlet shop department dept device devices platform source medium tier plan
    brand language gender sex marital education occupation job industry""".split()
)
_CODE_PHRASES = (("operating", "system"), ("operating", "systems"), ("traffic", "type"))
# ... and numbers under these names are amounts, counts or scores, whatever their values look like.
_AMOUNT_WORDS = frozenset(
    """count counts num number numbers qty quantity total amount amt sum spend spent spending price
    value revenue income salary balance cost costs fee fees charge charges age year years month months
    week weeks day days hour hours minute minutes second seconds duration time tenure recency frequency
    visit visits purchase purchases order orders item items page pages click clicks session sessions
    kid kids kidhome teenhome child children teen teens member members size score scores rating ratings
    rank points stars percent pct rate rates ratio share nights products campaign contacts calls""".split()
)
#: How yes and no are written (compared in lower case): a yes/no column matches new values by meaning.
YES_SPELLINGS = frozenset({"yes", "y", "true", "t", "1", "1.0", "ja", "oui", "si", "sí"})
NO_SPELLINGS = frozenset({"no", "n", "false", "f", "0", "0.0", "nein", "non"})


@dataclass(frozen=True)
class ColumnReport:
    """What :func:`prepare` decided about one column, and why.

    Attributes
    ----------
    column : str
        The column's name in the file.
    kind : str
        One of :data:`KINDS`: ``"number"``, ``"category"`` (one 0/1 feature per value), ``"flag"``
        (two values, one 0/1 feature: yes/no text, TRUE/FALSE and 0/1 numbers alike), ``"date"``
        (days before the latest date), ``"id"``, ``"constant"`` or ``"text"``.
    role : str
        One of :data:`ROLES`: ``"segment"`` (in the distance), ``"describe"`` (profiled per
        segment, not in the distance) or ``"ignore"``.
    reason : str
        The decision in plain words.
    distinct : int
        Number of different values (missing not counted).
    missing : int
        Missing cells, including cells that could not be read (see ``unreadable``) and codes.
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
        Things worth a look: negative values, rare values that may be typos, extreme values.
    transform : str
        ``"log"`` when the column is compared on a log scale, else ``"none"``.
    codes : tuple of float
        Values of a number column read as codes (missing, plus a flag per code).
    code_rows : int
        Rows holding one of the codes.
    extremes : int
        Impossible values, or values far beyond the rest (named in ``warnings``).
    set_aside : int
        Customers set aside as unusual because of this column (only with ``outliers="set-aside"``).
    from_numbers : bool
        A category or yes/no column whose values are numbers in the file (codes, 0/1): its values
        are read as numbers and written as :func:`segmentation.cells.number_text`.
    """

    column: str
    kind: str
    role: str
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
    transform: str = "none"
    codes: tuple[float, ...] = ()
    code_rows: int = 0
    extremes: int = 0
    set_aside: int = 0
    from_numbers: bool = False

    @property
    def used(self) -> bool:
        """Whether the column is in the distance (its role is ``"segment"``)."""
        return self.role == "segment"

    @property
    def usable(self) -> bool:
        """Whether the column could be segmented on or profiled (numbers, categories, flags, dates)."""
        return self.kind in {"number", "category", "flag", "date"}

    def summary(self) -> str:
        """One plain paragraph about the column: the decision, then what was read, filled or found."""
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
        if self.role != "ignore" and self.codes:
            codes = " and ".join(number(c) for c in self.codes)
            parts.append(
                f"{codes} in {self.code_rows:,} row(s) stands apart from the other values as a code, not an "
                f"amount: read as missing, with a yes/no feature for it."
            )
        if self.transform == "log" and self.role != "ignore":
            parts.append("Skewed (a few customers have far more than most): compared on a log scale.")
        if self.used and self.missing:
            parts.append(f"{self.missing:,} missing value(s) filled with the {self.filled_with}.")
        if self.clipped:
            parts.append(f"{self.clipped:,} extreme value(s) clipped to the 1st/99th percentile.")
        if self.set_aside:
            parts.append(f"{self.set_aside:,} customer(s) with an extreme value here set aside as unusual.")
        parts.extend(self.warnings)
        return " ".join(parts)


def candidate_columns(table: Table) -> list[str]:
    """Columns a user may pick as features: numbers, categories, flags and dates."""
    reports = [inspect_column(table, column, explicit=False)[0] for column in table.columns]
    return [r.column for r in reports if r.usable]


def inspect_column(
    table: Table, column: str, *, explicit: bool, as_kind: str | None = None
) -> tuple[ColumnReport, pd.Series | None]:
    """Decide one column's kind and default role; return its report and values in original units.

    Parameters
    ----------
    table : Table
    column : str
    explicit : bool
        Whether the user chose the column by name (then it is never an identifier, and may have
        more categories).
    as_kind : {"number", "category"}, optional
        The user's reading of the column, instead of the automatic one.

    Returns
    -------
    report : ColumnReport
    values : Series or None
        Numbers as float (codes missing), dates as datetimes, categories and flags as text; None
        for columns that are neither.
    """
    report, values = _kind(table, column, explicit=explicit, as_kind=as_kind)
    if report.usable:
        # Unreadable cells, markers and blanks count (codes are values); rows with no value at all
        # (a line of separators, a repeated header) are no customers, and do not.
        customers = table.customer_rows
        blank = float(values[customers].isna().mean()) if customers.any() else 0.0
        role, why = default_role(column, report.kind, blank=blank)
        if role != "segment":
            report = replace(report, role=role, reason=f"{described(report.reason)} {why}")
    return report, values


def _kind(table: Table, column: str, *, explicit: bool, as_kind: str | None) -> tuple[ColumnReport, pd.Series | None]:
    series = table.frame[column]
    n = len(series)
    present = series.dropna()
    missing = int(n - len(present))
    if len(present) == 0:
        return ColumnReport(column, "constant", "ignore", "Every value is missing.", missing=missing), None

    # Chosen or not, a postcode is a place: only the number of places it may have changes.
    place_code = bool(_PLACE_CODE_NAME.match(column.strip())) and as_kind != "number"
    distinct = None
    if place_code:
        distinct = int(present.nunique())  # places as read ("01234" and "1234" are one), before the raw text
        series = table.raw[column].str.strip().mask(series.isna())
        present = series.dropna()
    is_number = pd.api.types.is_numeric_dtype(series) and not place_code
    unreadable = 0
    unreadable_examples: tuple[tuple[int, str], ...] = ()
    converted = 0
    if not is_number and not place_code and may_be_numbers(present, decimal=table.decimal):
        numbers, converted, bad = lenient_numbers(series, decimal=table.decimal)
        # Excel's error values (#DIV/0!, #N/A) stand where a formula's number failed: they say the
        # column is numeric, so they do not count against it (they are still reported and missing).
        errors = int(series.str.strip().str.upper().str.match(EXCEL_ERROR.pattern).fillna(False).sum())
        readable = int(numbers.notna().sum())
        if readable and readable >= NUMERIC_SHARE * (len(present) - errors):
            is_number = True
            unreadable, unreadable_examples = cell_examples(series, bad)
            series = numbers
        else:
            converted = 0

    if is_number:
        return _number_column(
            table, column, series, explicit=explicit, as_kind=as_kind, read=(unreadable, unreadable_examples, converted)
        )

    if distinct is None:
        distinct = int(present.nunique())  # here, not above: a number column counts its own once
    if place_code and distinct > (MAX_CATEGORIES if not explicit else _CHOSEN_CATEGORIES):
        reason = (
            f"Postcode with {distinct:,} different places: a place, not an amount, and too many "
            "places to compare customers by. A region or city column works better."
        )
        return ColumnReport(column, "text", "ignore", reason, distinct=distinct, missing=missing), None

    text = series.astype("str")
    dates, date_bad, date_format = read_dates(text)
    if dates is not None:
        unreadable, unreadable_examples = cell_examples(text, date_bad)
        days_present = dates.dropna()
        base = dict(
            distinct=int(days_present.nunique()),
            missing=int(n - len(days_present)),
            unreadable=unreadable,
            unreadable_examples=unreadable_examples,
        )
        if (days_present == days_present.iloc[0]).all():
            return ColumnReport(column, "constant", "ignore", "The same date in every row.", **base), None
        reason = "Date, used as days before the latest date."
        return ColumnReport(column, "date", "segment", reason, date_format=date_format, **base), dates

    base = dict(distinct=distinct, missing=missing)
    mixed = mixed_date_examples(text)
    if mixed:
        reason = (
            f"Dates written in more than one way (e.g. {mixed}); write every date the same way "
            "(for example 2024-01-31) to use this column."
        )
        return ColumnReport(column, "text", "ignore", reason, **base), None
    if not explicit and _looks_like_identifier(column, present, n, distinct=distinct):
        return ColumnReport(column, "id", "ignore", _identifier_reason(column, distinct, n), **base), None
    if distinct == 1:
        reason = f"Same value ('{present.iloc[0]}') in every row, so it cannot tell customers apart."
        return ColumnReport(column, "constant", "ignore", reason, **base), None
    warn = _rare_value_warnings(present)
    if distinct == 2:
        return ColumnReport(column, "flag", "segment", _flag_reason(present), warnings=warn, **base), text
    limit = MAX_CATEGORIES if not (explicit or as_kind == "category") else _CHOSEN_CATEGORIES
    if distinct <= limit and (distinct <= max(2, 0.5 * len(present)) or as_kind == "category"):
        reason = f"Category with {distinct} values: one 0/1 feature per value."
        return ColumnReport(column, "category", "segment", reason, warnings=warn, **base), text
    reason = f"Text with {distinct:,} different values (like names or free text), too many to compare customers by."
    return ColumnReport(column, "text", "ignore", reason, **base), None


def _number_column(
    table: Table, column: str, series: pd.Series, *, explicit: bool, as_kind: str | None, read: tuple
) -> tuple[ColumnReport, pd.Series | None]:
    unreadable, unreadable_examples, converted = read
    n = len(series)
    series = series.astype("float64")
    extreme = ~np.isfinite(series) | (series.abs() > MAX_MAGNITUDE)
    extreme &= series.notna()
    if pd.api.types.is_numeric_dtype(table.frame[column]):
        extreme |= unparsed_cells(table, column)
    if extreme.any():
        raw = table.raw[column].str.strip()
        count, examples = cell_examples(raw, extreme)
        unreadable += count
        unreadable_examples = (unreadable_examples + examples)[:3]
        series = series.mask(extreme)
    present = series.dropna()
    distinct = int(present.nunique())
    base = dict(
        distinct=distinct,
        missing=int(n - len(present)),
        unreadable=unreadable,
        unreadable_examples=unreadable_examples,
        converted=converted,
    )
    if len(present) == 0:
        return ColumnReport(column, "constant", "ignore", "No value in it can be read as a number.", **base), None
    if not explicit and as_kind is None and _looks_like_identifier(column, present, n, distinct=distinct):
        return ColumnReport(column, "id", "ignore", _identifier_reason(column, distinct, n), **base), None
    if distinct == 1:
        reason = f"Same value ({number(present.iloc[0])}) in every row, so it cannot tell customers apart."
        return ColumnReport(column, "constant", "ignore", reason, **base), None

    def as_text() -> pd.Series:
        # Few different values here (a flag, codes): each written once, then looked up.
        return series.map({v: number_text(v) for v in present.unique()}).astype("str")

    if distinct == 2 and as_kind != "number":
        text = as_text()
        return ColumnReport(column, "flag", "segment", _flag_reason(text.dropna()), from_numbers=True, **base), text
    whole = bool(np.all(present == np.round(present)))
    code_reason = _code_reason(column, present, distinct) if whole and as_kind is None else ""
    if as_kind == "category" and distinct <= _CHOSEN_CATEGORIES:
        code_reason = f"Numbers read as a category with {distinct} values (as chosen): one 0/1 feature per value."
    if code_reason:
        return ColumnReport(column, "category", "segment", code_reason, from_numbers=True, **base), as_text()

    codes = find_codes(series)
    code_rows = 0
    if codes:
        # The values keep their codes: the preparation turns each into missing plus a flag.
        is_code = series.isin(codes)
        code_rows = int(is_code.sum())
        base.update(missing=int((series.isna() | is_code).sum()), distinct=int(series[~is_code].nunique()))
    amounts = series.mask(series.isin(codes)) if codes else series
    warn = _number_warnings(column, amounts, distinct=base["distinct"])
    transform = "log" if is_skewed(amounts, distinct=base["distinct"]) else "none"
    report = ColumnReport(
        column,
        "number",
        "segment",
        f"Number{AS_IT_IS}",
        warnings=warn,
        transform=transform,
        codes=codes,
        code_rows=code_rows,
        **base,
    )
    return report, series


def _flag_reason(present: pd.Series) -> str:
    low, high = sorted(present.astype("str").unique())
    if {truth(low), truth(high)} == {False, True}:
        return f"Yes/no column ('{high}' or '{low}')."
    return f"Two values, '{low}' or '{high}': a yes/no column (1 for '{high}')."


def truth(value: str) -> bool | None:
    """``True`` for yes-like values (yes, true, 1, y ...), ``False`` for no-like ones, else None.

    Examples
    --------
    >>> truth("Yes"), truth("FALSE"), truth("Male")
    (True, False, None)
    """
    text = str(value).strip().lower()
    return True if text in YES_SPELLINGS else False if text in NO_SPELLINGS else None


def _code_reason(column: str, present: pd.Series, distinct: int) -> str:
    """Why a column of whole numbers holds codes (places, channels, devices ...), or "" if it does not."""
    if not 3 <= distinct <= MAX_CATEGORIES:
        return ""
    names = words(column)
    if set(names) & _AMOUNT_WORDS:
        return ""
    low, high = int(present.min()), int(present.max())
    span = f"{low} to {high}" if high - low + 1 == distinct else f"{distinct} different numbers"
    pairs = set(zip(names, names[1:], strict=False))
    if set(names) & _CODE_WORDS or pairs & set(_CODE_PHRASES):
        return (
            f"Codes {span} stored as numbers: the name says they stand for groups, not amounts, so it is "
            "a category (one 0/1 feature per code)."
        )
    if low == 1 and high == distinct:
        return (
            f"Codes 1 to {high} stored as numbers, every code in use: read as a category (one 0/1 "
            "feature per code). If they are amounts or a score, choose 'number' for it."
        )
    return ""


def _looks_like_identifier(column: str, present: pd.Series, n: int, *, distinct: int) -> bool:
    name = column.strip()
    if _ID_NAME.match(name) or _ID_NAME.match(name.lower()):
        # By name only when most values differ: a "Region code" with four values is a category.
        return distinct >= 0.5 * len(present)
    unique = distinct == len(present) and len(present) >= 0.95 * n and n >= 3
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


def nothing_usable(table: Table, reports: list[ColumnReport]) -> str:
    """The message when no column can be a feature, saying why in the words that fit the file."""
    kinds = {r.kind for r in reports}
    if all(r.kind == "constant" and r.distinct == 0 for r in reports):
        return (
            f"Every cell of '{table.name}' is empty or a missing-value marker (like 'NA' or '?'), so there "
            "is nothing to segment. Export the table again with its data."
        )
    if kinds <= {"constant"}:
        same = []
        for report in reports:
            if report.kind == "constant" and report.distinct:
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


def _number_warnings(column: str, series: pd.Series, *, distinct: int) -> tuple[str, ...]:
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
    if len(values) >= 200 and distinct == len(values) and np.all(values == np.round(values)):
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


def cell_examples(values: pd.Series, mask: pd.Series) -> tuple[int, tuple[tuple[int, str], ...]]:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    examples = tuple((int(p) + 1, clipped(values.iloc[p], 40)) for p in positions[:3])
    return int(len(positions)), examples


def unparsed_cells(table: Table, column: str) -> pd.Series:
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

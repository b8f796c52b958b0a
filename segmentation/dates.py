"""Dates in cells: the formats read, which of day and month comes first, and reading a column as dates.

A date column becomes "days before the latest date" in the preparation; ``03/04/2024`` is read day or
month first as the whole column shows, and as :data:`DEFAULT_DATE_ORDER` when nothing tells, with a
note on the table.
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

from .cells import NUMERIC_SHARE
from .wording import clipped

__all__ = [
    "DATE_FORMATS",
    "DATE_SHARE",
    "DEFAULT_DATE_ORDER",
    "date_order_notes",
    "day_month_order",
    "mixed_date_examples",
    "read_dates",
]


#: How dates such as ``03/04/2024`` are read when no date in their column has a day above 12: day
#: first, as written everywhere but North America; a file with a date like ``12/31/2023`` in the
#: column is read month first instead (see :func:`day_month_order`), and a guess is said in a note.
DEFAULT_DATE_ORDER = "day"


def day_month_order(values: pd.Series) -> str:
    """Which part comes first in a column of dates like ``03/04/2024``, as far as its values tell.

    A first part above 12 can only be a day (``31/01/2024``), a second part above 12 only a day
    after the month (``01/31/2024``). Every value is looked at, not a sample: one such date among a
    million decides the whole column.

    Parameters
    ----------
    values : Series of str
        Dates written with ``/`` or ``-`` between day, month and year (missing allowed).

    Returns
    -------
    str
        ``"day"`` or ``"month"``; ``"mixed"`` when some dates are written each way; ``""`` when
        none tells (read them as :data:`DEFAULT_DATE_ORDER`).

    Examples
    --------
    >>> import pandas as pd
    >>> day_month_order(pd.Series(["03/04/2024", "12/31/2023"])), day_month_order(pd.Series(["03/04/2024"]))
    ('month', '')
    """
    text = values.dropna().astype("str").str.strip()
    day_first = bool(text.str.match(r"^(1[3-9]|[23]\d)[/-]\d{1,2}[/-]").any())
    month_first = bool(text.str.match(r"^\d{1,2}[/-](1[3-9]|[23]\d)[/-]").any())
    if day_first and month_first:
        return "mixed"
    return "day" if day_first else "month" if month_first else ""


#: A date with day and month in either order, then the year: "03/04/2024", "3-4-24".
# Dates like 03/04/2024, 03/04/24 and 03-04-2024 (ASCII digits only, as the preparation reads them).
_DAY_MONTH_DATE = re.compile(r"^([0-9]{1,2})([/-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})$")


#: Share of a column's first values that must be such dates for the column to count as dates.
DATE_SHARE = 0.9


def date_order_notes(frame: pd.DataFrame) -> list[str]:
    """A note for each column of dates that could be day/month or month/day, saying how it is read."""
    notes = []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values) or not values.notna().any():
            continue
        if not _DAY_MONTH_DATE.match(str(values.loc[values.first_valid_index()]).strip()):
            continue  # most columns are not dates: told apart on one value, before any copy
        present = values.dropna().str.strip()
        head = present.iloc[:500]
        if head.str.match(_DAY_MONTH_DATE.pattern).mean() < DATE_SHARE or day_month_order(present):
            continue
        # Only a date whose two parts differ reads differently (05/05/2024 is the same either way).
        matches = (_DAY_MONTH_DATE.match(v) for v in present)
        example = next((m for m in matches if m is not None and _parts_differ(m)), None)
        if example is None:
            continue
        first, sep, second, year = example.groups()
        if sep == "-" and len(year) == 2:
            continue  # 03-04-24 is not a layout the preparation reads as a date
        # Two-digit years as strptime's %y reads them: 69-99 are 1900s, 00-68 are 2000s.
        year = int(year) if len(year) == 4 else int(year) + (1900 if int(year) >= 69 else 2000)
        try:
            readings = {
                "day": ("day/month", datetime(year, int(second), int(first))),
                "month": ("month/day", datetime(year, int(first), int(second))),
            }
        except ValueError:
            continue  # not a real date either way (a year 0000 placeholder): nothing to explain
        order, read = readings[DEFAULT_DATE_ORDER]
        other_order, other = readings["month" if DEFAULT_DATE_ORDER == "day" else "day"]
        notes.append(
            f"Dates in '{column}' could be day/month or month/day (no day in the column is above 12); "
            f"they are read as {order}, so '{example.group(0)}' is {read.day} {read:%B %Y}. If they are "
            f"{other_order}, write them as year-month-day ({other:%Y-%m-%d}) and upload again."
        )
    return notes


def _parts_differ(date: re.Match) -> bool:
    first, second = int(date.group(1)), int(date.group(3))
    return first != second and 1 <= first <= 12 and 1 <= second <= 12


DATE_FORMATS = (
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


def read_dates(text: pd.Series) -> tuple[pd.Series | None, pd.Series | None, str]:
    """Read text as dates in the format most of it follows; (None, None, "") when it is not dates.

    Dates such as 03/04/2024 are read day or month first as the whole column shows (a part above
    12), and as :data:`segmentation.load.DEFAULT_DATE_ORDER` when no value shows it; the loader
    notes that guess on the table.
    """

    present = text.dropna()
    sample = present.iloc[:500]
    # The sample first: a text column without digits in its first values is told in no time.
    if not (len(present) and sample.str.contains(r"\d").all() and present.str.contains(r"\d").all()):
        return None, None, ""
    best_format, best_share = None, 0.0
    for fmt in DATE_FORMATS:
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


def mixed_date_examples(text: pd.Series) -> str:
    """Two values in different date formats when most values are dates but in several formats, else ""."""
    sample = text.dropna().iloc[:500]
    if len(sample) == 0 or sample.str.match(_DATE_LIKE.pattern).mean() < NUMERIC_SHARE:
        return ""
    first_format = pd.Series(-1, index=sample.index)
    for i, fmt in enumerate(DATE_FORMATS):
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce").notna()
        first_format = first_format.mask(parsed & (first_format < 0), i)
    if (first_format >= 0).mean() < NUMERIC_SHARE or first_format[first_format >= 0].nunique() < 2:
        return ""
    examples = sample[first_format >= 0].groupby(first_format[first_format >= 0], sort=False).first()
    return ", ".join(f"'{clipped(v, 40)}'" for v in examples.iloc[:2])

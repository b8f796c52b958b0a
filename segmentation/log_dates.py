"""Dates in a transaction log: each row's day, read once per distinct value and in every layout found.

A log repeats a few hundred dates over millions of rows, some exports mix layouts (``2024-03-05``
beside ``05.03.2024`` or ``20240305``), and the roll-up counts days. :func:`read_days` turns a column
of dates into day numbers (days since 1970-01-01) with the layouts it read, :func:`day_number` reads
an as-of date given by a person, :func:`day_text` writes a day back, and :func:`layout_words` says a
layout as people write it (``yyyymmdd``).
"""

from __future__ import annotations

import re
from datetime import date as Date
from datetime import datetime

import numpy as np
import pandas as pd

from .dates import DATE_FORMATS, DEFAULT_DATE_ORDER, day_month_order, read_dates
from .errors import DataError
from .wording import clipped

__all__ = ["day_number", "day_text", "layout_words", "read_days"]


def read_days(text: pd.Series) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Read text as dates: each row's day (days since 1970-01-01; 0 where unread), whether it was
    read, and how many rows each layout read.

    A log repeats a few hundred dates over millions of rows, so each distinct value is read once
    (parsing 10 million dates takes seconds, looking them up a fraction of that).
    """
    codes, distinct = pd.factorize(text)
    dates, layout_of = _read_distinct_dates(pd.Series(distinct, dtype="str"))
    read = dates.notna().to_numpy()
    day_of = np.where(read, dates.to_numpy().astype("datetime64[D]").astype(np.int64), 0)
    position = np.maximum(codes, 0)
    readable = (codes >= 0) & read[position]
    days = np.where(readable, day_of[position], 0)
    rows = np.bincount(layout_of[position[readable]], minlength=len(DATE_FORMATS))
    return days, readable, {DATE_FORMATS[i]: int(rows[i]) for i in np.argsort(-rows, kind="stable") if rows[i]}


def _read_distinct_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Read text as dates, each in the first layout that reads it; NaT where none does.

    The layout most values follow is found by :func:`segmentation.dates.read_dates`; the values it
    does not read are tried in the other layouts of :data:`segmentation.dates.DATE_FORMATS`, day
    or month first as the whole column shows. Returns the dates and, for each value, the position
    of its layout in ``DATE_FORMATS`` (-1 where none reads it).
    """
    found, _, main = read_dates(values)
    layout_of = np.full(len(values), -1, dtype=np.int64)
    # In seconds, whatever pandas parsed in: every layout's dates go into one column.
    if found is None:
        dates = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    else:
        dates = found.astype("datetime64[s]")
        layout_of[dates.notna().to_numpy()] = DATE_FORMATS.index(main)
    others = values[values.notna() & dates.isna()]
    if others.empty:
        return dates, layout_of
    order = day_month_order(others) or DEFAULT_DATE_ORDER
    for i, layout in enumerate(DATE_FORMATS):
        if layout == main or (order != "mixed" and _wrong_order(layout, order)):
            continue
        parsed = pd.to_datetime(others, format=layout, errors="coerce")
        read = parsed.notna()
        if read.any():
            dates.loc[read.index[read]] = parsed[read].astype("datetime64[s]")
            layout_of[read.index[read]] = i
            others = others[~read]
            if others.empty:
                break
    return dates, layout_of


def _wrong_order(layout: str, order: str) -> bool:
    """Whether a day/month layout reads day and month the other way from ``order``."""
    first = layout[:2]
    if first not in ("%d", "%m") or layout[2] not in "/-":
        return False
    return first != ("%d" if order == "day" else "%m")


_LAYOUT_PARTS = {"%Y": "yyyy", "%y": "yy", "%m": "mm", "%d": "dd", "%H": "hh", "%M": "mm", "%S": "ss"}


def layout_words(layout: str) -> str:
    """A date layout as people write it: ``"%Y%m%d"`` is ``"yyyymmdd"``.

    Examples
    --------
    >>> layout_words("%Y%m%d"), layout_words("%d/%m/%Y")
    ('yyyymmdd', 'dd/mm/yyyy')
    """
    return re.sub(r"%[YymdHMS]", lambda part: _LAYOUT_PARTS[part.group()], layout).replace("T", " ")


def day_number(as_of: str | Date | datetime | pd.Timestamp) -> int:
    """The as-of date as a day number (days since 1970-01-01), written in any layout a log's dates may be."""
    if isinstance(as_of, (Date, datetime, pd.Timestamp, np.datetime64)):
        return int(np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64))
    days, readable, _ = read_days(pd.Series([str(as_of).strip()], dtype="str"))
    if not readable[0]:
        raise DataError(
            f"The as-of date '{clipped(as_of, 40)}' is not a date. Write it as year-month-day, e.g. 2024-06-30."
        )
    return int(days[0])


def day_text(day: int) -> str:
    """A day number as ``yyyy-mm-dd``.

    Examples
    --------
    >>> day_text(0), day_text(19_723)
    ('1970-01-01', '2024-01-01')
    """
    return str(np.datetime64(day, "D"))

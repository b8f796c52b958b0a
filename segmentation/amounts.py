"""How the values of a number column behave: codes standing for "none", skew, and extreme values.

Exports hold numbers that are not amounts: ``-1`` for "never contacted" in a column of day counts,
``999`` for "not asked". Read as amounts they pull every customer who has them to one end of the
column, and k-means spends a segment on them. Money, counts and durations are often so right-skewed
that a handful of big customers set the scale for everyone else. And some values are impossible
(a negative age, a birth year of 1893) or far beyond the rest (an income of 666,666 among incomes
below 200,000). This module finds each of these, so the preparation can say so and deal with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .wording import number, number_list

__all__ = [
    "EXTREME_IQRS",
    "Extremes",
    "find_codes",
    "find_extremes",
    "is_skewed",
    "log_scale",
    "words",
]

#: A value this many interquartile ranges beyond the quartiles is extreme.
EXTREME_IQRS = 3.0
#: When more than this share of a column is beyond the fences, that is the column's shape, not a
#: few odd customers: nothing is named.
_MAX_EXTREME_SHARE = 0.01
#: A code must stand for at least this share of the column's values (and 2 customers).
_MIN_CODE_SHARE = 0.001
#: Values made only of nines (99, 999, 9999 ...) are the usual "no answer" codes above a column.
_NINES = frozenset(float(10**d - 1) for d in range(2, 10))
#: Auto log: right skew (on the column without its 0.5% extremes at each end) at least this ...
_SKEW = 1.0
#: ... and the decile skew (Kelly's) at least this, so one long tail of a few customers is not enough.
_DECILE_SKEW = 0.3
#: Columns with fewer different values are left as they are (small counts such as children).
_MIN_DISTINCT_FOR_LOG = 10

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_AGE_WORDS = frozenset({"age", "alter", "edad"})
_BIRTH_YEAR = re.compile(r"birth|born|yob|geburt", re.IGNORECASE)


def words(name: str) -> list[str]:
    """A column name as lower-case words: camelCase, snake_case and spaces split.

    Examples
    --------
    >>> words("OperatingSystems"), words("Year_Birth"), words("Spending Score (1-100)")
    (['operating', 'systems'], ['year', 'birth'], ['spending', 'score', '1', '100'])
    """
    return [w.lower() for w in _WORD.findall(name)]


def find_codes(values: pd.Series) -> tuple[float, ...]:
    """Values of a number column that stand apart as codes, not amounts.

    Two shapes are recognised, each repeated in at least 2 rows (and 0.1% of them): the only
    negative value of a column that is otherwise 0 or more (``-1`` for "never"), and a value made
    of nines (``999``) at least twice as large as every other value.

    Parameters
    ----------
    values : Series of float
        The column's numbers (missing allowed).

    Returns
    -------
    tuple of float
        The codes found, lowest first.

    Examples
    --------
    >>> find_codes(pd.Series([-1, -1, -1, 3, 7, 12, 40, 5, 2, 9]))
    (-1.0,)
    >>> find_codes(pd.Series([1, 2, 3, 999, 999, 4, 5, 6, 2, 3]))
    (999.0,)
    >>> find_codes(pd.Series([-5, 3, -2, 8, 1, 0, 4, 7, 9, 2]))
    ()
    """
    present = values.dropna()
    if len(present) < 10:
        return ()
    least = max(2, int(np.ceil(_MIN_CODE_SHARE * len(present))))
    codes = []
    # Only the negative values and the nines are counted: a column of amounts holds hundreds of
    # thousands of different values, and counting them all took 0.1 s on a million rows.
    negative = present[present < 0].value_counts()
    if len(negative) == 1 and negative.iloc[0] >= least and present[present >= 0].nunique() >= 2:
        value = float(negative.index[0])
        if value == round(value):
            codes.append(value)
    nines = present[present.isin(list(_NINES))].value_counts()
    for value in nines.index[nines.to_numpy() >= least]:
        others = present[present != value]
        if others.nunique() >= 2 and value >= 2 * others.abs().max():
            codes.append(float(value))
    return tuple(sorted(codes))


def is_skewed(values: pd.Series, *, distinct: int | None = None) -> bool:
    """Whether a column of amounts is so right-skewed that it is best compared on a log scale.

    Only columns of non-negative numbers with at least 10 different values qualify. The skewness is
    measured without the 0.5% most extreme values at each end (one income of 666,666 must not make
    a column of ordinary incomes "skewed") and must show in the deciles too.

    Parameters
    ----------
    values : Series
        The amounts (missing values allowed).
    distinct : int, optional
        How many different values they hold, when the caller has counted them already (counting
        takes a tenth of a second on a million rows).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> is_skewed(pd.Series(rng.lognormal(3, 1.2, 1_000))), is_skewed(pd.Series(rng.normal(50, 10, 1_000)))
    (True, False)
    """
    present = values.dropna()
    if len(present) < 20 or (present < 0).any():
        return False
    if distinct is None:
        # Enough different values among the first rows settles it without counting them all.
        head = present.iloc[:10_000].nunique()
        distinct = head if head >= _MIN_DISTINCT_FOR_LOG else present.nunique()
    if distinct < _MIN_DISTINCT_FOR_LOG:
        return False
    low, high = present.quantile([0.005, 0.995])
    trimmed = present[(present >= low) & (present <= high)]
    q10, q50, q90 = trimmed.quantile([0.1, 0.5, 0.9])
    if not q90 > q10:
        return False
    kelly = (q90 + q10 - 2 * q50) / (q90 - q10)
    return bool(trimmed.skew() >= _SKEW and kelly >= _DECILE_SKEW)


def log_scale(values: pd.Series) -> float:
    """The unit of a column's log scale, ``log(1 + value / unit)``: the 10th percentile of its positive values.

    Dividing by a value of the column's own makes the transform the same whatever its unit (euros or
    thousands of euros). A small one, so that most customers are compared by ratios (twice the
    spend is the same step at 50 as at 5,000) while 0 stays 0.

    Examples
    --------
    >>> log_scale(pd.Series([0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]))
    19.0
    """
    positive = values[values > 0].dropna()
    return float(np.quantile(positive.to_numpy(dtype=np.float64), 0.1)) if len(positive) else 1.0


@dataclass(frozen=True)
class Extremes:
    """Values of a column that are impossible or far beyond the rest, and why.

    Attributes
    ----------
    mask : Series of bool
        The rows (of the column) holding such a value.
    reason : str
        One sentence naming them with their row numbers (rows counted from 1), "" when none.
    """

    mask: pd.Series
    reason: str

    @property
    def count(self) -> int:
        return int(self.mask.sum())


def find_extremes(column: str, values: pd.Series, *, log: bool = False) -> Extremes:
    """Impossible values (by the column's name) and values far beyond the rest of the column.

    Impossible: a negative age or one above 120; a birth year before 1900 or after this year. Far
    beyond: more than :data:`EXTREME_IQRS` interquartile ranges outside the quartiles (on the log
    scale for a column compared on it), as long as such values are rare (at most 1% of the column).

    Parameters
    ----------
    column : str
        The column's name, which tells what is impossible.
    values : Series of float
        The column's numbers (missing allowed), codes already removed.
    log : bool, default False
        Whether the column is compared on a log scale.

    Examples
    --------
    >>> ages = pd.Series([34.0, -23, 41, 29, 52, 38, 45, 33, 61, 27])
    >>> find_extremes("Age", ages).reason
    '1 impossible value (below 0 or above 120 for an age): -23 in row 2.'
    """
    present = values.dropna()
    impossible = pd.Series(False, index=values.index)
    what = ""
    names = set(words(column))
    if names & _AGE_WORDS and not _BIRTH_YEAR.search(column):
        impossible = (values < 0) | (values > 120)
        what = "below 0 or above 120 for an age"
    elif _BIRTH_YEAR.search(column) and present.between(1000, 2200).mean() > 0.9:
        this_year = pd.Timestamp.today().year
        impossible = (values < 1900) | (values > this_year)
        what = f"before 1900 or after {this_year} for a birth year"
    impossible = impossible.fillna(False).astype(bool)

    far = pd.Series(False, index=values.index)
    if len(present) >= 20:
        scaled = np.log(1.0 + values.clip(lower=0) / log_scale(values)) if log else values
        q1, q3 = scaled.quantile([0.25, 0.75])
        spread = q3 - q1
        if spread > 0:
            far = ((scaled < q1 - EXTREME_IQRS * spread) | (scaled > q3 + EXTREME_IQRS * spread)).fillna(False)
            far &= ~impossible
            if far.sum() > _MAX_EXTREME_SHARE * len(present):
                far[:] = False
    reasons = []
    if impossible.any():
        reasons.append(f"{_counted(impossible, 'impossible value')} ({what}): {_examples(values, impossible)}.")
    if far.any():
        typical = present[~(far | impossible)[present.index]]
        low, high = typical.quantile([0.01, 0.99])
        reasons.append(
            f"{_counted(far, 'value')} far beyond the rest (most are {number(low)} to {number(high)}): "
            f"{_examples(values, far)}."
        )
    return Extremes(impossible | far, " ".join(reasons))


def _counted(mask: pd.Series, noun: str) -> str:
    count = int(mask.sum())
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _examples(values: pd.Series, mask: pd.Series) -> str:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    shown = ", ".join(f"{number(values.iloc[p])} in row {p + 1:,}" for p in positions[:3])
    if len(positions) > 3:
        shown += f" (rows {number_list([int(p) + 1 for p in positions[3:]], limit=5)} too)"
    return shown

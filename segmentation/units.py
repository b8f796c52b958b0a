"""Numbers as a marketer quotes them: averages in the column's own units, shares as percentages.

One place decides how many decimals a value gets, so a segment card, a table on screen, a chart label
and the HTML report all say "Average Age 54 (all customers 39)" and "62%" the same way: thousands
separators, no decimals from 10 up, one below, two significant digits under 1.
"""

from __future__ import annotations

import math

__all__ = ["amount", "decimals", "percent"]


def amount(value: float) -> str:
    """A value in its column's units, rounded as a person would say it.

    Examples
    --------
    >>> amount(54.31), amount(5417.86), amount(3.456), amount(0.04213), amount(-1250.0), amount(float("nan"))
    ('54', '5,418', '3.5', '0.042', '-1,250', '–')
    """
    value = float(value)
    if not math.isfinite(value):
        return "–"
    size = abs(value)
    if size >= 10 or size == 0:
        return f"{value:,.0f}"
    if size >= 1:
        return f"{value:,.1f}"
    return f"{value:.2g}"


def decimals(values) -> int:
    """Decimals to show a column of values with, as :func:`amount` would for its typical (lower median) value.

    For tables: round a column to this, then show it with thousands separators.

    Examples
    --------
    >>> decimals([54.3, 39.1]), decimals([3.4, 12.0]), decimals([0.042, 0.05])
    (0, 1, 3)
    """
    finite = sorted(abs(float(v)) for v in values if v is not None and math.isfinite(float(v)))
    typical = finite[(len(finite) - 1) // 2] if finite else 0.0
    if typical >= 10 or typical == 0:
        return 0
    if typical >= 1:
        return 1
    return max(2, 1 - math.floor(math.log10(typical)))


def percent(share: float) -> str:
    """A share (0..1) as a percentage: whole percents, one decimal under 1% (so 0.4% is not "0%"), and
    "<0.1%" for a few customers in many (never "0.0%" for some).

    Examples
    --------
    >>> percent(0.5712), percent(0.004), percent(0.0003), percent(0.0), percent(1.0)
    ('57%', '0.4%', '<0.1%', '0%', '100%')
    """
    share = float(share)
    if not math.isfinite(share):
        return "–"
    if 0 < share < 0.0005:
        return "<0.1%"
    if 0 < abs(share) < 0.01:
        return f"{share:.1%}"
    return f"{share:.0%}"

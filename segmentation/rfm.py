"""Classic RFM beside k-means: R, F and M scores 1-5 (quintiles), Putler's 11 named RFM cells, a cross-table.

Marketers know the RFM cells by name ("Champions", "At Risk", "Hibernating"...). :func:`rfm_scores`
gives every customer of a roll-up the R, F and M scores and the cell, and :func:`rfm_crosstab` counts
customers by cell and k-means segment, so the segments can be read in those terms.

The RFM cells follow Putler's published segment table ("RFM Analysis For Successful Customer
Segmentation", https://www.putler.com/rfm-analysis/, a table many RFM tools reproduce). It places
eleven segments on a chart of the recency score (R) against the mean of the frequency and monetary
scores ((F + M) / 2), each as ranges on the chart's 0-5 axes: Champions R 4-5 and F&M 4-5, Loyal
Customers 2-5 / 3-5, Potential Loyalists 3-5 / 1-3, New Customers 4-5 / 0-1 (Putler: "Recent
Customers"), Promising 3-4 / 0-1, Need Attention 2-3 / 2-3 (Putler: "Customers Needing Attention"),
About To Sleep 2-3 / 0-2, At Risk 0-2 / 2-5, Can't Lose Them 0-1 / 4-5, Hibernating 1-2 / 1-2, Lost
0-2 / 0-2. A score ``s`` fills the interval ``(s - 1, s]`` of its axis (so "R 4-5" is R = 5); read
that way the rectangles tile the chart, and where one lies inside another (Champions in Loyal
Customers, Can't Lose Them in At Risk, Hibernating in Lost) the smaller one wins. See
:data:`RFM_SCHEME`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .transactions import ORDERS, RECENCY, SPEND, Rollup

__all__ = ["RFM_CELLS", "RFM_SCHEME", "rfm_cells", "rfm_crosstab", "rfm_scores"]

#: Putler's segments as (name, R range, F&M range) on the 0-5 axes of its chart, in the order they
#: are tried: a customer whose R lies in ``(low, high]`` of the first and whose (F + M) / 2 lies in
#: ``(low, high]`` of the second belongs to the first segment that matches. Can't Lose Them comes
#: before At Risk and Hibernating before Lost because they lie inside them.
RFM_SCHEME = (
    ("Champions", (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5)),
    ("Potential Loyalists", (3, 5), (1, 3)),
    ("New Customers", (4, 5), (0, 1)),
    ("Promising", (3, 4), (0, 1)),
    ("Need Attention", (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (0, 2)),
    ("Can't Lose Them", (0, 1), (4, 5)),
    ("At Risk", (0, 2), (2, 5)),
    ("Hibernating", (1, 2), (1, 2)),
    ("Lost", (0, 2), (0, 2)),
)
#: The RFM cells' names, best first.
RFM_CELLS = tuple(name for name, _, _ in RFM_SCHEME)


def rfm_scores(rollup: Rollup) -> pd.DataFrame:
    """R, F and M scores from 1 to 5 (quintiles) and the named RFM cell of every customer.

    R ranks :data:`RECENCY` (the most recent fifth of customers scores 5), F ranks :data:`ORDERS`
    and M ranks :data:`SPEND` (the most orders and the most spend score 5). Each score splits the
    customers into five equal fifths (the first ``n // 5`` or so customers in rank order score 1,
    and so on), so customers with the same value may get neighbouring scores: ties are ranked by
    the other two measures (for R: orders, then spend; for F: spend, then recency; for M: orders,
    then recency), then by their order in the table, so the scores never depend on chance. A
    customer without a known spend has no M score; their F&M is then F alone, as it is for every
    customer of a log without amounts. The cell is the segment of :data:`RFM_SCHEME` (Putler's
    table) that holds R and (F + M) / 2.

    Parameters
    ----------
    rollup : Rollup
        A log rolled up by :func:`roll_up`.

    Returns
    -------
    DataFrame
        One row per row of ``rollup.table`` (same index): the customer ID, ``"R"``, ``"F"``,
        ``"M"`` (nullable integers), ``"RFM"`` (the three scores as one code, e.g. ``"545"``) and
        ``"RFM cell"`` (one of :data:`RFM_CELLS`).

    Examples
    --------
    >>> from segmentation import Table, roll_up
    >>> log = Table.from_frame(pd.DataFrame({
    ...     "Customer": ["A", "B", "A", "C", "D", "E", "A", "B"],
    ...     "Date": ["2024-01-05", "2024-02-01", "2024-03-01", "2024-01-02", "2024-01-03",
    ...              "2024-03-30", "2024-03-31", "2024-02-02"],
    ...     "Amount": [50.0, 20.0, 60.0, 5.0, 8.0, 9.0, 70.0, 25.0],
    ... }))
    >>> rfm_scores(roll_up(log, customer="Customer", date="Date", amount="Amount"))
      Customer  R  F  M  RFM             RFM cell
    0        A  5  5  5  555            Champions
    1        B  3  4  4  344      Loyal Customers
    2        C  1  1  1  111                 Lost
    3        D  2  2  2  222          Hibernating
    4        E  4  3  3  433  Potential Loyalists

    C, D and E made one order each: their F scores follow their spend (5, 8 and 9).
    """
    table = rollup.table.frame
    customer = rollup.columns.customer
    recency = -table[RECENCY].to_numpy(dtype=float)
    orders = table[ORDERS].to_numpy(dtype=float)
    spend = table[SPEND].to_numpy(dtype=float) if SPEND in table.columns else np.full(len(table), np.nan)
    r = _quintiles(recency, orders, spend)
    f = _quintiles(orders, spend, recency)
    m = _quintiles(spend, orders, recency)
    fm = np.where(np.isnan(m), f, (f + m) / 2)
    cells = rfm_cells(r, fm)
    as_int = {
        name: pd.Series(pd.array(np.where(np.isnan(v), None, v), dtype="Int64"), index=table.index)
        for name, v in (("R", r), ("F", f), ("M", m))
    }
    code = as_int["R"].astype("str") + as_int["F"].astype("str") + as_int["M"].astype("str").fillna("")
    return pd.DataFrame(
        {
            customer: table[customer],
            "R": as_int["R"],
            "F": as_int["F"],
            "M": as_int["M"],
            "RFM": code,
            "RFM cell": pd.Series(cells, index=table.index, dtype="str"),
        },
        index=table.index,
    )


def _quintiles(values: np.ndarray, *ties: np.ndarray) -> np.ndarray:
    """Scores 1-5 by equal fifths of the customers with a value; ties ranked by ``ties``, then position."""
    scores = np.full(len(values), np.nan)
    known = ~np.isnan(values)
    n = int(known.sum())
    if n == 0:
        return scores
    position = np.arange(len(values))[known]
    keys = [np.nan_to_num(t[known], nan=-np.inf) for t in ties]
    # np.lexsort sorts by its last key first: the value, then each tie-breaker in turn, then position.
    ranked = np.lexsort((position, *reversed(keys), values[known]))
    rank = np.empty(n, dtype=np.int64)
    rank[ranked] = np.arange(n)
    scores[known] = rank * 5 // n + 1
    return scores


def rfm_cells(r: np.ndarray, fm: np.ndarray) -> np.ndarray:
    """The RFM cell of each customer from their R score and the mean of their F and M scores.

    Parameters
    ----------
    r, fm : ndarray of float
        R (1-5) and (F + M) / 2 (or F alone when there is no M), one per customer.

    Returns
    -------
    ndarray of str
        Names from :data:`RFM_CELLS`.

    Examples
    --------
    >>> rfm_cells(np.array([5.0, 1.0, 1.0]), np.array([5.0, 5.0, 1.0])).tolist()
    ['Champions', "Can't Lose Them", 'Lost']
    """
    conditions = [
        (r > r_low) & (r <= r_high) & (fm > fm_low) & (fm <= fm_high)
        for _, (r_low, r_high), (fm_low, fm_high) in RFM_SCHEME
    ]
    return np.select(conditions, list(RFM_CELLS), default="")


def rfm_crosstab(
    cells: pd.Series | np.ndarray | list, labels: pd.Series | np.ndarray | list, *, share: bool = False
) -> pd.DataFrame:
    """Customers by RFM cell and k-means segment: the classic cells beside the segments.

    Parameters
    ----------
    cells : array-like of str
        Each customer's RFM cell (``rfm_scores(rollup)["RFM cell"]``).
    labels : array-like
        Each customer's segment, in the same order: numbers ``1..k`` (``0`` for a customer not
        segmented), as :attr:`segmentation.Segmentation.labels`, or segment names.
    share : bool, default False
        Give each segment's customers as shares of the segment (columns add up to 1) instead of
        counts.

    Returns
    -------
    DataFrame
        One row per RFM cell (every cell of :data:`RFM_CELLS`, best first), one column per segment
        (``"Segment 1"``..., then ``"Not segmented"`` when some are), then ``"All customers"``.

    Examples
    --------
    >>> rfm_crosstab(["Champions", "Lost", "Lost"], [1, 2, 2]).loc[["Champions", "Lost"]]  # doctest: +NORMALIZE_WHITESPACE
    Segment    Segment 1  Segment 2  All customers
    RFM cell
    Champions          1          0              1
    Lost               0          2              2
    """
    cells = pd.Series(np.asarray(cells, dtype=object), name="RFM cell")
    labels = np.asarray(labels)
    if len(cells) != len(labels):
        raise ValueError(f"cells has {len(cells)} entries and labels {len(labels)}; give one of each per customer")
    if np.issubdtype(labels.dtype, np.number):
        names = np.where(labels > 0, np.char.add("Segment ", labels.astype(np.int64).astype(str)), "Not segmented")
        order = [f"Segment {i}" for i in sorted({int(v) for v in labels if v > 0})]
        order += ["Not segmented"] if (labels <= 0).any() else []
    else:
        names = labels.astype(str)
        order = list(dict.fromkeys(sorted(names)))
    segments = pd.Series(names, name="Segment")
    counts = pd.crosstab(cells, segments).reindex(index=list(RFM_CELLS), columns=order, fill_value=0)
    counts.index.name, counts.columns.name = "RFM cell", "Segment"
    counts["All customers"] = counts.sum(axis=1)
    if share:
        totals = counts.sum(axis=0)
        return counts / totals.where(totals > 0)
    return counts

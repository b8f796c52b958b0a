"""Which customers don't fit any segment? Flag those who fit their segment worst or sit unusually
far from its centre, and list them with their original values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .fit import Segmentation
from .wording import free_name

__all__ = ["OUTLIER_MADS", "customer_id_column", "unusual_customers", "worst_fits"]

#: A customer is an outlier beyond this many robust standard deviations (1.4826 x MAD) above the
#: median distance to their segment's centre.
OUTLIER_MADS = 3.0
#: Fewer customers than this in a segment: its distances are too few for a robust cut.
_MIN_OUTLIER_SEGMENT = 5


def unusual_customers(segmentation: Segmentation, *, share: float = 0.02, mads: float = OUTLIER_MADS) -> np.ndarray:
    """Flag the customers who fit their segment worst, or sit unusually far from its centre.

    The rule, per file row (deterministic):

    * **fits another segment better**: the customer's fit score (silhouette) is below 0 *and* among
      the lowest ``share`` of all customers' fit scores; or
    * **far from the centre**: the distance to the segment's centre is more than ``mads`` robust
      standard deviations above the segment's median distance, a robust standard deviation being
      1.4826 x the median absolute deviation (MAD) of the segment's distances. Segments of fewer
      than five customers are not tested.

    Parameters
    ----------
    segmentation : Segmentation
        Output of :func:`segmentation.fit`.
    share : float, default 0.02
        At most this share of customers is flagged for a poor fit score.
    mads : float, default 3.0
        The distance cut, in robust standard deviations above the median.

    Returns
    -------
    ndarray of bool, shape (n_rows,)
        True for an unusual customer; always False for rows that were not segmented.

    Examples
    --------
    >>> from segmentation import fit, load_table, prepare
    >>> table = load_table(b"Spend\\n" + b"\\n".join(str(v).encode() for v in [1, 2, 3, 2, 1, 3, 2, 9, 50, 51]))
    >>> np.flatnonzero(unusual_customers(fit(prepare(table), 2))).tolist()
    [7]
    """
    labels = segmentation.labels
    flags = np.zeros(len(labels), dtype=bool)
    segmented = np.flatnonzero(labels > 0)
    scores = segmentation.fit_score[segmented]
    worst = int(np.floor(share * len(segmented)))
    if worst > 0 and np.isfinite(scores).any():
        # Lowest first, then by row: ties never depend on the sort algorithm.
        order = np.lexsort((segmented, np.nan_to_num(scores, nan=np.inf)))[:worst]
        chosen = segmented[order]
        flags[chosen[segmentation.fit_score[chosen] < 0]] = True
    flags |= _far_from_centre(segmentation, mads=mads)
    flags |= segmentation.set_aside  # set aside for an impossible or extreme value
    return flags


def _far_from_centre(segmentation: Segmentation, *, mads: float) -> np.ndarray:
    labels, distance = segmentation.labels, segmentation.distance
    far = np.zeros(len(labels), dtype=bool)
    segmented = segmentation.segmented
    for segment in range(1, segmentation.k + 1):
        members = np.flatnonzero((labels == segment) & segmented)
        if len(members) < _MIN_OUTLIER_SEGMENT:
            continue
        values = distance[members]
        median = float(np.median(values))
        spread = 1.4826 * float(np.median(np.abs(values - median)))
        if spread > 0:
            far[members[values > median + mads * spread]] = True
    return far


def customer_id_column(prepared) -> str | None:
    """The file's customer ID column (the first column of kind ``"id"``), to name customers by; None without one.

    Examples
    --------
    >>> from segmentation import load_table, prepare
    >>> customer_id_column(prepare(load_table(b"CustomerID,Spend\\n1,5\\n2,7\\n3,90\\n")))
    'CustomerID'
    """
    return next((r.column for r in prepared.reports if r.kind == "id"), None)


def worst_fits(
    segmentation: Segmentation,
    *,
    n: int = 50,
    names: Sequence[str] | None = None,
    share: float = 0.02,
    mads: float = OUTLIER_MADS,
) -> pd.DataFrame:
    """The customers who fit their segment worst, unusual ones first, with their original values.

    Parameters
    ----------
    segmentation : Segmentation
    n : int, default 50
        At most this many customers.
    names : sequence of str, optional
        Segment names, segment 1 first (default ``"Segment 1"``, ...).
    share, mads : float
        The rule of :func:`unusual_customers`.

    Returns
    -------
    DataFrame
        One row per customer: ``Row`` (in the file, from 1), ``Segment``, ``Segment name``,
        ``Fit score``, ``Distance to centre``, ``Unusual``, ``Why``, then the file's columns as read.
        Unusual customers come first, lowest fit score first; then the next-lowest fit scores.

    Examples
    --------
    >>> from segmentation import fit, load_table, prepare
    >>> table = load_table(b"Spend\\n" + b"\\n".join(str(v).encode() for v in [1, 2, 3, 2, 1, 3, 2, 9, 50, 51]))
    >>> worst_fits(fit(prepare(table), 2), n=2)[["Row", "Segment", "Unusual", "Spend"]].to_numpy().tolist()
    [[8, 1, True, '9'], [1, 1, False, '1']]
    """
    labels = segmentation.labels
    names = [f"Segment {i}" for i in range(1, segmentation.k + 1)] if names is None else [str(v) for v in names]
    flags = unusual_customers(segmentation, share=share, mads=mads)
    far = _far_from_centre(segmentation, mads=mads)
    rows = np.flatnonzero(labels > 0)
    scores = segmentation.fit_score[rows]
    distance = segmentation.distance[rows]
    order = np.lexsort((rows, -distance, np.nan_to_num(scores, nan=np.inf), ~flags[rows]))[:n]
    rows = rows[order]
    why = np.where(
        far[rows] & flags[rows] & (segmentation.fit_score[rows] < 0),
        "Far from its segment's centre; fits another segment better",
        np.where(far[rows], "Far from its segment's centre", np.where(flags[rows], "Fits another segment better", "")),
    )
    raw = segmentation.prepared.table.raw
    own = {
        "Row": rows + 1,
        "Segment": labels[rows],
        "Segment name": [names[s - 1] for s in labels[rows]],
        "Fit score": segmentation.fit_score[rows],
        "Distance to centre": segmentation.distance[rows],
        "Unusual": flags[rows],
        "Why": why,
    }
    # The file's own columns keep their names; ours give way if a name is taken.
    own = {free_name(name, raw.columns): values for name, values in own.items()}
    return pd.concat(
        [pd.DataFrame(own), raw.iloc[rows].reset_index(drop=True)],
        axis=1,
    )

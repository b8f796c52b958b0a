"""Downloads of a segmented transaction log: one row per customer with RFM, and every order line.

* :func:`customers_frame`: one row per customer of the roll-up (the customer ID and the derived
  columns, as in :func:`segmentation.labelled_frame`), then ``R``, ``F``, ``M``, ``RFM`` and ``RFM
  cell`` (:func:`segmentation.rfm_scores`), then ``Segment`` and ``Segment name``.
* :func:`order_lines_frame`: every row of the log, in its order, every cell as read, plus its
  customer's ``Segment``, ``Segment name`` and ``RFM cell``, and a ``Status`` saying whether it was
  rolled up or why not (a row left out has an empty segment).
* :func:`scored_order_lines_frame`: the same for a new log scored with a run file (no RFM cell).

The ``*_csv`` functions write them for spreadsheets, as every download (:func:`segmentation.export.frame_csv`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .describe import Profile
from .export import frame_csv, labelled_frame
from .fit import Segmentation
from .load import Table
from .rfm import rfm_scores
from .scoring import Scored
from .transactions import Rollup
from .wording import free_name

__all__ = [
    "customers_csv",
    "customers_frame",
    "order_lines_csv",
    "order_lines_frame",
    "scored_order_lines_csv",
    "scored_order_lines_frame",
]

#: The RFM columns a customer download adds, from :func:`segmentation.rfm_scores`.
RFM_COLUMNS = ("R", "F", "M", "RFM", "RFM cell")


def customers_frame(
    segmentation: Segmentation,
    rollup: Rollup,
    *,
    profile: Profile | None = None,
    names: list[str] | tuple[str, ...] | None = None,
    unusual: bool = False,
) -> pd.DataFrame:
    """One row per customer: ID, derived columns, RFM scores and cell, segment.

    Parameters
    ----------
    segmentation : Segmentation
        The segmentation of ``rollup.table`` (prepared with :func:`segmentation.prepare_customers`
        or :func:`segmentation.prepare`).
    rollup : Rollup
    profile, names, unusual
        As :func:`segmentation.labelled_frame`.

    Returns
    -------
    DataFrame
        The customer table's columns as written, ``R``, ``F``, ``M``, ``RFM``, ``RFM cell``, then the
        columns of :func:`segmentation.labelled_frame` (``Segment``, ``Segment name``...).

    Examples
    --------
    >>> import segmentation as sg
    >>> log = sg.Table.from_frame(pd.DataFrame({
    ...     "Customer": ["A", "B", "A", "C", "B", "D", "E", "A"],
    ...     "Date": ["2024-03-01", "2024-03-02", "2024-03-09", "2024-03-10", "2024-03-20", "2024-03-21",
    ...              "2024-03-22", "2024-03-30"],
    ...     "Amount": [10.0, 20.0, 30.0, 5.0, 7.5, 12.0, 60.0, 8.0],
    ... }))
    >>> rollup = sg.roll_up(log, customer="Customer", date="Date", amount="Amount")
    >>> result = sg.fit(sg.prepare_customers(rollup), 2)
    >>> customers_frame(result, rollup).columns.tolist()[-7:]
    ['R', 'F', 'M', 'RFM', 'RFM cell', 'Segment', 'Segment name']
    """
    _check_same_customers(segmentation, rollup)
    labelled = labelled_frame(segmentation, profile=profile, names=names, unusual=unusual)
    scores = rfm_scores(rollup)
    columns = rollup.table.columns
    rfm = {free_name(name, labelled.columns): scores[name].astype("str").fillna("") for name in RFM_COLUMNS}
    where = len(columns)  # after the customer table's own columns, before the segment
    return pd.concat(
        [labelled.iloc[:, :where], pd.DataFrame(rfm, index=labelled.index), labelled.iloc[:, where:]], axis=1
    )


def customers_csv(
    segmentation: Segmentation,
    rollup: Rollup,
    *,
    profile: Profile | None = None,
    names: list[str] | tuple[str, ...] | None = None,
    unusual: bool = False,
) -> bytes:
    """:func:`customers_frame` as CSV bytes (UTF-8 with BOM, formula cells neutralised)."""
    return frame_csv(customers_frame(segmentation, rollup, profile=profile, names=names, unusual=unusual))


def order_lines_frame(
    log: Table,
    rollup: Rollup,
    segmentation: Segmentation,
    *,
    profile: Profile | None = None,
    names: list[str] | tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Every row of the log as read, plus its customer's segment and RFM cell, and what became of it.

    Parameters
    ----------
    log : Table
        The log as loaded, the one ``rollup`` was rolled up from.
    rollup : Rollup
    segmentation : Segmentation
        The segmentation of ``rollup.table``.
    profile, names
        Source of the segment names, as :func:`segmentation.labelled_frame`.

    Returns
    -------
    DataFrame
        The log's columns as written, then ``Segment`` (``"1"``..``"K"``; empty for a row left out
        of the roll-up or a customer not segmented), ``Segment name``, ``RFM cell`` and ``Status``
        (one of :data:`segmentation.transactions.ROW_STATUSES`).
    """
    _check_same_customers(segmentation, rollup)
    if names is None:
        names = profile.names if profile is not None else [f"Segment {i}" for i in range(1, segmentation.k + 1)]
    cells = rollup.per_row(rfm_scores(rollup)["RFM cell"].to_numpy(dtype=object), missing="")
    return _order_lines(log, rollup, segmentation.labels, names, {"RFM cell": cells})


def scored_order_lines_frame(scored: Scored) -> pd.DataFrame:
    """Every row of a new log scored with a run file, as read, plus its customer's segment and its status.

    Parameters
    ----------
    scored : Scored
        A log scored by :func:`segmentation.score` (one with a :attr:`~segmentation.Scored.rollup`).

    Returns
    -------
    DataFrame
        The log's columns as written, then ``Segment``, ``Segment name`` and ``Status``, as
        :func:`order_lines_frame` (no RFM cell: the run file has no RFM scores to place by).

    Raises
    ------
    ValueError
        When ``scored`` is not a scored log.
    """
    if scored.rollup is None or scored.log is None:
        raise ValueError("scored is a customer file, not a log: it has no order lines")
    return _order_lines(scored.log, scored.rollup, scored.labels, scored.names, {})


def scored_order_lines_csv(scored: Scored) -> bytes:
    """:func:`scored_order_lines_frame` as CSV bytes (UTF-8 with BOM, formula cells neutralised)."""
    return frame_csv(scored_order_lines_frame(scored))


def _order_lines(log: Table, rollup: Rollup, labels: np.ndarray, names, extra: dict[str, np.ndarray]) -> pd.DataFrame:
    """The log's rows as written, then Segment, Segment name, the ``extra`` columns and Status."""
    if log.n_rows != rollup.n_log_rows:
        raise ValueError(f"the log has {log.n_rows} rows but was rolled up from {rollup.n_log_rows}")
    labels = rollup.per_row(labels, missing=0)
    lookup = np.array(["", *(str(n) for n in names)], dtype=object)
    raw = log.raw
    not_segmented = (rollup.customer_row >= 0) & (labels == 0)
    added = {
        "Segment": pd.Series(labels.astype(str), index=raw.index, dtype="str").where(labels > 0, ""),
        "Segment name": pd.Series(
            np.where(not_segmented, "Not segmented (no values)", lookup[labels]), index=raw.index, dtype="str"
        ),
        **{name: pd.Series(values, index=raw.index, dtype="str") for name, values in extra.items()},
        "Status": rollup.row_status.astype("str").set_axis(raw.index),
    }
    taken = list(raw.columns)
    named = {}
    for name, values in added.items():
        free = free_name(name, taken)
        named[free] = values
        taken.append(free)
    return pd.concat([raw, pd.DataFrame(named, index=raw.index)], axis=1)


def order_lines_csv(
    log: Table,
    rollup: Rollup,
    segmentation: Segmentation,
    *,
    profile: Profile | None = None,
    names: list[str] | tuple[str, ...] | None = None,
) -> bytes:
    """:func:`order_lines_frame` as CSV bytes (UTF-8 with BOM, formula cells neutralised)."""
    return frame_csv(order_lines_frame(log, rollup, segmentation, profile=profile, names=names))


def _check_same_customers(segmentation: Segmentation, rollup: Rollup) -> None:
    if len(segmentation.labels) != rollup.n_customers:
        raise ValueError(
            f"the segmentation has {len(segmentation.labels)} customers, the roll-up {rollup.n_customers}: "
            "segment the roll-up's table"
        )

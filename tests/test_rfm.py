"""Classic RFM: quintile scores 1-5, Putler's 11 cells tiling the chart, the cross-table with the segments."""

from __future__ import annotations

import log_data
import numpy as np
import pandas as pd
import pytest
from log_data import csv_table, generated_log

from segmentation import rfm_crosstab, rfm_scores, roll_up
from segmentation.rfm import RFM_CELLS, RFM_SCHEME, rfm_cells
from segmentation.transactions import ORDERS, RECENCY, SPEND


def test_rfm_scores_of_cdnow():
    cdnow = log_data.cdnow()
    scores = rfm_scores(cdnow)
    assert scores.columns.tolist() == ["customer_id", "R", "F", "M", "RFM", "RFM cell"]
    for letter in "RFM":
        # Equal fifths: 23,570 customers, 4,714 per score.
        assert scores[letter].value_counts().sort_index().tolist() == [4_714] * 5
    frame = cdnow.table.frame
    assert (scores.loc[frame[RECENCY] == frame[RECENCY].min(), "R"] == 5).all()
    assert (scores.loc[frame[RECENCY] == frame[RECENCY].max(), "R"] == 1).all()
    assert scores.loc[frame[ORDERS].idxmax(), "F"] == 5 and scores.loc[frame[SPEND].idxmax(), "M"] == 5
    best = frame[RECENCY].eq(frame[RECENCY].min()) & frame[ORDERS].ge(20) & frame[SPEND].ge(1_000)
    assert best.any() and (scores.loc[best, "RFM cell"] == "Champions").all()
    one = scores.set_index("customer_id").loc["00001"]
    assert (one["R"], one["F"], one["M"], one["RFM cell"]) == (1, 1, 1, "Lost")
    assert set(scores["RFM cell"]) <= set(RFM_CELLS)
    assert (scores["RFM"] == scores["R"].astype(str) + scores["F"].astype(str) + scores["M"].astype(str)).all()


def test_the_best_customer_is_a_champion_and_the_worst_is_lost():
    frame = pd.DataFrame(
        {
            "Customer": ["best"] * 5 + ["worst"] + [f"c{i}" for i in range(8)],
            "Date": [f"2024-0{m}-01" for m in range(1, 6)]
            + ["2023-01-01"]
            + [f"2024-0{1 + i % 4}-15" for i in range(8)],
            "Amount": [100.0] * 5 + [1.0] + [10.0 + i for i in range(8)],
        }
    )
    scores = rfm_scores(roll_up(csv_table(frame), customer="Customer", date="Date", amount="Amount"))
    by_customer = scores.set_index("Customer")
    assert by_customer.loc["best", ["R", "F", "M", "RFM", "RFM cell"]].tolist() == [5, 5, 5, "555", "Champions"]
    assert by_customer.loc["worst", ["R", "F", "M", "RFM", "RFM cell"]].tolist() == [1, 1, 1, "111", "Lost"]


def test_ties_are_ranked_by_the_other_measures_then_by_position():
    # Four customers alike in everything: their scores follow their order in the log, every time.
    frame = pd.DataFrame(
        {"Customer": list("ABCDE"), "Date": ["2024-01-01"] * 4 + ["2024-02-01"], "Amount": [5.0] * 4 + [9.0]}
    )
    rollup = roll_up(csv_table(frame), customer="Customer", date="Date", amount="Amount")
    first, again = rfm_scores(rollup), rfm_scores(rollup)
    pd.testing.assert_frame_equal(first, again)
    assert first["R"].tolist() == [1, 2, 3, 4, 5] and first["M"].tolist() == [1, 2, 3, 4, 5]
    # One order each: F follows spend (E spent most), then position.
    assert first["F"].tolist() == [1, 2, 3, 4, 5]


def test_scheme_tiles_the_chart_and_every_cell_can_be_reached():
    r, f, m = (a.ravel().astype(float) for a in np.meshgrid(*[np.arange(1, 6)] * 3, indexing="ij"))
    cells = rfm_cells(r, (f + m) / 2)
    assert (cells != "").all()  # every combination of scores has a cell
    assert set(cells) == set(RFM_CELLS)  # and every cell is used
    lookup = dict(zip(zip(r, f, m, strict=True), cells, strict=True))
    assert lookup[(5, 5, 5)] == "Champions" and lookup[(1, 1, 1)] == "Lost"
    assert lookup[(1, 5, 5)] == "Can't Lose Them" and lookup[(5, 1, 1)] == "New Customers"
    assert lookup[(4, 1, 1)] == "Promising" and lookup[(2, 2, 2)] == "Hibernating"
    assert [name for name, _, _ in RFM_SCHEME] == list(RFM_CELLS)


def test_rfm_without_amounts_scores_recency_and_frequency():
    frame = generated_log(seed=5, customers=40).drop(columns=["Sales"])
    scores = rfm_scores(roll_up(csv_table(frame), customer="Customer ID", date="Order Date"))
    assert scores["M"].isna().all()
    assert (scores["RFM"].str.len() == 2).all()
    assert scores["R"].value_counts().tolist() == [8] * 5


def test_rfm_crosstab_counts_and_shares():
    cells = ["Champions", "Lost", "Lost", "At Risk", "Champions"]
    labels = np.array([1, 2, 2, 0, 1])
    counts = rfm_crosstab(cells, labels)
    assert counts.index.tolist() == list(RFM_CELLS)
    assert counts.columns.tolist() == ["Segment 1", "Segment 2", "Not segmented", "All customers"]
    assert counts.loc["Champions"].tolist() == [2, 0, 0, 2]
    assert counts.loc["At Risk", "Not segmented"] == 1
    assert counts.sum().tolist() == [2, 2, 1, 5]
    shares = rfm_crosstab(cells, labels, share=True)
    assert shares.sum().tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0])
    assert shares.loc["Lost", "All customers"] == pytest.approx(0.4)
    named = rfm_crosstab(cells, ["Loyal", "Bargain", "Bargain", "Loyal", "Loyal"])
    assert named.columns.tolist() == ["Bargain", "Loyal", "All customers"]

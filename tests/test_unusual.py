"""The customers who fit worst, on the planted customers: the ten placed far away are flagged."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from planted_data import FEATURES, N_OUTLIERS, run

from segmentation import fit, labelled_frame, prepare
from segmentation.unusual import unusual_customers, worst_fits


def test_planted_outliers_are_unusual_with_few_false_flags(planted_four, planted_frame):
    flags = unusual_customers(planted_four)
    far = (planted_frame["Group"] == "far").to_numpy()
    assert flags[far].all()
    assert flags[~far].sum() <= 0.01 * (~far).sum()
    np.testing.assert_array_equal(flags, unusual_customers(planted_four))


def test_lowest_fit_scores_below_zero_are_flagged(planted_four):
    scores = np.abs(planted_four.fit_score)  # every customer fits; then five fit another segment better
    scores[[3, 50, 400, 600, 700]] = [-0.5, -0.4, -0.3, -0.2, -0.1]
    worse = dataclasses.replace(planted_four, fit_score=scores, distance=np.zeros_like(planted_four.distance))
    assert np.flatnonzero(unusual_customers(worse)).tolist() == [3, 50, 400, 600, 700]
    # At most `share` of the customers: 0.4% of 910 is 3, the three lowest.
    assert np.flatnonzero(unusual_customers(worse, share=0.004)).tolist() == [3, 50, 400]


def test_rows_not_segmented_are_never_unusual():
    rows = pd.DataFrame(
        {"Spend": [1, 2, 3, 2, 1, np.nan, 50, 51, 52, 49], "Visits": [1, 2, 1, 2, 1, np.nan, 9, 8, 9, 8]}
    )
    segmentation = fit(prepare(rows), 2)
    assert segmentation.labels[5] == 0
    flags = unusual_customers(segmentation, share=0.5, mads=0.1)
    assert not flags[5] and flags.any()


def test_worst_fits_lists_the_unusual_first_with_original_values(planted_four, planted_frame):
    table = worst_fits(planted_four, n=15, names=["a", "b", "c", "d"])
    assert len(table) == 15
    assert list(table.columns[:7]) == [
        "Row",
        "Segment",
        "Segment name",
        "Fit score",
        "Distance to centre",
        "Unusual",
        "Why",
    ]
    flagged = int(unusual_customers(planted_four).sum())
    assert table["Unusual"].tolist() == [True] * flagged + [False] * (15 - flagged)
    far_rows = set(np.flatnonzero(planted_frame["Group"] == "far") + 1)
    assert far_rows <= set(table["Row"])
    first = table.iloc[0]
    assert first["Income"] == planted_four.prepared.table.raw.iloc[first["Row"] - 1]["Income"]
    assert first["Segment name"] == "abcd"[first["Segment"] - 1]
    assert table.loc[table["Row"].isin(far_rows), "Why"].str.contains("Far from").all()


def test_labelled_frame_adds_fit_score_and_unusual(planted_four):
    out = labelled_frame(planted_four, unusual=True)
    assert (out["Unusual"] == "yes").sum() == unusual_customers(planted_four).sum()
    np.testing.assert_allclose(out["Fit score"].to_numpy(dtype=float), planted_four.fit_score, atol=1e-4)
    assert "Unusual" not in labelled_frame(planted_four).columns


# --------------------------------------------------------------------------------------------------
# The command line


def test_cli_segment_unusual_and_cards(planted_file, tmp_path, planted_four):
    labelled, cards = tmp_path / "labelled.csv", tmp_path / "cards.html"
    args = ("segment", planted_file, "--features", *FEATURES, "--k", "4", "--json")
    code, out, err = run(*args, "--unusual", "--out", labelled, "--cards", cards)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["unusual"] == int(unusual_customers(planted_four).sum())
    written = pd.read_csv(labelled, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert (written["Unusual"] == "yes").sum() == payload["unusual"]
    assert set(range(len(written) - N_OUTLIERS, len(written))) <= set(np.flatnonzero(written["Unusual"] == "yes"))
    page = cards.read_text(encoding="utf-8")
    assert "planted.csv: 4 customer segments" in page
    assert all(f">{name}</h2>" in page for name in payload["names"])
    plain = json.loads(run(*args)[1])
    assert "unusual" not in plain
    code, out, _ = run("segment", planted_file, "--features", *FEATURES, "--k", "4", "--unusual")
    assert code == 0 and f"Unusual customers: {payload['unusual']}" in out


@pytest.mark.parametrize(
    "argv",
    [
        ("segment", "{file}", "--k", "2", "--unusual", "--engine", "spark"),
    ],
)
def test_cli_bad_input_exits_2_with_one_error_line(argv, planted_file):
    code, out, err = run(*(a.format(file=planted_file) for a in argv))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")

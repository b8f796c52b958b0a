"""The built-in sample: deterministic, realistic, with segments worth finding."""

from __future__ import annotations

import numpy as np

from segmentation import demo_csv, fit, load_table, make_customers, prepare, sweep


def test_deterministic_bytes():
    assert demo_csv() == demo_csv()
    assert demo_csv(random_state=1) != demo_csv()


def test_columns_and_mess():
    frame = make_customers()
    assert list(frame.columns) == [
        "CustomerID",
        "Gender",
        "Age",
        "Annual Income (k$)",
        "Spending Score (1-100)",
        "Region",
        "Visits per Month",
        "Member Since",
    ]
    assert len(frame) == 3000
    assert frame["CustomerID"].is_unique
    assert 10 < frame["Age"].isna().sum() < 60
    assert frame["Spending Score (1-100)"].between(1, 100).all()


def test_the_app_can_use_every_column_but_the_id(sample_prepared):
    assert sample_prepared.report("CustomerID").kind == "id"
    assert {r.kind for r in sample_prepared.reports if r.used} == {"flag", "number", "category", "date"}


def test_planted_segments_give_an_elbow(sample_prepared):
    result = sweep(sample_prepared, k_min=2, k_max=10)
    assert result.knee_k in (4, 5, 6)
    segments = fit(sample_prepared, result.knee_k)
    assert min(segments.sizes) > 200  # no tiny accidental segment


def test_age_income_spending_separate_the_planted_groups():
    table = load_table(demo_csv())
    prepared = prepare(table, features=["Age", "Annual Income (k$)", "Spending Score (1-100)"])
    segments = fit(prepared, 5)
    assert segments.silhouette > 0.45
    income = prepared.values["Annual Income (k$)"]
    means = [income[segments.labels == s].mean() for s in range(1, 6)]
    assert np.ptp(means) > 50

"""Fitting at one K: segments numbered by size, deterministic, per-customer fit and distance."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import shared_file
from sklearn.metrics import silhouette_samples

from segmentation import DataError, fit, load_table, prepare, sweep
from segmentation.fit import number_by_size


def test_mall_income_spending_five_segments():
    prepared = prepare(
        load_table(shared_file("Mall_Customers.csv")),
        features=["Annual Income (k$)", "Spending Score (1-100)"],
        scaler="none",
    )
    result = fit(prepared, 5)
    assert result.sizes == (81, 39, 35, 23, 22)
    assert result.silhouette == pytest.approx(0.5539, abs=1e-3)
    income = prepared.values["Annual Income (k$)"].to_numpy()
    spending = prepared.values["Spending Score (1-100)"].to_numpy()
    # Segment 2: the famous high income, high spending group.
    assert income[result.labels == 2].mean() > 80 and spending[result.labels == 2].mean() > 75


def test_segments_are_numbered_by_size(sample_prepared):
    result = fit(sample_prepared, 5)
    assert set(np.unique(result.labels)) == {1, 2, 3, 4, 5}
    counts = [int((result.labels == s).sum()) for s in range(1, 6)]
    assert counts == list(result.sizes)
    assert counts == sorted(counts, reverse=True)
    assert sum(result.sizes) == sample_prepared.n_rows
    assert sum(result.shares) == pytest.approx(1.0)


def test_ties_in_size_are_broken_by_the_centres():
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    centers = np.array([[5.0], [1.0], [9.0]])
    assert number_by_size(labels, centers).tolist() == [2, 1, 0]


def test_deterministic_across_runs(sample_prepared):
    first, second = fit(sample_prepared, 4), fit(sample_prepared, 4)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.inertia == second.inertia
    np.testing.assert_array_equal(first.centers, second.centers)


def test_same_numbers_as_the_sweep(sample_prepared):
    result = sweep(sample_prepared, k_min=3, k_max=5)
    for k, inertia, silhouette in zip(result.k, result.inertia, result.silhouette, strict=True):
        segmentation = fit(sample_prepared, k)
        assert segmentation.inertia == inertia
        assert segmentation.silhouette == pytest.approx(silhouette)


def test_fit_score_is_the_silhouette_and_distance_is_to_the_centre(sample_prepared):
    result = fit(sample_prepared, 4)
    X = sample_prepared.matrix
    np.testing.assert_allclose(result.fit_score, silhouette_samples(X, result.labels))
    expected = np.linalg.norm(X - result.centers[result.labels - 1], axis=1)
    np.testing.assert_allclose(result.distance, expected)
    assert result.exact_fit_score


def test_rows_without_values_get_segment_zero():
    prepared = prepare(load_table(b"Age,Spend\n20,1\n,\n22,2\n60,40\n61,41\n"))
    result = fit(prepared, 2)
    assert result.labels.tolist() == [1, 0, 1, 2, 2] or result.labels.tolist() == [2, 0, 2, 1, 1]
    assert np.isnan(result.fit_score[1]) and np.isnan(result.distance[1])
    assert sum(result.sizes) == 4


def test_k_larger_than_the_distinct_customers():
    prepared = prepare(load_table(b"Age,Spend\n20,1\n20,1\n30,2\n30,2\n"))
    with pytest.raises(DataError, match="K=3 is more than the 2 different customers"):
        fit(prepared, 3)


def test_k_out_of_range(sample_prepared):
    with pytest.raises(DataError, match="between 1 and 30"):
        fit(sample_prepared, 31)


def test_k_one():
    prepared = prepare(load_table(b"Age,Spend\n20,1\n25,3\n30,2\n"))
    result = fit(prepared, 1)
    assert result.labels.tolist() == [1, 1, 1]
    assert result.silhouette is None


def test_centroid_fit_score_above_the_exact_limit():
    from segmentation.metrics import EXACT_SILHOUETTE_ROWS

    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [10, 0], [0, 10]])
    X = np.vstack([rng.normal(c, 1.0, size=(EXACT_SILHOUETTE_ROWS // 3 + 10, 2)) for c in centers])
    import pandas as pd

    prepared = prepare(pd.DataFrame(X, columns=["a", "b"]), scaler="none")
    result = fit(prepared, 3)
    assert not result.exact_fit_score
    assert np.all(result.fit_score <= 1) and np.median(result.fit_score) > 0.7
    assert result.silhouette > 0.7

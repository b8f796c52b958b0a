"""The sweep: criteria equal to scikit-learn's, the best SSE at every K, a suggested K."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import shared_file
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from segmentation import DataError, fit, load_table, prepare, sweep
from segmentation.kmeans import best_partition

REFERENCE = json.loads((Path(__file__).parent / "data" / "mall_best_sse.json").read_text())
#: The tutorial's feature space (every encoded column standardised alike): the best of 1,000 starts.
TUTORIAL_REFERENCE = json.loads((Path(__file__).parent / "data" / "mall_best_sse_equal.json").read_text())


@pytest.fixture(scope="module")
def mall():
    return prepare(load_table(shared_file("Mall_Customers.csv")))


@pytest.fixture(scope="module")
def mall_sweep(mall):
    return sweep(mall, k_min=1, k_max=19)


def test_mall_sse_within_half_a_percent_of_the_best_of_1000_starts(mall_sweep):
    best = {int(k): v for k, v in REFERENCE["best_sse"].items()}
    excess = {k: sse / best[k] - 1 for k, sse in zip(mall_sweep.k, mall_sweep.inertia, strict=True)}
    assert max(excess.values()) <= 0.005, excess


@pytest.mark.usefixtures("scikit_learn_on_one_thread")
def test_the_reference_is_real(mall):
    # The stored best-of-1,000 must beat (or tie) 50 fresh scikit-learn starts at every K.
    for k in (3, 6, 12, 18):
        fresh = min(KMeans(n_clusters=k, n_init=1, random_state=s).fit(mall.matrix).inertia_ for s in range(50))
        assert REFERENCE["best_sse"][str(k)] <= fresh * (1 + 1e-9)


def test_mall_sse_is_monotone_and_knee_is_six(mall_sweep):
    assert all(a > b for a, b in zip(mall_sweep.inertia, mall_sweep.inertia[1:], strict=False))
    assert mall_sweep.knee_k == 6
    assert mall_sweep.suggested_k == 6


def test_the_tutorial_space_is_one_option_away():
    # The tutorial: drop the ID, label-encode Gender, StandardScaler on every column, K=1..19.
    tutorial = prepare(load_table(shared_file("Mall_Customers.csv")), weighting="equal", scaler="standard")
    result = sweep(tutorial, k_min=1, k_max=19)
    assert result.inertia[0] == pytest.approx(800.0)
    best = {int(k): v for k, v in TUTORIAL_REFERENCE["best_sse"].items()}
    excess = {k: sse / best[k] - 1 for k, sse in zip(result.k, result.inertia, strict=True)}
    assert max(excess.values()) <= 0.001, excess
    assert result.suggested_k == 6


def test_criteria_equal_scikit_learn_on_the_same_labels(sample_prepared):
    result = sweep(sample_prepared, k_min=2, k_max=5)
    X = sample_prepared.matrix
    for i, k in enumerate(result.k):
        labels = best_partition(X, k).labels
        assert result.silhouette[i] == pytest.approx(silhouette_score(X, labels))
        assert result.calinski_harabasz[i] == pytest.approx(calinski_harabasz_score(X, labels))
        assert result.davies_bouldin[i] == pytest.approx(davies_bouldin_score(X, labels))
    assert result.silhouette_rows == len(X)


def test_k_one_has_no_criteria():
    X = np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 10]
    result = sweep(X, k_min=1, k_max=3)
    assert result.silhouette[0] is None and result.calinski_harabasz[0] is None and result.davies_bouldin[0] is None
    assert result.inertia[0] == pytest.approx(500.0)


def test_same_k_same_numbers_whatever_the_range(sample_prepared):
    wide = sweep(sample_prepared, k_min=2, k_max=7)
    narrow = sweep(sample_prepared, k_min=5, k_max=6)
    assert narrow.inertia == wide.inertia[3:5]
    assert narrow.silhouette == wide.silhouette[3:5]
    assert fit(sample_prepared, 5).inertia == wide.inertia[3]


def test_deterministic(sample_prepared):
    assert sweep(sample_prepared, k_min=2, k_max=4) == sweep(sample_prepared, k_min=2, k_max=4)


def test_progress_callback():
    calls = []
    sweep(
        np.random.default_rng(0).normal(size=(60, 2)), k_min=2, k_max=5, on_progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_silhouette_on_a_fixed_sample_for_many_rows():
    X = np.random.default_rng(0).normal(size=(12_000, 3))
    result = sweep(X, k_min=2, k_max=3)
    assert result.silhouette_rows == 10_000
    assert result.n_rows == 12_000


def test_advice_says_which_criterion_gives_fewer_segments_and_when_to_widen_the_range():
    from dataclasses import replace

    base = sweep(np.random.default_rng(0).normal(size=(300, 2)), k_min=2, k_max=8)
    agree = replace(base, knee_k=4, best_silhouette_k=4, suggested_k=4).advice()
    assert agree.startswith("Both criteria point to K=4") and "wider" not in agree

    finer_silhouette = replace(base, knee_k=3, best_silhouette_k=5, suggested_k=3).advice()
    assert "disagree" in finer_silhouette and "K=3" in finer_silhouette and "K=5" in finer_silhouette
    assert "The elbow gives fewer, broader segments; the silhouette more, finer ones" in finer_silhouette
    assert "Segments page" in finer_silhouette

    finer_elbow = replace(base, knee_k=6, best_silhouette_k=2, suggested_k=6).advice()
    assert "The silhouette gives fewer, broader segments; the elbow more, finer ones" in finer_elbow

    at_the_end = replace(base, knee_k=4, best_silhouette_k=8, suggested_k=4).advice()
    assert "largest K tried (8): a wider range may find a better one" in at_the_end
    at_the_start = replace(base, k=tuple(range(3, 10)), knee_k=5, best_silhouette_k=3, suggested_k=5).advice()
    assert "smallest K tried (3)" in at_the_start


def test_no_wider_range_is_asked_for_when_the_customers_cut_it():
    X = np.repeat(np.array([[0.0, 0.0], [0.0, 5.0], [5.0, 0.0], [9.0, 9.0], [4.0, 4.0], [9.0, 0.0]]), 5, axis=0)
    result = sweep(X, k_min=2, k_max=10)
    assert result.k[-1] == 6 and result.largest_possible_k == 6
    assert "only 6 different customers" in result.notes[0]
    assert "wider range" not in result.advice()


def test_range_is_cut_to_the_distinct_customers():
    X = np.repeat(np.arange(4.0)[:, None], 5, axis=0)
    result = sweep(X, k_min=2, k_max=10)
    assert result.k == (2, 3, 4)
    assert "only 4 different customers" in result.notes[0]


@pytest.mark.parametrize(("k_min", "k_max"), [(0, 3), (5, 4), (2, 31)])
def test_bad_ranges(k_min, k_max):
    with pytest.raises(DataError, match="K range"):
        sweep(np.zeros((10, 2)), k_min=k_min, k_max=k_max)


def test_fewer_distinct_customers_than_k_min():
    X = np.repeat(np.arange(3.0)[:, None], 5, axis=0)
    with pytest.raises(DataError, match="K=5 is more than the 3 different customers"):
        sweep(X, k_min=5, k_max=6)


def test_combined_single_k_sweeps_equal_one_sweep(sample_prepared):
    from segmentation.sweep import combine_sweeps

    whole = sweep(sample_prepared, k_min=2, k_max=6)
    parts = [sweep(sample_prepared, k_min=k, k_max=k) for k in range(2, 7)]
    assert combine_sweeps(parts) == whole
    with pytest.raises(ValueError):
        combine_sweeps([parts[0], parts[2]])


def test_a_sweep_split_per_k_is_what_each_k_alone_gives():
    from segmentation.sweep import combine_sweeps

    X = np.random.default_rng(4).normal(size=(400, 3))
    whole = sweep(X, k_min=1, k_max=6)
    assert whole.per_k() == [sweep(X, k_min=k, k_max=k) for k in range(1, 7)]
    assert combine_sweeps(whole.per_k()) == whole

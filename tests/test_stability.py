"""Stability on the planted customers: the true K is stable, a wrong K visibly less so."""

from __future__ import annotations

import json

import numpy as np
import pytest
from planted_data import FEATURES, run

from segmentation import DataError, fit
from segmentation.charts import stability_figure
from segmentation.stability import (
    STABILITY_BY_DEFAULT_ROWS,
    UNSTABLE_JACCARD,
    matched_jaccard,
    stability,
    stability_by_default,
    stability_ks,
    stability_sweep,
)


@pytest.fixture(scope="module")
def stable_four(planted_prepared):
    return stability(planted_prepared, 4)


def test_true_k_is_stable(stable_four, planted_four):
    assert stable_four.ari_mean > 0.9
    assert stable_four.ari_min > 0.9
    assert len(stable_four.ari) == 10
    assert min(stable_four.segment_jaccard) > 0.85
    assert stable_four.unstable_segments == ()
    assert stable_four.verdicts() == ("highly stable",) * 4
    # Numbered like fit's segments.
    assert stable_four.sizes == planted_four.sizes
    assert stable_four.frame()["Customers"].tolist() == list(planted_four.sizes)
    assert "Every segment is stable" in stable_four.summary()


def test_wrong_k_is_visibly_less_stable(planted_prepared, stable_four):
    seven = stability(planted_prepared, 7)
    assert seven.ari_mean < stable_four.ari_mean - 0.03
    assert seven.ari_std > stable_four.ari_std
    assert min(seven.segment_jaccard) < 0.85
    # The segments that are whole planted groups stay; only the cut-up groups waver.
    assert max(seven.segment_jaccard) > 0.95


def test_stability_is_deterministic_and_reuses_a_fit(planted_prepared, planted_four):
    first = stability(planted_prepared, 4, resamples=3, random_state=5)
    again = stability(
        planted_prepared, 4, resamples=3, random_state=5, reference=fit(planted_prepared, 4, random_state=5)
    )
    assert first.ari == again.ari
    np.testing.assert_array_equal(first.jaccard, again.jaccard)
    with pytest.raises(ValueError, match="segments"):
        stability(planted_prepared, 3, reference=planted_four)


def test_progress_and_sweep(planted_prepared):
    calls = []
    results = stability_sweep(
        planted_prepared.matrix, k_min=3, k_max=4, resamples=2, on_progress=lambda d, t: calls.append((d, t))
    )
    assert [r.k for r in results] == [3, 4]
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert results[1].ari == stability(planted_prepared, 4, resamples=2).ari  # a K gives the same alone or in a sweep


def test_large_data_is_compared_on_a_fixed_sample():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, (3000, 3)), rng.normal(8, 1, (3000, 3))]
    result = stability(X, 2, resamples=2, sample_rows=1000)
    assert result.sampled and result.compared_rows == 1000
    assert sum(result.sizes) == 6000
    assert result.ari_mean > 0.99


def testmatched_jaccard_ignores_label_names():
    truth = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    relabelled = np.array([2, 2, 2, 0, 0, 1, 1, 1, 1])
    np.testing.assert_allclose(matched_jaccard(truth, relabelled, 3), [1, 1, 1])
    # Segment 3 loses one customer to segment 1: Jaccard 3/4 for it, 3/4 for segment 1.
    moved = np.array([2, 2, 2, 0, 0, 1, 1, 1, 2])
    np.testing.assert_allclose(matched_jaccard(truth, moved, 3), [0.75, 1, 0.75])


def test_stability_refuses_bad_k(planted_prepared):
    with pytest.raises(DataError, match="K must be between"):
        stability(planted_prepared, 0)
    with pytest.raises(ValueError, match="resamples"):
        stability(planted_prepared, 2, resamples=0)


def test_stability_figure(stable_four, planted_prepared):
    two = stability(planted_prepared, 2, resamples=2)
    fig = stability_figure([two, stable_four], selected_k=4)
    assert list(fig.data[0].x) == [2, 4]
    assert fig.data[0].y[1] == pytest.approx(stable_four.ari_mean)
    assert fig.data[1].y[1] == pytest.approx(min(stable_four.segment_jaccard))
    assert any(shape.y0 == UNSTABLE_JACCARD for shape in fig.layout.shapes)


def test_the_app_checks_every_k_but_one_and_small_files_by_default():
    assert stability_ks(range(1, 6)) == [2, 3, 4, 5]
    assert stability_ks((1,)) == [] and stability_ks([4]) == [4]
    assert stability_by_default(STABILITY_BY_DEFAULT_ROWS)
    assert not stability_by_default(STABILITY_BY_DEFAULT_ROWS + 1)


# --------------------------------------------------------------------------------------------------
# The command line


def test_cli_sweep_stability(planted_file):
    args = ("sweep", planted_file, "--features", *FEATURES, "--k-min", "3", "--k-max", "5")
    code, out, err = run(*args, "--stability", "--resamples", "3", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["k"] == [3, 4, 5] and "suggested_k" in payload  # the contract is kept
    assert [s["k"] for s in payload["stability"]] == [3, 4, 5]
    planted_four = payload["stability"][1]
    assert set(planted_four) >= {"k", "ari_mean", "ari_std", "unstable_segments"}
    assert planted_four["ari_mean"] > 0.9 and planted_four["unstable_segments"] == []
    assert "stability" not in json.loads(run(*args, "--json")[1])
    code, out, err = run(*args, "--stability", "--resamples", "2")
    assert code == 0 and "Stability (ARI)" in out and "Unstable segments" in out
    assert "Checking stability of K=3..5: 3/3" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("sweep", "{file}", "--stability", "--engine", "spark"),
        ("sweep", "{file}", "--stability", "--resamples", "0"),
    ],
)
def test_cli_bad_input_exits_2_with_one_error_line(argv, planted_file):
    code, out, err = run(*(a.format(file=planted_file) for a in argv))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")

"""Bench: issue 13 target 3, the default sweep on files of 1,000-20,000 rows and up to 60 features.

For each size on a grid of rows x features (seven planted segments of unequal size, ``_data.py``),
in one process: ``segmentation.sweep(X, k_min=2, k_max=10)`` (the default sweep, with its
silhouette and spread indices) against the plain best-of-10 script on the same matrix
(``KMeans(n_clusters=K, n_init=10, random_state=0)`` for K=2..10, SSE only), and the sweep's worst
SSE over K against the best of 100 single-start scikit-learn fits (cached in the temp folder,
keyed on the data's bytes). The target: at every size, time ratio at most 1 and SSE within 0.1% of
the reference, with no cliff between sizes: the printed curve shows where each holds. The limit:
how many k-means++ starts per K the plain script would need to hold that quality (from the share
of 100 single-start fits that land within 0.1% of the reference, the worst K), and how long that
script would take (its best-of-10 time, scaled). Then the
same on real exports of ../shared/data (telco churn, online shoppers), prepared as the app does
(one-hot categories: 40 and 74 features), on random subsets of 500, 1,000 and 2,240 customers and
whole.

    python bench/bench_small_curve.py                     # the whole grid (~10 min the first time)
    python bench/bench_small_curve.py --rows 2000 5000 --features 6 20 --no-real
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
from _common import machine, table, timed
from _data import planted_matrix
from sklearn.cluster import KMeans

import segmentation

#: Single-start fits in the quality reference (seeds 0..REFERENCE_STARTS-1).
REFERENCE_STARTS = 100
#: The target: the sweep's SSE at most this much above the reference at every K.
TARGET_EXCESS = 0.001
#: The limit column: starts per K for this chance that the best of them holds TARGET_EXCESS.
CONFIDENCE = 0.95
KS = range(2, 11)


def reference(X: np.ndarray) -> dict[int, float]:
    """Best SSE of :data:`REFERENCE_STARTS` single-start fits per K, cached by the data's bytes."""
    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"segmentation-small-reference-{digest}-{REFERENCE_STARTS}.json"
    cached = {int(k): v for k, v in json.loads(path.read_text()).items()} if path.exists() else {}
    for k in KS:
        if k not in cached:
            # One n_init=100 fit is the best of 100 k-means++ starts, as 100 single-start fits are.
            cached[k] = float(KMeans(n_clusters=k, n_init=REFERENCE_STARTS, random_state=0).fit(X).inertia_)
    path.write_text(json.dumps(cached))
    return cached


def single_starts(X: np.ndarray) -> dict[int, list[float]]:
    """SSE of :data:`REFERENCE_STARTS` single-start k-means++ fits per K (seeds 0..), cached like the reference."""
    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"segmentation-small-singles-{digest}-{REFERENCE_STARTS}.json"
    cached = {int(k): v for k, v in json.loads(path.read_text()).items()} if path.exists() else {}
    for k in KS:
        if k not in cached:
            cached[k] = [
                float(KMeans(n_clusters=k, n_init=1, random_state=seed).fit(X).inertia_)
                for seed in range(REFERENCE_STARTS)
            ]
    path.write_text(json.dumps(cached))
    return cached


def starts_needed(X: np.ndarray, best: dict[int, float]) -> float:
    """k-means++ starts per K the plain script needs so that, with :data:`CONFIDENCE`, its best
    holds :data:`TARGET_EXCESS` at the hardest K (inf when no single start in 100 did)."""
    needed = 1.0
    for k, inertia in single_starts(X).items():
        reference = min(best[k], *inertia)
        share = float(np.mean(np.array(inertia) <= reference * (1 + TARGET_EXCESS)))
        if share == 0.0:
            return float("inf")
        if share < 1.0:
            needed = max(needed, float(np.ceil(np.log(1 - CONFIDENCE) / np.log(1 - share))))
    return needed


def plain_best_of_10(X: np.ndarray) -> list[float]:
    """The plain script's loop: best of 10 k-means++ starts per K."""
    return [float(KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).inertia_) for k in KS]


def real_subsets(sizes: list[int]) -> dict[str, np.ndarray]:
    """The real exports as the app prepares them, on random subsets of customers (empty without ../shared)."""
    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    subsets = {}
    for name in ("telco_churn.csv", "online_shoppers_intention.csv"):
        if not (data / name).exists():
            continue
        matrix = segmentation.prepare(segmentation.load_table(data / name)).matrix
        rng = np.random.default_rng(0)
        for size in [*sizes, len(matrix)]:
            rows = np.sort(rng.choice(len(matrix), size=min(size, len(matrix)), replace=False))
            subsets[f"{name.split('_')[0]} {len(rows):,}"] = matrix[rows]
    return subsets


def measure(X: np.ndarray) -> tuple[float, float, float, int, float, float]:
    """Seconds of our sweep and of the plain script, our worst excess over the reference (and its
    K), the plain one's, and the starts per K the plain script would need for our quality."""
    ours_s, ours = timed(lambda: segmentation.sweep(X, k_min=2, k_max=10))
    plain_s, plain = timed(lambda: plain_best_of_10(X))
    best = reference(X)
    excess = [ours.inertia[i] / best[k] - 1 for i, k in enumerate(KS)]
    worst = int(np.argmax(excess))
    plain_worst = max(plain[i] / best[k] - 1 for i, k in enumerate(KS))
    return ours_s, plain_s, excess[worst], KS[worst], plain_worst, starts_needed(X, best)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 2_000, 2_400, 2_600, 5_000, 10_000, 20_000])
    parser.add_argument("--features", type=int, nargs="+", default=[6, 20, 60])
    parser.add_argument("--no-real", action="store_true", help="skip the real exports")
    args = parser.parse_args(argv)

    print("# Small and medium files: the default sweep (K=2..10) vs the plain best-of-10 script")
    print(machine())
    segmentation.sweep(planted_matrix(500), k_min=2, k_max=3)  # first-call imports and thread pools
    datasets = {
        f"planted {n:,} x {n_features}": planted_matrix(n, n_features=n_features, random_state=n + n_features)
        for n_features in args.features
        for n in args.rows
    }
    if not args.no_real:
        datasets.update(real_subsets([500, 1_000, 2_240]))
    rows, time_met, quality_met = [], True, True
    for name, X in datasets.items():
        ours_s, plain_s, excess, k, plain_excess, needed = measure(X)
        time_met &= ours_s <= plain_s
        quality_met &= excess <= TARGET_EXCESS
        rows.append(
            (
                name,
                X.shape[1],
                f"{ours_s:.2f}",
                f"{plain_s:.2f}",
                f"{ours_s / plain_s:.2f}",
                f"{100 * excess:+.3f}% (K={k})",
                f"{100 * plain_excess:+.3f}%",
                f"{needed:.0f}" if np.isfinite(needed) else "> 100",
                f"{plain_s * needed / 10:.2f}" if np.isfinite(needed) else "–",
            )
        )
        print(f"  {name}: ours {ours_s:.2f} s, plain {plain_s:.2f} s", flush=True)
    headers = (
        "data",
        "features",
        "ours (s)",
        "plain best of 10 (s)",
        "ratio (≤ 1)",
        "ours worst vs best of 100",
        "plain worst",
        f"plain starts per K for 0.1% ({CONFIDENCE:.0%})",
        "their time (s)",
    )
    print()
    print(table(headers, rows))
    print()
    print(machine())
    print(f"time: {'TARGET MET' if time_met else 'TARGET MISSED'}")
    print(f"quality: {'TARGET MET' if quality_met else 'TARGET MISSED'}")
    return 0 if time_met and quality_met else 1


if __name__ == "__main__":
    raise SystemExit(main())

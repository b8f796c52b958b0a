"""Bench (issue 5, target 3): segments for every one of a million customers at one K.

``segmentation.fit(prepared, K)`` (labels numbered by size, the silhouette on the fixed 10,000-row
sample, a centroid-based fit score and a distance for every customer) and the search underneath it,
``segmentation.kmeans.best_partition``, against a plain ``KMeans(n_clusters=K, n_init=10).fit(X)``
in the same process, on the same prepared matrix (generated: 1,000,000 x 6, seven planted segments).
Target: at most 1/3 of the plain fit's time, SSE within 1% of it.

    python bench/bench_fit.py            # about a minute on 2 cores (3 alternating runs)
    python bench/bench_fit.py --k 10
"""

from __future__ import annotations

import argparse
import statistics

import pandas as pd
from _common import machine, table, timed
from _data import planted_matrix
from sklearn.cluster import KMeans

import segmentation
from segmentation.kmeans import best_partition


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each; medians are reported")
    args = parser.parse_args(argv)

    print(f"# Fit at K={args.k}: {args.rows:,} rows x 6, seed {args.seed}")
    print(machine())
    frame = pd.DataFrame(planted_matrix(args.rows, random_state=args.seed), columns=[f"f{i}" for i in range(6)])
    prepared = segmentation.prepare(frame)
    X = prepared.matrix

    # Warm both up (first-call imports and thread pools), then alternate the runs: the machine may be
    # shared, and a median of alternating runs is fair to both.
    KMeans(n_clusters=args.k, n_init=1).fit(X[:10_000])
    segmentation.fit(segmentation.prepare(frame.iloc[:20_000]), args.k)
    plain_times, fit_times, search_times = [], [], []
    for _ in range(args.repeat):
        seconds, plain = timed(lambda: KMeans(n_clusters=args.k, n_init=10, random_state=0).fit(X))
        plain_times.append(seconds)
        seconds, result = timed(lambda: segmentation.fit(prepared, args.k))
        fit_times.append(seconds)
        seconds, partition = timed(lambda: best_partition(X, args.k))
        search_times.append(seconds)
    plain_seconds, fit_seconds, search_seconds = map(statistics.median, (plain_times, fit_times, search_times))

    rows = [
        ("KMeans(n_init=10).fit", f"{plain_seconds:.2f}", "1.000", f"{plain.inertia_:,.1f}", "+0.000%"),
        (
            "segmentation.fit",
            f"{fit_seconds:.2f}",
            f"{fit_seconds / plain_seconds:.3f}",
            f"{result.inertia:,.1f}",
            f"{result.inertia / plain.inertia_ - 1:+.3%}",
        ),
        (
            "kmeans.best_partition",
            f"{search_seconds:.2f}",
            f"{search_seconds / plain_seconds:.3f}",
            f"{partition.inertia:,.1f}",
            f"{partition.inertia / plain.inertia_ - 1:+.3%}",
        ),
    ]
    print()
    print(table(("run", "seconds", "ratio", "SSE", "SSE vs plain"), rows))
    print()
    print(f"medians of {args.repeat} alternating runs; segments {result.sizes}; silhouette {result.silhouette:.4f}")
    print(machine())
    ratio, excess = fit_seconds / plain_seconds, result.inertia / plain.inertia_ - 1
    met = ratio <= 1 / 3 and excess <= 0.01
    print(f"fit ratio {ratio:.3f} (target <= 0.333), SSE excess {excess:+.3%} (target <= +1%)")
    print("TARGET MET" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())

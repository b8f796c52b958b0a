"""Search quality on a real mixed file: our SSE against scikit-learn's best of 100 starts, per K and seed.

The default preparation of ``telco_churn.csv`` (numbers, yes/no columns and categories: 40 features
on 7,043 customers) is searched with :func:`segmentation.kmeans.best_partition` for K=2..10 and
seeds 0-4, and each SSE is compared with ``KMeans(n_clusters=k, n_init=100, random_state=0)`` on
the same matrix. The target: never more than 0.1% above it. The reference takes several minutes.

    python bench/bench_real_quality.py [--file ../shared/data/telco_churn.csv] [--seeds 5]
"""

from __future__ import annotations

import argparse

from _common import ROOT, machine, table, timed
from sklearn.cluster import KMeans

import segmentation as sg
from segmentation.kmeans import best_partition

DEFAULT_FILE = ROOT.parent / "shared" / "data" / "telco_churn.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(DEFAULT_FILE))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--k-max", type=int, default=10)
    args = parser.parse_args(argv)
    X = sg.prepare(sg.load_table(args.file)).matrix
    ks = range(2, args.k_max + 1)
    print(f"{args.file}: {X.shape[0]:,} customers x {X.shape[1]} features; {machine()}")
    seconds, reference = timed(
        lambda: {k: KMeans(n_clusters=k, n_init=100, random_state=0).fit(X).inertia_ for k in ks}
    )
    print(f"scikit-learn, best of 100 starts per K: {seconds:.0f} s")
    rows, worst = [], 0.0
    for seed in range(args.seeds):
        seconds, found = timed(lambda seed=seed: {k: best_partition(X, k, random_state=seed).inertia for k in ks})
        excess = {k: found[k] / reference[k] - 1 for k in ks}
        worst = max(worst, *excess.values())
        top = max(excess, key=excess.get)
        rows.append((seed, f"{seconds:.1f}", f"{max(excess.values()):+.3%}", top))
    print(table(["seed", f"seconds (K=2..{args.k_max})", "worst excess", "at K"], rows))
    print(f"worst excess over every K and seed: {worst:+.3%} (target: at most +0.100%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

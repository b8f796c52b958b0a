"""Bench (issue 5, target 2): the elbow sweep K=1..19 on the 200-row Mall Customers data.

``segmentation.sweep`` on ``prepare(load_table(Mall_Customers.csv))`` against a plain scikit-learn
loop, ``KMeans(n_clusters=k, n_init=100)`` for every K, in the same process. Target: the sweep takes
at most 0.5 s and its SSE at every K is within 0.5% of the best of 1,000 scikit-learn starts
(``tests/data/mall_best_sse.json``, made by ``bench/mall_reference.py``).

    python bench/bench_mall.py [path/to/Mall_Customers.csv]    # a few seconds
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from _common import ROOT, machine, table, timed
from sklearn.cluster import KMeans

import segmentation

K_MAX = 19
DEFAULT_PATH = ROOT.parent / "shared" / "data" / "Mall_Customers.csv"
REFERENCE = ROOT / "tests" / "data" / "mall_best_sse.json"


def best_of_100(X) -> dict[int, float]:
    """The plain way to a good elbow curve: scikit-learn's best of 100 starts per K."""
    return {k: KMeans(n_clusters=k, n_init=100, random_state=0).fit(X).inertia_ for k in range(1, K_MAX + 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the sweep; the median is reported")
    args = parser.parse_args(argv)

    print(f"# Sweep K=1..{K_MAX} on {args.path.name}")
    print(machine())
    prepared = segmentation.prepare(segmentation.load_table(args.path))
    best = {int(k): v for k, v in json.loads(REFERENCE.read_text())["best_sse"].items()}
    baseline_seconds, baseline = timed(lambda: best_of_100(prepared.matrix))
    runs = [timed(lambda: segmentation.sweep(prepared, k_min=1, k_max=K_MAX)) for _ in range(args.repeat)]
    seconds = statistics.median(t for t, _ in runs)
    result = runs[-1][1]
    assert all(r.inertia == result.inertia for _, r in runs), "the sweep must be deterministic"

    ours = dict(zip(result.k, result.inertia, strict=True))
    excess = {k: ours[k] / best[k] - 1 for k in ours}
    base_excess = {k: baseline[k] / best[k] - 1 for k in ours}
    rows = [
        (k, f"{best[k]:.3f}", f"{baseline[k]:.3f}", f"{base_excess[k]:+.3%}", f"{ours[k]:.3f}", f"{excess[k]:+.3%}")
        for k in sorted(ours)
    ]
    print()
    print(table(("K", "best of 1,000", "best of 100", "vs 1,000", "sweep", "vs 1,000"), rows))
    worst = max(excess, key=excess.get)
    print()
    print(f"best of 100 loop   {baseline_seconds:6.3f} s   worst {max(base_excess.values()):+.3%}")
    print(f"segmentation.sweep {seconds:6.3f} s   (median of {args.repeat}; target <= 0.5 s)")
    print(f"ratio              {seconds / baseline_seconds:6.3f}")
    print(f"worst SSE excess   {excess[worst]:+.3%} at K={worst} (target <= +0.5%)")
    print(f"knee K={result.knee_k}, best silhouette K={result.best_silhouette_k}")
    met = seconds <= 0.5 and excess[worst] <= 0.005
    print("TARGET MET" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())

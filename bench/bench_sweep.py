"""Bench (issue 5, target 1): the elbow sweep K=1..19 on a million customers.

Three runs in one process on the same generated data (1,000,000 x 6, seven planted segments of
unequal size and spread, standardised):

* the tutorial loop, ``for k in 1..19: KMeans(n_clusters=k).fit(X)`` (scikit-learn's defaults, one
  k-means++ start; ``random_state=0`` only so that reruns agree);
* ``segmentation.sweep(X, k_min=1, k_max=19)``, silhouette, Calinski-Harabasz and Davies-Bouldin
  included;
* the quality reference: ``KMeans(n_clusters=k, n_init=10)`` on all rows, the best of 10 starts.

Target: the sweep takes at most 1/3 of the tutorial loop, and its SSE at every K is within 1% of
the reference. The reference alone takes about 5 minutes on 2 cores, so it is kept in a JSON file
in the temporary folder (keyed by rows, seed and scikit-learn version) for the next run;
``--fresh-reference`` recomputes it.

    python bench/bench_sweep.py                 # about 6 minutes on 2 cores, then under a minute
    python bench/bench_sweep.py --rows 200000   # quicker
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import sklearn
from _common import machine, table, timed
from _data import planted_matrix
from sklearn.cluster import KMeans

import segmentation

K_MAX = 19


def tutorial_loop(X) -> dict[int, float]:
    """The tutorial's elbow loop: one scikit-learn fit per K, default options."""
    return {k: KMeans(n_clusters=k, random_state=0).fit(X).inertia_ for k in range(1, K_MAX + 1)}


def best_of_ten(X) -> dict[int, float]:
    """The quality reference: the best of 10 k-means++ starts on every row, per K."""
    return {k: KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).inertia_ for k in range(1, K_MAX + 1)}


def reference(X, path: Path, key: str, *, fresh: bool) -> tuple[dict[int, float], float | None]:
    """The best-of-10 SSE per K, from ``path`` when an earlier run stored it (and not ``fresh``)."""
    stored = json.loads(path.read_text()) if path.exists() else {}
    if key in stored and not fresh:
        return {int(k): v for k, v in stored[key].items()}, None
    seconds, best = timed(lambda: best_of_ten(X))
    stored[key] = best
    path.write_text(json.dumps(stored, indent=1))
    return best, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument("--repeat", type=int, default=1, help="alternate tutorial and sweep runs; medians")
    parser.add_argument(
        "--reference",
        type=Path,
        default=Path(tempfile.gettempdir()) / "segmentation-bench-sweep-reference.json",
        help="JSON file caching the best-of-10 reference",
    )
    parser.add_argument("--fresh-reference", action="store_true", help="recompute the reference")
    args = parser.parse_args(argv)

    print(f"# Sweep K=1..{K_MAX}: {args.rows:,} rows x 6, seed {args.seed}")
    print(machine())
    X = planted_matrix(args.rows, random_state=args.seed)
    tutorial_times, sweep_times = [], []
    for _ in range(args.repeat):
        seconds, tutorial = timed(lambda: tutorial_loop(X))
        tutorial_times.append(seconds)
        seconds, result = timed(lambda: segmentation.sweep(X, k_min=1, k_max=K_MAX))
        sweep_times.append(seconds)
    key = f"rows={args.rows},seed={args.seed},sklearn={sklearn.__version__}"
    best, reference_seconds = reference(X, args.reference, key, fresh=args.fresh_reference)

    ours = dict(zip(result.k, result.inertia, strict=True))
    excess = {k: ours[k] / best[k] - 1 for k in ours}
    rows = [(k, f"{tutorial[k]:,.0f}", f"{best[k]:,.0f}", f"{ours[k]:,.0f}", f"{excess[k]:+.3%}") for k in sorted(ours)]
    print()
    print(table(("K", "tutorial SSE", "best of 10 SSE", "sweep SSE", "sweep vs best of 10"), rows))
    worst = max(excess, key=excess.get)
    t_tutorial, t_sweep = statistics.median(tutorial_times), statistics.median(sweep_times)
    ratio = t_sweep / t_tutorial
    print()
    print(f"tutorial loop      {t_tutorial:7.2f} s")
    print(f"segmentation.sweep {t_sweep:7.2f} s   ratio {ratio:.3f} (target <= 0.333)")
    if reference_seconds is not None:
        print(f"best of 10 starts  {reference_seconds:7.2f} s   (quality reference)")
    else:
        print(f"best of 10 starts  from {args.reference} (computed by an earlier run)")
    print(f"worst SSE excess   {excess[worst]:+.3%} at K={worst} (target <= +1%)")
    print(f"silhouette on {result.silhouette_rows:,} rows; suggested K={result.suggested_k}")
    print(machine())
    met = ratio <= 1 / 3 and excess[worst] <= 0.01
    print("TARGET MET" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())

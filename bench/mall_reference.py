"""Compute the reference SSE on the Mall data: the best of 1,000 scikit-learn starts per K.

This is what "the best reachable SSE" means in the tests: our preparation of the file, then
``KMeans(n_clusters=k, n_init=1, random_state=s)`` for s = 0..999, keeping the lowest SSE per K.
Two feature spaces: ``balanced`` (the default: drop the ID, Gender as a yes/no column whose two
values are sqrt(2) apart, the numbers standardised) and ``equal`` (the tutorial's: label-encoded
Gender standardised like every other column). About 35 s per space on 2 cores.

    python bench/mall_reference.py ../shared/data/Mall_Customers.csv > tests/data/mall_best_sse.json
    python bench/mall_reference.py ../shared/data/Mall_Customers.csv --weighting equal \\
        > tests/data/mall_best_sse_equal.json
"""

from __future__ import annotations

import argparse
import json
import sys

from sklearn.cluster import KMeans

from segmentation import load_table, prepare


def main(path: str, *, weighting: str = "balanced", starts: int = 1_000) -> dict:
    X = prepare(load_table(path), weighting=weighting).matrix
    best = {}
    for k in range(1, 20):
        best[k] = min(KMeans(n_clusters=k, n_init=1, random_state=s).fit(X).inertia_ for s in range(starts))
        print(f"K={k}: {best[k]:.6f}", file=sys.stderr)
    return {"starts": starts, "weighting": weighting, "best_sse": {str(k): v for k, v in best.items()}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--weighting", choices=["balanced", "equal"], default="balanced")
    args = parser.parse_args()
    print(json.dumps(main(args.path, weighting=args.weighting), indent=2))

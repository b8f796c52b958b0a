"""Compute the reference SSE on the Mall data: the best of 1,000 scikit-learn starts per K.

This is what "the best reachable SSE" means in the tests: our preparation of the file (the tutorial's:
drop the ID, label-encode Gender, StandardScaler; then Gender at half weight, see
``segmentation.prepare.CategoryWeights``), then ``KMeans(n_clusters=k, n_init=1, random_state=s)``
for s = 0..999, keeping the lowest SSE per K. It takes about 35 s on 2 cores.

    python bench/mall_reference.py ../shared/data/Mall_Customers.csv > tests/data/mall_best_sse.json
"""

from __future__ import annotations

import json
import sys

from sklearn.cluster import KMeans

from segmentation import load_table, prepare


def main(path: str, starts: int = 1_000) -> dict:
    X = prepare(load_table(path)).matrix
    best = {}
    for k in range(1, 20):
        best[k] = min(KMeans(n_clusters=k, n_init=1, random_state=s).fit(X).inertia_ for s in range(starts))
        print(f"K={k}: {best[k]:.6f}", file=sys.stderr)
    return {"starts": starts, "best_sse": {str(k): v for k, v in best.items()}}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1]), indent=2))

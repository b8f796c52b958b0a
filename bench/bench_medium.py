"""Bench: the search's quality and speed on medium data (2,500 to 20,000 rows).

On each dataset and for K=2..15, ``segmentation.kmeans.best_partition`` against the best of 100
single-start scikit-learn fits, ``KMeans(n_clusters=K, n_init=1, random_state=s)`` for s in 0..99
(the reference), and the time of one search: "cold" builds the data's summaries (as a first
``fit`` on new data does), "warm" finds them built (every K of a sweep but the first). Then the
app's sweep (K=2..10 on the built-in 3,000-customer sample) end to end, as the elbow page runs
it, cold. Target: every K within 0.5% of the reference; the sweep about a second or less.

The datasets: the built-in sample (3,000 customers, prepared as the app does) and two generated
matrices of 5,000 and 15,000 rows x 6 with seven planted segments of unequal size. The reference
takes about 5 minutes on 2 cores and is cached in the temp folder (keyed on the data's bytes);
``--fresh-reference`` recomputes it.

    python bench/bench_medium.py
    python bench/bench_medium.py --k-max 10 --repeat 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from _common import machine, table, timed
from _data import planted_matrix
from sklearn.cluster import KMeans

import segmentation
from segmentation import kmeans
from segmentation.kmeans import best_partition

T = TypeVar("T")

#: Single-start fits in the reference (seeds 0..REFERENCE_STARTS-1).
REFERENCE_STARTS = 100
#: The target: our SSE at most this much above the reference at every K.
TARGET_EXCESS = 0.005


def datasets() -> dict[str, np.ndarray]:
    """The sample as the app prepares it, and the two generated medium matrices."""
    sample = segmentation.prepare(segmentation.load_table(segmentation.demo_csv(), name=segmentation.DEMO_NAME))
    return {
        "sample 3,000": sample.matrix,
        "planted 5,000": planted_matrix(5_000, random_state=1),
        "planted 15,000": planted_matrix(15_000, random_state=2),
    }


def reference(X: np.ndarray, ks: list[int], *, fresh: bool) -> dict[int, float]:
    """Best SSE of :data:`REFERENCE_STARTS` single-start fits per K, cached by the data's bytes."""
    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"segmentation-medium-reference-{digest}-{REFERENCE_STARTS}.json"
    cached = {} if fresh or not path.exists() else {int(k): v for k, v in json.loads(path.read_text()).items()}
    for k in ks:
        if k not in cached:
            cached[k] = min(
                KMeans(n_clusters=k, n_init=1, random_state=s).fit(X).inertia_ for s in range(REFERENCE_STARTS)
            )
    path.write_text(json.dumps(cached))
    return cached


def cold(search: Callable[[], T]) -> Callable[[], T]:
    """``search`` after forgetting the summaries built so far, as on data never searched before."""

    def run() -> T:
        getattr(kmeans, "_summary_cache", {}).clear()  # (earlier versions kept none)
        return search()

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k-max", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each search; the median time is shown")
    parser.add_argument("--fresh-reference", action="store_true", help="recompute the cached reference")
    args = parser.parse_args(argv)
    ks = list(range(2, args.k_max + 1))

    print(f"# Medium data: best_partition vs best of {REFERENCE_STARTS} single-start fits, K=2..{args.k_max}")
    print(machine())
    best_partition(planted_matrix(3_000), 3)  # first-call imports and thread pools
    worst, met = {}, True
    for name, X in datasets().items():
        best = reference(X, ks, fresh=args.fresh_reference)
        rows = []
        for k in ks:
            search = lambda X=X, k=k: best_partition(X, k)  # noqa: E731
            runs = [timed(cold(search)) for _ in range(args.repeat)]
            warm = [timed(search)[0] for _ in range(args.repeat)]
            seconds, ours = statistics.median(s for s, _ in runs), runs[0][1].inertia
            excess = ours / best[k] - 1
            met &= excess <= TARGET_EXCESS
            worst[name] = max(worst.get(name, (-np.inf, 0)), (excess, k))
            rows.append(
                (
                    k,
                    f"{best[k]:,.2f}",
                    f"{ours:,.2f}",
                    f"{100 * excess:+.3f}%",
                    f"{seconds:.3f}",
                    f"{statistics.median(warm):.3f}",
                )
            )
        print(f"\n## {name} x {X.shape[1]}\n")
        headers = ("K", f"best of {REFERENCE_STARTS} SSE", "ours SSE", "ours vs reference", "cold (s)", "warm (s)")
        print(table(headers, rows))

    sample = segmentation.prepare(segmentation.load_table(segmentation.demo_csv(), name=segmentation.DEMO_NAME))
    sweep = cold(lambda: segmentation.sweep(sample, k_min=2, k_max=10))
    sweep_times = [timed(sweep)[0] for _ in range(max(3, args.repeat))]
    print(f"\n## The app's sweep, K=2..10 on the sample: {statistics.median(sweep_times):.2f} s (cold, median of 3)\n")
    for name, (excess, k) in worst.items():
        print(f"worst on {name}: {100 * excess:+.3f}% at K={k}")
    print(machine())
    print("TARGET MET" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())

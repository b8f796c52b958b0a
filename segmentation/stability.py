"""Are these segments real, or an accident of the random start? Resample the customers, segment
them again from other seeds, and measure how well the new segments agree with the full solution."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from . import seeds
from .errors import DataError
from .fit import Segmentation, number_by_size
from .kmeans import SMALL_ROWS, best_partition
from .nearest import assign, count_distinct
from .prepare import Prepared
from .sweep import check_k, check_range
from .threads import cores, one_openmp_thread, single_threaded
from .wording import and_joined

__all__ = [
    "HIGHLY_STABLE_JACCARD",
    "RESAMPLE_SHARE",
    "STABILITY_BY_DEFAULT_ROWS",
    "STABILITY_ROWS",
    "STABLE_JACCARD",
    "UNSTABLE_JACCARD",
    "Stability",
    "matched_jaccard",
    "stability",
    "stability_by_default",
    "stability_ks",
    "stability_sweep",
]

#: A segment whose mean Jaccard is below this is unstable (Hennig's rule of thumb).
UNSTABLE_JACCARD = 0.6
#: From this mean Jaccard a segment is stable; between the two it shows a pattern with fuzzy edges.
STABLE_JACCARD = 0.75
#: From this mean Jaccard a segment is highly stable.
HIGHLY_STABLE_JACCARD = 0.85
#: Share of the compared customers each resample is segmented on (drawn without replacement, so no
#: customer counts twice: duplicates would pull k-means centres towards them).
RESAMPLE_SHARE = 0.8
#: Above this many customers, stability is measured on a fixed random sample of this many, so one K
#: takes a few seconds whatever the size of the file.
STABILITY_ROWS = 5_000
#: Up to this many customers stability is checked without being asked (see :func:`stability_by_default`).
STABILITY_BY_DEFAULT_ROWS = 200_000
#: Resamples up to this many customers get the careful search of :func:`segmentation.fit`.
CAREFUL_RESAMPLE_ROWS = 1_000
#: k-means++ starts per resample above :data:`CAREFUL_RESAMPLE_ROWS`.
RESAMPLE_STARTS = 4

ProgressCallback = Callable[[int, int], None]


def stability_by_default(n_customers: int) -> bool:
    """Whether stability is checked without being asked: up to :data:`STABILITY_BY_DEFAULT_ROWS` customers.

    Above that, the app leaves the check to the user (it is off until switched on).

    Parameters
    ----------
    n_customers : int
        Customers segmented.

    Returns
    -------
    bool

    Examples
    --------
    >>> stability_by_default(10_000), stability_by_default(1_000_000)
    (True, False)
    """
    return n_customers <= STABILITY_BY_DEFAULT_ROWS


def stability_ks(ks: Iterable[int]) -> list[int]:
    """The K whose stability is worth measuring: every K but 1.

    One segment holds every customer, so it always agrees with itself and says nothing.

    Parameters
    ----------
    ks : iterable of int
        The K on screen, e.g. the K of a sweep.

    Returns
    -------
    list of int
        ``ks`` without 1, in the same order.

    Examples
    --------
    >>> stability_ks(range(1, 5)), stability_ks([1])
    ([2, 3, 4], [])
    """
    return [k for k in ks if k > 1]


@dataclass(frozen=True)
class Stability:
    """How much the segments at one K survive resampling the customers and changing the seed.

    Attributes
    ----------
    k : int
        Number of segments.
    ari : tuple of float
        Adjusted Rand index of each resample's segments against the full solution, on the compared
        customers: 1 = the same segments, 0 = no better than chance.
    jaccard : ndarray of shape (n_resamples, k)
        Per resample, each segment's Jaccard similarity (shared customers / customers in either)
        with its matched segment of the resample; column ``i`` is segment ``i + 1``.
    sizes : tuple of int
        Customers per segment in the full solution, segment 1 first (as :func:`segmentation.fit`).
    compared_rows : int
        Customers the agreement is measured on (every customer, or a fixed sample).
    sampled : bool
        True when the comparison ran on a fixed sample of :data:`STABILITY_ROWS` customers.
    resample_share : float
        Share of the compared customers each resample was segmented on.
    random_state : int
        The seed.

    Notes
    -----
    How to read a segment's mean Jaccard (Hennig, "Cluster-wise assessment of cluster stability",
    2007, and the documentation of R's ``fpc::clusterboot``): below 0.6 the segment is **unstable**
    (it dissolves when the customers change a little); 0.6 to 0.75 it indicates a **pattern** but
    which customers belong to it is doubtful; 0.75 to 0.85 it is **stable**; above 0.85 **highly
    stable**.
    """

    k: int
    ari: tuple[float, ...]
    jaccard: np.ndarray
    sizes: tuple[int, ...]
    compared_rows: int
    sampled: bool = False
    resample_share: float = RESAMPLE_SHARE
    random_state: int = 0

    @property
    def ari_mean(self) -> float:
        """Mean adjusted Rand index over the resamples."""
        return float(np.mean(self.ari))

    @property
    def ari_std(self) -> float:
        """Standard deviation of the adjusted Rand index over the resamples (0 for one resample)."""
        return float(np.std(self.ari, ddof=1)) if len(self.ari) > 1 else 0.0

    @property
    def ari_min(self) -> float:
        """Lowest adjusted Rand index of any resample."""
        return float(np.min(self.ari))

    @property
    def segment_jaccard(self) -> tuple[float, ...]:
        """Mean Jaccard of each segment over the resamples, segment 1 first."""
        return tuple(float(v) for v in self.jaccard.mean(axis=0))

    @property
    def unstable_segments(self) -> tuple[int, ...]:
        """Segments (numbered from 1) whose mean Jaccard is below :data:`UNSTABLE_JACCARD`."""
        return tuple(s for s, value in enumerate(self.segment_jaccard, start=1) if value < UNSTABLE_JACCARD)

    def verdicts(self) -> tuple[str, ...]:
        """Each segment's stability in words: unstable, pattern, stable or highly stable."""
        return tuple(_verdict(value) for value in self.segment_jaccard)

    def frame(self) -> pd.DataFrame:
        """One row per segment: customers, mean and lowest Jaccard, and the verdict."""
        return pd.DataFrame(
            {
                "Customers": self.sizes,
                "Stability (mean Jaccard)": self.segment_jaccard,
                "Lowest Jaccard": self.jaccard.min(axis=0),
                "Verdict": self.verdicts(),
            },
            index=pd.Index(range(1, self.k + 1), name="Segment"),
        )

    def summary(self) -> str:
        """The result in one or two plain sentences."""
        text = (
            f"At K={self.k}, segmenting {self.resample_share:.0%} of the customers with another seed "
            f"{len(self.ari)} times gives segments that agree with yours at {self.ari_mean:.2f} "
            f"± {self.ari_std:.2f} (adjusted Rand index; 1 = identical)."
        )
        unstable = self.unstable_segments
        if not unstable:
            return text + " Every segment is stable enough to act on."
        listed = and_joined([f"{s} (Jaccard {self.segment_jaccard[s - 1]:.2f})" for s in unstable])
        noun = "Segment" if len(unstable) == 1 else "Segments"
        verb = "is" if len(unstable) == 1 else "are"
        return text + f" {noun} {listed} {verb} unstable: treat {'it' if len(unstable) == 1 else 'them'} with care."


def stability(
    data: Prepared | np.ndarray,
    k: int,
    *,
    random_state: int = 0,
    resamples: int = 10,
    sample_rows: int = STABILITY_ROWS,
    resample_share: float = RESAMPLE_SHARE,
    reference: Segmentation | None = None,
    on_progress: ProgressCallback | None = None,
) -> Stability:
    """Measure how well the segments at ``k`` survive resampling the customers and changing the seed.

    Each resample draws ``resample_share`` of the compared customers without replacement, segments
    them with the same search as :func:`segmentation.fit` (from a seed of its own), gives every
    compared customer the resample's nearest centre, and compares with the full solution: the
    adjusted Rand index overall, and per segment the Jaccard similarity of the matched segments
    (:func:`matched_jaccard`).

    Parameters
    ----------
    data : Prepared or ndarray
        Prepared data (:func:`segmentation.prepare`) or a scaled matrix.
    k : int
        Number of segments.
    random_state : int, default 0
        Seed of the full solution (the segments of ``fit(prepared, k, random_state=...)``), of the
        comparison sample and of the resamples; the same inputs always give the same numbers.
    resamples : int, default 10
        How many resamples to segment.
    sample_rows : int, default :data:`STABILITY_ROWS`
        Above this many customers, compare on a fixed random sample of this many.
    resample_share : float, default 0.8
        Share of the compared customers in each resample, in ``(0, 1]``.
    reference : Segmentation, optional
        The full solution if already fitted (saves one search); must have ``k`` segments.
    on_progress : callable, optional
        Called as ``on_progress(done, resamples)`` after each resample.

    Returns
    -------
    Stability

    Raises
    ------
    DataError
        If ``k`` is out of range for the data, or too few different customers remain to resample.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (60, 2)), rng.normal(10, 1, (40, 2))]
    >>> result = stability(X, 2, resamples=3)
    >>> round(result.ari_mean, 2), result.unstable_segments
    (1.0, ())
    """
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, not {resamples}")
    if not 0 < resample_share <= 1:
        raise ValueError(f"resample_share must be in (0, 1], not {resample_share}")
    X = _matrix(data)
    check_k(k, count_distinct(X, limit=k))
    labels = _reference_labels(X, k, random_state=random_state, reference=reference)
    sizes = tuple(int(s) for s in np.bincount(labels, minlength=k))

    compared = None
    if len(X) > sample_rows:
        compared = np.sort(
            seeds.rng(random_state, seeds.STABILITY_SAMPLE).choice(len(X), size=sample_rows, replace=False)
        )
    Xc = X if compared is None else X[compared]
    truth = labels if compared is None else labels[compared]
    take = max(k, int(round(resample_share * len(Xc))))

    def one(i: int) -> tuple[float, np.ndarray] | None:
        # The same resamples for every K (they depend on the seed and i only), so the curve over K
        # compares like with like.
        rng = seeds.rng(random_state, seeds.STABILITY_RESAMPLES, i)
        chosen = np.sort(rng.choice(len(Xc), size=take, replace=False))
        if count_distinct(Xc[chosen], limit=k) < k:
            return None
        seed = int(rng.integers(2**31 - 1))
        if take <= CAREFUL_RESAMPLE_ROWS:
            centers = best_partition(Xc[chosen], k, random_state=seed).centers
        else:
            # Above a thousand customers a few k-means++ starts find the same basin as the careful
            # search (the landscape is smooth) at a tenth of its cost; ten resamples per K stay cheap.
            # One OpenMP thread, as every Lloyd run here: two busy threads waiting on each other ran 10x slower.
            with one_openmp_thread():
                model = KMeans(n_clusters=k, n_init=RESAMPLE_STARTS, random_state=seed).fit(Xc[chosen])
            centers = model.cluster_centers_
        predicted, _ = assign(Xc, centers)
        return float(adjusted_rand_score(truth, predicted)), matched_jaccard(truth, predicted, k)

    results = _run(one, resamples, parallel=take > SMALL_ROWS, on_progress=on_progress)
    done = [r for r in results if r is not None]
    if not done:
        raise DataError(
            f"Too few different customers to check the stability of {k} segments: resamples of "
            f"{resample_share:.0%} of them do not hold {k} different customers."
        )
    return Stability(
        k=k,
        ari=tuple(a for a, _ in done),
        jaccard=np.vstack([j for _, j in done]),
        sizes=sizes,
        compared_rows=len(Xc),
        sampled=compared is not None,
        resample_share=resample_share,
        random_state=random_state,
    )


def stability_sweep(
    data: Prepared | np.ndarray,
    *,
    k_min: int = 2,
    k_max: int = 10,
    random_state: int = 0,
    resamples: int = 10,
    sample_rows: int = STABILITY_ROWS,
    on_progress: ProgressCallback | None = None,
) -> tuple[Stability, ...]:
    """:func:`stability` for every K in ``k_min..k_max`` (cut at the number of different customers).

    Parameters
    ----------
    data : Prepared or ndarray
    k_min, k_max : int, default 2 and 10
    random_state, resamples, sample_rows
        As for :func:`stability`.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` after each resample of each K.

    Returns
    -------
    tuple of Stability
        One per K, ascending.

    Examples
    --------
    >>> X = np.r_[np.zeros((20, 1)), np.ones((20, 1)) * 9] + np.arange(40)[:, None] % 5 / 10
    >>> [s.k for s in stability_sweep(X, k_min=2, k_max=4, resamples=2)]
    [2, 3, 4]
    """
    check_range(k_min, k_max)
    X = _matrix(data)
    k_max = min(k_max, max(k_min, count_distinct(X, limit=k_max)))
    ks = range(k_min, k_max + 1)
    total = len(ks) * resamples
    results = []
    for position, k in enumerate(ks):

        def progress(done: int, _: int, offset: int = position * resamples) -> None:
            if on_progress is not None:
                on_progress(offset + done, total)

        results.append(
            stability(
                X, k, random_state=random_state, resamples=resamples, sample_rows=sample_rows, on_progress=progress
            )
        )
    return tuple(results)


def _matrix(data: Prepared | np.ndarray) -> np.ndarray:
    return data.matrix if isinstance(data, Prepared) else np.asarray(data, dtype=np.float64)


def _reference_labels(X: np.ndarray, k: int, *, random_state: int, reference: Segmentation | None) -> np.ndarray:
    """The full solution's segments, 0-based and numbered by size exactly as :func:`segmentation.fit`."""
    if reference is not None:
        if reference.k != k:
            raise ValueError(f"reference has {reference.k} segments, not {k}")
        labels = reference.labels[reference.segmented] - 1
        if len(labels) != len(X):
            raise ValueError("reference was fitted on other customers")
        return labels
    partition = best_partition(X, k, random_state=random_state)
    rank = np.empty(k, dtype=np.intp)
    rank[number_by_size(partition.labels, partition.centers)] = np.arange(k)
    return rank[partition.labels]


def matched_jaccard(truth: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """Jaccard similarity of each true segment with the predicted segment matched to it one to one.

    The segments are matched by the Hungarian algorithm, so that the sum of the matched Jaccard
    similarities is as large as possible; the names (numbers) of the predicted segments do not count.

    Parameters
    ----------
    truth, predicted : ndarray of int, shape (n_customers,)
        Each customer's segment in the two solutions, numbered ``0..k-1``.
    k : int
        Number of segments in each solution.

    Returns
    -------
    ndarray of float, shape (k,)
        Entry ``i`` is the Jaccard similarity (shared customers / customers in either) of true
        segment ``i`` with its match.

    Examples
    --------
    >>> truth = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    >>> matched_jaccard(truth, np.array([2, 2, 2, 0, 0, 1, 1, 1, 1]), 3).tolist()
    [1.0, 1.0, 1.0]
    >>> matched_jaccard(truth, np.array([2, 2, 2, 0, 0, 1, 1, 1, 2]), 3).tolist()
    [0.75, 1.0, 0.75]
    """
    both = np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k).astype(np.float64)
    union = both.sum(axis=1)[:, None] + both.sum(axis=0)[None, :] - both
    jaccard = both / np.maximum(union, 1)
    rows, columns = linear_sum_assignment(jaccard, maximize=True)
    matched = np.zeros(k)
    matched[rows] = jaccard[rows, columns]
    return matched


def _run(
    job: Callable[[int], object], count: int, *, parallel: bool, on_progress: ProgressCallback | None
) -> list[object]:
    """``[job(0), ..., job(count - 1)]``, on every core for big resamples, reporting progress."""
    workers = min(cores(), count) if parallel else 1
    results: list[object] = [None] * count
    if workers <= 1:
        for i in range(count):
            results[i] = job(i)
            if on_progress is not None:
                on_progress(i + 1, count)
        return results
    # Each search is single-threaded and its seed fixed, so the results never depend on the cores.
    with single_threaded(), ThreadPoolExecutor(workers, "stability") as pool:
        futures = [pool.submit(job, i) for i in range(count)]
        for i, future in enumerate(futures):
            results[i] = future.result()
            if on_progress is not None:
                on_progress(i + 1, count)
    return results


def _verdict(jaccard: float) -> str:
    if jaccard < UNSTABLE_JACCARD:
        return "unstable"
    if jaccard < STABLE_JACCARD:
        return "pattern"
    if jaccard < HIGHLY_STABLE_JACCARD:
        return "stable"
    return "highly stable"

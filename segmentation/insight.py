"""The questions a marketer asks once the segments are on screen, answered with numbers.

* **Are these segments real, or an accident of the random start?** :func:`stability` re-segments
  resamples of the customers (80% of them, drawn without replacement, each searched from another
  seed), extends each resample's segments to every compared customer by nearest centre, and measures
  how well they agree with the full solution: the adjusted Rand index (ARI) overall, and per segment
  the Jaccard similarity of the matched segments (matched one to one by the Hungarian algorithm).
* **What happens to my segments if I pick 5 instead of 6?** :func:`transitions` crosstabs the
  customers' segments at two K (both numbered by size, as :func:`segmentation.fit` numbers them)
  and says in one sentence which segment splits or which segments merge.
* **Which customers don't fit any segment?** :func:`unusual_customers` flags those who fit their
  segment worst (negative silhouette, the lowest few percent) or sit unusually far from their
  segment's centre; :func:`worst_fits` lists them with their original values.
* **What sets each segment apart, on one slide?** :func:`segment_cards` turns a profile into one
  card per segment: size, share, the features that differ most (value, average, index) and a
  one-line description generated from those numbers.

How to read a segment's mean Jaccard (Hennig, "Cluster-wise assessment of cluster stability", 2007,
and the documentation of R's ``fpc::clusterboot``): below 0.6 the segment is **unstable** (it
dissolves when the customers change a little); 0.6 to 0.75 it indicates a **pattern** but which
customers belong to it is doubtful; 0.75 to 0.85 it is **stable**; above 0.85 **highly stable**.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from .describe import DOMINANT_SHARE, NOTABLE_Z, Profile, describe
from .errors import DataError
from .fit import Segmentation, fit, number_by_size
from .kmeans import SMALL_ROWS, best_partition
from .nearest import assign, count_distinct
from .prepare import Prepared
from .sweep import check_k, check_range
from .threads import cores, single_threaded
from .wording import free_name

__all__ = [
    "HIGHLY_STABLE_JACCARD",
    "OUTLIER_MADS",
    "RESAMPLE_SHARE",
    "STABILITY_ROWS",
    "STABLE_JACCARD",
    "UNSTABLE_JACCARD",
    "Card",
    "CardFeature",
    "Stability",
    "Transitions",
    "compare_segmentations",
    "segment_cards",
    "stability",
    "stability_sweep",
    "transitions",
    "unusual_customers",
    "worst_fits",
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
#: Resamples up to this many customers get the careful search of :func:`segmentation.fit`.
CAREFUL_RESAMPLE_ROWS = 1_000
#: k-means++ starts per resample above :data:`CAREFUL_RESAMPLE_ROWS`.
RESAMPLE_STARTS = 4
#: A customer is an outlier beyond this many robust standard deviations (1.4826 x MAD) above the
#: median distance to their segment's centre.
OUTLIER_MADS = 3.0
#: Fewer customers than this in a segment: its distances are too few for a robust cut.
_MIN_OUTLIER_SEGMENT = 5
#: A destination taking at least this share of a segment's customers counts as part of a split.
_SPLIT_SHARE = 0.15
#: A segment "stays together" when at least this share of it ends in one segment.
_KEPT_SHARE = 0.9

ProgressCallback = Callable[[int, int], None]


# --------------------------------------------------------------------------------------------------
# Stability


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
        listed = _and([f"{s} (Jaccard {self.segment_jaccard[s - 1]:.2f})" for s in unstable])
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
    compared customer the resample's nearest centre, and compares with the full solution.

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
        compared = np.sort(np.random.default_rng([random_state, 3]).choice(len(X), size=sample_rows, replace=False))
    Xc = X if compared is None else X[compared]
    truth = labels if compared is None else labels[compared]
    take = max(k, int(round(resample_share * len(Xc))))

    def one(i: int) -> tuple[float, np.ndarray] | None:
        # The same resamples for every K (they depend on the seed and i only), so the curve over K
        # compares like with like.
        rng = np.random.default_rng([random_state, 4, i])
        chosen = np.sort(rng.choice(len(Xc), size=take, replace=False))
        if count_distinct(Xc[chosen], limit=k) < k:
            return None
        seed = int(rng.integers(2**31 - 1))
        if take <= CAREFUL_RESAMPLE_ROWS:
            centers = best_partition(Xc[chosen], k, random_state=seed).centers
        else:
            # Above a thousand customers a few k-means++ starts find the same basin as the careful
            # search (the landscape is smooth) at a tenth of its cost; ten resamples per K stay cheap.
            centers = KMeans(n_clusters=k, n_init=RESAMPLE_STARTS, random_state=seed).fit(Xc[chosen]).cluster_centers_
        predicted, _ = assign(Xc, centers)
        return float(adjusted_rand_score(truth, predicted)), _matched_jaccard(truth, predicted, k)

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
        labels = reference.labels[reference.labels > 0] - 1
        if len(labels) != len(X):
            raise ValueError("reference was fitted on other customers")
        return labels
    partition = best_partition(X, k, random_state=random_state)
    rank = np.empty(k, dtype=np.intp)
    rank[number_by_size(partition.labels, partition.centers)] = np.arange(k)
    return rank[partition.labels]


def _matched_jaccard(truth: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """Jaccard of each true segment with the predicted segment matched to it one to one."""
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


# --------------------------------------------------------------------------------------------------
# K against K + 1


@dataclass(frozen=True)
class Transitions:
    """How customers move between the segments at two K.

    Attributes
    ----------
    k_from, k_to : int
        The two K.
    crosstab : DataFrame
        Customers in each pair of segments: rows are the segments at ``k_from`` (index named
        ``"Segment at K=<k_from>"``, 1..k_from), columns the segments at ``k_to``.
    names_from, names_to : tuple of str
        Segment names at each K, segment 1 first.
    moves : tuple of str
        One sentence per segment that splits or per group of segments that merge, biggest first.
    summary : str
        The main move, and which segments stay together, in plain words.
    """

    k_from: int
    k_to: int
    crosstab: pd.DataFrame
    names_from: tuple[str, ...]
    names_to: tuple[str, ...]
    moves: tuple[str, ...]
    summary: str

    @property
    def shares(self) -> pd.DataFrame:
        """The crosstab as shares of each row (where the customers of a ``k_from`` segment go)."""
        return self.crosstab.div(self.crosstab.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)


def transitions(
    prepared: Prepared,
    k_from: int,
    k_to: int,
    *,
    random_state: int = 0,
    names_from: Sequence[str] | None = None,
    names_to: Sequence[str] | None = None,
) -> Transitions:
    """Where the customers of each segment at ``k_from`` go at ``k_to``.

    Parameters
    ----------
    prepared : Prepared
        Output of :func:`segmentation.prepare`.
    k_from, k_to : int
        The two K to compare (any two; usually K and K + 1).
    random_state : int, default 0
        Seed of both fits (the segments are those of :func:`segmentation.fit`).
    names_from, names_to : sequence of str, optional
        Segment names; by default the automatic names of :func:`segmentation.describe`.

    Returns
    -------
    Transitions

    Raises
    ------
    DataError
        If either K is out of range for the data.

    Examples
    --------
    >>> from segmentation import load_table, prepare
    >>> table = load_table(b"Spend\\n1\\n2\\n3\\n50\\n52\\n90\\n")
    >>> result = transitions(prepare(table), 2, 3, names_from=["Low", "High"])
    >>> result.crosstab.to_numpy().tolist()
    [[3, 0, 0], [0, 2, 1]]
    >>> result.summary.split(".")[0]
    'At K=3, segment 2 "High" splits into 2 (67%) and 3 (33%)'
    """
    before = fit(prepared, k_from, random_state=random_state)
    after = fit(prepared, k_to, random_state=random_state)
    return compare_segmentations(before, after, names_from=names_from, names_to=names_to)


def compare_segmentations(
    before: Segmentation,
    after: Segmentation,
    *,
    names_from: Sequence[str] | None = None,
    names_to: Sequence[str] | None = None,
) -> Transitions:
    """:func:`transitions` for two segmentations already fitted on the same customers.

    Parameters
    ----------
    before, after : Segmentation
        Fits of the same prepared data (e.g. cached by the app).
    names_from, names_to : sequence of str, optional
        Segment names; by default the automatic names of :func:`segmentation.describe`.

    Returns
    -------
    Transitions
    """
    if len(before.labels) != len(after.labels) or not np.array_equal(before.labels > 0, after.labels > 0):
        raise ValueError("both segmentations must cover the same customers")
    names_from = tuple(str(n) for n in (names_from if names_from is not None else describe(before).names))
    names_to = tuple(str(n) for n in (names_to if names_to is not None else describe(after).names))
    if len(names_from) != before.k or len(names_to) != after.k:
        raise ValueError(f"names must have {before.k} and {after.k} entries")
    segmented = before.labels > 0
    a, b = before.labels[segmented] - 1, after.labels[segmented] - 1
    counts = np.bincount(a * after.k + b, minlength=before.k * after.k).reshape(before.k, after.k)
    crosstab = pd.DataFrame(
        counts,
        index=pd.Index(range(1, before.k + 1), name=f"Segment at K={before.k}"),
        columns=pd.Index(range(1, after.k + 1), name=f"Segment at K={after.k}"),
    )
    moves = _moves(counts, names_from, names_to, before.k, after.k)
    return Transitions(
        k_from=before.k,
        k_to=after.k,
        crosstab=crosstab,
        names_from=names_from,
        names_to=names_to,
        moves=tuple(text for _, text in moves),
        summary=_transition_summary(counts, moves, before.k, after.k),
    )


def _moves(
    counts: np.ndarray, names_from: tuple[str, ...], names_to: tuple[str, ...], k_from: int, k_to: int
) -> list[tuple[int, str]]:
    """Splits (one segment into several) and merges (several into one), with the customers moved."""
    moves = []
    out_shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    in_shares = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1)
    for s in range(counts.shape[0]):
        parts = [t for t in np.argsort(-counts[s], kind="stable") if out_shares[s, t] >= _SPLIT_SHARE]
        if len(parts) >= 2:
            listed = _and([f"{t + 1} ({out_shares[s, t]:.0%})" for t in parts])
            moved = int(counts[s].sum() - counts[s, parts[0]])
            moves.append((moved, f'At K={k_to}, segment {s + 1} "{names_from[s]}" splits into {listed}.'))
    for t in range(counts.shape[1]):
        # Segments that send most of their customers to t, and make up a real part of it.
        parts = [
            s
            for s in np.argsort(-counts[:, t], kind="stable")
            if out_shares[s].argmax() == t and in_shares[s, t] >= _SPLIT_SHARE
        ]
        if len(parts) >= 2:
            listed = _and([f"{s + 1}" for s in parts])
            moved = int(counts[parts, t].sum() - counts[parts[0], t])
            moves.append((moved, f'At K={k_to}, segments {listed} merge into {t + 1} "{names_to[t]}".'))
    moves.sort(key=lambda move: -move[0])
    return moves


def _transition_summary(counts: np.ndarray, moves: list[tuple[int, str]], k_from: int, k_to: int) -> str:
    out_shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    kept = [(s, int(out_shares[s].argmax())) for s in range(k_from) if out_shares[s].max() >= _KEPT_SHARE]
    if moves:
        text = moves[0][1]
    elif k_from == k_to:
        text = f"At K={k_to} the segments are the same as at K={k_from}."
    else:
        text = f"No segment splits or merges cleanly between K={k_from} and K={k_to}: customers reshuffle."
    if kept and len(kept) < k_from:
        pairs = _and([f"{s + 1} → {t + 1}" for s, t in kept])
        text += f" Segments {pairs} stay together ({_KEPT_SHARE:.0%} or more of their customers)."
    elif kept and moves:
        text += " The other segments stay together."
    return text


# --------------------------------------------------------------------------------------------------
# Customers who fit worst


def unusual_customers(segmentation: Segmentation, *, share: float = 0.02, mads: float = OUTLIER_MADS) -> np.ndarray:
    """Flag the customers who fit their segment worst, or sit unusually far from its centre.

    The rule, per file row (deterministic):

    * **fits another segment better**: the customer's fit score (silhouette) is below 0 *and* among
      the lowest ``share`` of all customers' fit scores; or
    * **far from the centre**: the distance to the segment's centre is more than ``mads`` robust
      standard deviations above the segment's median distance, a robust standard deviation being
      1.4826 x the median absolute deviation (MAD) of the segment's distances. Segments of fewer
      than five customers are not tested.

    Parameters
    ----------
    segmentation : Segmentation
        Output of :func:`segmentation.fit`.
    share : float, default 0.02
        At most this share of customers is flagged for a poor fit score.
    mads : float, default 3.0
        The distance cut, in robust standard deviations above the median.

    Returns
    -------
    ndarray of bool, shape (n_rows,)
        True for an unusual customer; always False for rows that were not segmented.

    Examples
    --------
    >>> from segmentation import fit, load_table, prepare
    >>> table = load_table(b"Spend\\n" + b"\\n".join(str(v).encode() for v in [1, 2, 3, 2, 1, 3, 2, 9, 50, 51]))
    >>> np.flatnonzero(unusual_customers(fit(prepare(table), 2))).tolist()
    [7]
    """
    labels = segmentation.labels
    flags = np.zeros(len(labels), dtype=bool)
    segmented = np.flatnonzero(labels > 0)
    scores = segmentation.fit_score[segmented]
    worst = int(np.floor(share * len(segmented)))
    if worst > 0 and np.isfinite(scores).any():
        # Lowest first, then by row: ties never depend on the sort algorithm.
        order = np.lexsort((segmented, np.nan_to_num(scores, nan=np.inf)))[:worst]
        chosen = segmented[order]
        flags[chosen[segmentation.fit_score[chosen] < 0]] = True
    flags |= _far_from_centre(segmentation, mads=mads)
    return flags


def _far_from_centre(segmentation: Segmentation, *, mads: float) -> np.ndarray:
    labels, distance = segmentation.labels, segmentation.distance
    far = np.zeros(len(labels), dtype=bool)
    for segment in range(1, segmentation.k + 1):
        members = np.flatnonzero(labels == segment)
        if len(members) < _MIN_OUTLIER_SEGMENT:
            continue
        values = distance[members]
        median = float(np.median(values))
        spread = 1.4826 * float(np.median(np.abs(values - median)))
        if spread > 0:
            far[members[values > median + mads * spread]] = True
    return far


def worst_fits(
    segmentation: Segmentation,
    *,
    n: int = 50,
    names: Sequence[str] | None = None,
    share: float = 0.02,
    mads: float = OUTLIER_MADS,
) -> pd.DataFrame:
    """The customers who fit their segment worst, unusual ones first, with their original values.

    Parameters
    ----------
    segmentation : Segmentation
    n : int, default 50
        At most this many customers.
    names : sequence of str, optional
        Segment names, segment 1 first (default ``"Segment 1"``, ...).
    share, mads : float
        The rule of :func:`unusual_customers`.

    Returns
    -------
    DataFrame
        One row per customer: ``Row`` (in the file, from 1), ``Segment``, ``Segment name``,
        ``Fit score``, ``Distance to centre``, ``Unusual``, ``Why``, then the file's columns as read.
        Unusual customers come first, lowest fit score first; then the next-lowest fit scores.

    Examples
    --------
    >>> from segmentation import fit, load_table, prepare
    >>> table = load_table(b"Spend\\n" + b"\\n".join(str(v).encode() for v in [1, 2, 3, 2, 1, 3, 2, 9, 50, 51]))
    >>> worst_fits(fit(prepare(table), 2), n=2)[["Row", "Segment", "Unusual", "Spend"]].to_numpy().tolist()
    [[8, 1, True, '9'], [1, 1, False, '1']]
    """
    labels = segmentation.labels
    names = [f"Segment {i}" for i in range(1, segmentation.k + 1)] if names is None else [str(v) for v in names]
    flags = unusual_customers(segmentation, share=share, mads=mads)
    far = _far_from_centre(segmentation, mads=mads)
    rows = np.flatnonzero(labels > 0)
    scores = segmentation.fit_score[rows]
    distance = segmentation.distance[rows]
    order = np.lexsort((rows, -distance, np.nan_to_num(scores, nan=np.inf), ~flags[rows]))[:n]
    rows = rows[order]
    why = np.where(
        far[rows] & flags[rows] & (segmentation.fit_score[rows] < 0),
        "Far from its segment's centre; fits another segment better",
        np.where(far[rows], "Far from its segment's centre", np.where(flags[rows], "Fits another segment better", "")),
    )
    raw = segmentation.prepared.table.raw
    own = {
        "Row": rows + 1,
        "Segment": labels[rows],
        "Segment name": [names[s - 1] for s in labels[rows]],
        "Fit score": segmentation.fit_score[rows],
        "Distance to centre": segmentation.distance[rows],
        "Unusual": flags[rows],
        "Why": why,
    }
    # The file's own columns keep their names; ours give way if a name is taken.
    own = {free_name(name, raw.columns): values for name, values in own.items()}
    return pd.concat(
        [pd.DataFrame(own), raw.iloc[rows].reset_index(drop=True)],
        axis=1,
    )


# --------------------------------------------------------------------------------------------------
# Segment cards


@dataclass(frozen=True)
class CardFeature:
    """One feature that sets a segment apart.

    Attributes
    ----------
    feature : str
        The profile column, e.g. ``"Annual Income (k$)"`` or ``"Gender = Female"``.
    value : float
        The segment's mean, or its share for a category value (0..1).
    average : float
        The same over all customers.
    index : float
        ``100 * value / average`` (100 = average); NaN where an index has no meaning.
    difference : float
        ``value - average`` in all-customer standard deviations.
    is_share : bool
        True for a category value (``value`` and ``average`` are shares).
    phrase : str
        The difference in words, e.g. ``"annual income 1.8x the average"``.
    """

    feature: str
    value: float
    average: float
    index: float
    difference: float
    is_share: bool
    phrase: str


@dataclass(frozen=True)
class Card:
    """One segment on one card: who they are, how many, and what sets them apart.

    Attributes
    ----------
    segment : int
        Segment number (1 = largest).
    name : str
        The segment's name.
    customers : int
        Customers in the segment.
    share : float
        Share of the segmented customers (0..1).
    features : tuple of CardFeature
        The features that set the segment apart most, strongest first.
    description : str
        One line generated from those numbers, e.g. ``"30% of customers. Annual income 1.8x the
        average, spending score half the average, mostly Female."``
    """

    segment: int
    name: str
    customers: int
    share: float
    features: tuple[CardFeature, ...]
    description: str


def segment_cards(profile: Profile, *, n_features: int = 5, n_described: int = 3) -> list[Card]:
    """One card per segment: name, size, share, top features and a plain-language line.

    Features are ranked by how far the segment's value is from the average, in standard deviations
    (as :meth:`Profile.top_differences`); a category column appears once, with its most telling
    value. The description names the ``n_described`` strongest differences of at least half a
    standard deviation.

    Parameters
    ----------
    profile : Profile
        Output of :func:`segmentation.describe`.
    n_features : int, default 5
        At most this many features per card.
    n_described : int, default 3
        At most this many features in the description.

    Returns
    -------
    list of Card
        Segment 1 first.

    Examples
    --------
    >>> from segmentation import describe, fit, load_table, prepare
    >>> table = load_table(b"Income,Spending\\n15,80\\n16,82\\n17,79\\n90,10\\n95,12\\n99,15\\n")
    >>> segment_cards(describe(fit(prepare(table), 2)))[1].description
    '50% of customers. Spending 27% of the average, income 1.7x the average.'
    """
    cards = []
    numbers = set(profile.medians.columns)
    for segment in profile.summary.index:
        ranked = profile.top_differences(segment, n=len(profile.overall))
        # Among equally strong differences, a value the segment has more of reads better.
        ranked = ranked.assign(_key=-ranked["Difference (SD)"].abs().round(9), _negative=ranked["Difference (SD)"] < 0)
        ranked = ranked.sort_values(["_key", "_negative"], kind="stable")
        features, seen = [], set()
        columns = ("Feature", "Segment", "All customers", "Index", "Difference (SD)")
        for name, value, average, index, difference in zip(*(ranked[c] for c in columns), strict=True):
            is_share = name not in numbers
            source = name.split(" = ", 1)[0] if is_share else name
            if source in seen:
                continue
            seen.add(source)
            feature = CardFeature(name, float(value), float(average), float(index), float(difference), is_share, "")
            features.append(_with_phrase(feature))
            if len(features) == n_features:
                break
        notable = [f.phrase for f in features if abs(f.difference) >= NOTABLE_Z][:n_described]
        share = float(profile.summary.loc[segment, "Share of customers"])
        line = _capitalise(", ".join(notable)) + "." if notable else "Close to the average customer on every feature."
        cards.append(
            Card(
                segment=int(segment),
                name=str(profile.names[segment - 1]),
                customers=int(profile.summary.loc[segment, "Customers"]),
                share=share,
                features=tuple(features),
                description=f"{share:.0%} of customers. {line}",
            )
        )
    return cards


_UNITS = re.compile(r"\s*[\(\[].*?[\)\]]\s*")
_YES_NO = {"yes", "no", "true", "false", "y", "n", "0", "1"}


def _with_phrase(feature: CardFeature) -> CardFeature:
    return CardFeature(**{**feature.__dict__, "phrase": _phrase(feature)})


def _phrase(feature: CardFeature) -> str:
    if feature.is_share:
        column, value = feature.feature.split(" = ", 1)
        if value.strip().lower() in _YES_NO:
            return f"{_plain(column)} {value} for {feature.value:.0%} (average {feature.average:.0%})"
        if feature.value >= DOMINANT_SHARE:
            return f"mostly {value}"
        if feature.value == 0:
            return f"no {value}"
        more = "more" if feature.difference > 0 else "fewer"
        return f"{more} {value} ({feature.value:.0%} vs {feature.average:.0%})"
    name = feature.feature
    ratio = feature.index / 100
    if name.endswith(" (days before latest)") and np.isfinite(ratio):
        # "Member Since" 2.4x the days before the latest date reads as "2.4x as long ago".
        when = _plain(name.removesuffix(" (days before latest)"))
        if 0.95 < ratio < 1.05:
            return f"{when} about as long ago as the average"
        return (
            f"{when} {ratio:.1f}x as long ago as the average"
            if ratio >= 1.05
            else f"{when} more recent than the average ({ratio:.0%} as long ago)"
        )
    name = _plain(name)
    if not np.isfinite(ratio):
        side = "higher" if feature.difference > 0 else "lower"
        return f"{name} {side} than average ({_number(feature.value)} vs {_number(feature.average)})"
    return f"{name} {_ratio(ratio)}"


def _ratio(ratio: float) -> str:
    """An index as words: "1.8x the average", "28% above the average", "half the average"."""
    if ratio >= 1.5:
        return f"{ratio:.1f}x the average"
    if ratio >= 1.05:
        return f"{ratio - 1:.0%} above the average"
    if ratio > 0.95:
        return "about average"
    if ratio > 0.6:
        return f"{1 - ratio:.0%} below the average"
    if 0.45 <= ratio < 0.55:
        return "half the average"
    return f"{ratio:.0%} of the average"


def _plain(column: str) -> str:
    """A column name inside a sentence: units dropped, Title-case words in lower case, acronyms kept."""
    short = _UNITS.sub(" ", column).strip() or column
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in short.split())


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]

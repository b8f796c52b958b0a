"""The k-means search shared by the sweep and the fit: the best partition we can find, quickly.

The tutorial ran ``KMeans(n_clusters=k)`` once per K. One random start lands in a poor local optimum
often enough that its elbow curve is up to 25% above the best reachable SSE and not even monotone.
Running scikit-learn 100 times per K fixes most of that but costs seconds on 200 rows, because the
per-call overhead dominates. This module does better and faster:

* **Small data** (up to :data:`SMALL_ROWS` rows): many k-means++ starts run at once as NumPy
  arrays, the best is polished with Hartigan's single-customer moves (which escape the local optima
  where Lloyd's algorithm stops), then an *iterated local search* relocates the centre whose removal
  costs least to a new place and keeps the result when it lowers the SSE. Two such searches run
  from fresh starts and the better is kept: one alone can settle in a basin no single relocation
  leaves (the Mall data at K=12).
* **Medium data** (up to :data:`FULL_SEARCH_ROWS` rows): the customers are summarised twice as 200
  weighted micro-segments; a hundred k-means++ starts on a summary cost less than one start on
  every row. The best few partitions of each summary are refined on every row with Lloyd's
  algorithm, the best three of those by the split-merge search below, and the winner (up to
  :data:`HARTIGAN_ROWS` rows) by Hartigan's moves. Where customers share a few yes/no answers (a region, a gender) the SSE landscape has
  many basins of nearly equal depth: on the built-in 3,000-customer sample one k-means++ start in
  a hundred lands within 0.5% of the best of a hundred at K=10..15, and ten full-data starts ended
  1-2% above it. The summaries depend on the data and the seed, not on K: a sweep builds them once.
* **Large data** (a million customers): the search runs on a random sample of a few thousand rows:
  k-means++ starts (more of them for small K, where they are cheap), then a *split-merge* local
  search that removes the centre whose customers are cheapest to hand to their next-best centre
  and splits the cluster that gains most from being cut in two, keeping the move when Lloyd's
  algorithm then lowers the SSE. Multi-start alone cannot do this on a sample: its basins differ
  from the full data's, and the best of 16 starts on 4,000 rows stayed 1.7% above scikit-learn's
  best of 10 full-data starts at K=14 on planted data, where the local search ends within 0.1%.
  The result is refined on a four times larger sample, then one pass over every row assigns the
  labels and measures the SSE on all rows.

Everything is driven by one seed derived from ``(random_state, k)`` (and, on medium data, the
summaries by one derived from ``random_state`` alone), and every K runs on one OpenMP thread (the
summation order of scikit-learn's Lloyd depends on the thread count), so a K gives the same
partition whether it is fitted alone or as part of a sweep over any range, and a sweep may run
several K at once on the machine's cores.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans

from .threads import one_openmp_thread

__all__ = ["FULL_SEARCH_ROWS", "SAMPLE_ROWS", "Partition", "assign", "best_partition", "count_distinct"]

#: Up to this many rows the search runs on every row.
FULL_SEARCH_ROWS = 20_000
#: Above :data:`FULL_SEARCH_ROWS`, the centres are refined on a random sample of this many rows;
#: the search itself runs on its first quarter (the samples are nested).
SAMPLE_ROWS = 40_000
#: Smallest search sample, whatever ``sample_rows`` is.
_MIN_SEARCH_ROWS = 5_000
#: k-means++ starts on the search sample add up to about this many centres, so small K (cheap,
#: and with few, wide basins) get several starts and large K one; the local search does the rest.
_SAMPLED_START_CENTRES = 12
#: Split-merge rounds (each keeps one improving move) and the moves tried per round.
_SPLIT_MERGE_ROUNDS = 3
_SPLIT_MERGE_TRIES = 4
#: Lloyd iterations on the refining sample: the search's centres are close, a few steps suffice.
_REFINE_ITERATIONS = 10
#: Up to this many rows, batched NumPy starts and an iterated local search (per-call overhead of
#: scikit-learn would dominate); above it, starts on summaries, then scikit-learn's compiled Lloyd.
SMALL_ROWS = 2_500
#: Up to :data:`SMALL_ROWS`: independent local searches per K, and the rounds each may take (in
#: all, and in a row without improvement).
_SMALL_SEARCHES = 2
_SMALL_ROUNDS = 10
_SMALL_STALE_ROUNDS = 3
#: Above :data:`SMALL_ROWS`: micro-segments per summary of the customers. Enough that a segment
#: rarely straddles two natural groups at K <= 30, few enough that a start on them costs little.
_SUMMARY_SEGMENTS = 200
#: The micro-segments are found on at most this many rows; every row then joins its nearest one.
_SUMMARY_ROWS = 4_000
#: Independent summaries. Each has its blind spots (a micro-segment across a boundary of the best
#: partition), and two rarely share one: on the sample, one summary left 1 K in 70 (5 seeds, K=2..15)
#: more than 0.5% above the best of 100 scikit-learn starts, two none.
_SUMMARIES = 2
#: k-means++ starts on each summary; the best few distinct partitions are refined on every row.
_SUMMARY_STARTS = 100
_SUMMARY_CANDIDATES = 3
#: The best partitions (on every row) that split-merge then polishes; the best of them is kept.
_POLISHED_CANDIDATES = 3
#: Split-merge rounds on medium data (each round that helps costs a few Lloyd runs on every row).
_MEDIUM_SPLIT_MERGE_ROUNDS = 10
#: Summaries kept for the next K (and the next session on the same data), newest last; each is a
#: few hundred weighted points.
_SUMMARY_CACHE_SIZE = 8
#: Hartigan's polish runs up to this many rows (each move costs a pass over the rows).
HARTIGAN_ROWS = 5_000
#: Rows per block when measuring distances to centres (fits the block in the CPU cache).
_BLOCK_ROWS = 8_192
#: Rows per block when finding nearest centres (K x 16,384 distances: 2.5 MB at K=19).
_ASSIGN_ROWS = 16_384
#: Work budget of one batched Lloyd step (starts x rows x K); bounds memory to ~100 MB.
_BATCH_CELLS = 4_000_000


@dataclass(frozen=True)
class Partition:
    """A k-means partition.

    Attributes
    ----------
    centers : ndarray of shape (k, n_features)
        Cluster centres, in the (scaled) space of the data.
    labels : ndarray of shape (n_samples,)
        Index of each row's centre, ``0..k-1`` (not yet numbered by size).
    inertia : float
        Sum of squared distances of every row to its centre (the SSE).
    sampled : bool
        True when the centres were searched on a sample of the rows (labels and inertia still
        cover every row).
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    sampled: bool = False


def best_partition(
    X: np.ndarray,
    k: int,
    *,
    random_state: int = 0,
    sample_rows: int = SAMPLE_ROWS,
    full_search_rows: int = FULL_SEARCH_ROWS,
) -> Partition:
    """Find a low-SSE k-means partition of ``X`` into ``k`` clusters.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The (scaled) data.
    k : int
        Number of clusters, ``1 <= k <= n_samples``.
    random_state : int, default 0
        Seed. The search for ``k`` uses the stream ``(random_state, k)``; on medium data it starts
        from summaries of the rows drawn from ``random_state`` alone (built once for every ``k``).
    sample_rows : int
        When ``X`` has more than ``full_search_rows`` rows: size of the random sample the centres
        are refined on (the search itself runs on its first quarter, at least 5,000 rows).
    full_search_rows : int
        Up to this many rows, search on all of them.

    Returns
    -------
    Partition

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [5.0], [5.2]])
    >>> round(best_partition(X, 2).inertia, 3)
    0.025
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n = X.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of rows ({n}), not {k}")
    rng = np.random.default_rng([random_state, k])
    sampled = n > full_search_rows and k > 1
    with one_openmp_thread():
        centers = None
        if sampled:
            # The same rows for every K (they depend on the seed only), in random order: each stage
            # takes a prefix, so the samples are nested.
            chosen = np.random.default_rng([random_state, 0]).choice(n, size=min(sample_rows, n), replace=False)
            centers = _search_sampled(X, k, rng, chosen)
        if centers is None:
            sampled = False
            centers = _search(X, k, rng, random_state=random_state)
        labels, distances = assign(X, centers)
    return Partition(centers=centers, labels=labels, inertia=float(distances.sum()), sampled=sampled)


def assign(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Assign each row to its nearest centre.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (k, n_features)

    Returns
    -------
    labels : ndarray of int
    squared_distances : ndarray of float
        Each row's squared distance to its centre.

    Examples
    --------
    >>> labels, squared = assign(np.array([[0.0], [4.0]]), np.array([[1.0], [5.0]]))
    >>> labels.tolist(), squared.tolist()
    ([0, 1], [1.0, 1.0])
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    labels = _nearest(X, centers)
    return labels, _squared_to(X, centers, labels)


def _nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of each row's nearest centre (the first on ties), block by block.

    The distances of a block are laid out one centre per row, and a running minimum walks the
    centres: each step is a vectorised pass over the block. ``argmin`` over (rows, K) instead works
    row by row on K values, and was 3x slower on a million rows; scikit-learn's
    ``pairwise_distances_argmin`` 1.3-3x slower on one thread.
    """
    labels = np.zeros(X.shape[0], dtype=np.intp)
    if len(centers) == 1:
        return labels
    c_sq = np.einsum("ij,ij->i", centers, centers)
    for start in range(0, X.shape[0], _ASSIGN_ROWS):
        # |x - c|² - |x|²: the part that depends on the centre.
        distances = centers @ X[start : start + _ASSIGN_ROWS].T
        distances *= -2.0
        distances += c_sq[:, None]
        best = distances[0].copy()
        nearest = labels[start : start + _ASSIGN_ROWS]
        for j in range(1, len(centers)):
            closer = distances[j] < best
            np.minimum(best, distances[j], out=best)
            nearest[closer] = j
    return labels


def _squared_to(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's squared distance to its centre, from the differences (exact, unlike the dot trick)."""
    squared = np.empty(X.shape[0], dtype=np.float64)
    for start in range(0, X.shape[0], _BLOCK_ROWS):
        stop = start + _BLOCK_ROWS
        # np.take with a buffer is twice as fast as fancy indexing, then subtract in place.
        diff = np.take(centers, labels[start:stop], axis=0)
        np.subtract(X[start:stop], diff, out=diff)
        squared[start:stop] = np.einsum("ij,ij->i", diff, diff)
    return squared


# --------------------------------------------------------------------------------------------------
# The search


def _search(X: np.ndarray, k: int, rng: np.random.Generator, *, random_state: int) -> np.ndarray:
    n = X.shape[0]
    if k == 1:
        return X.mean(axis=0, keepdims=True)
    if count_distinct(X, limit=k) <= k:
        # As many clusters as different customers: each different customer is a centre.
        unique = np.unique(X, axis=0)
        if len(unique) < k:
            raise ValueError(f"k={k} is more than the {len(unique)} distinct rows")
        return unique

    if n > SMALL_ROWS:
        return _search_medium(X, k, rng, random_state=random_state)

    # Independent local searches from fresh starts: one search can settle in a deep basin that no
    # single-centre jump leaves (the Mall data at K=12 is one); two rarely both do.
    best_labels, best_inertia = None, np.inf
    for _ in range(_SMALL_SEARCHES):
        labels, inertia = _local_search(X, k, rng)
        if inertia < best_inertia * (1 - 1e-9):
            best_labels, best_inertia = labels, inertia
    return _centers_of(X, best_labels, k)


def _local_search(X: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Batched k-means++ starts, then an iterated local search: move a cheap centre somewhere new,
    re-optimise (Lloyd, then Hartigan), keep improvements, stop after a few rounds without one."""
    starts = int(np.clip(_BATCH_CELLS // (X.shape[0] * k), 2, 16))
    centers = _kmeans_plus_plus(X, k, starts, rng)
    centers, labels, inertia = _lloyd(X, centers)
    labels, inertia = _hartigan(X, labels[np.argmin(inertia)], k)
    stale, rounds = 0, 0
    while stale < _SMALL_STALE_ROUNDS and rounds < _SMALL_ROUNDS:
        rounds += 1
        centers = _centers_of(X, labels, k)
        candidates = _relocated(X, labels, centers, starts, rng)
        candidates, cand_labels, cand_inertia = _lloyd(X, candidates)
        new_labels, new_inertia = _hartigan(X, cand_labels[np.argmin(cand_inertia)], k)
        if new_inertia < inertia * (1 - 1e-9):
            labels, inertia, stale = new_labels, new_inertia, 0
        else:
            stale += 1
    return labels, inertia


def _search_sampled(X: np.ndarray, k: int, rng: np.random.Generator, chosen: np.ndarray) -> np.ndarray | None:
    """Search on the first rows of ``chosen``, refine on all of them; None if the sample is too uniform."""
    search_rows = min(len(chosen), max(_MIN_SEARCH_ROWS, len(chosen) // 4))
    sample = X[np.sort(chosen[:search_rows])]
    if count_distinct(sample, limit=k) < k:
        return None  # fewer different customers in the sample than K: search on every row instead
    starts = max(1, round(_SAMPLED_START_CENTRES / k))
    model = KMeans(k, n_init=starts, random_state=int(rng.integers(2**31 - 1))).fit(sample)
    centers, _ = _split_merge(sample, model.cluster_centers_, model.inertia_)
    refine = X[np.sort(chosen)] if len(chosen) > search_rows else sample
    return KMeans(k, init=centers, n_init=1, max_iter=_REFINE_ITERATIONS).fit(refine).cluster_centers_


def _split_merge(
    X: np.ndarray, centers: np.ndarray, inertia: float, *, rounds: int = _SPLIT_MERGE_ROUNDS
) -> tuple[np.ndarray, float]:
    """Move a centre from where it is least needed to split the cluster that most needs it.

    Lloyd's algorithm cannot make such a move: it stops where two centres share one natural group
    while another centre straddles two groups. Each round ranks moves by their estimated change of
    SSE (removal cost minus split gain), tries the best few with Lloyd's algorithm and keeps the
    first that lowers the SSE. Returns the centres and their SSE.
    """
    k = len(centers)
    x_sq = np.einsum("ij,ij->i", X, X)
    for _ in range(rounds):
        labels, nearest, second = _nearest_two(X, x_sq, centers)
        # What the SSE grows by if a centre vanished and its customers moved to their next best.
        removal = np.bincount(labels, weights=second - nearest, minlength=k)
        spread = np.bincount(labels, weights=nearest, minlength=k)
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(k + 1))
        # Bisecting only the widest clusters keeps a round cheap; the gain ranks them properly.
        splits = {int(j): _bisect(X[order[bounds[j] : bounds[j + 1]]]) for j in np.argsort(-spread, kind="stable")[:3]}
        moves = sorted(
            (removal[r] - gain, int(r), s)
            for s, (gain, _, _) in splits.items()
            for r in np.argsort(removal, kind="stable")[:3]
            if r != s
        )
        for _, r, s in moves[:_SPLIT_MERGE_TRIES]:
            moved = centers.copy()
            moved[s], moved[r] = splits[s][1], splits[s][2]
            model = KMeans(k, init=moved, n_init=1).fit(X)
            if model.inertia_ < inertia * (1 - 1e-9):
                centers, inertia = model.cluster_centers_, model.inertia_
                break
        else:
            break  # no move helped: a split-merge local optimum
    return centers, inertia


def _nearest_two(X: np.ndarray, x_sq: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's nearest centre, and its squared distances to the nearest and second-nearest."""
    d2 = X @ centers.T
    d2 *= -2.0
    d2 += x_sq[:, None]
    d2 += np.einsum("ij,ij->i", centers, centers)[None, :]
    np.maximum(d2, 0.0, out=d2)
    rows = np.arange(len(X))
    labels = d2.argmin(axis=1)
    nearest = d2[rows, labels]
    d2[rows, labels] = np.inf
    return labels, nearest, d2.min(axis=1)


def _bisect(members: np.ndarray, iterations: int = 6) -> tuple[float, np.ndarray, np.ndarray]:
    """Split a cluster in two along its main axis (2-means); return the SSE gained and both centres."""
    mean = members.mean(axis=0)
    if len(members) < 4:
        return 0.0, mean, mean
    centred = members - mean
    sse = float(np.einsum("ij,ij->", centred, centred))
    # einsum, not BLAS: a multi-threaded product may split this long inner sum, and change its bits.
    values, vectors = np.linalg.eigh(np.einsum("ij,ik->jk", centred, centred) / len(members))
    axis = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
    a, b = -0.8 * axis, 0.8 * axis  # the means of the two halves of a normal spread
    for _ in range(iterations):
        side = centred @ (b - a) > (b @ b - a @ a) / 2
        if side.all() or not side.any():
            return 0.0, mean, mean
        a, b = centred[~side].mean(axis=0), centred[side].mean(axis=0)
    da, db = centred[~side] - a, centred[side] - b
    gain = sse - float(np.einsum("ij,ij->", da, da) + np.einsum("ij,ij->", db, db))
    return gain, mean + a, mean + b


def _search_medium(X: np.ndarray, k: int, rng: np.random.Generator, *, random_state: int) -> np.ndarray:
    """Many starts on summaries of the customers, the best few refined on every row, then polished.

    A start on 200 weighted micro-segments costs a fraction of one on every row, so each summary
    affords :data:`_SUMMARY_STARTS` of them; their best partitions land in the deep basins, which
    Lloyd's algorithm on every row then settles into. Split-merge moves centres between natural
    groups, which neither Lloyd nor Hartigan can do. The summaries depend on the data and the seed
    only, not on K, so a sweep builds them once.
    """
    refined = []
    for points, weights in _summaries(X, random_state):
        starts = _kmeans_plus_plus(points, k, _SUMMARY_STARTS, rng, weights=weights)
        starts, _, inertia = _lloyd(points, starts, weights=weights)
        for i in _best_distinct(inertia, _SUMMARY_CANDIDATES):
            refined.append(KMeans(k, init=starts[i], n_init=1).fit(X))
    # The best after Lloyd is not always the best after split-merge: polish a few (stable sort:
    # equal SSEs keep their order, so the outcome is deterministic).
    refined.sort(key=lambda model: model.inertia_)
    polished = [
        _split_merge(X, model.cluster_centers_, model.inertia_, rounds=_MEDIUM_SPLIT_MERGE_ROUNDS)
        for model in refined[:_POLISHED_CANDIDATES]
    ]
    centers, _ = min(polished, key=lambda result: result[1])
    labels, _ = assign(X, centers)
    if len(X) <= HARTIGAN_ROWS:
        labels, _ = _hartigan(X, labels, k, max_moves=len(X))
    return _centers_of(X, labels, k, previous=centers)


@dataclass
class _SummarySlot:
    """The summaries of one dataset and seed, once built, and the lock held while building them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    summaries: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None


_summary_cache: OrderedDict[tuple, _SummarySlot] = OrderedDict()
_summary_lock = threading.Lock()


def _summaries(X: np.ndarray, random_state: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The summaries of ``X`` for this seed, built once and kept for the next K (read-only)."""
    key = (X.shape, random_state, hashlib.blake2b(X, digest_size=16).digest())
    with _summary_lock:
        slot = _summary_cache.get(key)
        if slot is None:
            slot = _summary_cache[key] = _SummarySlot()
            while len(_summary_cache) > _SUMMARY_CACHE_SIZE:
                _summary_cache.popitem(last=False)
        else:
            _summary_cache.move_to_end(key)
    # The K of a sweep that start together wait for the first to build them rather than build
    # them too: their threads share the GIL, so a second build only slows the first.
    with slot.lock:
        if slot.summaries is None:
            summaries = _summarise(X, np.random.default_rng([random_state, 0, 1]))
            for points, weights in summaries:
                points.setflags(write=False)
                weights.setflags(write=False)
            slot.summaries = summaries
    return slot.summaries


def _summarise(X: np.ndarray, rng: np.random.Generator) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Weighted micro-segments standing for the rows: ``(centres, customers in each)`` per summary.

    Each summary is a k-means with :data:`_SUMMARY_SEGMENTS` clusters on a random sample of at
    most :data:`_SUMMARY_ROWS` rows; every row then joins its nearest micro-segment, so the weights
    count every customer and each centre is the mean of its customers. Data with at most that many
    different customers is summarised exactly, once.
    """
    if count_distinct(X, limit=_SUMMARY_SEGMENTS) <= _SUMMARY_SEGMENTS:
        points, counts = np.unique(X, axis=0, return_counts=True)
        return ((points, counts.astype(np.float64)),)
    n = len(X)
    summaries = []
    for _ in range(_SUMMARIES):
        rows = X if n <= _SUMMARY_ROWS else X[np.sort(rng.choice(n, size=_SUMMARY_ROWS, replace=False))]
        # A few Lloyd steps suffice: the summary need not be a local optimum, only fine-grained.
        seed = int(rng.integers(2**31 - 1))
        micro = KMeans(_SUMMARY_SEGMENTS, n_init=1, max_iter=20, random_state=seed).fit(rows)
        labels = _nearest(X, micro.cluster_centers_)
        counts = np.bincount(labels, minlength=_SUMMARY_SEGMENTS).astype(np.float64)
        used = counts > 0
        summaries.append((_centers_of(X, labels, _SUMMARY_SEGMENTS)[used], counts[used]))
    return tuple(summaries)


def _best_distinct(inertia: np.ndarray, count: int) -> list[int]:
    """Indices of up to ``count`` starts with the lowest SSE, one per distinct SSE (ties: the first)."""
    order = np.argsort(inertia, kind="stable")
    chosen = [int(order[0])]
    for i in order[1:]:
        if len(chosen) == count:
            break
        if inertia[i] > inertia[chosen[-1]] * (1 + 1e-9):
            chosen.append(int(i))
    return chosen


def count_distinct(X: np.ndarray, *, limit: int) -> int:
    """Number of different rows in ``X``, or ``limit + 1`` as soon as it is known to be larger."""
    head = np.unique(X[: min(len(X), 50 * (limit + 1))], axis=0)
    if len(head) > limit:
        return limit + 1
    return len(np.unique(X, axis=0))


def _kmeans_plus_plus(
    X: np.ndarray, k: int, starts: int, rng: np.random.Generator, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """Greedy k-means++ seeding for ``starts`` independent starts at once; shape (starts, k, d).

    With ``weights`` (customers per row of a summary), a row counts as that many customers.
    """
    n, d = X.shape
    x_sq = np.einsum("ij,ij->i", X, X)
    trials = 2 + int(np.log(k))
    centers = np.empty((starts, k, d))
    first = rng.integers(n, size=starts) if weights is None else rng.choice(n, size=starts, p=weights / weights.sum())
    centers[:, 0] = X[first]
    closest = np.maximum(x_sq[None, :] - 2 * centers[:, 0] @ X.T + x_sq[first][:, None], 0)
    rows = np.arange(starts)
    for c in range(1, k):
        cumulative = np.cumsum(closest if weights is None else closest * weights, axis=1)
        targets = rng.random((starts, trials)) * cumulative[:, -1:]
        picks = np.empty((starts, trials), dtype=np.intp)
        for s in range(starts):
            picks[s] = np.searchsorted(cumulative[s], targets[s])
        np.minimum(picks, n - 1, out=picks)
        candidates = X[picks]  # (starts, trials, d)
        dist = x_sq[None, None, :] - 2 * candidates @ X.T + x_sq[picks][:, :, None]
        np.maximum(dist, 0, out=dist)
        np.minimum(dist, closest[:, None, :], out=dist)
        # einsum, not BLAS: the weighted sum runs over every row, and BLAS threads could split it.
        potential = dist.sum(axis=2) if weights is None else np.einsum("stn,n->st", dist, weights)
        best = potential.argmin(axis=1)
        centers[:, c] = candidates[rows, best]
        closest = dist[rows, best]
    return centers


def _lloyd(
    X: np.ndarray, centers: np.ndarray, max_iter: int = 100, *, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lloyd iterations for a batch of starts; returns centres, labels and SSE per start.

    With ``weights`` (customers per row of a summary), a row counts as that many customers.
    """
    starts, k, d = centers.shape
    offsets = (np.arange(starts) * k)[:, None]
    # (d, starts*n): weights for the per-cluster sums (and the row weights for the counts).
    if weights is None:
        X_rep, count_weights = np.tile(X.T, (1, starts)), None
    else:
        X_rep, count_weights = np.tile((X * weights[:, None]).T, (1, starts)), np.tile(weights, starts)
    previous = None
    for _ in range(max_iter):
        d2 = X @ centers.transpose(0, 2, 1)
        d2 *= -2.0
        d2 += np.einsum("skd,skd->sk", centers, centers)[:, None, :]
        labels = d2.argmin(axis=2)
        if previous is not None and np.array_equal(labels, previous):
            break
        previous = labels
        flat = (labels + offsets).ravel()
        counts = np.bincount(flat, weights=count_weights, minlength=starts * k).reshape(starts, k)
        sums = np.empty((starts * k, d))
        for j in range(d):
            sums[:, j] = np.bincount(flat, weights=X_rep[j], minlength=starts * k)
        sums = sums.reshape(starts, k, d)
        # An empty cluster keeps its centre; Hartigan's moves and the relocation step refill it.
        centers = np.where(counts[..., None] > 0, sums / np.where(counts > 0, counts, 1)[..., None], centers)
    diff = X[None, :, :] - centers[np.arange(starts)[:, None], labels]
    if weights is None:
        inertia = np.einsum("snd,snd->s", diff, diff)
    else:
        inertia = np.einsum("snd,snd,n->s", diff, diff, weights)
    return centers, labels, inertia


def _hartigan(X: np.ndarray, labels: np.ndarray, k: int, max_moves: int | None = None) -> tuple[np.ndarray, float]:
    """Hartigan's method: move single customers while any move lowers the SSE.

    Moving ``x`` from cluster ``a`` (size ``n_a``) to ``b`` changes the SSE by
    ``n_b / (n_b + 1) * |x - c_b|^2 - n_a / (n_a - 1) * |x - c_a|^2``; Lloyd's algorithm ignores the
    size factors and so stops where such moves still help.
    """
    n, d = X.shape
    labels = labels.copy()
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.zeros((k, d))
    np.add.at(sums, labels, X)
    centers = sums / np.maximum(counts, 1)[:, None]
    dist = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)  # (n, k)
    rows = np.arange(n)
    max_moves = max_moves if max_moves is not None else 2 * n
    for _ in range(max_moves):
        own_count = counts[labels]
        # A customer alone in their cluster cannot leave it (the cluster would vanish).
        removal = np.where(own_count > 1, own_count / np.maximum(own_count - 1, 1) * dist[rows, labels], -np.inf)
        addition = dist * (counts / (counts + 1))[None, :]
        addition[rows, labels] = np.inf
        target = addition.argmin(axis=1)
        gain = removal - addition[rows, target]
        i = int(gain.argmax())
        if gain[i] <= 1e-12 * max(1.0, removal[i]):
            break
        a, b = labels[i], target[i]
        counts[a] -= 1
        counts[b] += 1
        sums[a] -= X[i]
        sums[b] += X[i]
        labels[i] = b
        for j in (a, b):
            centers[j] = sums[j] / max(counts[j], 1)
            diff = X - centers[j]
            dist[:, j] = np.einsum("ij,ij->i", diff, diff)
    centers = sums / np.maximum(counts, 1)[:, None]
    diff = X - centers[labels]
    return labels, float(np.einsum("ij,ij->", diff, diff))


def _relocated(
    X: np.ndarray, labels: np.ndarray, centers: np.ndarray, trials: int, rng: np.random.Generator
) -> np.ndarray:
    """Copies of ``centers`` where one cheap-to-remove centre jumps to a far-away customer."""
    n, k = len(X), len(centers)
    dist = X @ centers.T
    dist *= -2.0
    dist += np.einsum("ij,ij->i", centers, centers)[None, :]
    dist += np.einsum("ij,ij->i", X, X)[:, None]
    np.maximum(dist, 0, out=dist)
    own = dist[np.arange(n), labels]
    dist[np.arange(n), labels] = np.inf
    second = dist.min(axis=1)
    # What the SSE would grow by if a centre vanished and its customers moved to their next best.
    removal_cost = np.bincount(labels, weights=second - own, minlength=k)
    cheapest = np.argsort(removal_cost, kind="stable")[: min(k, 4)]
    which = cheapest[rng.integers(len(cheapest), size=trials)]
    weights = own / own.sum() if own.sum() > 0 else None
    points = rng.choice(n, size=trials, p=weights)
    out = np.repeat(centers[None], trials, axis=0)
    out[np.arange(trials), which] = X[points]
    return out


def _centers_of(X: np.ndarray, labels: np.ndarray, k: int, previous: np.ndarray | None = None) -> np.ndarray:
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.column_stack([np.bincount(labels, weights=X[:, j], minlength=k) for j in range(X.shape[1])])
    centers = sums / np.maximum(counts, 1)[:, None]
    if previous is not None:
        centers[counts == 0] = previous[counts == 0]
    return centers

"""The k-means search shared by the sweep and the fit: the best partition we can find, quickly.

The tutorial ran ``KMeans(n_clusters=k)`` once per K. One random start lands in a poor local optimum
often enough that its elbow curve is up to 25% above the best reachable SSE and not even monotone.
Running scikit-learn 100 times per K fixes most of that but costs seconds on 200 rows, because the
per-call overhead dominates. This module does better and faster:

* **Small and medium data** (up to :data:`FULL_SEARCH_ROWS` rows): many k-means++ starts run at once
  as NumPy arrays, the best is polished with Hartigan's single-customer moves (which escape the
  local optima where Lloyd's algorithm stops), then an *iterated local search* relocates the centre
  whose removal costs least to a new place and keeps the result when it lowers the SSE.
* **Large data** (a million customers): the search runs on a random sample of a few thousand rows:
  k-means++ starts (more of them for small K, where they are cheap), then a *split-merge* local
  search that removes the centre whose customers are cheapest to hand to their next-best centre
  and splits the cluster that gains most from being cut in two, keeping the move when Lloyd's
  algorithm then lowers the SSE. Multi-start alone cannot do this on a sample: its basins differ
  from the full data's, and the best of 16 starts on 4,000 rows stayed 1.7% above scikit-learn's
  best of 10 full-data starts at K=14 on planted data, where the local search ends within 0.1%.
  The result is refined on a four times larger sample, then one pass over every row assigns the
  labels and measures the SSE on all rows.

Everything is driven by one seed derived from ``(random_state, k)``, and every K runs on one
OpenMP thread (the summation order of scikit-learn's Lloyd depends on the thread count), so a K
gives the same partition whether it is fitted alone or as part of a sweep over any range, and a
sweep may run several K at once on the machine's cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import ThreadpoolController

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
#: scikit-learn would dominate); above it, scikit-learn's compiled Lloyd.
SMALL_ROWS = 2_500
#: k-means++ starts per K above :data:`SMALL_ROWS`.
MEDIUM_STARTS = 10
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
        Seed. The search for ``k`` uses the stream ``(random_state, k)``.
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
    with _one_openmp_thread():
        centers = None
        if sampled:
            # The same rows for every K (they depend on the seed only), in random order: each stage
            # takes a prefix, so the samples are nested.
            chosen = np.random.default_rng([random_state, 0]).choice(n, size=min(sample_rows, n), replace=False)
            centers = _search_sampled(X, k, rng, chosen)
        if centers is None:
            sampled = False
            centers = _search(X, k, rng)
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


@cache
def _threadpools() -> ThreadpoolController:
    # Inspecting the loaded libraries takes milliseconds; once per process is enough.
    return ThreadpoolController()


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run BLAS and scikit-learn's OpenMP loops on one thread, for work spread over threads.

    With a thread per core already busy, more BLAS threads than cores only slowed things down (2x
    on the silhouette blocks). The BLAS limit is process-wide, so a caller running threads holds it
    for their whole duration; results never depend on it (see :func:`_one_openmp_thread`).

    Examples
    --------
    >>> with single_threaded():
    ...     best_partition(np.array([[0.0], [1.0], [9.0]]), 2).inertia
    0.5
    """
    with _threadpools().limit(limits=1):
        yield


@contextmanager
def _one_openmp_thread() -> Iterator[None]:
    """Run scikit-learn's OpenMP loops (Lloyd's algorithm) on one thread, in this thread only.

    Their summation order changes with the thread count, so each K always runs on one thread and
    gives the same partition alone, in a sweep of any range, or on a machine with more cores.
    ``omp_set_num_threads`` is per thread: no race with other threads (other K, other users). The
    search's own matrix products have a short inner dimension (the features) or avoid BLAS, so
    BLAS's thread count cannot change them.
    """
    with _threadpools().limit(limits=1, user_api="openmp"):
        yield


# --------------------------------------------------------------------------------------------------
# The search


def _search(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    n, d = X.shape
    if k == 1:
        return X.mean(axis=0, keepdims=True)
    if count_distinct(X, limit=k) <= k:
        # As many clusters as different customers: each different customer is a centre.
        unique = np.unique(X, axis=0)
        if len(unique) < k:
            raise ValueError(f"k={k} is more than the {len(unique)} distinct rows")
        return unique

    if n > SMALL_ROWS:
        return _search_medium(X, k, rng)

    starts = int(np.clip(_BATCH_CELLS // (n * k), 2, 16))
    centers = _kmeans_plus_plus(X, k, starts, rng)
    centers, labels, inertia = _lloyd(X, centers)
    labels, inertia = _hartigan(X, labels[np.argmin(inertia)], k)

    # Iterated local search: move a cheap centre somewhere new, re-optimise, keep improvements.
    trials = starts
    stale, rounds = 0, 0
    while stale < 5 and rounds < 20:
        rounds += 1
        centers = _centers_of(X, labels, k)
        candidates = _relocated(X, labels, centers, trials, rng)
        candidates, cand_labels, cand_inertia = _lloyd(X, candidates)
        new_labels, new_inertia = _hartigan(X, cand_labels[np.argmin(cand_inertia)], k)
        if new_inertia < inertia * (1 - 1e-9):
            labels, inertia, stale = new_labels, new_inertia, 0
        else:
            stale += 1
    return _centers_of(X, labels, k)


def _search_sampled(X: np.ndarray, k: int, rng: np.random.Generator, chosen: np.ndarray) -> np.ndarray | None:
    """Search on the first rows of ``chosen``, refine on all of them; None if the sample is too uniform."""
    search_rows = min(len(chosen), max(_MIN_SEARCH_ROWS, len(chosen) // 4))
    sample = X[np.sort(chosen[:search_rows])]
    if count_distinct(sample, limit=k) < k:
        return None  # fewer different customers in the sample than K: search on every row instead
    starts = max(1, round(_SAMPLED_START_CENTRES / k))
    model = KMeans(k, n_init=starts, random_state=int(rng.integers(2**31 - 1))).fit(sample)
    centers = _split_merge(sample, model.cluster_centers_, model.inertia_)
    refine = X[np.sort(chosen)] if len(chosen) > search_rows else sample
    return KMeans(k, init=centers, n_init=1, max_iter=_REFINE_ITERATIONS).fit(refine).cluster_centers_


def _split_merge(X: np.ndarray, centers: np.ndarray, inertia: float) -> np.ndarray:
    """Move a centre from where it is least needed to split the cluster that most needs it.

    Lloyd's algorithm cannot make such a move: it stops where two centres share one natural group
    while another centre straddles two groups. Each round ranks moves by their estimated change of
    SSE (removal cost minus split gain), tries the best few with Lloyd's algorithm and keeps the
    first that lowers the SSE.
    """
    k = len(centers)
    x_sq = np.einsum("ij,ij->i", X, X)
    for _ in range(_SPLIT_MERGE_ROUNDS):
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
    return centers


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


def _search_medium(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """scikit-learn's compiled Lloyd from several k-means++ starts, then Hartigan's polish.

    Above a few thousand rows one start costs milliseconds in scikit-learn, so its per-call overhead
    no longer matters, and the SSE landscape is smoother: ten starts find the best basin.
    """
    seed = int(rng.integers(2**31 - 1))
    model = KMeans(n_clusters=k, n_init=MEDIUM_STARTS, random_state=seed).fit(X)
    labels = model.labels_.astype(np.intp)
    if len(X) <= HARTIGAN_ROWS:
        labels, _ = _hartigan(X, labels, k, max_moves=len(X))
    return _centers_of(X, labels, k, previous=model.cluster_centers_)


def count_distinct(X: np.ndarray, *, limit: int) -> int:
    """Number of different rows in ``X``, or ``limit + 1`` as soon as it is known to be larger."""
    head = np.unique(X[: min(len(X), 50 * (limit + 1))], axis=0)
    if len(head) > limit:
        return limit + 1
    return len(np.unique(X, axis=0))


def _kmeans_plus_plus(X: np.ndarray, k: int, starts: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding for ``starts`` independent starts at once; shape (starts, k, d)."""
    n, d = X.shape
    x_sq = np.einsum("ij,ij->i", X, X)
    trials = 2 + int(np.log(k))
    centers = np.empty((starts, k, d))
    first = rng.integers(n, size=starts)
    centers[:, 0] = X[first]
    closest = np.maximum(x_sq[None, :] - 2 * centers[:, 0] @ X.T + x_sq[first][:, None], 0)
    rows = np.arange(starts)
    for c in range(1, k):
        cumulative = np.cumsum(closest, axis=1)
        targets = rng.random((starts, trials)) * cumulative[:, -1:]
        picks = np.empty((starts, trials), dtype=np.intp)
        for s in range(starts):
            picks[s] = np.searchsorted(cumulative[s], targets[s])
        np.minimum(picks, n - 1, out=picks)
        candidates = X[picks]  # (starts, trials, d)
        dist = x_sq[None, None, :] - 2 * candidates @ X.T + x_sq[picks][:, :, None]
        np.maximum(dist, 0, out=dist)
        np.minimum(dist, closest[:, None, :], out=dist)
        best = dist.sum(axis=2).argmin(axis=1)
        centers[:, c] = candidates[rows, best]
        closest = dist[rows, best]
    return centers


def _lloyd(X: np.ndarray, centers: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lloyd iterations for a batch of starts; returns centres, labels and SSE per start."""
    starts, k, d = centers.shape
    X.shape[0]
    offsets = (np.arange(starts) * k)[:, None]
    X_rep = np.tile(X.T, (1, starts))  # (d, starts*n): weights for the per-cluster sums
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
        counts = np.bincount(flat, minlength=starts * k).reshape(starts, k)
        sums = np.empty((starts * k, d))
        for j in range(d):
            sums[:, j] = np.bincount(flat, weights=X_rep[j], minlength=starts * k)
        sums = sums.reshape(starts, k, d)
        # An empty cluster keeps its centre; Hartigan's moves and the relocation step refill it.
        centers = np.where(counts[..., None] > 0, sums / np.maximum(counts, 1)[..., None], centers)
    diff = X[None, :, :] - centers[np.arange(starts)[:, None], labels]
    inertia = np.einsum("snd,snd->s", diff, diff)
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

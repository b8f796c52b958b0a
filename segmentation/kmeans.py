"""The k-means search shared by the sweep and the fit: the best partition we can find, quickly.

The tutorial ran ``KMeans(n_clusters=k)`` once per K. One random start lands in a poor local optimum
often enough that its elbow curve is up to 25% above the best reachable SSE and not even monotone.
Running scikit-learn 100 times per K fixes most of that but costs seconds on 200 rows, because the
per-call overhead dominates. This module does better and faster:

* **Small and medium data** (up to :data:`FULL_SEARCH_ROWS` rows): many k-means++ starts run at once
  as NumPy arrays, the best is polished with Hartigan's single-customer moves (which escape the
  local optima where Lloyd's algorithm stops), then an *iterated local search* relocates the centre
  whose removal costs least to a new place and keeps the result when it lowers the SSE.
* **Large data**: the search runs on a fixed random sample and one pass over every row assigns the
  labels and measures the SSE on all rows.

Everything is driven by one seed derived from ``(random_state, k)``, so a K gives the same partition
whether it is fitted alone or as part of a sweep over any range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

__all__ = ["FULL_SEARCH_ROWS", "SAMPLE_ROWS", "Partition", "assign", "best_partition", "count_distinct"]

#: Up to this many rows the search runs on every row.
FULL_SEARCH_ROWS = 20_000
#: Above :data:`FULL_SEARCH_ROWS`, the search runs on a random sample of this many rows.
SAMPLE_ROWS = 20_000
#: Up to this many rows, batched NumPy starts and an iterated local search (per-call overhead of
#: scikit-learn would dominate); above it, scikit-learn's compiled Lloyd.
SMALL_ROWS = 2_500
#: k-means++ starts per K above :data:`SMALL_ROWS`.
MEDIUM_STARTS = 10
#: Hartigan's polish runs up to this many rows (each move costs a pass over the rows).
HARTIGAN_ROWS = 5_000
#: Rows per block when assigning many rows, to bound memory (block x K distances).
_BLOCK_ROWS = 65_536
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
        Size of the sample the centres are searched on when ``X`` has more than
        ``full_search_rows`` rows.
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
    sampled = n > full_search_rows
    if sampled:
        # The same sample for every K (it depends on the seed only), so neighbouring K agree.
        sample = np.sort(np.random.default_rng([random_state, 0]).choice(n, size=sample_rows, replace=False))
        search_X = X[sample]
    else:
        search_X = X
    centers = _search(search_X, k, rng)
    if sampled:
        # Two Lloyd steps on every row pull the sample's centres onto the full data cheaply.
        for _ in range(2):
            labels, _ = assign(X, centers)
            centers = _centers_of(X, labels, k, previous=centers)
    labels, distances = assign(X, centers)
    return Partition(centers=centers, labels=labels, inertia=float(distances.sum()), sampled=sampled)


def assign(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Assign each row to its nearest centre, in blocks.

    Returns
    -------
    labels : ndarray of int
    squared_distances : ndarray of float
        Each row's squared distance to its centre.
    """
    n = X.shape[0]
    labels = np.empty(n, dtype=np.intp)
    squared = np.empty(n, dtype=np.float64)
    c_sq = np.einsum("ij,ij->i", centers, centers)
    for start in range(0, n, _BLOCK_ROWS):
        block = X[start : start + _BLOCK_ROWS]
        d2 = block @ centers.T
        d2 *= -2.0
        d2 += c_sq
        lab = d2.argmin(axis=1)
        labels[start : start + len(block)] = lab
        diff = block - centers[lab]
        squared[start : start + len(block)] = np.einsum("ij,ij->i", diff, diff)
    return labels, squared


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

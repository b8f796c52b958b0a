"""The k-means search shared by the sweep and the fit: the best partition we can find, quickly.

The tutorial ran ``KMeans(n_clusters=k)`` once per K, and one random start often lands in a poor
local optimum. This module searches harder, at a cost that depends on the size of the data:

* **Small data** (up to :data:`SMALL_ROWS` rows): many k-means++ starts at once as NumPy arrays,
  Hartigan's single-customer moves, then an *iterated local search* that relocates the centre whose
  removal costs least; two such searches from fresh starts, the better kept.
* **Medium data** (up to :data:`FULL_SEARCH_ROWS` rows): the customers are summarised twice as
  weighted micro-segments; a hundred k-means++ starts on a summary cost less than one on every row.
  The best partitions are refined on every row, polished by split-merge moves and Hartigan's.
* **Large data**: the search runs on a random sample (k-means++ starts, then a split-merge local
  search), is refined on a larger sample, and one pass over every row assigns the labels.

Everything is driven by one seed per ``(random_state, k)`` (see :mod:`segmentation.seeds`) and each
K runs on one OpenMP thread, so a K gives the same partition alone or in a sweep over any range, on
any number of cores. How each part was measured against scikit-learn is in ``bench/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

from . import seeds
from .nearest import assign, centers_of, count_distinct
from .seeds import search_rng
from .summaries import summaries
from .threads import one_openmp_thread

__all__ = ["FULL_SEARCH_ROWS", "SAMPLE_ROWS", "SMALL_ROWS", "Partition", "best_partition"]

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
#: The local search's cost grows with the square of the rows: at 2,240 rows x 40 features it took
#: 18 s for K=2..10 where the summaries took 1.3 s, both within 0.1% of the best of 100 starts
#: (bench/bench_small_curve.py); at 300 rows the two cost the same.
SMALL_ROWS = 300
#: Up to :data:`SMALL_ROWS`: independent local searches per K, and the rounds each may take (in
#: all, and in a row without improvement).
_SMALL_SEARCHES = 2
_SMALL_ROUNDS = 10
_SMALL_STALE_ROUNDS = 3
#: k-means++ starts on each summary; the best few distinct partitions are refined on every row.
_SUMMARY_STARTS = 100
_SUMMARY_CANDIDATES = 3
#: Up to this many rows, twice the candidates above are refined and polished.
_WIDE_SEARCH_ROWS = 2_500
#: The best partitions (on every row) that split-merge then polishes; the best of them is kept.
_POLISHED_CANDIDATES = 3
#: Split-merge rounds on medium data (each round that helps costs a few Lloyd runs on every row).
_MEDIUM_SPLIT_MERGE_ROUNDS = 10
#: Hartigan's polish runs up to this many rows (each move costs a pass over the rows).
HARTIGAN_ROWS = 5_000
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
    rng = search_rng(random_state, k)
    sampled = n > full_search_rows and k > 1
    with one_openmp_thread():
        centers = None
        if sampled:
            # The same rows for every K (they depend on the seed only), in random order: each stage
            # takes a prefix, so the samples are nested.
            chosen = seeds.rng(random_state, seeds.SEARCH_SAMPLE).choice(n, size=min(sample_rows, n), replace=False)
            centers = _search_sampled(X, k, rng, chosen)
        if centers is None:
            sampled = False
            centers = _search(X, k, rng, random_state=random_state)
        labels, distances = assign(X, centers)
    return Partition(centers=centers, labels=labels, inertia=float(distances.sum()), sampled=sampled)


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
    return centers_of(X, best_labels, k)


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
        centers = centers_of(X, labels, k)
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
    # On a few thousand rows a refit costs little, and a summary of 200 micro-segments is coarse
    # next to many features: twice the candidates reach basins the summaries rank lower.
    widen = 2 if len(X) <= _WIDE_SEARCH_ROWS else 1
    refined = []
    for points, weights in summaries(X, random_state):
        starts = _kmeans_plus_plus(points, k, _SUMMARY_STARTS, rng, weights=weights)
        starts, _, inertia = _lloyd(points, starts, weights=weights)
        for i in _best_distinct(inertia, widen * _SUMMARY_CANDIDATES):
            refined.append(KMeans(k, init=starts[i], n_init=1).fit(X))
    # The best after Lloyd is not always the best after split-merge: polish a few (stable sort:
    # equal SSEs keep their order, so the outcome is deterministic). Starts that Lloyd settled into
    # one partition would be polished to one result: each is polished once (a third to half of
    # the polishes were repeats).
    refined.sort(key=lambda model: model.inertia_)
    window = refined[: widen * _POLISHED_CANDIDATES]
    polished = [
        _split_merge(X, window[i].cluster_centers_, window[i].inertia_, rounds=_MEDIUM_SPLIT_MERGE_ROUNDS)
        for i in _best_distinct(np.array([model.inertia_ for model in window]), len(window))
    ]
    centers, _ = min(polished, key=lambda result: result[1])
    labels, _ = assign(X, centers)
    if len(X) <= HARTIGAN_ROWS:
        labels, _ = _hartigan(X, labels, k, max_moves=len(X))
    return centers_of(X, labels, k, previous=centers)


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

    With ``weights`` (customers per row of a summary), a row counts as that many customers. A start
    whose labels stop changing is at its fixed point and leaves the batch: most starts settle in
    about 5 steps, the last ones in 15-20, and the batch used to iterate every start until the last.
    """
    starts, k, d = centers.shape
    n = X.shape[0]
    centers = centers.copy()
    row_of = np.arange(n)[None, :]
    row_weights = np.ones(n) if weights is None else weights
    labels = np.zeros((starts, n), dtype=np.intp)
    active = np.arange(starts)
    members = np.zeros((starts, k, n))
    for step in range(max_iter):
        moving = centers[active]
        d2 = X @ moving.transpose(0, 2, 1)
        d2 *= -2.0
        d2 += np.einsum("skd,skd->sk", moving, moving)[:, None, :]
        new_labels = d2.argmin(axis=2)
        if step:
            settled = (new_labels == labels[active]).all(axis=1)
            active, new_labels, moving = active[~settled], new_labels[~settled], moving[~settled]
            if not len(active):
                break
        labels[active] = new_labels
        # Each start's (weighted) membership matrix: sums and counts are then two BLAS products, not
        # one pass over the rows per feature.
        batch = members[: len(active)]
        batch.fill(0.0)
        batch[np.arange(len(active))[:, None], new_labels, row_of] = row_weights
        counts = batch.sum(axis=2)
        sums = batch @ X
        # An empty cluster keeps its centre; Hartigan's moves and the relocation step refill it.
        centers[active] = np.where(counts[..., None] > 0, sums / np.where(counts > 0, counts, 1)[..., None], moving)
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

"""How well customers fit their segments: the silhouette, Calinski-Harabasz and Davies-Bouldin.

The same definitions as scikit-learn's ``silhouette_score``, ``silhouette_samples``,
``calinski_harabasz_score`` and ``davies_bouldin_score``, computed the cheap way for many K at once:
the two spread indices from per-segment sums in one pass over the rows; the silhouette of every K
from one pass over the sample's distance matrix, block by block, each block multiplied by every K's
one-hot labels. Above :data:`SILHOUETTE_ROWS` customers the silhouette is measured on a fixed
random sample; per customer, above :data:`EXACT_SILHOUETTE_ROWS`, the centroid-based ("simplified")
silhouette is used.
"""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np

from .seeds import SILHOUETTE_SAMPLE, rng
from .threads import cores, single_threaded

__all__ = [
    "EXACT_SILHOUETTE_ROWS",
    "SILHOUETTE_ROWS",
    "centroid_silhouette",
    "silhouette_rows",
    "silhouette_scores",
    "silhouette_values",
    "spread_scores",
]


#: The silhouette is O(rows²); above this many rows it is computed on a fixed random sample.
SILHOUETTE_ROWS = 10_000
#: Up to this many customers every customer's silhouette is exact; above it, the centroid-based
#: ("simplified") silhouette is used per customer, which costs O(rows x K) instead of O(rows²).
EXACT_SILHOUETTE_ROWS = 10_000
#: Rows of the silhouette sample per block of its distance matrix (256 x 10,000 floats stay in cache).
_SILHOUETTE_BLOCK = 256
#: Rows per block when measuring distances to segment means, and when summing them.
_BLOCK_ROWS = 8_192
_SUM_ROWS = 65_536
#: Rows per block when measuring every customer's distance to the other centres.
_CENTROID_BLOCK_ROWS = 16_384


def silhouette_rows(n: int, *, random_state: int = 0) -> np.ndarray | None:
    """The fixed sample of rows the silhouette is computed on, or None to use every row."""
    if n <= SILHOUETTE_ROWS:
        return None
    return np.sort(rng(random_state, SILHOUETTE_SAMPLE).choice(n, size=SILHOUETTE_ROWS, replace=False))


def silhouette_scores(
    X: np.ndarray, labelings: list[np.ndarray], *, executor: Executor | None = None
) -> list[float | None]:
    """Mean silhouette of each labelling of the same rows, as ``sklearn.metrics.silhouette_score``.

    The mean of :func:`silhouette_values` (the same parameters; see there how it is computed): a float
    per labelling, or None where scikit-learn would refuse (fewer than 2 segments, or one row per segment).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> [round(s, 4) for s in silhouette_scores(X, [np.array([0, 0, 1, 1])])]
    [0.8997]
    """
    values = silhouette_values(X, labelings, executor=executor)
    return [None if v is None else float(v.mean()) for v in values]


def silhouette_values(
    X: np.ndarray, labelings: list[np.ndarray], *, executor: Executor | None = None
) -> list[np.ndarray | None]:
    """Every row's silhouette for each labelling, as ``sklearn.metrics.silhouette_samples``.

    The rows' distance matrix is computed once, block by block, and each block is multiplied by the
    one-hot matrix of all labellings at once, giving each row's summed distance to every segment of
    every K. The distances are first rounded to a grid of 2**-38 of the largest possible distance
    (about 4e-12), fine enough to change nothing visible and coarse enough that every sum of up to
    10,000 of them is an integer below 2**53: the float64 sums are then exact, so a K's silhouette
    is the same to the last bit however the product is blocked or threaded, whether the K is
    measured alone, in a sweep of any range, or by :func:`segmentation.fit`.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        The rows (the silhouette sample: at most :data:`SILHOUETTE_ROWS` of them).
    labelings : list of ndarray of int, each of shape (n_rows,)
        Segment labels, one array per K.
    executor : Executor, optional
        Computes the blocks in parallel; by default a thread per core.

    Returns
    -------
    list of ndarray or None
        None where scikit-learn would refuse: fewer than 2 segments, or one row per segment.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> silhouette_values(X, [np.array([0, 0, 1, 1])])[0].round(3).tolist()
    [0.905, 0.895, 0.895, 0.905]
    """
    n = len(X)
    codes = [np.unique(labels, return_inverse=True)[1].reshape(-1) for labels in labelings]
    valid = [n > 0 and 2 <= code.max() + 1 < n for code in codes]
    kept = [code for code, ok in zip(codes, valid, strict=True) if ok]
    if not kept:
        return [None] * len(labelings)
    onehot = np.concatenate([_one_hot(code) for code in kept], axis=1)
    sums = np.empty((n, onehot.shape[1]))
    quantum = _distance_quantum(X)
    # |x - y|² = |x|² + |y|² - 2 x.y in one matrix product: [x, |x|², 1] . [-2y, 1, |y|²].
    x_sq = np.einsum("ij,ij->i", X, X)
    left = np.column_stack([X, x_sq, np.ones(n)])
    right = np.column_stack([-2.0 * X, np.ones(n), x_sq]).T.copy()

    def block(start: int) -> None:
        stop = min(start + _SILHOUETTE_BLOCK, n)
        distances = left[start:stop] @ right
        np.maximum(distances, 0.0, out=distances)
        np.sqrt(distances, out=distances)
        distances[np.arange(stop - start), np.arange(start, stop)] = 0.0  # exactly 0, as scikit-learn
        distances /= quantum
        np.rint(distances, out=distances)
        np.matmul(distances, onehot, out=sums[start:stop])

    blocks = range(0, n, _SILHOUETTE_BLOCK)
    if executor is not None:
        list(executor.map(block, blocks))
    elif len(blocks) > 1 and cores() > 1:
        # A block per core, each on one BLAS thread (more threads than cores ran 2x slower); the
        # sums are exact, so the thread count cannot change them.
        with single_threaded(), ThreadPoolExecutor(cores(), "silhouette") as pool:
            list(pool.map(block, blocks))
    else:
        for start in blocks:
            block(start)
    sums *= quantum
    values, column = [], 0
    for code in kept:
        k = int(code.max()) + 1
        values.append(_row_silhouettes(code, sums[:, column : column + k]))
        column += k
    found = iter(values)
    return [next(found) if ok else None for ok in valid]


def _distance_quantum(X: np.ndarray) -> float:
    """A power of two such that any sum of ``len(X)`` rounded distances stays an exact float64 integer."""
    spread = X - X.mean(axis=0)
    radius = float(np.sqrt(np.einsum("ij,ij->i", spread, spread).max()))
    if not radius > 0:
        return 1.0
    # No distance exceeds twice the largest distance to the mean.
    headroom = 52 - int(np.ceil(np.log2(max(len(X), 2))))
    return float(2.0 ** (int(np.ceil(np.log2(2 * radius))) - headroom))


def spread_scores(X: np.ndarray, labels: np.ndarray) -> tuple[float | None, float | None]:
    """Calinski-Harabasz and Davies-Bouldin indices, as scikit-learn defines them, in one pass.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    labels : ndarray of int, shape (n_rows,)

    Returns
    -------
    calinski_harabasz, davies_bouldin : float or None
        None when scikit-learn would refuse: fewer than 2 segments, or one row per segment.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> spread_scores(X, np.array([0, 0, 1, 1]))
    (200.0, 0.1)
    """
    n, d = X.shape
    counts = np.bincount(labels)
    used = np.flatnonzero(counts)
    if not 2 <= len(used) < n:
        return None, None
    sums = np.zeros((len(counts), d))
    for start in range(0, n, _SUM_ROWS):  # bincount copies a strided column: in blocks it stays in cache
        rows, block = labels[start : start + _SUM_ROWS], X[start : start + _SUM_ROWS]
        for j in range(d):
            sums[:, j] += np.bincount(rows, weights=block[:, j], minlength=len(counts))
    means = sums / np.maximum(counts, 1)[:, None]
    # Distances to each segment's own mean, which may differ slightly from the search's centres.
    distance = np.empty(n)
    for start in range(0, n, _BLOCK_ROWS):
        diff = np.take(means, labels[start : start + _BLOCK_ROWS], axis=0)
        np.subtract(X[start : start + _BLOCK_ROWS], diff, out=diff)
        distance[start : start + _BLOCK_ROWS] = np.einsum("ij,ij->i", diff, diff)
    within = float(distance.sum())
    np.sqrt(distance, out=distance)
    k = len(used)
    centres = means[used]
    between = float(counts[used] @ ((centres - sums.sum(axis=0) / n) ** 2).sum(axis=1))
    ch = 1.0 if within == 0.0 else between * (n - k) / (within * (k - 1))

    intra = np.bincount(labels, weights=distance, minlength=len(counts))[used] / counts[used]
    gaps = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    if np.allclose(intra, 0) or np.allclose(gaps, 0):
        return float(ch), 0.0
    gaps[gaps == 0] = np.inf
    return float(ch), float(np.mean(np.max((intra[:, None] + intra[None, :]) / gaps, axis=1)))


def _one_hot(codes: np.ndarray) -> np.ndarray:
    onehot = np.zeros((len(codes), int(codes.max()) + 1))
    onehot[np.arange(len(codes)), codes] = 1.0
    return onehot


def _row_silhouettes(codes: np.ndarray, summed: np.ndarray) -> np.ndarray:
    """(b - a) / max(a, b) of every row, from its summed distance to every segment."""
    counts = np.bincount(codes).astype(np.float64)
    rows = np.arange(len(codes))
    own = counts[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_to = summed / counts[None, :]
        a = summed[rows, codes] / (own - 1)
        mean_to[rows, codes] = np.inf
        b = mean_to.min(axis=1)
        values = (b - a) / np.maximum(a, b)
    values[own == 1] = 0.0  # scikit-learn's convention for a segment of one
    return np.nan_to_num(values)


def centroid_silhouette(X: np.ndarray, centers: np.ndarray, labels: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Silhouette with distances to centres: (b - a) / max(a, b), b = distance to the next centre."""
    other = np.empty(len(X))
    c_sq = np.einsum("ij,ij->i", centers, centers)[:, None]
    # Blocks laid out one centre per row: the minimum over centres is then a vectorised reduction
    # (over a million rows, 4x faster than a (rows, K) matrix reduced row by row).
    for start in range(0, len(X), _CENTROID_BLOCK_ROWS):
        block = X[start : start + _CENTROID_BLOCK_ROWS]
        d2 = centers @ block.T
        d2 *= -2.0
        d2 += c_sq
        d2 += np.einsum("ij,ij->i", block, block)[None, :]
        d2[labels[start : start + _CENTROID_BLOCK_ROWS], np.arange(len(block))] = np.inf
        other[start : start + len(block)] = d2.min(axis=0)
    np.maximum(other, 0, out=other)
    np.sqrt(other, out=other)
    denominator = np.maximum(np.maximum(own, other), 1e-12)
    return (other - own) / denominator

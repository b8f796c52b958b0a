"""Customers and centres: the nearest centre of every customer, squared distances, segment means.

The building blocks of the k-means search and of scoring, in blocks of rows that fit the CPU cache.
"""

from __future__ import annotations

import numpy as np

__all__ = ["assign", "centers_of", "count_distinct", "nearest", "squared_to"]


#: Rows per block when measuring distances to centres (fits the block in the CPU cache).
_BLOCK_ROWS = 8_192


#: Rows per block when finding nearest centres (K x 16,384 distances: 2.5 MB at K=19).
_ASSIGN_ROWS = 16_384


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
    labels = nearest(X, centers)
    return labels, squared_to(X, centers, labels)


def nearest(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
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


def squared_to(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's squared distance to its centre, from the differences (exact, unlike the dot trick)."""
    squared = np.empty(X.shape[0], dtype=np.float64)
    for start in range(0, X.shape[0], _BLOCK_ROWS):
        stop = start + _BLOCK_ROWS
        # np.take with a buffer is twice as fast as fancy indexing, then subtract in place.
        diff = np.take(centers, labels[start:stop], axis=0)
        np.subtract(X[start:stop], diff, out=diff)
        squared[start:stop] = np.einsum("ij,ij->i", diff, diff)
    return squared


def count_distinct(X: np.ndarray, *, limit: int) -> int:
    """Number of different rows in ``X``, or ``limit + 1`` as soon as it is known to be larger."""
    head = np.unique(X[: min(len(X), 50 * (limit + 1))], axis=0)
    if len(head) > limit:
        return limit + 1
    return len(np.unique(X, axis=0))


def centers_of(X: np.ndarray, labels: np.ndarray, k: int, previous: np.ndarray | None = None) -> np.ndarray:
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    sums = np.column_stack([np.bincount(labels, weights=X[:, j], minlength=k) for j in range(X.shape[1])])
    centers = sums / np.maximum(counts, 1)[:, None]
    if previous is not None:
        centers[counts == 0] = previous[counts == 0]
    return centers

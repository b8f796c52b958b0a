"""Segment customers at a chosen K, with segments numbered so they never shuffle.

k-means returns clusters in an arbitrary order; a marketer who sees "Segment 3" today and a
different group under the same number tomorrow stops trusting the tool. :func:`fit` numbers segments
1..K by size (1 = largest; ties broken by the centre's coordinates), uses the same deterministic
search as the sweep (so the SSE matches the elbow chart), and keeps for every customer a fit score
(silhouette) and the distance to their segment's centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kmeans import best_partition
from .metrics import EXACT_SILHOUETTE_ROWS, centroid_silhouette, silhouette_rows, silhouette_scores, silhouette_values
from .nearest import assign, count_distinct
from .prepare import Prepared
from .sweep import SMALL_SEGMENT_SHARE, check_k

__all__ = ["Segmentation", "fit", "number_by_size", "order_by_size", "small_segment_warnings"]


@dataclass(frozen=True)
class Segmentation:
    """Customers segmented at one K.

    Attributes
    ----------
    prepared : Prepared
        The prepared data the segments were fitted on.
    k : int
        Number of segments.
    labels : ndarray of int, shape (n_rows,)
        Segment of every row of the file, ``1..k`` (1 = largest); ``0`` for rows that were not
        segmented (no value in any chosen column, see ``Prepared.skipped``). Customers set aside as
        unusual (``Prepared.aside``) have their nearest segment here, but are not its members.
    centers : ndarray of shape (k, n_features)
        Segment centres in the scaled feature space; row ``i`` is segment ``i + 1``.
    inertia : float
        SSE of the segmentation, on every segmented customer.
    silhouette : float or None
        Mean silhouette (on the same fixed sample as the sweep when there are many customers).
    fit_score : ndarray of float, shape (n_rows,)
        Each customer's silhouette, from -1 (closer to another segment) to 1 (well inside their
        own); NaN for rows not segmented. Exact up to :data:`EXACT_SILHOUETTE_ROWS` customers,
        centroid-based above.
    distance : ndarray of float, shape (n_rows,)
        Each customer's distance to their segment's centre, in scaled units; NaN if not segmented.
    sizes : tuple of int
        Customers per segment, segment 1 first (customers set aside not counted).
    random_state : int
        The seed.
    sampled : bool
        True when the centres were searched on a sample of the customers.
    exact_fit_score : bool
        Whether ``fit_score`` is the exact silhouette.
    """

    prepared: Prepared
    k: int
    labels: np.ndarray
    centers: np.ndarray
    inertia: float
    silhouette: float | None
    fit_score: np.ndarray
    distance: np.ndarray
    sizes: tuple[int, ...]
    random_state: int = 0
    sampled: bool = False
    exact_fit_score: bool = True

    @property
    def segmented(self) -> np.ndarray:
        """Boolean mask of the file's rows that are members of a segment (not set aside)."""
        members = self.labels > 0
        members[self.prepared.aside] = False
        return members

    @property
    def set_aside(self) -> np.ndarray:
        """Boolean mask of the customers set aside as unusual (they have a nearest segment only)."""
        mask = np.zeros(len(self.labels), dtype=bool)
        mask[self.prepared.aside] = True
        return mask

    def warnings(self) -> list[str]:
        """Plain sentences about segments too small to act on (see :func:`small_segment_warnings`)."""
        return small_segment_warnings(self.sizes)

    @property
    def shares(self) -> tuple[float, ...]:
        """Share of segmented customers in each segment, segment 1 first."""
        total = sum(self.sizes)
        return tuple(size / total for size in self.sizes)


def fit(prepared: Prepared, k: int, *, random_state: int = 0) -> Segmentation:
    """Segment the prepared customers into ``k`` segments numbered by size.

    Parameters
    ----------
    prepared : Prepared
        Output of :func:`segmentation.prepare`.
    k : int
        Number of segments, ``1..30`` and at most the number of different customers.
    random_state : int, default 0
        Seed; the same data, options, K and seed always give the same segments, and the same
        segments as the sweep at this K.

    Returns
    -------
    Segmentation

    Raises
    ------
    DataError
        If ``k`` is out of range for the data.

    Examples
    --------
    >>> from segmentation import load_table, prepare
    >>> table = load_table(b"Spend\\n1\\n2\\n3\\n50\\n52\\n")
    >>> fit(prepare(table), 2).labels
    array([1, 1, 1, 2, 2])
    """
    X = prepared.matrix
    check_k(k, count_distinct(X, limit=k))
    partition = best_partition(X, k, random_state=random_state)
    order = number_by_size(partition.labels, partition.centers)
    rank = np.empty(k, dtype=np.intp)
    rank[order] = np.arange(k)
    segment = rank[partition.labels]  # 0-based, by size
    centers = partition.centers[order]

    n_rows = prepared.n_rows
    labels = np.zeros(n_rows, dtype=np.int64)
    labels[prepared.rows] = segment + 1
    diff = X - centers[segment]
    own = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    distance = np.full(n_rows, np.nan)
    distance[prepared.rows] = own
    if len(prepared.aside):
        # Set aside as unusual: they did not place the centres, but have a nearest segment.
        nearest, squared = assign(prepared.aside_matrix, centers)
        labels[prepared.aside] = nearest + 1
        distance[prepared.aside] = np.sqrt(squared)

    exact = len(X) <= EXACT_SILHOUETTE_ROWS
    fit_score = np.full(n_rows, np.nan)
    silhouette = None
    if k >= 2 and len(np.unique(segment)) >= 2:
        # The mean is computed exactly as the sweep computes it, so both pages show the same number.
        sample = silhouette_rows(len(X), random_state=random_state)
        if exact:
            # As scikit-learn's silhouette_samples (to ~1e-12), block by block: scikit-learn held up
            # to 1 GB of distances at once and took 3.7 s on 10,000 customers.
            values = silhouette_values(X, [segment])[0]
            values = np.zeros(len(X)) if values is None else values
            if sample is None:  # the sweep's silhouette is the mean of these very values
                silhouette = float(values.mean())
        else:
            values = centroid_silhouette(X, centers, segment, own)
        if silhouette is None:
            rows = slice(None) if sample is None else sample
            silhouette = silhouette_scores(X[rows], [segment[rows]])[0]
        fit_score[prepared.rows] = values
    sizes = tuple(int(s) for s in np.bincount(segment, minlength=k))
    return Segmentation(
        prepared=prepared,
        k=k,
        labels=labels,
        centers=centers,
        inertia=partition.inertia,
        silhouette=silhouette,
        fit_score=fit_score,
        distance=distance,
        sizes=sizes,
        random_state=random_state,
        sampled=partition.sampled,
        exact_fit_score=exact,
    )


def small_segment_warnings(sizes: tuple[int, ...] | list[int]) -> list[str]:
    """A sentence for each segment holding under 1% of the customers: too few to act on.

    Examples
    --------
    >>> small_segment_warnings([438, 1])
    ['Segment 2 holds 1 customer (0.2%): too few to act on. Look at who they are, or try fewer segments.']
    """
    total = sum(sizes)
    found = []
    for number, size in enumerate(sizes, start=1):
        if size < SMALL_SEGMENT_SHARE * total:
            found.append(
                f"Segment {number} holds {size:,} customer{'' if size == 1 else 's'} ({size / total:.1%}): too "
                "few to act on. Look at who they are, or try fewer segments."
            )
    return found


def number_by_size(labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Order of clusters from largest to smallest, ties broken by the centres' coordinates.

    Returns
    -------
    ndarray of int
        ``order[i]`` is the original cluster that becomes segment ``i + 1``.
    """
    return order_by_size(np.bincount(labels, minlength=len(centers)), centers)


def order_by_size(sizes: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """:func:`number_by_size` from the clusters' sizes, for engines that count them without labels.

    Parameters
    ----------
    sizes : array-like of int, shape (k,)
        Customers in each cluster.
    centers : ndarray of shape (k, n_features)

    Returns
    -------
    ndarray of int
        ``order[i]`` is the original cluster that becomes segment ``i + 1``.

    Examples
    --------
    >>> order_by_size([2, 5, 2], np.array([[1.0], [0.0], [0.5]])).tolist()
    [1, 2, 0]
    """
    # np.lexsort sorts by its last key first: size (descending), then each coordinate in turn.
    coordinates = tuple(np.round(centers[:, j], 9) for j in reversed(range(centers.shape[1])))
    return np.lexsort(coordinates + (-np.asarray(sizes),))

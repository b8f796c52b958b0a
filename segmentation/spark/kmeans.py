"""Segment prepared customers with Spark's k-means: the sweep over K and the fit at one K.

``pyspark.ml.clustering.KMeans`` (k-means|| start) finds the centres; segments are numbered 1..K
by size with the rule of :func:`segmentation.fit.order_by_size`. The SSE, Calinski-Harabasz and
Davies-Bouldin indices cover every row. The silhouette has the default engine's definition
(:func:`segmentation.metrics.silhouette_scores`, Euclidean distances, as scikit-learn): a fixed
random sample of at most :data:`~segmentation.metrics.SILHOUETTE_ROWS` segmented customers is
collected to the driver, each put into its nearest segment, and measured there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DataError
from ..fit import order_by_size, small_segment_warnings
from ..metrics import SILHOUETTE_ROWS, silhouette_scores
from ..nearest import nearest
from ..sweep import K_LIMIT, Sweep, check_k, check_range, cut_range
from .frames import col
from .prepare import VECTOR_COLUMN, SparkPrepared

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from pyspark.sql import Column

__all__ = ["KMEANS_MAX_ITER", "KMEANS_TOL", "SparkSegmentation", "fit", "silhouette_sample", "sweep"]

#: Iterations of Spark's k-means (it stops earlier when the centres move less than ``tol``).
KMEANS_MAX_ITER = 30
KMEANS_TOL = 1e-4
# Each customer's segment and squared distance to its centre, next to the features.
_LABEL = "_segmentation_label"
_SQUARED = "_segmentation_squared"


@dataclass(frozen=True)
class SparkSegmentation:
    """Customers segmented in Spark at one K.

    Attributes
    ----------
    prepared : SparkPrepared
    k : int
    centers : ndarray of shape (k, n_features)
        Segment centres in the scaled space, segment 1 (the largest) first.
    sizes : tuple of int
        Customers per segment, segment 1 first.
    inertia : float
        SSE on every segmented customer.
    silhouette : float or None
        Mean silhouette on a fixed sample, as :func:`segmentation.metrics.silhouette_scores`
        defines it; None when the sample falls in one segment.
    silhouette_rows : int
        Customers in that sample.
    random_state : int
    """

    prepared: SparkPrepared
    k: int
    centers: np.ndarray
    sizes: tuple[int, ...]
    inertia: float
    silhouette: float | None
    silhouette_rows: int
    random_state: int = 0

    def warnings(self) -> list[str]:
        """Plain sentences about segments too small to act on, as the default engine words them."""
        return small_segment_warnings(self.sizes)


def sweep(
    prepared: SparkPrepared,
    *,
    k_min: int = 2,
    k_max: int = 10,
    random_state: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> Sweep:
    """Fit Spark's k-means for every K in ``k_min..k_max`` and measure each, as :func:`segmentation.sweep`.

    The SSE, Calinski-Harabasz and Davies-Bouldin indices cover every row (Davies-Bouldin measures
    spread around the k-means centres); the silhouette is the default engine's, on a fixed sample of
    at most :data:`~segmentation.metrics.SILHOUETTE_ROWS` customers (the same for every K).

    Returns
    -------
    Sweep
    """
    check_range(k_min, k_max)
    k_max, notes = cut_range(k_min, k_max, _count_distinct(prepared, limit=k_max))
    ks = list(range(k_min, k_max + 1))
    sample = silhouette_sample(prepared, random_state=random_state)
    inertia, labelings, ch, db, smallest = [], [], [], [], []
    for done, k in enumerate(ks, start=1):
        centers = _kmeans_centers(prepared, k, random_state=random_state)
        stats = _cluster_stats(prepared, centers)
        inertia.append(stats["inertia"])
        labelings.append(nearest(sample, centers))
        ch.append(stats["calinski_harabasz"])
        db.append(stats["davies_bouldin"])
        smallest.append(int(stats["sizes"].min()))
        if on_progress is not None and done < len(ks):
            on_progress(done, len(ks))  # the last call waits for the silhouettes
    # Every K's silhouette from one pass over the sample's distances, as the default engine's sweep.
    silhouette = silhouette_scores(sample, labelings)
    if on_progress is not None:
        on_progress(len(ks), len(ks))
    return Sweep.from_criteria(
        ks,
        inertia,
        silhouette,
        ch,
        db,
        n_rows=prepared.n_segmented,
        silhouette_rows=len(sample),
        random_state=random_state,
        notes=notes,
        largest_possible_k=k_max if notes else K_LIMIT,
        smallest=smallest,
    )


def fit(prepared: SparkPrepared, k: int, *, random_state: int = 0) -> SparkSegmentation:
    """Segment the prepared customers into ``k`` segments with Spark's k-means, numbered by size.

    Parameters
    ----------
    prepared : SparkPrepared
    k : int
        ``1..30`` and at most the number of different customers.
    random_state : int, default 0
        Seed of k-means|| and of the silhouette sample.

    Returns
    -------
    SparkSegmentation

    Raises
    ------
    DataError
        If ``k`` is out of range for the data.
    """
    check_k(k, _count_distinct(prepared, limit=k))
    centers, sizes = _kmeans_centers(prepared, k, random_state=random_state, with_sizes=True)
    order = order_by_size(np.asarray(sizes), centers)
    centers = centers[order]
    stats = _cluster_stats(prepared, centers)
    sample = silhouette_sample(prepared, random_state=random_state)
    silhouette = silhouette_scores(sample, [nearest(sample, centers)])[0] if k >= 2 else None
    return SparkSegmentation(
        prepared=prepared,
        k=k,
        centers=centers,
        sizes=tuple(int(s) for s in stats["sizes"]),
        inertia=stats["inertia"],
        silhouette=silhouette,
        silhouette_rows=len(sample),
        random_state=random_state,
    )


def _kmeans_centers(prepared: SparkPrepared, k: int, *, random_state: int, with_sizes: bool = False):
    """Centres of Spark's k-means (k-means|| start), in Spark's order; with its cluster sizes if asked."""
    from pyspark.ml.clustering import KMeans

    if k == 1:
        from pyspark.sql import functions as F

        row = prepared.features.agg(*[F.avg(col(c)) for c in prepared.feature_columns]).first()
        centers = np.asarray([list(row)], dtype=np.float64)
        return (centers, [prepared.n_segmented]) if with_sizes else centers
    model = KMeans(
        k=k,
        seed=random_state,
        initMode="k-means||",
        maxIter=KMEANS_MAX_ITER,
        tol=KMEANS_TOL,
        featuresCol=VECTOR_COLUMN,
        predictionCol=_LABEL,
    ).fit(prepared.features)
    centers = np.asarray([np.asarray(c) for c in model.clusterCenters()], dtype=np.float64)
    if len(centers) < k:
        raise DataError(
            f"K={k} is more than the {len(centers)} different groups Spark's k-means could form. Choose a smaller K."
        )
    if not with_sizes:
        return centers
    return centers, list(model.summary.clusterSizes)


def _nearest(feature_columns: Sequence[str], centers: np.ndarray) -> tuple[Column, Column]:
    """The nearest centre (1-based, ties to the lowest) and its squared distance, as the SQL computes them."""
    from pyspark.sql import functions as F

    distances = []
    for center in centers:
        total = None
        for column, value in zip(feature_columns, center, strict=True):
            delta = col(column) - F.lit(float(value))
            total = delta * delta if total is None else total + delta * delta
        distances.append(total)
    if len(distances) == 1:
        return F.lit(1), distances[0]
    least = F.least(*distances)
    label = None
    for j, distance in enumerate(distances, start=1):
        label = F.when(least == distance, F.lit(j)) if label is None else label.when(least == distance, F.lit(j))
    return label, least


def _cluster_stats(prepared: SparkPrepared, centers: np.ndarray) -> dict[str, Any]:
    """Sizes, SSE, Calinski-Harabasz and Davies-Bouldin of the nearest-centre assignment, in one pass."""
    from pyspark.sql import functions as F

    k = len(centers)
    label, squared = _nearest(prepared.feature_columns, centers)
    assigned = prepared.features.select(
        label.alias(_LABEL), squared.alias(_SQUARED), *[col(c) for c in prepared.feature_columns]
    )
    rows = (
        assigned.groupBy(_LABEL)
        .agg(
            F.count(F.lit(1)).alias("n"),
            F.sum(col(_SQUARED)).alias("sse"),
            F.sum(F.sqrt(col(_SQUARED))).alias("spread"),
            *[F.sum(col(c)).alias(f"s{i}") for i, c in enumerate(prepared.feature_columns)],
        )
        .collect()
    )
    n_features = len(prepared.feature_columns)
    sizes = np.zeros(k)
    sse = np.zeros(k)
    spread = np.zeros(k)
    sums = np.zeros((k, n_features))
    for row in rows:
        j = int(row[_LABEL]) - 1
        sizes[j], sse[j], spread[j] = row["n"], row["sse"], row["spread"]
        sums[j] = [row[f"s{i}"] for i in range(n_features)]
    n = sizes.sum()
    inertia = float(sse.sum())
    used = sizes > 0
    ch = dbi = None
    if k >= 2 and used.sum() >= 2 and used.sum() < n:
        means = sums[used] / sizes[used][:, None]
        grand = sums.sum(axis=0) / n
        between = float((sizes[used] * ((means - grand) ** 2).sum(axis=1)).sum())
        # SSE around each cluster's mean: around its centre, less the centre's offset from the mean.
        within = float((sse[used] - sizes[used] * ((centers[used] - means) ** 2).sum(axis=1)).sum())
        ch = between * (n - used.sum()) / (within * (used.sum() - 1)) if within > 0 else None
        s = spread[used] / sizes[used]
        gaps = np.sqrt(((means[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (s[:, None] + s[None, :]) / gaps
        np.fill_diagonal(ratio, -np.inf)
        dbi = float(np.nan_to_num(ratio, posinf=0.0).max(axis=1).mean())
    return {
        "sizes": sizes.astype(np.int64),
        "inertia": inertia,
        "calinski_harabasz": None if ch is None else float(ch),
        "davies_bouldin": dbi,
    }


def silhouette_sample(prepared: SparkPrepared, *, random_state: int = 0) -> np.ndarray:
    """The fixed sample the silhouette is measured on (the same for every K), as a matrix on the driver.

    Every segmented customer up to :data:`~segmentation.metrics.SILHOUETTE_ROWS`; above, a random
    sample of that many (seeded with ``random_state``).

    Returns
    -------
    ndarray of shape (n_sample, n_features)
        The scaled features, in :attr:`SparkPrepared.feature_columns` order.
    """
    frame = prepared.features.select(*[col(c) for c in prepared.feature_columns])
    if prepared.n_segmented > SILHOUETTE_ROWS:
        # A little over the share needed, then cut: Spark's sample() size is only expected, not exact.
        fraction = min(1.0, 1.1 * SILHOUETTE_ROWS / prepared.n_segmented)
        frame = frame.sample(withReplacement=False, fraction=fraction, seed=random_state).limit(SILHOUETTE_ROWS)
    rows = frame.collect()
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(prepared.feature_columns))


def _count_distinct(prepared: SparkPrepared, *, limit: int) -> int:
    """Different customers (feature rows), or ``limit + 1`` as soon as there are more."""
    columns = [col(c) for c in prepared.feature_columns]
    return prepared.features.select(*columns).distinct().limit(limit + 1).count()

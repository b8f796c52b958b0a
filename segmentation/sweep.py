"""Try a range of K and measure each: the numbers behind the elbow page and ``sweep`` command.

For every K the sweep records the SSE (inertia, on every row), the silhouette (on a fixed sample of
at most :data:`SILHOUETTE_ROWS` rows), the Calinski-Harabasz and the Davies-Bouldin indices, then
suggests a K: the knee of the SSE curve (``kneed.KneeLocator``), shown beside the K with the best
silhouette, with a flag when the two disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from kneed import KneeLocator
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from .errors import DataError
from .kmeans import Partition, best_partition, count_distinct
from .prepare import Prepared

__all__ = ["K_LIMIT", "SILHOUETTE_ROWS", "Sweep", "check_k", "combine_sweeps", "silhouette_rows", "sweep"]

#: The largest K the sweep and fit accept.
K_LIMIT = 30
#: The silhouette is O(rows²); above this many rows it is computed on a fixed random sample.
SILHOUETTE_ROWS = 10_000

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Sweep:
    """The criteria for each K of a sweep, and the suggested K.

    Attributes
    ----------
    k : tuple of int
        The K values tried, ascending.
    inertia : tuple of float
        SSE (sum of squared distances to the segment centre, on every row) per K. Lower is tighter.
    silhouette : tuple of float or None
        Mean silhouette per K, from -1 to 1, higher is better separated; None for K=1.
    calinski_harabasz : tuple of float or None
        Between- vs within-segment spread, higher is better; None for K=1.
    davies_bouldin : tuple of float or None
        Average similarity of each segment to its closest one, lower is better; None for K=1.
    suggested_k : int
        The knee of the SSE curve, or the best-silhouette K when the curve has no knee.
    knee_k : int or None
        The knee of the SSE curve, if it has one.
    best_silhouette_k : int or None
        The K with the highest silhouette.
    n_rows : int
        Customers segmented.
    silhouette_rows : int
        Customers the silhouette was computed on (a fixed sample when there are many).
    sampled : bool
        True when the centres were searched on a sample (the SSE still covers every row).
    random_state : int
        The seed.
    notes : tuple of str
        E.g. the range was cut because the data has fewer distinct customers than ``k_max``.
    """

    k: tuple[int, ...]
    inertia: tuple[float, ...]
    silhouette: tuple[float | None, ...]
    calinski_harabasz: tuple[float | None, ...]
    davies_bouldin: tuple[float | None, ...]
    suggested_k: int
    knee_k: int | None
    best_silhouette_k: int | None
    n_rows: int
    silhouette_rows: int
    sampled: bool = False
    random_state: int = 0
    notes: tuple[str, ...] = ()

    @property
    def criteria_agree(self) -> bool:
        """True when the knee and the best silhouette point to the same K (or only one exists)."""
        return self.knee_k is None or self.best_silhouette_k is None or self.knee_k == self.best_silhouette_k

    def frame(self) -> pd.DataFrame:
        """The sweep as a table, one row per K."""
        return pd.DataFrame(
            {
                "K": self.k,
                "SSE (inertia)": self.inertia,
                "Silhouette": [np.nan if v is None else v for v in self.silhouette],
                "Calinski-Harabasz": [np.nan if v is None else v for v in self.calinski_harabasz],
                "Davies-Bouldin": [np.nan if v is None else v for v in self.davies_bouldin],
            }
        )

    def advice(self) -> str:
        """The suggestion in plain words, saying when the criteria disagree."""
        if self.knee_k is None and self.best_silhouette_k is None:
            return f"Try K={self.suggested_k}; the range is too short to suggest one with confidence."
        if self.knee_k is None:
            return (
                f"The SSE curve has no clear elbow in this range; the silhouette is best at "
                f"K={self.best_silhouette_k}, so start there."
            )
        if self.criteria_agree:
            return f"Both criteria point to K={self.knee_k}: the elbow of the SSE curve and the best silhouette."
        return (
            f"The criteria disagree: the elbow of the SSE curve is at K={self.knee_k}, the silhouette "
            f"is best at K={self.best_silhouette_k}. The elbow favours detail, the silhouette favours "
            "clearly separated segments; compare both on the clusters page."
        )


def check_k(k: int, n_distinct: int) -> None:
    """Raise :class:`DataError` unless ``k`` segments can be made from ``n_distinct`` customers."""
    if not 1 <= k <= K_LIMIT:
        raise DataError(f"K must be between 1 and {K_LIMIT}; {k} was asked.")
    if k > n_distinct:
        raise DataError(
            f"K={k} is more than the {n_distinct:,} different customers in the data. "
            f"Choose K of at most {n_distinct:,}."
        )


def sweep(
    prepared: Prepared | np.ndarray,
    *,
    k_min: int = 2,
    k_max: int = 10,
    random_state: int = 0,
    on_progress: ProgressCallback | None = None,
) -> Sweep:
    """Segment for every K in ``k_min..k_max`` and measure each result.

    Parameters
    ----------
    prepared : Prepared or ndarray
        Prepared data (:func:`segmentation.prepare`) or a scaled matrix.
    k_min, k_max : int, default 2 and 10
        The range of K, within ``1..30``.
    random_state : int, default 0
        Seed; the same data, options and seed give identical numbers.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` after each K, e.g. to move a progress bar.

    Returns
    -------
    Sweep

    Raises
    ------
    DataError
        If the range is invalid or the data has fewer distinct customers than ``k_min``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 10]
    >>> sweep(X, k_min=1, k_max=3).inertia[:2]
    (500.0, 0.0)
    """
    X = prepared.matrix if isinstance(prepared, Prepared) else np.asarray(prepared, dtype=np.float64)
    if not (1 <= k_min <= k_max <= K_LIMIT):
        raise DataError(f"The K range must satisfy 1 <= K min <= K max <= {K_LIMIT}; got {k_min}..{k_max}.")
    distinct = count_distinct(X, limit=k_max)
    notes = []
    if distinct < k_min:
        check_k(k_min, distinct)
    if distinct < k_max:
        notes.append(f"The data has only {distinct} different customers, so K stops at {distinct} instead of {k_max}.")
        k_max = distinct

    ks = list(range(k_min, k_max + 1))
    sample = silhouette_rows(len(X), random_state=random_state)
    inertia, silhouette, ch, db = [], [], [], []
    sampled = False
    for done, k in enumerate(ks, start=1):
        partition = best_partition(X, k, random_state=random_state)
        sampled |= partition.sampled
        scores = _scores(X, partition, k, sample)
        inertia.append(partition.inertia)
        silhouette.append(scores[0])
        ch.append(scores[1])
        db.append(scores[2])
        if on_progress is not None:
            on_progress(done, len(ks))

    knee, best_sil, suggested = _suggestion(ks, inertia, silhouette)
    return Sweep(
        k=tuple(ks),
        inertia=tuple(inertia),
        silhouette=tuple(silhouette),
        calinski_harabasz=tuple(ch),
        davies_bouldin=tuple(db),
        suggested_k=int(suggested),
        knee_k=knee,
        best_silhouette_k=best_sil,
        n_rows=len(X),
        silhouette_rows=len(X) if sample is None else len(sample),
        sampled=sampled,
        random_state=random_state,
        notes=tuple(notes),
    )


def silhouette_rows(n: int, *, random_state: int = 0) -> np.ndarray | None:
    """The fixed sample of rows the silhouette is computed on, or None to use every row."""
    if n <= SILHOUETTE_ROWS:
        return None
    return np.sort(np.random.default_rng([random_state, 1]).choice(n, size=SILHOUETTE_ROWS, replace=False))


def _scores(
    X: np.ndarray, partition: Partition, k: int, sample: np.ndarray | None
) -> tuple[float | None, float | None, float | None]:
    labels = partition.labels
    used = len(np.unique(labels))
    if k == 1 or used < 2:
        return None, None, None
    if sample is None:
        sil_X, sil_labels = X, labels
    else:
        sil_X, sil_labels = X[sample], labels[sample]
    silhouette = float(silhouette_score(sil_X, sil_labels)) if 2 <= len(np.unique(sil_labels)) < len(sil_X) else None
    if used >= len(X):
        return silhouette, None, None
    return silhouette, float(calinski_harabasz_score(X, labels)), float(davies_bouldin_score(X, labels))


def _knee(ks: list[int], inertia: list[float]) -> int | None:
    if len(ks) < 3 or inertia[0] <= inertia[-1]:
        return None
    knee = KneeLocator(ks, inertia, curve="convex", direction="decreasing").knee
    return None if knee is None else int(knee)


def combine_sweeps(parts: list[Sweep], *, requested_k_max: int | None = None) -> Sweep:
    """Join sweeps over consecutive K ranges (e.g. one K each, cached apart) into one sweep.

    The suggestion is recomputed over the whole range, so the result equals
    ``sweep(prepared, k_min=first, k_max=last)`` with the same seed.

    Parameters
    ----------
    parts : list of Sweep
        Sweeps of the same data and seed, in K order, with no gap.
    requested_k_max : int, optional
        The K max the user asked for; when the data allowed fewer, the note says so.
    """
    if not parts:
        raise ValueError("nothing to combine")
    ks = [k for part in parts for k in part.k]
    if ks != list(range(ks[0], ks[0] + len(ks))):
        raise ValueError(f"the sweeps must cover consecutive K values, not {ks}")
    inertia = [v for part in parts for v in part.inertia]
    silhouette = [v for part in parts for v in part.silhouette]
    knee, best_sil, suggested = _suggestion(ks, inertia, silhouette)
    notes = []
    if requested_k_max is not None and requested_k_max > ks[-1]:
        notes.append(
            f"The data has only {ks[-1]} different customers, so K stops at {ks[-1]} instead of {requested_k_max}."
        )
    first = parts[0]
    return Sweep(
        k=tuple(ks),
        inertia=tuple(inertia),
        silhouette=tuple(silhouette),
        calinski_harabasz=tuple(v for part in parts for v in part.calinski_harabasz),
        davies_bouldin=tuple(v for part in parts for v in part.davies_bouldin),
        suggested_k=suggested,
        knee_k=knee,
        best_silhouette_k=best_sil,
        n_rows=first.n_rows,
        silhouette_rows=first.silhouette_rows,
        sampled=any(part.sampled for part in parts),
        random_state=first.random_state,
        notes=tuple(notes),
    )


def _suggestion(ks: list[int], inertia: list[float], silhouette: list[float | None]) -> tuple[int | None, int | None, int]:
    """The knee, the best-silhouette K, and the K to suggest (the knee when there is one)."""
    knee = _knee(ks, inertia)
    valid = [(s, k) for k, s in zip(ks, silhouette, strict=True) if s is not None]
    best_sil = max(valid, key=lambda t: (t[0], -t[1]))[1] if valid else None
    suggested = knee if knee is not None else (best_sil if best_sil is not None else ks[0])
    return knee, best_sil, int(suggested)

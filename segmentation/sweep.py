"""Try a range of K and measure each: the numbers behind the elbow page and the ``sweep`` command.

For every K the sweep records the SSE (inertia, on every row), the silhouette (on a fixed sample of
customers when there are many), the Calinski-Harabasz and the Davies-Bouldin indices (see
:mod:`segmentation.metrics`), then suggests a K: the knee of the SSE curve (``kneed.KneeLocator``),
shown beside the K with the best silhouette, with a flag when the two disagree. Above a few
thousand rows the K run in parallel, one per core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from kneed import KneeLocator

from .errors import DataError
from .kmeans import SMALL_ROWS, best_partition
from .metrics import silhouette_rows, silhouette_scores, spread_scores
from .nearest import count_distinct
from .options import K_LIMIT
from .prepare import Prepared
from .threads import cores, single_threaded

__all__ = [
    "K_LIMIT",
    "SMALL_SEGMENT_SHARE",
    "Sweep",
    "check_k",
    "combine_sweeps",
    "sweep",
]

#: A segment holding less than this share of the customers is too small to act on: it is named in
#: a warning, and the suggestion prefers a K without one when the criteria are close.
SMALL_SEGMENT_SHARE = 0.01
#: "Close": a K's silhouette at most this much below the one it would replace.
_CLOSE_SILHOUETTE = 0.05

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
    largest_possible_k : int
        The largest K the data allows as far as the sweep knows: its number of different customers
        when that cut the range, else :data:`K_LIMIT`.
    smallest : tuple of int
        The customers in the smallest segment, per K (empty when not measured).
    avoided_k : int or None
        The K the criteria pointed to when the suggestion moved away from it because one of its
        segments was too small to act on.
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
    largest_possible_k: int = K_LIMIT
    smallest: tuple[int, ...] = ()
    avoided_k: int | None = None

    @classmethod
    def from_criteria(
        cls,
        ks: list[int],
        inertia: list[float],
        silhouette: list[float | None],
        calinski_harabasz: list[float | None],
        davies_bouldin: list[float | None],
        *,
        n_rows: int,
        silhouette_rows: int,
        sampled: bool = False,
        random_state: int = 0,
        notes: list[str] | tuple[str, ...] = (),
        largest_possible_k: int = K_LIMIT,
        smallest: list[int] | tuple[int, ...] = (),
    ) -> Sweep:
        """A sweep from the criteria measured per K, with the knee, best silhouette and suggestion.

        Every engine measures the criteria its own way and suggests K by this one rule: the knee
        of the SSE curve when it has one, else the best silhouette, else the smallest K; and when
        that K has a segment of under :data:`SMALL_SEGMENT_SHARE` of the customers, the nearest K
        (fewer segments first) whose segments are all large enough and whose silhouette is close.
        """
        knee = _knee(list(ks), list(inertia))
        valid = [(s, k) for k, s in zip(ks, silhouette, strict=True) if s is not None]
        best_sil = max(valid, key=lambda t: (t[0], -t[1]))[1] if valid else None
        suggested = knee if knee is not None else (best_sil if best_sil is not None else ks[0])
        avoided = None
        if smallest:
            better = _large_enough_instead(list(ks), list(silhouette), list(smallest), suggested, n_rows)
            if better is not None:
                avoided, suggested = suggested, better
        return cls(
            k=tuple(int(k) for k in ks),
            inertia=tuple(inertia),
            silhouette=tuple(silhouette),
            calinski_harabasz=tuple(calinski_harabasz),
            davies_bouldin=tuple(davies_bouldin),
            suggested_k=int(suggested),
            knee_k=knee,
            best_silhouette_k=best_sil,
            n_rows=n_rows,
            silhouette_rows=silhouette_rows,
            sampled=sampled,
            random_state=random_state,
            notes=tuple(notes),
            largest_possible_k=largest_possible_k,
            smallest=tuple(int(v) for v in smallest),
            avoided_k=avoided,
        )

    def small_segments(self, k: int) -> int:
        """Customers in the smallest segment at ``k`` when it is too small to act on, else 0."""
        if not self.smallest or k not in self.k:
            return 0
        size = self.smallest[self.k.index(k)]
        return size if size < SMALL_SEGMENT_SHARE * self.n_rows else 0

    @property
    def criteria_agree(self) -> bool:
        """True when the knee and the best silhouette point to the same K (or only one exists)."""
        return self.knee_k is None or self.best_silhouette_k is None or self.knee_k == self.best_silhouette_k

    def best_by_criterion(self) -> dict[str, int | None]:
        """The best K of each criterion in this range (None when it was not measured).

        Examples
        --------
        >>> import numpy as np
        >>> X = np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 10, np.ones((5, 2)) * [0, 10]]
        >>> sweep(X, k_min=2, k_max=4).best_by_criterion()["Silhouette"]
        3
        """
        frame = self.frame()
        best = {}
        for name, higher in (("Silhouette", True), ("Calinski-Harabasz", True), ("Davies-Bouldin", False)):
            values = frame[name]
            if values.notna().any():
                best[name] = int(frame.loc[values.idxmax() if higher else values.idxmin(), "K"])
            else:
                best[name] = None
        return best

    def per_k(self) -> list[Sweep]:
        """The sweep as one single-K sweep per K (:func:`combine_sweeps` puts them together again).

        Each K's numbers do not depend on the range it was measured in, so the parts are what
        ``sweep(X, k_min=k, k_max=k)`` would give.
        """
        return [
            replace(
                self,
                k=(k,),
                inertia=(self.inertia[i],),
                silhouette=(self.silhouette[i],),
                calinski_harabasz=(self.calinski_harabasz[i],),
                davies_bouldin=(self.davies_bouldin[i],),
                suggested_k=k,
                knee_k=None,
                best_silhouette_k=None if self.silhouette[i] is None else k,
                notes=(),
                smallest=self.smallest[i : i + 1],
                avoided_k=None,
            )
            for i, k in enumerate(self.k)
        ]

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
        """The suggestion in plain words, saying when the criteria disagree and when to widen the range."""
        knee, best = self.knee_k, self.best_silhouette_k
        if knee is None and best is None:
            return f"Try K={self.suggested_k}; the range is too short to suggest one with confidence."
        if knee is None:
            text = (
                f"The SSE curve has no clear elbow in this range; the silhouette is best at K={best}, so start there."
            )
        elif best is None or knee == best:
            text = f"Both criteria point to K={knee}: the elbow of the SSE curve and the best silhouette."
        else:
            fewer, more = ("elbow", "silhouette") if knee < best else ("silhouette", "elbow")
            text = (
                f"The criteria disagree: the elbow of the SSE curve is at K={knee}, the silhouette is best "
                f"at K={best}. The {fewer} gives fewer, broader segments; the {more} more, finer ones. "
                f"Starting at K={self.suggested_k}; compare both on the Segments page."
            )
        return text + self._small_advice() + self._range_advice()

    def _small_advice(self) -> str:
        if self.avoided_k is not None:
            size = self.small_segments(self.avoided_k)
            return (
                f" At K={self.avoided_k} one segment holds only {size:,} customer(s) "
                f"({size / self.n_rows:.1%}), too few to act on; K={self.suggested_k} has no such segment "
                "and separates the customers almost as well, so it is suggested instead."
            )
        size = self.small_segments(self.suggested_k)
        if size:
            return (
                f" At K={self.suggested_k} one segment holds only {size:,} customer(s) ({size / self.n_rows:.1%}): "
                "look at who they are before acting on it (they may be unusual customers)."
            )
        return ""

    def _range_advice(self) -> str:
        best, ks = self.best_silhouette_k, self.k
        tried = [k for k, s in zip(ks, self.silhouette, strict=True) if s is not None]
        if best is None or len(tried) < 3:
            return ""
        if best == tried[-1] and ks[-1] < self.largest_possible_k:
            return f" The silhouette is best at the largest K tried ({best}): a wider range may find a better one."
        if best == tried[0] and tried[0] > 2:
            return f" The silhouette is best at the smallest K tried ({best}): a smaller K may be better still."
        return ""


def check_range(k_min: int, k_max: int) -> None:
    """Raise :class:`DataError` unless ``1 <= k_min <= k_max <=`` :data:`K_LIMIT`."""
    if not (1 <= k_min <= k_max <= K_LIMIT):
        raise DataError(f"The K range must satisfy 1 <= K min <= K max <= {K_LIMIT}; got {k_min}..{k_max}.")


def cut_range(k_min: int, k_max: int, n_distinct: int) -> tuple[int, list[str]]:
    """The largest K to try given ``n_distinct`` different customers, and a note when it is cut.

    Raises :class:`DataError` when not even ``k_min`` segments can be made.
    """
    if n_distinct < k_min:
        check_k(k_min, n_distinct)
    if n_distinct < k_max:
        note = f"The data has only {n_distinct} different customers, so K stops at {n_distinct} instead of {k_max}."
        return n_distinct, [note]
    return k_max, []


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
    check_range(k_min, k_max)
    k_max, notes = cut_range(k_min, k_max, count_distinct(X, limit=k_max))
    largest = k_max if notes else K_LIMIT  # cut: no more different customers than this
    ks = list(range(k_min, k_max + 1))
    sample = silhouette_rows(len(X), random_state=random_state)
    measured: dict[int, _Measured] = {}
    with _parallel(len(X), len(ks)) as pool:
        if pool is None:
            results = (_measure(X, k, random_state, sample) for k in ks)
        else:
            # Largest K first: they take longest, so the cores finish together.
            jobs = [pool.submit(_measure, X, k, random_state, sample) for k in reversed(ks)]
            results = (job.result() for job in as_completed(jobs))
        for done, (k, result) in enumerate(results, start=1):
            measured[k] = result
            if on_progress is not None and done < len(ks):
                on_progress(done, len(ks))  # the last call waits for the silhouettes
        silhouette = silhouette_scores(
            X if sample is None else X[sample], [measured[k].sample_labels for k in ks], executor=pool
        )
    if on_progress is not None:
        on_progress(len(ks), len(ks))
    inertia = [measured[k].inertia for k in ks]
    ch = [measured[k].calinski_harabasz for k in ks]
    db = [measured[k].davies_bouldin for k in ks]
    sampled = any(measured[k].sampled for k in ks)
    smallest = [measured[k].smallest for k in ks]

    return Sweep.from_criteria(
        ks,
        inertia,
        silhouette,
        ch,
        db,
        n_rows=len(X),
        silhouette_rows=len(X) if sample is None else len(sample),
        sampled=sampled,
        random_state=random_state,
        notes=notes,
        largest_possible_k=largest,
        smallest=smallest,
    )


@dataclass(frozen=True)
class _Measured:
    """What the sweep keeps of one K: its numbers, and its labels on the silhouette sample only."""

    inertia: float
    sampled: bool
    calinski_harabasz: float | None
    davies_bouldin: float | None
    sample_labels: np.ndarray
    smallest: int


def _measure(X: np.ndarray, k: int, random_state: int, sample: np.ndarray | None) -> tuple[int, _Measured]:
    partition = best_partition(X, k, random_state=random_state)
    ch, db = spread_scores(X, partition.labels)
    labels = partition.labels if sample is None else partition.labels[sample]
    smallest = int(np.bincount(partition.labels, minlength=k).min())
    return k, _Measured(partition.inertia, partition.sampled, ch, db, labels, smallest)


def _large_enough_instead(
    ks: list[int], silhouette: list[float | None], smallest: list[int], suggested: int, n_rows: int
) -> int | None:
    """The K to suggest instead of ``suggested`` when it has a segment too small to act on, or None."""
    floor = SMALL_SEGMENT_SHARE * n_rows
    at = {k: (s, m) for k, s, m in zip(ks, silhouette, smallest, strict=True)}
    if at[suggested][1] >= floor:
        return None
    reference = at[suggested][0]
    # Nearest first, fewer segments before more at the same distance.
    for k in sorted(ks, key=lambda k: (abs(k - suggested), k)):
        score, size = at[k]
        if k == suggested or size < floor or score is None or k < 2:
            continue
        if reference is None or score >= reference - _CLOSE_SILHOUETTE:
            return k
    return None


@contextmanager
def _parallel(n_rows: int, n_k: int) -> Iterator[Executor | None]:
    """A thread per core for big data; None for small data (the calling thread: the GIL would win).

    With a thread per core, BLAS and OpenMP run on one thread each for the whole sweep (see
    :func:`segmentation.threads.single_threaded`): more threads than cores only slowed each other
    down, and scikit-learn's own BLAS limit inside every KMeans fit, entered and left by parallel
    fits in any order, then cannot hand more threads back halfway through the sweep.
    """
    workers = min(cores(), n_k) if n_rows > SMALL_ROWS else 1
    if workers <= 1:
        yield None
        return
    with single_threaded(), ThreadPoolExecutor(workers, "sweep") as pool:
        yield pool


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
    notes = []
    if requested_k_max is not None and requested_k_max > ks[-1]:
        notes.append(
            f"The data has only {ks[-1]} different customers, so K stops at {ks[-1]} instead of {requested_k_max}."
        )
    first = parts[0]
    return Sweep.from_criteria(
        ks,
        inertia,
        silhouette,
        [v for part in parts for v in part.calinski_harabasz],
        [v for part in parts for v in part.davies_bouldin],
        n_rows=first.n_rows,
        silhouette_rows=first.silhouette_rows,
        sampled=any(part.sampled for part in parts),
        random_state=first.random_state,
        notes=notes,
        largest_possible_k=ks[-1] if notes else min(part.largest_possible_k for part in parts),
        smallest=[v for part in parts for v in part.smallest] if all(part.smallest for part in parts) else (),
    )

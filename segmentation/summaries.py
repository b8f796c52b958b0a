"""Summaries of a medium-sized file: a few hundred weighted micro-segments standing for its customers.

A hundred k-means++ starts on a summary cost less than one start on every row, so the search of a
file of a few thousand customers starts from them (see :mod:`segmentation.kmeans`). The summaries
depend on the data and the seed, not on K: a sweep builds them once and keeps them for the next K
and the next session on the same data.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans

from . import seeds
from .nearest import centers_of, count_distinct, nearest

__all__ = ["clear_summaries", "summaries"]


#: Above :data:`SMALL_ROWS`: micro-segments per summary of the customers. Enough that a segment
#: rarely straddles two natural groups at K <= 30, few enough that a start on them costs little.
_SUMMARY_SEGMENTS = 200


#: The micro-segments are found on at most this many rows; every row then joins its nearest one.
_SUMMARY_ROWS = 4_000


#: Independent summaries. Each has its blind spots (a micro-segment across a boundary of the best
#: partition), and two rarely share one: on the sample, one summary left 1 K in 70 (5 seeds, K=2..15)
#: more than 0.5% above the best of 100 scikit-learn starts, two none.
_SUMMARIES = 2


#: Summaries kept for the next K (and the next session on the same data), newest last; each is a
#: few hundred weighted points.
_SUMMARY_CACHE_SIZE = 8


@dataclass
class _SummarySlot:
    """The summaries of one dataset and seed, once built, and the lock held while building them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    summaries: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None


_summary_cache: OrderedDict[tuple, _SummarySlot] = OrderedDict()


_summary_lock = threading.Lock()


def summaries(X: np.ndarray, random_state: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
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
            summaries = _summarise(X, seeds.rng(random_state, seeds.SUMMARIES))
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
        labels = nearest(X, micro.cluster_centers_)
        counts = np.bincount(labels, minlength=_SUMMARY_SEGMENTS).astype(np.float64)
        used = counts > 0
        summaries.append((centers_of(X, labels, _SUMMARY_SEGMENTS)[used], counts[used]))
    return tuple(summaries)


def clear_summaries() -> None:
    """Forget every kept summary (the next search builds them again)."""
    with _summary_lock:
        _summary_cache.clear()

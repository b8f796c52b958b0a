"""The random streams: one per purpose, all derived from the user's seed, named once.

Every random choice (which rows a silhouette or a chart samples, where a search starts) draws from
a stream of its own, so one choice never shifts another, and the same seed gives the same numbers in
every run, session and process. A K's search uses the stream ``[seed, K]`` (K >= 1).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CHART_SAMPLE",
    "SEARCH_SAMPLE",
    "SILHOUETTE_SAMPLE",
    "STABILITY_RESAMPLES",
    "STABILITY_SAMPLE",
    "SUMMARIES",
    "rng",
    "search_rng",
]

#: The rows the search of a large file runs on (shared by every K, so the samples are nested).
SEARCH_SAMPLE = (0,)
#: The micro-segment summaries of a medium file (shared by every K).
SUMMARIES = (0, 1)
#: The customers the silhouette is measured on when there are many.
SILHOUETTE_SAMPLE = (1,)
#: The customers the 3D chart draws when there are many.
CHART_SAMPLE = (2,)
#: The customers stability is measured on when there are many.
STABILITY_SAMPLE = (3,)
#: Stability's resamples: ``(4, i)`` for the i-th.
STABILITY_RESAMPLES = (4,)


def rng(random_state: int, stream: tuple[int, ...], *more: int) -> np.random.Generator:
    """The generator of one stream for a seed (``more`` picks a sub-stream, e.g. a resample).

    Examples
    --------
    >>> rng(0, CHART_SAMPLE).integers(100) == rng(0, CHART_SAMPLE).integers(100)
    np.True_
    """
    return np.random.default_rng([random_state, *stream, *more])


def search_rng(random_state: int, k: int) -> np.random.Generator:
    """The generator of the k-means search for ``k`` segments (the stream ``[seed, k]``)."""
    return np.random.default_rng([random_state, k])

"""How many threads the work may use: the cores this process has, and limits that hold across sessions.

In the app several sessions run sweeps in threads of one process, while BLAS's thread count is
process-wide and OpenMP's is per thread. The k-means search, the sweep's silhouettes and the
stability resamples all spread work over :func:`cores` threads; they hold BLAS to one thread while
they do (:func:`single_threaded`) and run scikit-learn's Lloyd on one OpenMP thread
(:func:`one_openmp_thread`) so that a result never depends on the thread count.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from threadpoolctl import ThreadpoolController

__all__ = ["cores", "one_openmp_thread", "single_threaded"]


@cache
def _threadpools() -> ThreadpoolController:
    # Inspecting the loaded libraries takes milliseconds; once per process is enough.
    return ThreadpoolController()


class _SharedLimit:
    """One BLAS thread for as long as anyone in the process asks for it.

    The BLAS thread count is process-wide, and in the app several sessions run sweeps in threads
    at once. Had each caller set the limit and restored what it found, the first to leave would
    hand every thread back to BLAS while another was still inside, and a caller that entered while
    the limit was on would later restore the limit itself, for good. Here the first caller to enter
    sets it and the last to leave, often another thread, restores BLAS's own count, as found the
    first time: a count found later may be someone else's passing limit (scikit-learn sets one
    around every fit), and restoring it could leave BLAS on one thread for good.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._first = None  # the first limit set: it remembers BLAS's own thread count

    def enter(self) -> None:
        with self._lock:
            if self._users == 0:
                # Only the BLAS libraries: restoring must not touch this thread's OpenMP count.
                limiter = _threadpools().select(user_api="blas").limit(limits=1)
                self._first = self._first or limiter
                _let_go_of_blas()
            self._users += 1

    def exit(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self._first.restore_original_limits()
                _let_go_of_blas()


def _let_go_of_blas() -> None:
    """Let another thread change OpenBLAS's thread count next.

    threadpoolctl (3.8 and later) lets one thread at a time change OpenBLAS's shared pool: the
    first to set it keeps that right until it lets go, and the others' changes are ignored. The
    shared limit is often lifted by another thread than the one that set it, so let go at once.
    """
    for library in _threadpools().lib_controllers:
        release = getattr(library, "clear_controlling_thread", None)
        if release is not None:
            release()  # only lets go if this thread holds it


_one_blas_thread = _SharedLimit()


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run BLAS on one thread while this block runs, for work spread over threads.

    With a thread per core already busy, more BLAS threads than cores only slowed things down (2x
    on the silhouette blocks). The BLAS limit is process-wide: it is set when the first caller (of
    any thread) enters and lifted when the last one leaves, so blocks may overlap and nest. Results
    never depend on it. OpenMP's thread count is per thread: each search sets it for itself (see
    :func:`one_openmp_thread`), so it is left alone here.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded():
    ...     float(np.ones((3, 3)) @ np.ones(3) @ np.ones(3))
    9.0
    """
    _one_blas_thread.enter()
    try:
        yield
    finally:
        _one_blas_thread.exit()


def cores() -> int:
    """CPU cores this process may use (its affinity mask where the platform has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextmanager
def one_openmp_thread() -> Iterator[None]:
    """Run scikit-learn's OpenMP loops (Lloyd's algorithm) on one thread, in this thread only.

    Their summation order changes with the thread count, so each K always runs on one thread and
    gives the same partition alone, in a sweep of any range, or on a machine with more cores.
    ``omp_set_num_threads`` is per thread: no race with other threads (other K, other users). The
    search's own matrix products have a short inner dimension (the features) or avoid BLAS, so
    BLAS's thread count cannot change them.
    """
    with _threadpools().limit(limits=1, user_api="openmp"):
        yield

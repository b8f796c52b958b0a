"""The criteria of ranges of K, kept for every session of the server, and measured ahead of the user.

A plain module (no Streamlit call): its functions run in script threads and in the background thread
that measures the next page's range while the user still reads the current page.

Not ``st.cache_data``: the sweep moves the page's progress bar while it runs, and ``st.cache_data``
records such calls to replay them on a hit, in another session whose page has no such bar (Streamlit
then fails with a CacheReplayClosureError). A range is measured once: a page that asks for a range
being measured (ahead of time, or by another session) follows that measurement's progress and takes
its result instead of starting a second one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

import segmentation as sg

__all__ = ["clear", "measure_ahead", "sweep"]

#: Ranges of K whose criteria are kept for every session (a few numbers per K each).
KEPT = 200
#: Seconds between two looks at a measurement another thread runs (each look may update the page).
_POLL = 0.05

_done: OrderedDict[tuple, sg.Sweep] = OrderedDict()
_running: dict[tuple, Future] = {}
_progress: dict[tuple, tuple[int, int]] = {}
_lock = threading.Lock()
#: The next range to measure ahead, waiting for the one background thread (only the newest waits).
_next: list[tuple[sg.Prepared, tuple, Future]] = []
_worker: threading.Thread | None = None

ProgressCallback = Callable[[int, int], None]


def clear(timeout: float = 120.0) -> None:
    """Forget every kept range, once the measurements under way have finished (so none is kept after)."""
    with _lock:
        _drop_waiting()
        under_way = list(_running.values())
    for running in under_way:
        try:
            running.result(timeout=timeout)
        except Exception:  # noqa: BLE001, S110 - a failed or stopped measurement keeps nothing either
            pass
    with _lock:
        _done.clear()


def sweep(
    prepared: sg.Prepared, key: tuple, k_min: int, k_max: int, seed: int, on_progress: ProgressCallback | None = None
) -> sg.Sweep:
    """The sweep of ``prepared`` over ``k_min..k_max``, measured once for every session.

    ``prepared`` is prepared data or a scaled matrix; ``key`` names it and its options (e.g. the
    file's SHA-256 and the options); ``on_progress`` is called as ``on_progress(done, total)`` while
    it runs, here or in another thread.
    """
    full_key = (*key, k_min, k_max, seed)
    while True:
        with _lock:
            if full_key in _done:
                _done.move_to_end(full_key)
                return _done[full_key]
            running = _running.get(full_key)
            if running is None:
                running = _running[full_key] = Future()
                break
        result = _follow(full_key, running, on_progress)
        if result is not None:
            return result
        # The other measurement stopped without a result: measure here (and meet its error, if any).
    return _measure(prepared, full_key, running, on_progress)


def measure_ahead(prepared: sg.Prepared, key: tuple, k_min: int, k_max: int, seed: int) -> None:
    """Start measuring a range in a background thread, unless it is kept or under way already.

    For the range the user will most likely look at next: the elbow page then opens on a result that
    is ready, or on one well under way. The thread also imports what that page draws with.

    One thread measures ahead, one range at a time: a range asked for while another is measured waits,
    and is replaced by any newer one (options changed twice in a row measure the last choice, not both).
    """
    global _worker
    full_key = (*key, k_min, k_max, seed)
    with _lock:
        if full_key in _done or full_key in _running:
            return
        _drop_waiting()
        _next.append((prepared, full_key, _running.setdefault(full_key, Future())))
        if _worker is None:
            _worker = threading.Thread(target=_work_ahead, name="sweep-ahead", daemon=True)
            _worker.start()


def _drop_waiting() -> None:
    """Forget the range waiting to be measured ahead (under the lock); a page asking for it measures it."""
    for _, full_key, running in _next:
        _running.pop(full_key, None)
        running.set_result(None)
    _next.clear()


def _work_ahead() -> None:
    global _worker
    while True:
        with _lock:
            if not _next:
                _worker = None
                return
            prepared, full_key, running = _next.pop()
        _ahead(prepared, full_key, running)


def _ahead(prepared: sg.Prepared, full_key: tuple, running: Future) -> None:
    import segmentation.charts  # noqa: F401 - plotly: the elbow page draws with it
    import segmentation.stability  # noqa: F401

    try:
        _measure(prepared, full_key, running, None)
    except sg.DataError:
        pass  # a page asking for this range measures it again, and shows the message
    except RuntimeError:
        if threading.main_thread().is_alive():
            raise
        # The server is stopping: its thread pools refuse new work, and nobody waits for this range.


def _measure(prepared: sg.Prepared, full_key: tuple, running: Future, on_progress: ProgressCallback | None) -> sg.Sweep:
    def report(done: int, total: int) -> None:
        _progress[full_key] = (done, total)
        if on_progress is not None:
            on_progress(done, total)

    *_, k_min, k_max, seed = full_key
    result = None
    try:
        result = sg.sweep(prepared, k_min=k_min, k_max=k_max, random_state=seed, on_progress=report)
    finally:
        # Also when stopped (an error, or Streamlit stopping the page's run): whoever follows measures again.
        with _lock:
            if result is not None:
                _done[full_key] = result
                while len(_done) > KEPT:
                    _done.popitem(last=False)
            _running.pop(full_key, None)
            _progress.pop(full_key, None)
        running.set_result(result)
    return result


def _follow(full_key: tuple, running: Future, on_progress: ProgressCallback | None) -> sg.Sweep | None:
    """Wait for a measurement another thread runs, passing its progress on; None if it stopped without a result."""
    shown = None
    while not running.done():
        now = _progress.get(full_key)
        if on_progress is not None and now is not None and now != shown:
            on_progress(*now)
            shown = now
        time.sleep(_POLL)
    return running.result()

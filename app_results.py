"""What the Segments and Score pages show, built from the session's cached results: the K on screen,
its stability, the report of the segments on screen and the segments as a scoring model.

Glue for the pages over :mod:`app_state` (which keeps the session's state and the shared caches).
"""

from __future__ import annotations

import streamlit as st

import app_state
import segmentation as sg
from segmentation.stability import stability_by_default

__all__ = ["current_k", "report_html", "screen_model", "stability_at"]


def current_k() -> int:
    """The K every page shows: the one chosen on the elbow page, else the suggestion for the range
    (the first time, with a progress bar while the range of K is tried)."""
    if app_state.CHOSEN_K not in st.session_state:
        progress = st.progress(0.0, text="Finding a good number of segments…")
        result = app_state.or_explain(
            app_state.sweep,
            *app_state.k_range(),
            on_progress=lambda done, total: progress.progress(
                done / total, text=f"Tried {done} of {total} values of K…"
            ),
        )
        progress.empty()
        app_state.set_chosen_k(app_state.k_for(result))
    return app_state.chosen_k(default=2)


def stability_at(k: int) -> sg.Stability | None:
    """The stability of the segments at ``k`` when it is checked by default (see the elbow page), with a
    progress bar while it runs; None when not checked."""
    if k < 2 or not stability_by_default(app_state.prepared().n_segmented):
        return None
    checking = st.progress(0.0, text="Checking how stable the segments are…")
    (result,) = app_state.or_explain(
        app_state.stability,
        [k],
        on_progress=lambda done, total: checking.progress(done / total, text="Checking how stable the segments are…"),
    )
    checking.empty()
    return result


def report_html(result: sg.Segmentation, names: tuple[str, ...], stable: sg.Stability | None) -> str:
    """The HTML report of the segments on screen (see :mod:`segmentation.report`), with the names typed."""
    current, opts = app_state.dataset(), app_state.options()
    low, high = app_state.k_range()
    compared = app_state.sweep(low, high) if low <= result.k <= high else None
    key = (current.digest, opts, result.k, app_state.SEED, names, (low, high), stable is not None)
    return _report_cached(result, compared, stable, key)


@st.cache_data(max_entries=8, max_size="80MB", show_spinner="Writing the report…")
def _report_cached(
    _result: sg.Segmentation, _compared: sg.Sweep | None, _stable: sg.Stability | None, key: tuple
) -> str:
    from segmentation.report import report_html as write

    names = key[4]
    return write(_result, names=names, sweep=_compared, stability=[] if _stable is None else [_stable], title=None)


def screen_model() -> tuple[sg.RunModel, int]:
    """The segments on screen (the current data at the chosen K, with the names typed) as a scoring
    model, the same as their run file would give; and K."""
    k = current_k()
    result = app_state.or_explain(app_state.segmentation, k)
    names = app_state.segment_names(k, app_state.profile(result).names)
    return sg.read_run_file(sg.run_config(result, names=names, rollup=app_state.rollup())), k

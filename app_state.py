"""The Streamlit glue shared by the pages: session-state keys, cached core calls, guards.

Every user's data lives in their own ``st.session_state`` only. The expensive core calls are cached
across sessions, keyed by the file's SHA-256 plus the options (never by hashing a big DataFrame: the
big objects are passed as ``_underscore`` arguments), and every cache is bounded so a busy server
cannot run out of memory:

=========================  ===========  ========  =====================================================
cache                      max_entries  max_size  holds
=========================  ===========  ========  =====================================================
``app_prepared``           12           1.5 GB    the loaded file, its roll-up if a log, the prepared customers
``_rfm_cached``            8            200 MB    the RFM scores and cells of a log's customers
``app_sweeps``             200          < 1 MB    the criteria of a range of K (own LRU, see there)
``_stability_cached``      600          50 MB     the resampling agreement at one K
``_fit_cached``            24           600 MB    labels, fit scores and distances of one segmentation
``_profile_cached``        48           50 MB     the per-segment summary tables
``_report_cached``         8            80 MB     the HTML report of a run and its names (in app_results)
=========================  ===========  ========  =====================================================

The prepared data is one object per file, shared by the cache and the sessions: see :mod:`app_prepared`.

Within a session the current prepared data and segmentation are also kept in session state, so a
rerun (a slider move, a page switch) reuses them without a cache lookup.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import pandas as pd
import streamlit as st

import app_prepared
import app_sweeps
import segmentation as sg
from app_options import Dataset, PrepOptions
from app_show import literal
from segmentation.load import file_hash

# Session-state keys: the only place they are spelled out.
DATASET = "dataset"
OPTIONS = "prep_options"
K_RANGE = "k_range"
CHOSEN_K = "chosen_k"
K_RANGE_SLIDER = "k_range_slider"
SEGMENTS_TAB = "segments_tab"
K_SLIDER = "k_slider"
STABILITY_TOGGLE = "stability_toggle"
_STABILITY_WANTED = "_stability_wanted"
_K_FROM_USER = "_k_from_user"
NAMES = "segment_names"
UPLOAD_ERROR = "upload_error"
UPLOADER = "uploader"
_UPLOADER_GENERATION = "_uploader_generation"
_LAST_UPLOAD = "_last_upload"
#: The session's customers and prepared data, with the key they were made for (tests read it too).
PREPARED = "_prepared"
_SEGMENTATION = "_segmentation"
_SWEEP_PARTS = "_sweep_parts"

#: Said when reading an upload ran out of memory.
OUT_OF_MEMORY = (
    "The server ran out of memory reading this file. Upload a smaller file (fewer rows, or only the "
    "columns you need), or try again later."
)

DEFAULT_K_RANGE = (2, 10)
#: The Segments page's tabs (their labels are their state: constant, so the open tab survives reruns).
SEGMENT_TABS = (
    "3D view",
    "Segment cards",
    "Profiles",
    "Tables",
    "Compare with another K",
    "Customers who fit worst",
)
SEED = 0

UPLOAD_PAGE = "pages/upload.py"
ELBOW_PAGE = "pages/elbow.py"
CLUSTERS_PAGE = "pages/clusters.py"
SCORE_PAGE = "pages/score.py"


_RETURN_TO = "_return_to"
_this_run = threading.local()  # one script run = one thread at a time; never shared between sessions


# --------------------------------------------------------------------------------------------------
# Routing


def router_ran() -> None:
    """Called by ``app.py`` on every run, before the page runs."""
    _this_run.router = True
    _this_run.k_slot = None  # the sidebar of this run makes a new one


def start_router_page() -> None:
    """After ``st.navigation`` in ``app.py``: finish a redirect started by :func:`page_setup`."""
    target = st.session_state.pop(_RETURN_TO, None)
    if target is not None:
        st.switch_page(target)


def page_setup(page: str) -> None:
    """First call of every page: make sure the router (``app.py``) ran.

    Streamlit treats a folder called ``pages/`` next to the entry script as its older multipage
    layout until ``st.navigation`` has run once in the server process: a first visit straight to
    ``/clusters`` would then run the page alone, without ``app.py``. This sends such a visit
    through ``app.py`` (which loads the sample) and back to the page, and otherwise draws the shared
    sidebar when the router did not.
    """
    ran = getattr(_this_run, "router", False)
    _this_run.router = False
    if ran:
        return
    if DATASET not in st.session_state:
        st.session_state[_RETURN_TO] = page
        st.switch_page("app.py")
    sidebar()


# --------------------------------------------------------------------------------------------------
# Session state


def init_session() -> None:
    """Load the built-in sample on a first visit, so every page works before any upload."""
    if DATASET not in st.session_state:
        data = _sample_bytes()
        st.session_state[DATASET] = Dataset(sg.DEMO_NAME, data, file_hash(data), is_sample=True)
        st.session_state[OPTIONS] = PrepOptions()
        st.session_state[K_RANGE] = DEFAULT_K_RANGE
        st.session_state[NAMES] = {}


def dataset() -> Dataset | None:
    return st.session_state.get(DATASET)


def options() -> PrepOptions:
    return st.session_state.get(OPTIONS, PrepOptions())


def set_options(new: PrepOptions) -> None:
    """Use new preparation options, if the data can be prepared with them.

    Raises
    ------
    DataError
        When the options cannot work (the current options are kept).
    """
    if new == options():
        return
    current = dataset()
    app_prepared.prepared_for(current.data, current.digest, current.name, new)
    st.session_state[OPTIONS] = new
    _forget_k()


def uploader_key() -> str:
    """The upload widget's key; it changes when the sample is chosen, which empties the widget."""
    return f"{UPLOADER}_{st.session_state.get(_UPLOADER_GENERATION, 0)}"


def handle_upload(uploaded) -> str | None:
    """Switch to a newly uploaded file; return the error message when it cannot be used.

    A file is read once: reruns with the same upload (a slider move, a page switch) reuse the
    outcome, so a bad file's message stays on screen without parsing it again.
    """
    if uploaded is None:
        return None
    if st.session_state.get(_LAST_UPLOAD) != uploaded.file_id:
        st.session_state[_LAST_UPLOAD] = uploaded.file_id
        try:
            use_upload(uploaded.name, uploaded.getvalue())
        except sg.DataError as error:
            st.session_state[UPLOAD_ERROR] = str(error)
        except MemoryError:
            # The server's memory, not the file's fault; the memory is free again once this returns.
            st.session_state[UPLOAD_ERROR] = OUT_OF_MEMORY
        else:
            st.session_state.pop(UPLOAD_ERROR, None)
            measure_ahead()  # already while the page is drawn again
            st.rerun()  # so the sidebar, drawn before this page, names the new data
    return st.session_state.get(UPLOAD_ERROR)


def use_upload(name: str, data: bytes) -> None:
    """Make an uploaded file the current data, if it reads; otherwise keep the previous data.

    Raises
    ------
    DataError
        With the core's message when the file cannot be a customer table.
    """
    digest = file_hash(data)
    current = dataset()
    if current is not None and current.digest == digest and current.name == name:
        return
    # Prepare before switching, so a bad file never replaces good data.
    start = PrepOptions()
    try:
        app_prepared.prepared_for(data, digest, name, start, max_bytes=_max_upload_bytes())
    except sg.DataError:
        # Perhaps only the roll-up of what looked like a log failed: read it as a customer table then
        # (the upload page offers the roll-up, and says what is wrong with it).
        start = PrepOptions(log=sg.LogOptions(transactions="no"))
        app_prepared.prepared_for(data, digest, name, start, max_bytes=_max_upload_bytes())
    _switch_to(Dataset(name, data, digest), start)


def use_sample() -> None:
    data = _sample_bytes()
    _switch_to(Dataset(sg.DEMO_NAME, data, file_hash(data), is_sample=True), PrepOptions())
    st.session_state[_UPLOADER_GENERATION] = st.session_state.get(_UPLOADER_GENERATION, 0) + 1
    st.session_state.pop(UPLOAD_ERROR, None)


def _switch_to(new: Dataset, opts: PrepOptions) -> None:
    st.session_state[DATASET] = new
    st.session_state[OPTIONS] = opts
    _forget_k()
    st.session_state.pop(_STABILITY_WANTED, None)  # a new file: its stability check waits for a click again
    st.session_state.pop(PREPARED, None)
    st.session_state.pop(_SEGMENTATION, None)


def require_data() -> tuple[Dataset, sg.Prepared]:
    """The current data, prepared; or a short guide to the upload page and ``st.stop()``."""
    current = dataset()
    if current is None:
        st.info("No customer data is loaded yet. Upload a customer file (or use the sample) to start.")
        st.page_link(UPLOAD_PAGE, label="Go to Upload", icon=":material/upload_file:")
        st.stop()
    try:
        return current, prepared()
    except sg.DataError as error:
        st.error(literal(str(error)))
        st.page_link(UPLOAD_PAGE, label="Change the data or its options", icon=":material/upload_file:")
        st.stop()


def automatic_columns() -> tuple[sg.ColumnReport, ...]:
    """The current file's columns as read with no choices: the reference the column table edits."""
    current = dataset()
    _, automatic = app_prepared.prepared_for(current.data, current.digest, current.name, PrepOptions(log=options().log))
    return automatic.reports


def prepared() -> sg.Prepared:
    """The current data prepared with the current options (session memo, then the shared cache)."""
    return _customers_and_prepared()[1]


def customers() -> sg.Customers:
    """The current file read as customers: the file, and its roll-up when it is a transaction log."""
    return _customers_and_prepared()[0]


def rollup() -> sg.Rollup | None:
    """The current file's roll-up to one row per customer, or None when it is a customer table."""
    return customers().rollup


def set_log_options(new: sg.LogOptions) -> None:
    """Read the file as customers another way; the column choices start afresh (the columns change).

    Raises
    ------
    DataError
        When the file cannot be read that way (the current options are kept).
    """
    if new != options().log:
        set_options(PrepOptions(log=new))


def rfm_scores() -> pd.DataFrame | None:
    """The R, F and M scores and RFM cell of each customer of a log (None for a customer table)."""
    current, log = dataset(), rollup()
    return None if log is None else _rfm_cached(log, current.digest, current.name, options().log)


def _customers_and_prepared() -> tuple[sg.Customers, sg.Prepared]:
    current, opts = dataset(), options()
    key = (current.digest, current.name, opts)
    memo = st.session_state.get(PREPARED)
    if memo is not None and memo[0] == key:
        return memo[1]
    result = app_prepared.prepared_for(current.data, current.digest, current.name, opts)
    st.session_state[PREPARED] = (key, result)
    return result


def run_key(k: int) -> tuple:
    """Identity of a segmentation: data, options, K and seed (names are kept per run key)."""
    current, opts = dataset(), options()
    return (current.digest, opts, k, SEED)


def chosen_k(default: int) -> int:
    return int(st.session_state.get(CHOSEN_K, default))


def set_chosen_k(k: int) -> None:
    """Make ``k`` the K of every page, and say so in the sidebar at once (it is drawn before the page)."""
    st.session_state[CHOSEN_K] = int(k)
    slot = getattr(_this_run, "k_slot", None)
    if slot is not None:
        _show_k(slot, int(k))


def _forget_k() -> None:
    st.session_state.pop(CHOSEN_K, None)
    st.session_state.pop(_K_FROM_USER, None)


def k_for(sweep: sg.Sweep) -> int:
    """The K to show with ``sweep``: the one the user picked while it is in the range, else the suggestion.

    Until the user moves the K slider, K follows the suggestion (which changes with the range).
    """
    chosen = st.session_state.get(CHOSEN_K)
    if st.session_state.get(_K_FROM_USER) and chosen is not None and chosen in sweep.k:
        return int(chosen)
    return sweep.suggested_k


def k_picked() -> None:
    """``on_change`` of the K slider: the user's K, before the script (and the sidebar) runs again."""
    st.session_state[_K_FROM_USER] = True
    st.session_state[CHOSEN_K] = int(st.session_state[K_SLIDER])


def use_suggested_k(k: int) -> None:
    """``on_click`` of "Use the suggested K": back to following the suggestion."""
    st.session_state[_K_FROM_USER] = False
    st.session_state[CHOSEN_K] = int(k)


def k_range() -> tuple[int, int]:
    return tuple(st.session_state.get(K_RANGE, DEFAULT_K_RANGE))


def set_k_range(value: tuple[int, int]) -> None:
    st.session_state[K_RANGE] = (int(value[0]), int(value[1]))


def k_range_picked() -> None:
    """``on_change`` of the range slider: keep the range where page switches do not drop it."""
    set_k_range(st.session_state[K_RANGE_SLIDER])


def stability_wanted() -> bool:
    """Whether the user asked for the elbow page's stability check (off until asked, for each new file)."""
    return bool(st.session_state.get(_STABILITY_WANTED, False))


def stability_toggled() -> None:
    """``on_change`` of the stability toggle: keep the choice where page switches do not drop it."""
    st.session_state[_STABILITY_WANTED] = bool(st.session_state[STABILITY_TOGGLE])


def set_widget(key: str, value) -> None:
    """Give a keyed widget its value through session state, before it is drawn.

    A widget's value lives in session state under its key and nowhere else: passing ``value=`` too
    would make Streamlit reset the widget whenever that default changes (a slider "ignoring every
    second move"). Widget keys are dropped when the user leaves the page; the plain keys
    (:data:`K_RANGE`, :data:`CHOSEN_K`) keep the values across pages and set them again here.

    Set on every run, even when unchanged: a slider whose bounds change becomes a new widget, which
    would otherwise start at its minimum.
    """
    st.session_state[key] = value


def segment_names(k: int, automatic: tuple[str, ...]) -> tuple[str, ...]:
    """The user's names for the segments at this K, falling back to the automatic ones."""
    saved = st.session_state.setdefault(NAMES, {}).get(run_key(k))
    return tuple(saved) if saved is not None and len(saved) == k else automatic


def set_segment_names(k: int, names: list[str]) -> None:
    st.session_state.setdefault(NAMES, {})[run_key(k)] = tuple(names)


# --------------------------------------------------------------------------------------------------
# Cached core calls (they draw nothing and write no session state)


@st.cache_data(max_entries=8, max_size="200MB", show_spinner=False)
def _rfm_cached(_rollup: sg.Rollup, digest: str, name: str, log: sg.LogOptions) -> pd.DataFrame:
    return sg.rfm_scores(_rollup)


def clear_caches() -> None:
    """Forget every cached result, shared or not (for tests, and for an admin after an upgrade)."""
    st.cache_data.clear()
    app_prepared.clear()
    app_sweeps.clear()


@st.cache_data(max_entries=24, max_size="600MB", show_spinner="Finding the segments…")
def _fit_cached(_prepared: sg.Prepared, digest: str, opts: PrepOptions, k: int, seed: int) -> sg.Segmentation:
    # Without its (large) prepared data: it is re-attached from the session on the way out.
    return dataclasses.replace(sg.fit(_prepared, k, random_state=seed), prepared=None)


@st.cache_data(max_entries=48, max_size="50MB", show_spinner=False)
def _profile_cached(_segmentation: sg.Segmentation, digest: str, opts: PrepOptions, k: int, seed: int) -> sg.Profile:
    return sg.describe(_segmentation)


@st.cache_data(max_entries=600, max_size="50MB", show_spinner=False)
def _stability_cached(_prepared: sg.Prepared, digest: str, opts: PrepOptions, k: int, seed: int) -> sg.Stability:
    return sg.stability(_prepared, k, random_state=seed)


@st.cache_data(max_entries=1, show_spinner=False)
def _sample_bytes() -> bytes:
    return sg.demo_csv()


def distinct_customers(*, limit: int) -> int:
    """How many different customers the current data holds (``limit + 1`` once known to be more)."""
    from segmentation.nearest import count_distinct

    return count_distinct(prepared().matrix, limit=limit)


def sweep(k_min: int, k_max: int, *, on_progress: Callable[[int, int], None] | None = None) -> sg.Sweep:
    """The sweep of the current data over ``k_min..k_max``.

    The K this session has measured are kept in its state, so widening the range measures only the
    new K; those are measured in one core call (they share the silhouette's distance matrix and the
    cores: about four times faster than one K at a time on 100,000 rows), cached across sessions.
    """
    # Imported here, not at the top: the first page (the upload) does without the sweep's imports.
    from segmentation.sweep import combine_sweeps, cut_range

    current, opts, data = dataset(), options(), prepared()
    # The note on a cut range comes back from combine_sweeps (requested_k_max).
    top, _ = cut_range(k_min, k_max, distinct_customers(limit=k_max))
    key = (current.digest, opts, SEED)
    memo = st.session_state.get(_SWEEP_PARTS)
    parts: dict[int, sg.Sweep] = dict(memo[1]) if memo is not None and memo[0] == key else {}
    missing = [k for k in range(k_min, top + 1) if k not in parts]
    if missing:
        # One span, even when a K inside it is known: cheaper than two calls.
        measured = app_sweeps.sweep(data, (current.digest, opts), missing[0], missing[-1], SEED, on_progress)
        parts.update((part.k[0], part) for part in measured.per_k())
        st.session_state[_SWEEP_PARTS] = (key, parts)
    elif on_progress is not None:
        on_progress(1, 1)
    return combine_sweeps([parts[k] for k in range(k_min, top + 1)], requested_k_max=k_max)


def measure_ahead() -> None:
    """After a page is drawn: measure this session's range of K in the background, unless it has been.

    The elbow page is where a person goes next; it then opens on criteria that are ready, or under way.
    """
    current = dataset()
    if current is None:
        return
    memo = st.session_state.get(_SWEEP_PARTS)
    if memo is not None and memo[0] == (current.digest, options(), SEED):
        return  # this session has measured K already
    try:
        data = prepared()
    except sg.DataError:
        return
    app_sweeps.measure_ahead(data, (current.digest, options()), *k_range(), SEED)


def stability(ks: range | list[int], *, on_progress: Callable[[int, int], None] | None = None) -> list[sg.Stability]:
    """How stable the current data's segments are at each K (each K cached alone, like the sweep)."""
    current, opts, data = dataset(), options(), prepared()
    results = []
    for done, k in enumerate(ks, start=1):
        results.append(_stability_cached(data, current.digest, opts, k, SEED))
        if on_progress is not None:
            on_progress(done, len(ks))
    return results


def or_explain(compute: Callable, *args, **kwargs):
    """Run a core call; on a problem in the data show its message (and the way back) and stop."""
    try:
        return compute(*args, **kwargs)
    except sg.DataError as error:
        st.error(literal(str(error)), icon=":material/error:")
        st.page_link(UPLOAD_PAGE, label="Change the data or its options", icon=":material/upload_file:")
        st.stop()


def segmentation(k: int) -> sg.Segmentation:
    """The segmentation at ``k`` of the current data (session memo, then the shared cache)."""
    key = run_key(k)
    memo = st.session_state.get(_SEGMENTATION)
    if memo is not None and memo[0] == key:
        return memo[1]
    current, opts, data = dataset(), options(), prepared()
    light = _fit_cached(data, current.digest, opts, k, SEED)
    result = dataclasses.replace(light, prepared=data)
    st.session_state[_SEGMENTATION] = (key, result)
    return result


def segmentation_at(k: int) -> sg.Segmentation:
    """The segmentation of the current data at another K, e.g. to compare with the chosen one (shared cache only)."""
    current, opts, data = dataset(), options(), prepared()
    return dataclasses.replace(_fit_cached(data, current.digest, opts, k, SEED), prepared=data)


def profile(result: sg.Segmentation) -> sg.Profile:
    """The automatic profile of a segmentation (names not applied: see :func:`segment_names`)."""
    current, opts = dataset(), options()
    return _profile_cached(result, current.digest, opts, result.k, SEED)


def _max_upload_bytes() -> int:
    return int(st.get_option("server.maxUploadSize")) * 1024 * 1024


# --------------------------------------------------------------------------------------------------
# Shared layout


def sidebar() -> None:
    """Always say which data is loaded, how big it is, and what was chosen."""
    current = dataset()
    with st.sidebar:
        st.markdown("### Your data")
        if current is None:
            st.caption("No data loaded.")
            return
        st.markdown(f"**{literal(current.label)}**")
        try:
            result = prepared()
        except sg.DataError:
            st.caption("This data cannot be segmented with the current options.")
            return
        log = rollup()
        size = f"{result.n_rows:,} rows" if log is None else f"{result.n_rows:,} customers from {log.n_log_rows:,} rows"
        st.caption(f"{size} · {len(result.table.columns)} columns · {len(result.columns)} used to segment")
        # A slot the page fills again when it changes K, so the sidebar never shows the previous K.
        _this_run.k_slot = st.empty()
        k = st.session_state.get(CHOSEN_K)
        if k is not None:
            _show_k(_this_run.k_slot, int(k))


def _show_k(slot, k: int) -> None:
    slot.caption(f"Chosen number of segments: **K = {k}**")

"""The elbow page's timing behaviour: the criteria of a range of K are measured once for every session
(ahead of the page, while the user reads the upload page), and stability is checked on a click only."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from helpers import ROOT
from streamlit.testing.v1 import AppTest

import app_state
import app_sweeps
import segmentation as sg

APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def fresh_caches():
    app_state.clear_caches()
    yield
    app_state.clear_caches()


@pytest.fixture
def counted(monkeypatch):
    """Count the core's sweeps (each call of ``segmentation.sweep``)."""
    calls = []
    real = sg.sweep

    def sweep(*args, **kwargs):
        calls.append(kwargs.get("k_max"))
        return real(*args, **kwargs)

    monkeypatch.setattr(sg, "sweep", sweep)
    return calls


def blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.r_[rng.normal(0, 1, (80, 2)), rng.normal(8, 1, (60, 2)), rng.normal((0, 9), 1, (40, 2))]


def test_a_range_is_measured_once_and_gives_the_core_numbers(counted):
    X = blobs()
    first = app_sweeps.sweep(X, ("blobs",), 2, 5, 0)
    again = app_sweeps.sweep(X, ("blobs",), 2, 5, 0)
    assert again is first and counted == [5]
    assert first.inertia == sg.sweep(X, k_min=2, k_max=5, random_state=0).inertia


def test_a_page_takes_the_range_measured_ahead_with_its_progress(monkeypatch):
    started, release = threading.Event(), threading.Event()
    calls = []
    real = sg.sweep

    def held_sweep(*args, on_progress=None, **kwargs):
        calls.append(kwargs["k_max"])
        on_progress(1, 5)  # the first K done, then held until the page follows
        started.set()
        release.wait(30)
        return real(*args, on_progress=on_progress, **kwargs)

    monkeypatch.setattr(sg, "sweep", held_sweep)
    X = blobs(1)
    app_sweeps.measure_ahead(X, ("blobs",), 2, 6, 0)
    app_sweeps.measure_ahead(X, ("blobs",), 2, 6, 0)  # under way already: not a second time
    assert started.wait(30)
    seen = []

    def follow(done: int, total: int) -> None:
        seen.append((done, total))
        release.set()  # the page has shown the progress made ahead: let the measurement finish

    result = app_sweeps.sweep(X, ("blobs",), 2, 6, 0, on_progress=follow)
    assert calls == [6]
    assert result.k == (2, 3, 4, 5, 6) and result.inertia == real(X, k_min=2, k_max=6).inertia
    assert seen[0] == (1, 5) and all(total == 5 for _, total in seen)


def test_ranges_asked_ahead_in_a_row_measure_the_last_one_not_all(monkeypatch):
    """One background thread: a range waiting behind another is replaced by a newer one."""
    started, release = threading.Event(), threading.Event()
    calls = []
    real = sg.sweep

    def slow_sweep(*args, **kwargs):
        calls.append(kwargs["k_max"])
        started.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(sg, "sweep", slow_sweep)
    X = blobs(2)
    app_sweeps.measure_ahead(X, ("blobs",), 2, 4, 0)
    assert started.wait(30)
    for k_max in (5, 6, 7):  # options changed three times while the first range is measured
        app_sweeps.measure_ahead(X, ("blobs",), 2, k_max, 0)
    release.set()
    assert app_sweeps.sweep(X, ("blobs",), 2, 7, 0).k == (2, 3, 4, 5, 6, 7)
    assert calls == [4, 7]  # 5 and 6 were dropped before they started
    app_sweeps.clear()  # waits for what is under way: nothing is kept after it
    assert app_sweeps.sweep(X, ("blobs",), 2, 4, 0).k == (2, 3, 4) and calls == [4, 7, 4]


def test_a_measurement_that_fails_ahead_is_measured_again_by_the_page(monkeypatch):
    X = blobs(2)
    started, release = threading.Event(), threading.Event()
    real = sg.sweep

    def failing_once(*args, **kwargs):
        if not started.is_set():
            started.set()
            release.wait(10)
            raise sg.DataError("not this time")
        return real(*args, **kwargs)

    monkeypatch.setattr(sg, "sweep", failing_once)
    app_sweeps.measure_ahead(X, ("blobs",), 2, 4, 0)
    assert started.wait(10)
    threading.Timer(0.2, release.set).start()  # fails while the page follows it
    assert app_sweeps.sweep(X, ("blobs",), 2, 4, 0).k == (2, 3, 4)


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def stability_shown(at: AppTest) -> bool:
    return any("Stability" in c.proto.spec for c in at.get("plotly_chart"))


@pytest.mark.slow
def test_the_elbow_page_uses_the_range_measured_ahead(counted):
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()  # the upload page: its range of K is measured in the background once it is drawn
    deadline = time.monotonic() + 30
    while not counted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counted == [10]  # started with no page asking for it
    visit(at, "pages/elbow.py")
    assert counted == [10]  # the page took that measurement, it did not make a second
    elbow = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert elbow["data"][0]["name"] == "SSE"


@pytest.mark.slow
def test_stability_is_checked_on_a_click_and_stays_on_until_a_new_file():
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    visit(at, "pages/elbow.py")
    # Off at first: the page is usable at once, with nothing running after it.
    assert at.toggle(key=app_state.STABILITY_TOGGLE).value is False and not stability_shown(at)
    at.toggle(key=app_state.STABILITY_TOGGLE).set_value(True).run()
    stability = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Stability" in c.proto.spec)
    assert stability["data"][0]["x"] == list(range(2, 11)) or "bdata" in stability["data"][0]["x"]
    assert any("adjusted Rand index" in m.value for m in [*at.success, *at.warning])
    # Still on after a visit to another page; off again for a new file.
    visit(visit(at, "pages/clusters.py"), "pages/elbow.py")
    assert at.toggle(key=app_state.STABILITY_TOGGLE).value is True and stability_shown(at)
    visit(at, "pages/upload.py")
    at.file_uploader[0].set_value(("other.csv", sg.demo_csv(600, random_state=4), "text/csv")).run()
    visit(at, "pages/elbow.py")
    assert at.toggle(key=app_state.STABILITY_TOGGLE).value is False and not stability_shown(at)

"""Shared fixtures, and the rule that on CI (``CI=true``) a skipped test fails the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import shared_file
from threadpoolctl import threadpool_limits

import segmentation as sg

# The `pytester` fixture runs pytest on throw-away test files: tests/test_conftest.py checks the CI rule.
pytest_plugins = ["pytester"]


@pytest.fixture
def mall_path() -> Path:
    return shared_file("Mall_Customers.csv")


@pytest.fixture(scope="session")
def sample_bytes() -> bytes:
    return sg.demo_csv()


@pytest.fixture(scope="session")
def sample_prepared(sample_bytes) -> sg.Prepared:
    return sg.prepare(sg.load_table(sample_bytes, name=sg.DEMO_NAME))


@pytest.fixture(scope="module")
def sample_model(sample_prepared) -> tuple[sg.Segmentation, dict]:
    """The sample in 5 segments, and their run file (a dict)."""
    segmentation = sg.fit(sample_prepared, 5)
    return segmentation, sg.run_config(segmentation, profile=sg.describe(segmentation))


@pytest.fixture
def scikit_learn_on_one_thread():
    """Run scikit-learn's OpenMP loops (its KMeans) on one thread in the test's thread.

    For tests that fit scikit-learn's KMeans as a reference. On a machine whose cores are busy with
    other work, OpenMP's threads wait for each other at every step: a best-of-100 reference took 0.4 s
    on one thread and 6 to 30 s on two. The core runs its own k-means on one OpenMP thread already
    (``segmentation.threads.one_openmp_thread``); the reference's inertia does not depend on it.
    """
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """The bytes behind every download button an AppTest run draws, by file name, as a click gets
    them: a callable (the app passes small files' bytes directly, large files' as callables)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    captured: dict = {}
    original_deferred, original_add = MediaFileManager.add_deferred, MediaFileManager.add

    def deferred(self, data_callable, mimetype, coordinates, file_name=None, **options):
        captured[file_name] = data_callable
        return original_deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **options)

    def add(self, path_or_data, mimetype, coordinates, file_name=None, **options):
        if file_name is not None:
            captured[file_name] = lambda: path_or_data
        return original_add(self, path_or_data, mimetype, coordinates, file_name=file_name, **options)

    monkeypatch.setattr(MediaFileManager, "add_deferred", deferred)
    monkeypatch.setattr(MediaFileManager, "add", add)
    return captured


def _on_ci() -> bool:
    return os.environ.get("CI") == "true"


def _fail_the_skip(report) -> None:
    """Turn a skip into a failure that says what was skipped and why.

    CI installs everything the tests need (Chromium, Java, the shared data beside the clone), so a
    test that skips there would pass without checking anything: "skipped because X is missing" is
    exactly what CI must not accept. Expected failures (xfail) are left alone.
    """
    if not (_on_ci() and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"Skipped on CI (CI=true), where every test must run: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed; on CI,
    a skip (a skip mark, ``pytest.skip`` or ``pytest.importorskip`` in a test or fixture) fails."""
    outcome = yield
    report = outcome.get_result()
    _fail_the_skip(report)
    setattr(item, f"report_{report.when}", report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """On CI, a whole module skipped while it is collected (``pytest.importorskip`` at module level,
    ``pytest.skip(..., allow_module_level=True)``) is a collection error, which fails the run."""
    outcome = yield
    _fail_the_skip(outcome.get_result())


# The planted customers of tests/planted_data.py, shared by the stability, transitions, unusual and
# card tests (module-scoped there before: one build per module).


@pytest.fixture(scope="session")
def planted_frame():
    from planted_data import planted

    return planted()


@pytest.fixture(scope="session")
def planted_prepared(planted_frame):
    from planted_data import FEATURES

    return sg.prepare(planted_frame.drop(columns="Group"), features=FEATURES)


@pytest.fixture(scope="session")
def planted_four(planted_prepared):
    return sg.fit(planted_prepared, 4)


@pytest.fixture(scope="session")
def planted_file(planted_frame, tmp_path_factory):
    path = tmp_path_factory.mktemp("planted") / "planted.csv"
    planted_frame.drop(columns="Group").to_csv(path, index=False)
    return path

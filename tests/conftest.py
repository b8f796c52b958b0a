"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import shared_file

import segmentation as sg


@pytest.fixture
def mall_path() -> Path:
    return shared_file("Mall_Customers.csv")


@pytest.fixture(scope="session")
def sample_bytes() -> bytes:
    return sg.sample_csv()


@pytest.fixture(scope="session")
def sample_prepared(sample_bytes) -> sg.Prepared:
    return sg.prepare(sg.load_table(sample_bytes, name=sg.SAMPLE_NAME))


@pytest.fixture(scope="module")
def sample_model(sample_prepared) -> tuple[sg.Segmentation, dict]:
    """The sample in 5 segments, and their run file (a dict)."""
    segmentation = sg.fit(sample_prepared, 5)
    return segmentation, sg.run_config(segmentation, profile=sg.describe(segmentation))


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)

"""The bad-file corpus through the app: every file either shows a clear error (and the app keeps
the previous data) or is segmented with every row in the download. Uses the manifest of
tests/test_bad_files.py, which checks the same files in the core."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from helpers import ROOT, plain
from streamlit.testing.v1 import AppTest
from test_bad_files import CORPUS, Refused, Segmented
from test_bad_files import corpus as corpus  # noqa: F401 - the fixture that writes generated files

import app_state
from segmentation.export import csv_dialect

APP = str(ROOT / "app.py")
# Eighty uploads through the app: about 40 s in all, so not part of the quick run.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def session():
    """One browser session for the whole corpus, as a user trying file after file would be."""
    app_state.clear_caches()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    yield at
    app_state.clear_caches()


def upload(at: AppTest, corpus, name: str, monkeypatch) -> None:
    case = CORPUS[name]
    if isinstance(case, Refused) and case.max_bytes is not None:
        monkeypatch.setattr(app_state, "_max_upload_bytes", lambda: case.max_bytes)
    if at.session_state[app_state.DATASET] is None or not at.file_uploader:
        at.switch_page("pages/upload.py").run()
    at.switch_page("pages/upload.py").run()
    at.file_uploader[0].set_value((name.split("/")[-1], (corpus / name).read_bytes(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("name", sorted(n for n, c in CORPUS.items() if isinstance(c, Refused) and c.stage != "fit"))
def test_refused_files_show_the_core_message_and_keep_the_data(session, corpus, name, monkeypatch):
    before = session.session_state[app_state.DATASET]
    upload(session, corpus, name, monkeypatch)
    errors = " ".join(plain(e.value) for e in session.error)
    assert CORPUS[name].says[0] in errors
    assert "still working on" in errors
    assert session.session_state[app_state.DATASET] == before
    session.switch_page("pages/clusters.py").run()
    assert not session.exception and not session.error


@pytest.mark.parametrize(
    "name",
    sorted(n for n, c in CORPUS.items() if isinstance(c, Segmented) or (isinstance(c, Refused) and c.stage == "fit")),
)
def test_other_files_are_segmented_with_every_row_or_explained(session, corpus, name, monkeypatch, downloads):
    upload(session, corpus, name, monkeypatch)
    assert not session.error, [e.value for e in session.error]
    assert session.session_state[app_state.DATASET].name == name.split("/")[-1]
    session.switch_page("pages/clusters.py").run()
    assert not session.exception
    case = CORPUS[name]
    if session.error:
        # Too few different customers for any K: said plainly, with the way back.
        assert isinstance(case, Refused) or "different customers" in plain(session.error[0].value)
        assert any("K" in plain(e.value) for e in session.error)
        return
    k = session.session_state[app_state.CHOSEN_K]
    labelled_name = next(f for f in downloads if f.endswith(f"_segments_K{k}.csv"))
    # The download keeps the file's separator and encoding.
    sep, _, encoding = csv_dialect(session.session_state[app_state.PREPARED][1][1].table)
    out = pd.read_csv(
        io.BytesIO(downloads[labelled_name]()), sep=sep, dtype=str, keep_default_na=False, encoding=encoding
    )
    if isinstance(case, Segmented):
        assert len(out) == case.rows
        empty = [i for i, s in enumerate(out["Segment" if "Segment (2)" not in out else "Segment (2)"]) if s == ""]
        assert empty == list(case.not_segmented)

"""Property tests: whatever table comes in, a clear DataError or every row out, in order, untouched."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmentation import DataError, fit, labelled_csv, load_table, prepare
from segmentation.export import FORMULA_PREFIX, neutralise

_cell = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.sampled_from(["", "NA", "n/a", "?", "-", "Male", "Female", "North", "=1+2", "@x", "+cmd", "-5", " x "]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
)


@st.composite
def tables(draw):
    n_columns = draw(st.integers(1, 5))
    n_rows = draw(st.integers(0, 25))
    header = [f"col{i}" for i in range(n_columns)]
    rows = [[draw(_cell) for _ in range(n_columns)] for _ in range(n_rows)]
    return header, rows


def to_csv(header, rows) -> bytes:
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=header, dtype=str).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.integers(1, 4))
def test_load_prepare_fit_export_keeps_every_row(table, k):
    header, rows = table
    data = to_csv(header, rows)
    try:
        loaded = load_table(data)
        segmentation = fit(prepare(loaded), min(k, 30))
    except DataError as error:
        assert str(error).strip()  # a message, never an empty one
        return
    out = pd.read_csv(io.BytesIO(labelled_csv(segmentation)), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    original = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert len(out) == len(original) == loaded.n_rows
    for column in original.columns:
        expected = [neutralise(v) for v in original[column]]
        assert out[column].tolist() == expected
    assert all(v == "" or 1 <= int(v) <= k for v in out["Segment"])


@given(st.text(max_size=30))
def test_neutralise_only_prefixes(value):
    result = neutralise(value)
    assert result == value or result == FORMULA_PREFIX + value


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_load_or_refuse(data):
    try:
        table = load_table(data)
    except DataError as error:
        assert str(error)
        return
    assert table.n_rows >= 2
    assert table.raw.shape == table.frame.shape

"""Property tests: whatever table comes in, a clear DataError or every row out, in order, untouched."""

from __future__ import annotations

import io
from collections import Counter

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from segmentation import DataError, fit, labelled_csv, load_table, prepare
from segmentation.export import FORMULA_PREFIX, csv_dialect, neutralise

_number = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"),
)
_missing = st.sampled_from(["", "NA", "n/a", "?", "-"])
_label = st.sampled_from(["Male", "Female", "North", "=1+2", "@x", "+cmd", "-5", " x ", "ünïcode"])
_cell = st.one_of(
    _number,
    _missing,
    _label,
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
)


@st.composite
def _column(draw, n_rows: int) -> list[str]:
    """One column's cells: mostly numbers or labels with a few gaps (what segments), sometimes anything."""
    kind = draw(st.sampled_from(["numbers", "numbers", "labels", "anything"]))
    if kind == "anything":
        return [draw(_cell) for _ in range(n_rows)]
    # About one cell in eight is a gap or a stray value, so a usable column still has missing markers,
    # formulas and odd text in it.
    usual = _number if kind == "numbers" else _label
    return [draw(st.one_of(_missing, _cell)) if draw(st.integers(0, 7)) == 0 else draw(usual) for _ in range(n_rows)]


@st.composite
def tables(draw):
    """A header and rows, most of them a table that can be segmented: numbers and labels with gaps in
    them, formulas and stray text; some too small, empty or unusable, which must be refused clearly."""
    n_rows = draw(st.integers(0, 30))
    columns = [draw(_column(n_rows)) for _ in range(draw(st.integers(1, 5)))]
    header = [f"col{i}" for i in range(len(columns))]
    return header, [list(row) for row in zip(*columns, strict=True)] if n_rows else []


def to_csv(header, rows) -> bytes:
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=header, dtype=str).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def keeps_every_row_or_refuses(table, k: int) -> str:
    """The property, for one table: a DataError with a message, or every row out, in order,
    untouched. Returns how far the table got: "refused" or "exported"."""
    header, rows = table
    data = to_csv(header, rows)
    try:
        loaded = load_table(data)
        segmentation = fit(prepare(loaded), min(k, 30))
    except DataError as error:
        assert str(error).strip()  # a message, never an empty one
        return "refused"
    sep, _, encoding = csv_dialect(loaded)  # the download keeps the file's separator and encoding
    out = pd.read_csv(
        io.BytesIO(labelled_csv(segmentation)), sep=sep, dtype=str, keep_default_na=False, encoding=encoding
    )
    original = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert len(out) == len(original) == loaded.n_rows
    for column in original.columns:
        expected = [neutralise(v) for v in original[column]]
        assert out[column].tolist() == expected
    assert all(v == "" or 1 <= int(v) <= k for v in out["Segment"])
    return "exported"


@pytest.mark.slow  # 150 tables through every stage: about 9 s
def test_load_prepare_fit_export_keeps_every_row():
    outcomes = Counter()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(tables(), st.integers(1, 4))
    def check(table, k):
        outcome = keeps_every_row_or_refuses(table, k)
        event(outcome)
        outcomes[outcome] += 1

    check()
    # The property is about the export: most tables must get there, not stop at a DataError.
    assert outcomes["exported"] >= 0.6 * outcomes.total(), outcomes


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

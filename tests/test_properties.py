"""Property tests: whatever table comes in, a clear DataError or every row out, in order, untouched."""

from __future__ import annotations

import io
from collections import Counter
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from segmentation import DataError, fit, labelled_csv, load_table, prepare
from segmentation.cells import typed_view
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


# What a number column may hold besides plain numbers: every form the readers treat apart.
_number_like = st.one_of(
    _number,
    _missing,
    st.sampled_from(
        [
            *"inf -Infinity nan NaN 1e400 -0 -0.0 +5 .5 5. 1e5 1E-3 007 1,234 1.234,5 12,5".split(),
            *"0x10 1_000 ١٢ Null NONE x".split(),
            *[" 7", "7 ", "\t7"],
        ]
    ),
)


def _typed_both_ways(cells: list[str], decimal: str, blank_rows: list[int]) -> tuple[pd.Series, pd.Series]:
    raw = pd.DataFrame({"x": pd.Series(cells, dtype="str")})
    fast = typed_view(raw, decimal=decimal, blank_rows=blank_rows)["x"]
    with mock.patch("segmentation.cells._typed_with_arrow", return_value=None):
        slow = typed_view(raw, decimal=decimal, blank_rows=blank_rows)["x"]
    return fast, slow


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_number_like, min_size=1, max_size=30),
    st.sampled_from([".", ","]),
    st.lists(st.integers(0, 29), max_size=2, unique=True),
)
def test_arrow_kernels_type_a_column_as_the_pandas_steps_do(cells, decimal, blank_rows):
    # The typed view's fast paths (one cast for plain numbers, Arrow's trim and lookups) must give
    # exactly what the plain pandas steps give, for every cell a number column may hold.
    fast, slow = _typed_both_ways(cells, decimal, sorted(r for r in blank_rows if r < len(cells)))
    pd.testing.assert_series_equal(fast, slow)


@pytest.mark.parametrize("odd", ["abc", "inf", "-0", " 5", "1,234", "NA"])
def test_a_cell_past_the_first_rows_types_the_column_as_the_pandas_steps_do(odd):
    # The fast path tells text apart on the first 2,000 rows; a cell after them must still count.
    cells = [f"{i % 97}.5" for i in range(2_500)]
    cells[2_400] = odd
    fast, slow = _typed_both_ways(cells, ".", [])
    pd.testing.assert_series_equal(fast, slow)
    assert pd.api.types.is_float_dtype(fast) == (odd not in ("abc", "inf"))  # "inf" is no number here


def test_columns_typed_in_threads_equal_columns_typed_one_by_one(monkeypatch):
    # Big files type their columns in parallel threads: the same frame, column for column, in order.
    rng = np.random.default_rng(3)
    n = 3_000
    raw = pd.DataFrame(
        {
            "ID": [f"C{i:06d}" for i in range(n)],
            "Age": np.where(rng.random(n) < 0.05, "NA", rng.integers(18, 90, n).astype(str)),
            "Spend": [f"{v:.2f}" for v in rng.gamma(2, 50, n)],
            "Region": rng.choice(np.array(["North", " South ", "", "n/a"]), n),
            "Score": [f"{v:,}" for v in rng.integers(0, 5_000, n)],
        },
        dtype="str",
    )
    monkeypatch.setattr("segmentation.cells._PARALLEL_ROWS", 0)
    threaded = typed_view(raw, decimal=".", blank_rows=[7])
    monkeypatch.setattr("segmentation.cells._PARALLEL_ROWS", n + 1)
    pd.testing.assert_frame_equal(threaded, typed_view(raw, decimal=".", blank_rows=[7]))
    assert list(threaded.columns) == list(raw.columns)
    assert [str(t) for t in threaded.dtypes] == ["str", "float64", "float64", "str", "float64"]


_category_value = st.one_of(
    st.sampled_from(["Yes", "No", "Month-to-month", "One year", "ünïcode", "", " x", "Zebra", "apple"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=4),
)


@pytest.mark.filterwarnings("ignore:Found unknown categories:UserWarning")
@settings(max_examples=150, deadline=None)
@given(
    fitted=st.lists(st.one_of(st.none(), _category_value), min_size=1, max_size=40),
    new=st.lists(st.one_of(st.none(), _category_value), min_size=1, max_size=20),
    as_numbers=st.booleans(),
)
def test_category_steps_give_what_scikit_learn_gives(fitted, new, as_numbers):
    """MostFrequentFill + CategoryEncoder against SimpleImputer + OneHotEncoder: fills, categories, 0/1 features."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    from segmentation.pipeline import CategoryEncoder, MostFrequentFill

    if as_numbers:  # a category column read from numbers (codes such as 1, 2, 3)
        fitted = [None if v is None else float(len(v) % 4) for v in fitted]
        new = [None if v is None else float(len(v) % 5) for v in new]
        column, sklearn_column = pd.Series(fitted, dtype="float64"), pd.Series(fitted, dtype="float64")
        later, sklearn_later = pd.Series(new, dtype="float64"), pd.Series(new, dtype="float64")
    else:
        column, later = pd.Series(fitted, dtype="str"), pd.Series(new, dtype="str")
        sklearn_column = column.astype(object).where(column.notna(), np.nan)
        sklearn_later = later.astype(object).where(later.notna(), np.nan)
    if column.isna().all():
        return  # prepare never segments on an empty column
    ours_fill, theirs_fill = MostFrequentFill().fit(column.to_frame("c")), SimpleImputer(strategy="most_frequent")
    theirs_fill.fit(sklearn_column.to_frame("c"))
    assert ours_fill.statistics_.tolist() == theirs_fill.statistics_.tolist()
    ours = CategoryEncoder().fit(ours_fill.transform(column.to_frame("c")))
    theirs = OneHotEncoder(drop="if_binary", handle_unknown="ignore", sparse_output=False)
    theirs.fit(theirs_fill.transform(sklearn_column.to_frame("c")))
    assert [list(c) for c in ours.categories_] == [list(c) for c in theirs.categories_]
    for ours_input, sklearn_input in ((column, sklearn_column), (later, sklearn_later)):
        mine = ours.transform(ours_fill.transform(ours_input.to_frame("c")))
        expected = theirs.transform(theirs_fill.transform(sklearn_input.to_frame("c")))
        np.testing.assert_array_equal(mine, expected)

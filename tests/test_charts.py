"""The chart builders: every point in the trace of its own segment, in that segment's colour.

A 3D scatter whose colours or legend names were shuffled across segments still "renders"; these
tests compare each trace's points with the customers the segmentation put in that segment.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import segmentation as sg
from segmentation import charts
from segmentation.charts import SEGMENT_COLOURS, segment_label


@pytest.fixture(scope="module")
def segmented(sample_prepared) -> sg.Segmentation:
    # K=5, the sample's elbow: segments 3 and 4 have the same size (508), so a mix-up between two
    # segments cannot hide behind their sizes.
    return sg.fit(sample_prepared, 5)


@pytest.fixture(scope="module")
def profile(segmented) -> sg.Profile:
    return sg.describe(segmented)


def points(trace) -> np.ndarray:
    """A 3D trace's points as rows (x, y, z), sorted, so two traces compare as sets of customers."""
    xyz = np.column_stack([np.asarray(values, dtype=float) for values in (trace.x, trace.y, trace.z)])
    return xyz[np.lexsort(xyz.T[::-1])]


def customers(coordinates: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rows ``rows`` of an (n, 3) array, sorted like :func:`points`."""
    xyz = coordinates[rows]
    return xyz[np.lexsort(xyz.T[::-1])]


def counted(xyz: np.ndarray) -> Counter:
    """Points as a multiset (a missing value, NaN, counts as equal to itself)."""
    return Counter(tuple(None if np.isnan(v) else float(v) for v in row) for row in xyz)


def axis_values(segmentation: sg.Segmentation, axes) -> np.ndarray:
    """The customers' values on the three axes, in the file's units, for every row of the file."""
    frame = segmentation.prepared.table.frame
    return np.column_stack([frame[axis].to_numpy(dtype=float, na_value=np.nan) for axis in axes])


def segment_traces(figure) -> list:
    return [trace for trace in figure.data if trace.name != "Fits worst"]


def test_each_trace_holds_exactly_its_segments_customers_in_its_colour(segmented, profile):
    axes = ("Annual Income (k$)", "Spending Score (1-100)", "Age")
    figure, drawn = charts.scatter_3d(segmented, names=profile.names, axes=axes)
    coordinates = axis_values(segmented, axes)
    traces = segment_traces(figure)
    assert len(traces) == segmented.k
    assert drawn == len(segmented.labels) == sum(len(trace.x) for trace in traces) == 3_000
    for segment, trace in enumerate(traces, start=1):  # in segment order: the legend reads 1, 2, 3...
        assert trace.name == segment_label(segment, profile.names[segment - 1])
        assert trace.marker.color == SEGMENT_COLOURS[segment - 1]
        np.testing.assert_array_equal(points(trace), customers(coordinates, segmented.labels == segment))
    assert len({trace.marker.color for trace in traces}) == segmented.k


def test_principal_components_put_each_customer_in_their_segments_trace(segmented, profile):
    from sklearn.decomposition import PCA

    figure, _ = charts.scatter_3d(segmented, names=profile.names, components=True)
    X = segmented.prepared.matrix
    assert len(X) == len(segmented.labels)  # every row segmented, so row i of X is row i of the file
    coordinates = PCA(n_components=3, random_state=0).fit(X).transform(X)
    for segment, trace in enumerate(segment_traces(figure), start=1):
        assert trace.marker.color == SEGMENT_COLOURS[segment - 1]
        np.testing.assert_allclose(points(trace), customers(coordinates, segmented.labels == segment), atol=1e-9)
    assert figure.layout.scene.xaxis.title.text.startswith("Component 1 (")


def test_a_sampled_plot_keeps_every_segment_in_its_own_trace_and_colour(segmented, profile):
    axes = ("Annual Income (k$)", "Spending Score (1-100)", "Visits per Month")
    figure, drawn = charts.scatter_3d(segmented, names=profile.names, axes=axes, limit=1_000)
    coordinates = axis_values(segmented, axes)
    traces = segment_traces(figure)
    assert abs(drawn - 1_000) <= segmented.k and drawn == sum(len(trace.x) for trace in traces)  # rounding
    for segment, trace in enumerate(traces, start=1):
        assert trace.marker.color == SEGMENT_COLOURS[segment - 1]
        # Every point drawn is one of this segment's customers (counted, so none is drawn twice).
        assert counted(points(trace)) <= counted(customers(coordinates, segmented.labels == segment))
        assert len(trace.x) / drawn == pytest.approx(segmented.shares[segment - 1], abs=0.01)  # in proportion


def test_fits_worst_marks_exactly_the_highlighted_customers(segmented, profile):
    axes = ("Annual Income (k$)", "Spending Score (1-100)", "Age")
    worst = np.zeros(len(segmented.labels), dtype=bool)
    worst[np.argsort(segmented.fit_score)[:25]] = True
    figure, _ = charts.scatter_3d(segmented, names=profile.names, axes=axes, highlight=worst)
    (marked,) = [trace for trace in figure.data if trace.name == "Fits worst"]
    assert marked.marker.color == "black"
    np.testing.assert_array_equal(points(marked), customers(axis_values(segmented, axes), worst))
    assert len(segment_traces(figure)) == segmented.k  # the highlight is drawn over, not instead of, a segment


def test_customers_without_a_segment_are_not_drawn():
    table = sg.load_table(b"Spend,Visits,Age\n1,2,30\n2,1,31\n,,\n50,9,60\n52,8,61\n51,,62\n")
    segmentation = sg.fit(sg.prepare(table), 2)
    assert segmentation.labels.tolist() == [2, 2, 0, 1, 1, 1]  # segment 1 is the larger
    figure, drawn = charts.scatter_3d(segmentation, names=["Low", "High"], axes=("Spend", "Visits", "Age"))
    coordinates = axis_values(segmentation, ("Spend", "Visits", "Age"))
    assert drawn == 5
    for segment, trace in enumerate(figure.data, start=1):
        assert trace.marker.color == SEGMENT_COLOURS[segment - 1]
        np.testing.assert_array_equal(points(trace), customers(coordinates, segmentation.labels == segment))


def test_the_elbow_chart_marks_the_elbow_and_the_chosen_k(sample_prepared):
    result = sg.sweep(sample_prepared, k_min=2, k_max=8)
    assert result.knee_k == result.suggested_k == 5
    figure = charts.elbow_figure(result, selected_k=7)
    sse = figure.data[0]
    assert list(sse.x) == list(result.k) and list(sse.y) == list(result.inertia)
    (elbow,) = figure.layout.annotations
    assert (elbow.x, elbow.y) == (5, result.inertia[result.k.index(5)])
    assert elbow.text == "elbow: K=5"
    (chosen,) = [trace for trace in figure.data if trace.name == "your K"]
    assert (list(chosen.x), list(chosen.y)) == ([7], [result.inertia[result.k.index(7)]])
    assert [shape.x0 for shape in figure.layout.shapes] == [7]
    # A K outside the range is not drawn.
    assert [trace.name for trace in charts.elbow_figure(result, selected_k=12).data] == ["SSE"]


def test_the_sizes_chart_counts_every_segmented_customer_once(segmented, profile):
    figure = charts.sizes_figure(profile)
    (bars,) = figure.data
    assert list(bars.x) == list(segmented.sizes)
    assert sum(bars.x) == int(segmented.segmented.sum()) == 3_000
    assert list(bars.y) == [segment_label(s, n) for s, n in enumerate(profile.names, start=1)]
    assert list(bars.marker.color) == SEGMENT_COLOURS[: segmented.k]

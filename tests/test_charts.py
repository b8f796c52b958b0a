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
    # Each axis is named by the columns it weighs most, with their sign.
    pca = PCA(n_components=3, random_state=0).fit(X)
    title = figure.layout.scene.xaxis.title.text
    top = int(np.argmax(np.abs(pca.components_[0])))
    sign = "+" if pca.components_[0][top] > 0 else "−"
    assert title.startswith(
        f"PC1 ({pca.explained_variance_ratio_[0]:.0%}): {segmented.prepared.feature_names[top]} {sign}"
    )
    assert figure.layout.scene.zaxis.title.text.startswith("PC3 (")


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


def test_a_number_column_figure_has_each_segments_spread_in_the_columns_units(segmented, profile):
    figure = charts.column_figure(profile, "Age", segmentation=segmented)
    boxes = [trace for trace in figure.data if trace.type == "box"]
    assert [box.name for box in boxes] == [segment_label(s, n) for s, n in enumerate(profile.names, start=1)]
    ages = segmented.prepared.table.frame["Age"].to_numpy(dtype=float, na_value=np.nan)
    for segment, box in enumerate(boxes, start=1):
        mine = ages[segmented.labels == segment]
        mine = mine[np.isfinite(mine)]
        assert box.median[0] == pytest.approx(np.median(mine))
        assert box.mean[0] == pytest.approx(profile.summary.loc[segment, "Age"])
        assert box.marker.color == SEGMENT_COLOURS[segment - 1]
    (line,) = figure.layout.shapes
    assert line.x0 == pytest.approx(profile.overall["Age"])
    assert f"all customers: {profile.overall['Age']:.0f}" in [a.text for a in figure.layout.annotations]
    # Without the customers, the means as bars.
    (bars,) = charts.column_figure(profile, "Age").data
    assert list(bars.x) == pytest.approx(profile.summary["Age"].tolist())


def test_a_category_figure_gives_each_segments_share_of_each_value(segmented, profile):
    figure = charts.column_figure(profile, "Region")
    bars = [trace for trace in figure.data if trace.type == "bar"]
    assert len(bars) == segmented.k and bars[0].marker.color == SEGMENT_COLOURS[0]
    values = list(bars[0].y)
    assert sorted(values) == sorted(v for c, v in profile.shares.values() if c == "Region")
    for segment, trace in enumerate(bars, start=1):
        expected = [100 * profile.summary.loc[segment, f"Region = {v}"] for v in values]
        assert list(trace.x) == pytest.approx(expected)
    (overall,) = [trace for trace in figure.data if trace.name == "All customers"]
    assert list(overall.x) == pytest.approx([100 * profile.overall[f"Region = {v}"] for v in values])


def test_a_yes_no_outcome_figure_gives_each_segments_rate():
    rows = ["Spend,Churn"] + [
        f"{s},{c}" for s, c in [(1, "Yes"), (2, "Yes"), (3, "No"), (50, "No"), (52, "No"), (51, "Yes")]
    ]
    segmentation = sg.fit(sg.prepare(sg.load_table("\n".join(rows).encode()), describe=["Churn"]), 2)
    profile = sg.describe(segmentation)
    assert profile.described == ["Churn"]
    (bars,) = charts.column_figure(profile, "Churn").data
    assert list(bars.x) == pytest.approx([100 * 2 / 3, 100 / 3])
    assert list(bars.text) == ["67%", "33%"]


def test_the_index_heatmap_has_a_bounded_scale_and_keeps_the_telling_columns(segmented, profile):
    heat = charts.index_figure(profile).data[0]
    assert (heat.zmin, heat.zmid, heat.zmax) == (0, 100, charts.INDEX_COLOUR_MAX)
    assert np.nanmax(np.asarray(heat.z, dtype=float)) <= charts.INDEX_COLOUR_MAX
    # The numbers keep their true value, with thousands separators.
    wide = sg.describe(segmented).with_names(profile.names)
    wide.index.iloc[0, 0] = 12_345.0
    assert charts.index_figure(wide).data[0].text[0][0] == "12,345"
    few = charts.index_figure(profile, limit=3).data[0]
    assert len(few.x) == 3
    assert {profile.source(c) for c in few.x} <= set(profile.key_columns(3))


def test_card_figure_labels_bars_in_units_and_caps_long_bars(segmented, profile):
    card = sg.segment_cards(profile)[0]
    (bars,) = charts.card_figure(card).data
    features = [f for f in card.features if np.isfinite(f.index)]
    assert list(bars.x) == pytest.approx([min(f.index, charts.CARD_INDEX_MAX) for f in features])
    for text, feature in zip(bars.text, features, strict=True):
        assert " vs " in text and (text.endswith("%") == feature.is_share)

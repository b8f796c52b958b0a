"""Charts of the segments themselves: the 3D view, sizes, and each segment's index against the average."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from sklearn.decomposition import PCA

from .. import seeds
from ..describe import Profile
from ..fit import Segmentation
from .base import (
    PLOT_ROWS,
    SEGMENT_COLOURS,
    numbers_of,
    plain,
    segment_label,
)


def plot_sample(labels: np.ndarray, *, limit: int = PLOT_ROWS, random_state: int = 0) -> np.ndarray:
    """Rows to draw: all of them up to ``limit``, else a sample in proportion to each segment.

    Every segment keeps at least a few points, so a small segment never vanishes from the chart.
    """
    rows = np.flatnonzero(labels > 0)
    if len(rows) <= limit:
        return rows
    rng = seeds.rng(random_state, seeds.CHART_SAMPLE)
    chosen = []
    segments, counts = np.unique(labels[rows], return_counts=True)
    for segment, count in zip(segments, counts, strict=True):
        members = rows[labels[rows] == segment]
        take = min(count, max(20, int(round(limit * count / len(rows)))))
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen))


def scatter_3d(
    segmentation: Segmentation,
    *,
    names: tuple[str, ...] | list[str],
    axes: tuple[str, str, str] | None = None,
    components: bool = False,
    highlight: np.ndarray | None = None,
    limit: int = PLOT_ROWS,
) -> tuple[go.Figure, int]:
    """A rotatable 3D scatter of the customers coloured by segment.

    Parameters
    ----------
    segmentation : Segmentation
    names : sequence of str
        Segment names, segment 1 first.
    axes : tuple of three column names, optional
        Number columns to plot in their original units. Required unless ``components``.
    components : bool
        Plot the first three principal components of the scaled features instead.
    highlight : ndarray of bool, optional
        Customers to draw as large diamonds (e.g. those who fit their segment worst).
    limit : int
        Draw at most about this many customers (a stratified sample).

    Returns
    -------
    figure : Figure
    drawn : int
        How many customers the figure shows.
    """
    prepared = segmentation.prepared
    members = np.where(segmentation.segmented, segmentation.labels, 0)  # not the customers set aside
    rows = plot_sample(members, limit=limit, random_state=segmentation.random_state)
    labels = segmentation.labels[rows]
    if components:
        X = prepared.matrix
        position = np.searchsorted(prepared.rows, rows)
        pca = PCA(n_components=3, random_state=0).fit(X)
        coords = pca.transform(X[position])
        titles = component_titles(prepared, pca)
        data = pd.DataFrame(coords, columns=titles)
    else:
        if axes is None:
            raise ValueError("axes are required unless components=True")
        # Plotly express writes the column names into the axis titles and the hover template.
        titles = [plain(axis) for axis in axes]
        data = pd.DataFrame({title: numbers_of(prepared, axis)[rows] for title, axis in zip(titles, axes, strict=True)})
    data["Segment"] = [plain(segment_label(s, names[s - 1])) for s in labels]
    order = [plain(segment_label(s, names[s - 1])) for s in range(1, segmentation.k + 1)]
    colours = {label: SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)] for i, label in enumerate(order)}
    fig = px.scatter_3d(
        data,
        x=titles[0],
        y=titles[1],
        z=titles[2],
        color="Segment",
        category_orders={"Segment": order},
        color_discrete_map=colours,
        opacity=0.75,
        height=640,
    )
    fig.update_traces(marker={"size": 3 if len(rows) > 2_000 else 4})
    if highlight is not None:
        marked = highlight[rows]
        if marked.any():
            fig.add_trace(
                go.Scatter3d(
                    x=data.loc[marked, titles[0]],
                    y=data.loc[marked, titles[1]],
                    z=data.loc[marked, titles[2]],
                    mode="markers",
                    name="Fits worst",
                    marker={"size": 7, "symbol": "diamond", "color": "black", "opacity": 0.9},
                )
            )
    axis = {"title": {"font": {"size": 12}}, "tickfont": {"size": 10}}
    fig.update_layout(
        # The legend under the chart leaves the scene the full width, so the axis titles fit.
        legend={"title": "Segment", "itemsizing": "constant", "orientation": "h", "yanchor": "top", "y": -0.02},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        scene={
            "xaxis": {**axis, "title": {**axis["title"], "text": titles[0]}},
            "yaxis": {**axis, "title": {**axis["title"], "text": titles[1]}},
            "zaxis": {**axis, "title": {**axis["title"], "text": titles[2]}},
            # A step back from Plotly's default view keeps the axis titles inside the frame.
            "camera": {"eye": {"x": 1.6, "y": 1.6, "z": 1.1}},
        },
    )
    return fig, len(rows)


def component_titles(prepared, pca: PCA, *, columns: int = 2) -> list[str]:
    """Each principal component named by the columns it weighs most, with their sign.

    ``"PC1 (31%): Annual Income (k$) +, Spending Score (1-100) −"``: customers high on PC1 have a high
    income and a low spending score; the percentage is the share of the variation it carries. A
    category column counts once, by its strongest value (``"Contract: Two year +"``).
    """
    column_of = {feature: report.column for report in prepared.reports for feature in report.features}
    titles = []
    for i, (loading, share) in enumerate(zip(pca.components_, pca.explained_variance_ratio_, strict=True)):
        parts, seen = [], set()
        for j in np.argsort(-np.abs(loading), kind="stable"):
            feature = prepared.feature_names[j]
            if column_of.get(feature, feature) in seen:
                continue
            seen.add(column_of.get(feature, feature))
            parts.append(f"{plain(feature)} {'+' if loading[j] > 0 else '−'}")
            if len(parts) == columns:
                break
        titles.append(f"PC{i + 1} ({share:.0%}): {', '.join(parts)}")
    return titles


#: The index heatmap's colours run from 0 to this (100 = average in white); higher indexes take the
#: darkest colour and keep their number, so one rare value cannot wash out every other cell.
INDEX_COLOUR_MAX = 200
#: With more columns than this, the heatmap shows those that set the segments apart most.
INDEX_COLUMNS = 12


def index_figure(profile: Profile, *, columns: list[str] | None = None, limit: int = INDEX_COLUMNS) -> go.Figure:
    """A heatmap of each segment's index against the average (100 = average), with the values.

    Parameters
    ----------
    profile : Profile
    columns : list of str, optional
        Profile columns to show (``"Age"``, ``"Gender = Female"``). By default every one, or, when
        there are more than ``limit``, the ``limit`` that tell the segments apart best: the columns
        in :meth:`Profile.key_columns` order, a yes/no column by its "yes", a category by the values
        whose index is furthest from 100.
    limit : int, default 12
    """
    if columns is None:
        columns = list(profile.index.columns)
        if len(columns) > limit:
            columns = _telling_columns(profile, limit)
    index = profile.index[columns].dropna(axis=1, how="all")
    labels = [plain(segment_label(s, profile.names[s - 1])) for s in index.index]
    values = index.to_numpy(dtype=float)
    text = np.where(np.isnan(values), "", np.vectorize(lambda v: f"{v:,.0f}")(np.nan_to_num(values)))
    fig = go.Figure(
        go.Heatmap(
            z=np.clip(values, 0, INDEX_COLOUR_MAX),
            x=[plain(column) for column in index.columns],
            y=labels,
            text=text,
            texttemplate="%{text}",
            colorscale="RdBu",
            zmid=100,
            zmin=0,
            zmax=INDEX_COLOUR_MAX,
            colorbar={
                "title": "Index",
                "tickvals": [0, 50, 100, 150, INDEX_COLOUR_MAX],
                "ticktext": ["0", "50", "100 (average)", "150", f"{INDEX_COLOUR_MAX}+"],
            },
            hovertemplate="%{y}<br>%{x}: index %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        height=160 + 48 * len(labels),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"},
        xaxis={"side": "top", "tickangle": -35 if len(index.columns) > 6 else 0},
    )
    return fig


def _telling_columns(profile: Profile, limit: int) -> list[str]:
    chosen: list[str] = []
    for column in profile.key_columns():
        if column in profile.numbers:
            candidates = [column]
        elif profile.yes_share(column) is not None:
            candidates = [profile.yes_share(column)]
        else:
            values = profile.values_of(column)
            apart = (profile.index[values] - 100).abs().max().fillna(0)
            candidates = [v for v in apart.sort_values(ascending=False, kind="stable").index if apart[v] >= 25][:3]
            # Two values that always add up to 100% say the same thing twice.
            candidates = candidates[:1] if len(values) == 2 else candidates
        # A value held by the same customers as one already shown ("No internet service" in every
        # service column) would only repeat its row.
        candidates = [c for c in candidates if c in profile.index.columns and not _repeats(profile, c, chosen)]
        chosen += candidates[: limit - len(chosen)]
        if len(chosen) >= limit:
            break
    return chosen


def _repeats(profile: Profile, column: str, chosen: list[str]) -> bool:
    values = profile.summary[column].to_numpy(dtype=float)
    return any(np.allclose(values, profile.summary[c].to_numpy(dtype=float), equal_nan=True) for c in chosen)


def sizes_figure(profile: Profile) -> go.Figure:
    """Customers per segment as horizontal bars, segment 1 on top."""
    summary = profile.summary
    labels = [plain(segment_label(s, n)) for s, n in zip(summary.index, profile.names, strict=True)]
    fig = go.Figure(
        go.Bar(
            x=summary["Customers"],
            y=labels,
            orientation="h",
            marker={"color": [SEGMENT_COLOURS[(s - 1) % len(SEGMENT_COLOURS)] for s in summary.index]},
            text=[f"{c:,} ({s:.0%})" for c, s in zip(summary["Customers"], summary["Share of customers"], strict=True)],
            textposition="auto",
            hovertemplate="%{y}: %{x:,} customers<extra></extra>",
        )
    )
    fig.update_layout(
        height=80 + 40 * len(labels),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"},
        xaxis_title="Customers",
    )
    return fig


def axis_choices(profile: Profile) -> list[str]:
    """Number columns that can be 3D axes, those that separate the segments most first."""
    numbers = set(profile.medians.columns)
    ranked = profile.importance.sort_values(["Used to segment", "Strength"], ascending=False, kind="stable")
    ordered = []
    for column in ranked["Column"]:
        if column in numbers:
            ordered.append(column)
    return ordered + [c for c in profile.medians.columns if c not in ordered]

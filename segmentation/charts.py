"""Plotly figures for the app and notebooks: elbow, criteria, 3D segments, index heatmap, stability,
K-vs-K Sankey, segment cards.

Plain functions returning ``plotly.graph_objects.Figure``, so the CLI, notebooks and tests can use
them as well as the Streamlit pages. Colours are fixed per segment number, so "Segment 2" has the
same colour on every chart and at every K.

Plotly reads a subset of HTML in every label, title, axis title, hover text and annotation (``<b>``,
``<a href=...>``, ``<br>``, entities), so each name from the user's file or typed in the app goes
through :func:`plain` on its way into a figure: a segment called ``<b>VIP</b>`` shows those
characters, not bold text, and a column name cannot become a link.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, unlabel_rgb
from plotly.subplots import make_subplots
from sklearn.decomposition import PCA

from . import seeds
from .cards import Card
from .describe import Profile
from .fit import Segmentation
from .stability import UNSTABLE_JACCARD, Stability
from .sweep import Sweep
from .transitions import Transitions
from .units import amount, percent

__all__ = [
    "PLOT_ROWS",
    "axis_choices",
    "SEGMENT_COLOURS",
    "card_figure",
    "column_figure",
    "component_titles",
    "criteria_caption",
    "criteria_figure",
    "elbow_figure",
    "index_figure",
    "plain",
    "plot_sample",
    "sankey_figure",
    "scatter_3d",
    "segment_label",
    "sizes_figure",
    "stability_figure",
]

#: Above this many customers the 3D scatter draws a sample (browsers slow down beyond it).
PLOT_ROWS = 10_000
#: One colour per segment number (1 first), readable on white, distinguishable in print.
SEGMENT_COLOURS = px.colors.qualitative.Bold + px.colors.qualitative.Vivid + px.colors.qualitative.Safe
_ACCENT = "#D1495B"
_LINE = "#2E6F95"


def segment_label(segment: int, name: str) -> str:
    """How a segment is named in legends: ``"1 · High income, low spending"``."""
    return f"{segment} · {name}"


def plain(text: object) -> str:
    """``text`` for a Plotly label, shown exactly as typed.

    ``<``, ``>`` and ``&`` become entities, which Plotly shows as those characters; a word joiner
    (U+2060, invisible) after ``%`` keeps ``%{x}`` in a name from reading as a hover template's field.

    Examples
    --------
    >>> plain('<a href="https://example.com/">Click me</a> & <b>%{x}</b>')
    '&lt;a href="https://example.com/"&gt;Click me&lt;/a&gt; &amp; &lt;b&gt;%\u2060{x}&lt;/b&gt;'
    """
    return html.escape(str(text), quote=False).replace("%{", "%\u2060{")


def elbow_figure(sweep: Sweep, *, selected_k: int | None = None) -> go.Figure:
    """SSE (inertia) against K, with the elbow marked and the selected K highlighted."""
    frame = sweep.frame()
    fig = go.Figure(
        go.Scatter(
            x=frame["K"],
            y=frame["SSE (inertia)"],
            mode="lines+markers",
            name="SSE",
            line={"color": _LINE, "width": 3},
            marker={"size": 9},
            hovertemplate="K=%{x}<br>SSE %{y:,.1f}<extra></extra>",
        )
    )
    if sweep.knee_k is not None:
        y = sweep.inertia[sweep.k.index(sweep.knee_k)]
        fig.add_annotation(
            x=sweep.knee_k,
            y=y,
            text=f"elbow: K={sweep.knee_k}",
            showarrow=True,
            arrowhead=2,
            ax=40,
            ay=-40,
            font={"size": 14},
        )
    _highlight(fig, sweep, selected_k, frame["SSE (inertia)"])
    fig.update_layout(
        title="Within-segment spread (SSE) for each K: look for the elbow",
        xaxis_title="Number of segments (K)",
        yaxis_title="SSE (lower = tighter segments)",
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=420,
    )
    fig.update_xaxes(dtick=1)
    return fig


def criteria_figure(sweep: Sweep, *, selected_k: int | None = None) -> go.Figure:
    """Silhouette, Calinski-Harabasz and Davies-Bouldin against K, as three small charts."""
    frame = sweep.frame()
    panels = [
        ("Silhouette", "higher is better"),
        ("Calinski-Harabasz", "higher is better"),
        ("Davies-Bouldin", "lower is better"),
    ]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[f"{name} ({hint})" for name, hint in panels])
    bests = sweep.best_by_criterion()
    for col, (name, _) in enumerate(panels, start=1):
        values = frame[name]
        fig.add_trace(
            go.Scatter(
                x=frame["K"],
                y=values,
                mode="lines+markers",
                name=name,
                line={"color": _LINE},
                hovertemplate=f"K=%{{x}}<br>{name} %{{y:,.3f}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        best = bests[name]
        if best is not None:
            fig.add_trace(
                go.Scatter(
                    x=[best],
                    y=[values[frame["K"] == best].item()],
                    mode="markers",
                    marker={"symbol": "star", "size": 16, "color": "#EDAE49"},
                    name=f"best {name}",
                    hovertemplate=f"best {name}: K=%{{x}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        if selected_k is not None and selected_k in sweep.k:
            fig.add_vline(x=selected_k, line={"color": _ACCENT, "dash": "dot"}, row=1, col=col)
    fig.update_xaxes(dtick=1, title_text="K")
    fig.update_layout(showlegend=False, height=320, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def criteria_caption(sweep: Sweep) -> str:
    """What the stars of :func:`criteria_figure` say, and why the suggestion follows only two criteria."""
    best = sweep.best_by_criterion()
    stars = ", ".join(f"{name} at K={k}" for name, k in best.items() if k is not None)
    if not stars:
        return "The criteria need at least two segments."
    return (
        f"★ marks each criterion's best K in this range: {stars}. The suggestion follows the elbow of the SSE "
        "curve and the silhouette; Calinski-Harabasz and Davies-Bouldin are a second opinion."
    )


def _highlight(fig: go.Figure, sweep: Sweep, selected_k: int | None, values: pd.Series) -> None:
    if selected_k is None or selected_k not in sweep.k:
        return
    y = values.iloc[sweep.k.index(selected_k)]
    fig.add_vline(x=selected_k, line={"color": _ACCENT, "dash": "dot"})
    fig.add_trace(
        go.Scatter(
            x=[selected_k],
            y=[y],
            mode="markers",
            marker={"size": 18, "color": _ACCENT, "line": {"width": 2, "color": "white"}},
            name="your K",
            hovertemplate="your K=%{x}<extra></extra>",
        )
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
        data = pd.DataFrame({title: _numbers(prepared, axis)[rows] for title, axis in zip(titles, axes, strict=True)})
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


#: A category column's chart shows at most this many values (the most common overall).
COLUMN_VALUES = 8


def column_figure(profile: Profile, column: str, *, segmentation: Segmentation | None = None) -> go.Figure:
    """One column across the segments, in the column's own units, each segment in its colour.

    * a number: a box per segment (the middle half of its customers, the median, whiskers from the
      5th to the 95th percentile, the mean as a dashed line), or the mean as a bar without
      ``segmentation``; a dotted line marks the average of all customers;
    * a yes/no column (``Churn``): the share of "yes" in each segment, against all customers;
    * a category: the share of each segment holding each value (the :data:`COLUMN_VALUES` most
      common values), with all customers as black diamonds.

    Parameters
    ----------
    profile : Profile
    column : str
        A profiled column, as in ``profile.importance["Column"]`` (numbers by name, a category once).
    segmentation : Segmentation, optional
        The customers behind ``profile``, for the boxes of a number column.
    """
    names = profile.names
    segments = list(profile.summary.index)
    # Short labels: two charts side by side must leave room for the bars.
    labels = [_short(segment_label(s, names[s - 1])) for s in segments]
    colours = [_colour(s - 1) for s in segments]
    if column in profile.numbers:
        fig = _number_figure(profile, column, labels, colours, segmentation)
        title = column.replace(" (days before latest)", ": days before the latest date")
    elif profile.yes_share(column) is not None:
        share = profile.yes_share(column)
        values = profile.summary[share]
        fig = go.Figure(
            go.Bar(
                x=values * 100,
                y=labels,
                orientation="h",
                marker={"color": colours},
                text=[percent(v) for v in values],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{text}<extra></extra>",
            )
        )
        _all_customers_line(fig, 100 * profile.overall[share], percent(profile.overall[share]))
        fig.update_xaxes(title="% of the segment", ticksuffix="%", range=[0, 100 * values.max() * 1.2])
        fig.update_yaxes(autorange="reversed")
        fig.update_layout(height=90 + 42 * len(labels))
        title = f"{column}: share with {profile.shares[share][1]}"
    else:
        fig = _category_figure(profile, column, colours)
        title = f"{column}: share of each segment with each value"
    fig.update_layout(
        title={"text": title, "font": {"size": 15}},
        showlegend=column not in profile.numbers and profile.yes_share(column) is None,
        margin={"l": 10, "r": 30, "t": 40, "b": 10},
    )
    return fig


def _number_figure(profile, column, labels, colours, segmentation) -> go.Figure:
    fig = go.Figure()
    if segmentation is None:
        means = profile.summary[column]
        fig.add_trace(
            go.Bar(
                x=means,
                y=labels,
                orientation="h",
                marker={"color": colours},
                text=[amount(v) for v in means],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: average %{text}<extra></extra>",
            )
        )
    else:
        values = _numbers(segmentation.prepared, column)
        members = segmentation.segmented
        for segment, label, colour in zip(profile.summary.index, labels, colours, strict=True):
            chosen = values[members & (segmentation.labels == segment)]
            chosen = chosen[np.isfinite(chosen)]
            if not len(chosen):
                continue
            low, q1, median, q3, high = np.percentile(chosen, [5, 25, 50, 75, 95])
            fig.add_trace(
                go.Box(
                    y=[label],
                    q1=[q1],
                    median=[median],
                    q3=[q3],
                    lowerfence=[low],
                    upperfence=[high],
                    mean=[chosen.mean()],
                    orientation="h",
                    name=segment_label(segment, profile.names[segment - 1]),
                    marker={"color": colour},
                    line={"color": colour},
                    fillcolor=_with_alpha(colour, 0.35),
                    boxpoints=False,
                    hoverinfo="x+name",
                )
            )
    _all_customers_line(fig, profile.overall[column], amount(profile.overall[column]))
    fig.update_xaxes(title=column.replace(" (days before latest)", " (days before the latest date)"))
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels)
    fig.update_layout(height=90 + 42 * len(labels))
    return fig


def _category_figure(profile, column, colours) -> go.Figure:
    shares = profile.values_of(column)
    shares = sorted(shares, key=lambda c: -profile.overall[c])[:COLUMN_VALUES]
    values = [profile.shares[c][1] for c in shares]
    fig = go.Figure()
    for segment, colour in zip(profile.summary.index, colours, strict=True):
        row = profile.summary.loc[segment, shares]
        fig.add_trace(
            go.Bar(
                x=row * 100,
                y=values,
                orientation="h",
                name=segment_label(segment, profile.names[segment - 1]),
                marker={"color": colour},
                customdata=[percent(v) for v in row],
                hovertemplate="%{y}: %{customdata}",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=profile.overall[shares] * 100,
            y=values,
            mode="markers",
            name="All customers",
            marker={"symbol": "diamond", "size": 10, "color": "black"},
            customdata=[percent(v) for v in profile.overall[shares]],
            hovertemplate="All customers<br>%{y}: %{customdata}<extra></extra>",
        )
    )
    fig.update_xaxes(title="% of the segment", ticksuffix="%", rangemode="tozero")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(
        barmode="group",
        height=110 + len(values) * (14 * len(colours) + 18),
        legend={"orientation": "h", "yanchor": "top", "y": -0.12 - 0.6 / max(len(values), 1)},
    )
    return fig


def _short(label: str, limit: int = 30) -> str:
    """A label cut to ``limit`` characters with an ellipsis (the legend and the tables have it in full)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _all_customers_line(fig: go.Figure, x: float, text: str) -> None:
    fig.add_vline(x=x, line={"color": "#333", "dash": "dot", "width": 1.5}, layer="above")
    fig.add_annotation(
        x=x,
        y=1,
        yref="paper",
        yanchor="bottom",
        text=f"all customers: {text}",
        showarrow=False,
        font={"size": 11, "color": "#333"},
    )


def axis_choices(profile: Profile) -> list[str]:
    """Number columns that can be 3D axes, those that separate the segments most first."""
    numbers = set(profile.medians.columns)
    ranked = profile.importance.sort_values(["Used to segment", "Strength"], ascending=False, kind="stable")
    ordered = []
    for column in ranked["Column"]:
        if column in numbers:
            ordered.append(column)
    return ordered + [c for c in profile.medians.columns if c not in ordered]


def _numbers(prepared, column: str) -> np.ndarray:
    """A number column in original units for every file row (days for dates)."""
    suffix = " (days before latest)"
    if column.endswith(suffix) and column not in prepared.table.columns:
        column = column.removesuffix(suffix)
    if column in prepared.values.columns:
        series = prepared.values[column]
    else:
        series = prepared.table.frame[column]
    if pd.api.types.is_datetime64_any_dtype(series):
        return ((series.max() - series).dt.total_seconds() / 86_400).to_numpy(dtype=float)
    return series.to_numpy(dtype=float, na_value=np.nan)


def stability_figure(results: list[Stability] | tuple[Stability, ...], *, selected_k: int | None = None) -> go.Figure:
    """Stability against K: agreement with the full solution (mean ± spread) and the weakest segment.

    The line is the mean adjusted Rand index over the resamples, its bars one standard deviation;
    the diamonds are each K's least stable segment (mean Jaccard), with Hennig's cut of 0.6 below
    which a segment is unstable.
    """
    ks = [r.k for r in results]
    weakest = [min(r.segment_jaccard) for r in results]
    fig = go.Figure(
        [
            go.Scatter(
                x=ks,
                y=[r.ari_mean for r in results],
                error_y={"type": "data", "array": [r.ari_std for r in results], "visible": True},
                mode="lines+markers",
                name="Agreement (adjusted Rand index)",
                line={"color": _LINE, "width": 3},
                marker={"size": 9},
                hovertemplate="K=%{x}<br>agreement %{y:.2f}<extra></extra>",
            ),
            go.Scatter(
                x=ks,
                y=weakest,
                mode="markers",
                name="Least stable segment (Jaccard)",
                marker={
                    "symbol": "diamond",
                    "size": 11,
                    "color": [_ACCENT if w < UNSTABLE_JACCARD else "#EDAE49" for w in weakest],
                },
                customdata=[", ".join(str(s) for s in r.unstable_segments) or "none" for r in results],
                hovertemplate="K=%{x}<br>weakest segment %{y:.2f}<br>unstable: %{customdata}<extra></extra>",
            ),
        ]
    )
    fig.add_hline(
        y=UNSTABLE_JACCARD,
        line={"color": _ACCENT, "dash": "dash"},
        annotation_text="unstable below 0.6",
        annotation_position="bottom right",
    )
    if selected_k is not None and selected_k in ks:
        fig.add_vline(x=selected_k, line={"color": _ACCENT, "dash": "dot"})
    fig.update_layout(
        title="Stability: do the segments come back on other customers and seeds? (higher is better)",
        xaxis_title="Number of segments (K)",
        yaxis={"title": "Agreement (1 = identical)", "range": [min(0.0, *weakest) - 0.02, 1.05]},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        height=380,
    )
    fig.update_xaxes(dtick=1)
    return fig


def sankey_figure(
    transitions: Transitions,
    *,
    names_from: list[str] | tuple[str, ...] | None = None,
    names_to: list[str] | tuple[str, ...] | None = None,
) -> go.Figure:
    """How customers move between the segments at two K, as a Sankey diagram.

    Segments at ``k_from`` on the left, in their segment colours and in segment order from the top;
    every flow has the colour of the segment it leaves. A segment on the right takes the colour of
    the left segment it matches (most customers in common, one to one), and a colour no left
    segment has when it matches none: one colour, one group of customers, on both sides.
    """
    names_from = transitions.names_from if names_from is None else names_from
    names_to = transitions.names_to if names_to is None else names_to
    counts = transitions.crosstab.to_numpy()
    k_from, k_to = counts.shape
    labels = [plain(segment_label(s, n)) for s, n in enumerate(names_from, start=1)]
    labels += [plain(segment_label(s, n)) for s, n in enumerate(names_to, start=1)]
    colours = [_colour(s) for s in range(k_from)] + _matched_colours(counts)
    sources, targets = np.nonzero(counts)
    # Nodes stacked in segment order (1 on top), so the picture reads like the segment list.
    y = np.r_[_stacked(counts.sum(axis=1)), _stacked(counts.sum(axis=0))]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            # Dark labels without a halo stay readable over the coloured flows.
            textfont={"color": "#1F2A37", "size": 13, "shadow": "none"},
            node={
                "label": labels,
                "color": colours,
                "pad": 12,
                "x": [0.001] * k_from + [0.999] * k_to,
                "y": y.tolist(),
                "hovertemplate": "%{label}<br>%{value:,} customers<extra></extra>",
            },
            link={
                "source": sources.tolist(),
                "target": (targets + k_from).tolist(),
                "value": counts[sources, targets].tolist(),
                "color": [_with_alpha(_colour(s), 0.45) for s in sources],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{value:,} customers<extra></extra>",
            },
        )
    )
    fig.update_layout(
        title=f"Where the customers go from K={transitions.k_from} (left) to K={transitions.k_to} (right)",
        height=max(360, 48 * max(k_from, k_to) + 120),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    for x, k, anchor in ((0, transitions.k_from, "left"), (1, transitions.k_to, "right")):
        fig.add_annotation(
            x=x, y=1.02, xref="paper", yref="paper", text=f"<b>K={k}</b>", showarrow=False, xanchor=anchor
        )
    return fig


#: Index bars on the cards stop here (a rare value 40 times as common in a segment would flatten the rest).
CARD_INDEX_MAX = 300


def card_figure(card: Card) -> go.Figure:
    """A segment card's small bar chart: each top feature's index against the average (100).

    Each bar is labelled with the values in the column's units (``"54 vs 39"``, ``"62% vs 16%"``)
    beside the bar, and the dashed average line runs behind the bars and their labels.
    """
    features = [f for f in card.features if np.isfinite(f.index)]
    colour = _colour(card.segment - 1)
    shown = [min(f.index, CARD_INDEX_MAX) for f in features]
    fig = go.Figure(
        go.Bar(
            x=shown,
            y=[plain(_short(f.feature.replace(" (days before latest)", " (days ago)"), 26)) for f in features],
            orientation="h",
            marker={"color": colour},
            text=[_versus(f) for f in features],
            textposition="outside",
            cliponaxis=False,
            customdata=[f"{f.index:,.0f}" for f in features],
            hovertemplate="%{y}: %{text}<br>index %{customdata} (100 = average)<extra></extra>",
        )
    )
    fig.add_vline(x=100, line={"color": "#555", "dash": "dash", "width": 1}, layer="below")
    fig.add_annotation(
        x=100, y=1, yref="paper", yanchor="bottom", text="average", showarrow=False, font={"size": 11, "color": "#555"}
    )
    longest = max([len(_versus(f)) for f in features], default=0)
    fig.update_layout(
        # No title: the card around the chart names the segment.
        height=90 + 34 * max(len(features), 1),
        margin={"l": 10, "r": 10, "t": 24, "b": 10},
        yaxis={"autorange": "reversed"},
        xaxis={
            "title": {"text": "Index (100 = average)"},
            # Room on the right for the longest label beside the longest bar.
            "range": [0, max([*shown, 100]) * (1.15 + 0.03 * longest)],
            "showgrid": False,
        },
        showlegend=False,
        uniformtext={"minsize": 10, "mode": "show"},
    )
    return fig


def _versus(feature) -> str:
    """A card feature's segment value against all customers, in units: ``"54 vs 39"``, ``"62% vs 16%"``."""
    if feature.is_share:
        return f"{percent(feature.value)} vs {percent(feature.average)}"
    return f"{amount(feature.value)} vs {amount(feature.average)}"


def _colour(position: int) -> str:
    """Colour of the segment at ``position`` (0 = segment 1)."""
    return SEGMENT_COLOURS[position % len(SEGMENT_COLOURS)]


def _matched_colours(counts: np.ndarray) -> list[str]:
    """Colours of the right-hand segments of a K-vs-K table: the matched left segment's, else a new one."""
    from scipy.optimize import linear_sum_assignment

    k_from, k_to = counts.shape
    left, right = linear_sum_assignment(counts, maximize=True)
    colours: list[str | None] = [None] * k_to
    for i, j in zip(left, right, strict=True):
        if counts[i, j] > 0:
            colours[j] = _colour(i)
    fresh = (_colour(p) for p in range(k_from, k_from + k_to + len(SEGMENT_COLOURS)) if _colour(p) not in colours)
    return [c if c is not None else next(fresh) for c in colours]


def _with_alpha(colour: str, alpha: float) -> str:
    red, green, blue = hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)
    return f"rgba({red:.0f}, {green:.0f}, {blue:.0f}, {alpha})"


def _stacked(sizes: np.ndarray) -> np.ndarray:
    """Vertical centres (0 = top) of nodes stacked in order, each as tall as its share."""
    shares = sizes / max(sizes.sum(), 1)
    return np.clip(np.cumsum(shares) - shares / 2, 0.001, 0.999)

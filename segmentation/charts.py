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

__all__ = [
    "PLOT_ROWS",
    "axis_choices",
    "SEGMENT_COLOURS",
    "card_figure",
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
        ("Silhouette", "higher is better", True),
        ("Calinski-Harabasz", "higher is better", True),
        ("Davies-Bouldin", "lower is better", False),
    ]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[f"{name} ({hint})" for name, hint, _ in panels])
    for col, (name, _, higher) in enumerate(panels, start=1):
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
        if values.notna().any():
            best = int(frame.loc[values.idxmax() if higher else values.idxmin(), "K"])
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
        share = pca.explained_variance_ratio_
        titles = [f"Component {i + 1} ({share[i]:.0%} of the variation)" for i in range(3)]
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
    fig.update_layout(
        legend={"title": "Segment", "itemsizing": "constant"},
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        scene={"xaxis_title": titles[0], "yaxis_title": titles[1], "zaxis_title": titles[2]},
    )
    return fig, len(rows)


def index_figure(profile: Profile, *, columns: list[str] | None = None) -> go.Figure:
    """A heatmap of each segment's index against the average (100 = average), with the values."""
    index = profile.index if columns is None else profile.index[columns]
    index = index.dropna(axis=1, how="all")
    labels = [plain(segment_label(s, profile.names[s - 1])) for s in index.index]
    values = index.to_numpy(dtype=float)
    text = np.where(np.isnan(values), "", np.vectorize(lambda v: f"{v:.0f}")(np.nan_to_num(values)))
    spread = np.nanmax(np.abs(values - 100)) if np.isfinite(values).any() else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=[plain(column) for column in index.columns],
            y=labels,
            text=text,
            texttemplate="%{text}",
            colorscale="RdBu",
            zmid=100,
            zmin=100 - spread,
            zmax=100 + spread,
            colorbar={"title": "Index"},
            hovertemplate="%{y}<br>%{x}: index %{z:.0f}<extra></extra>",
        )
    )
    fig.update_layout(
        height=120 + 48 * len(labels),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        yaxis={"autorange": "reversed"},
        xaxis={"side": "top"},
    )
    return fig


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

    Segments at ``k_from`` on the left, at ``k_to`` on the right, each in its segment colour and in
    segment order from the top; every flow has the colour of the segment it leaves.
    """
    names_from = transitions.names_from if names_from is None else names_from
    names_to = transitions.names_to if names_to is None else names_to
    counts = transitions.crosstab.to_numpy()
    k_from, k_to = counts.shape
    labels = [plain(segment_label(s, n)) for s, n in enumerate(names_from, start=1)]
    labels += [plain(segment_label(s, n)) for s, n in enumerate(names_to, start=1)]
    colours = [_colour(s) for s in range(k_from)] + [_colour(s) for s in range(k_to)]
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


def card_figure(card: Card) -> go.Figure:
    """A segment card's small bar chart: each top feature's index against the average (100)."""
    features = [f for f in card.features if np.isfinite(f.index)]
    colour = _colour(card.segment - 1)
    fig = go.Figure(
        go.Bar(
            x=[f.index for f in features],
            y=[plain(f.feature.replace(" (days before latest)", " (days ago)")) for f in features],
            orientation="h",
            marker={"color": colour},
            text=[f"{f.index:.0f}" for f in features],
            textposition="auto",
            hovertemplate="%{y}: index %{x:.0f} (100 = average)<extra></extra>",
        )
    )
    fig.add_vline(x=100, line={"color": "#555", "dash": "dash"}, annotation_text="average", annotation_position="top")
    fig.update_layout(
        # No title: the card around the chart names the segment.
        height=70 + 36 * max(len(features), 1),
        margin={"l": 10, "r": 10, "t": 24, "b": 10},
        yaxis={"autorange": "reversed"},
        xaxis={"title": "Index (100 = average)", "rangemode": "tozero"},
        showlegend=False,
    )
    return fig


def _colour(position: int) -> str:
    """Colour of the segment at ``position`` (0 = segment 1)."""
    return SEGMENT_COLOURS[position % len(SEGMENT_COLOURS)]


def _with_alpha(colour: str, alpha: float) -> str:
    red, green, blue = hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)
    return f"rgba({red:.0f}, {green:.0f}, {blue:.0f}, {alpha})"


def _stacked(sizes: np.ndarray) -> np.ndarray:
    """Vertical centres (0 = top) of nodes stacked in order, each as tall as its share."""
    shares = sizes / max(sizes.sum(), 1)
    return np.clip(np.cumsum(shares) - shares / 2, 0.001, 0.999)

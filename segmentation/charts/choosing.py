"""Charts for choosing K: the elbow, the other criteria, stability per K, and where customers go from K to K' (Sankey)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..stability import UNSTABLE_JACCARD, Stability
from ..sweep import Sweep
from ..transitions import Transitions
from .base import (
    ACCENT,
    LINE,
    SEGMENT_COLOURS,
    plain,
    segment_colour,
    segment_label,
    with_alpha,
)


def elbow_figure(sweep: Sweep, *, selected_k: int | None = None) -> go.Figure:
    """SSE (inertia) against K, with the elbow marked and the selected K highlighted."""
    frame = sweep.frame()
    fig = go.Figure(
        go.Scatter(
            x=frame["K"],
            y=frame["SSE (inertia)"],
            mode="lines+markers",
            name="SSE",
            line={"color": LINE, "width": 3},
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
                line={"color": LINE},
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
            fig.add_vline(x=selected_k, line={"color": ACCENT, "dash": "dot"}, row=1, col=col)
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
    fig.add_vline(x=selected_k, line={"color": ACCENT, "dash": "dot"})
    fig.add_trace(
        go.Scatter(
            x=[selected_k],
            y=[y],
            mode="markers",
            marker={"size": 18, "color": ACCENT, "line": {"width": 2, "color": "white"}},
            name="your K",
            hovertemplate="your K=%{x}<extra></extra>",
        )
    )


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
                line={"color": LINE, "width": 3},
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
                    "color": [ACCENT if w < UNSTABLE_JACCARD else "#EDAE49" for w in weakest],
                },
                customdata=[", ".join(str(s) for s in r.unstable_segments) or "none" for r in results],
                hovertemplate="K=%{x}<br>weakest segment %{y:.2f}<br>unstable: %{customdata}<extra></extra>",
            ),
        ]
    )
    fig.add_hline(
        y=UNSTABLE_JACCARD,
        line={"color": ACCENT, "dash": "dash"},
        annotation_text="unstable below 0.6",
        annotation_position="bottom right",
    )
    if selected_k is not None and selected_k in ks:
        fig.add_vline(x=selected_k, line={"color": ACCENT, "dash": "dot"})
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
    colours = [segment_colour(s) for s in range(k_from)] + _matched_colours(counts)
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
                "color": [with_alpha(segment_colour(s), 0.45) for s in sources],
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


def _matched_colours(counts: np.ndarray) -> list[str]:
    """Colours of the right-hand segments of a K-vs-K table: the matched left segment's, else a new one."""
    from scipy.optimize import linear_sum_assignment

    k_from, k_to = counts.shape
    left, right = linear_sum_assignment(counts, maximize=True)
    colours: list[str | None] = [None] * k_to
    for i, j in zip(left, right, strict=True):
        if counts[i, j] > 0:
            colours[j] = segment_colour(i)
    fresh = (
        segment_colour(p)
        for p in range(k_from, k_from + k_to + len(SEGMENT_COLOURS))
        if segment_colour(p) not in colours
    )
    return [c if c is not None else next(fresh) for c in colours]


def _stacked(sizes: np.ndarray) -> np.ndarray:
    """Vertical centres (0 = top) of nodes stacked in order, each as tall as its share."""
    shares = sizes / max(sizes.sum(), 1)
    return np.clip(np.cumsum(shares) - shares / 2, 0.001, 0.999)

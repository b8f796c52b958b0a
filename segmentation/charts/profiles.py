"""Charts of what sets segments apart, in the columns' units: a column per segment, and a segment's card."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..cards import Card
from ..describe import Profile
from ..fit import Segmentation
from ..units import amount, percent
from .base import (
    numbers_of,
    plain,
    segment_colour,
    segment_label,
    short,
    with_alpha,
)

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
    labels = [short(segment_label(s, names[s - 1])) for s in segments]
    colours = [segment_colour(s - 1) for s in segments]
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
        values = numbers_of(segmentation.prepared, column)
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
                    fillcolor=with_alpha(colour, 0.35),
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


#: Index bars on the cards stop here (a rare value 40 times as common in a segment would flatten the rest).
CARD_INDEX_MAX = 300


def card_figure(card: Card) -> go.Figure:
    """A segment card's small bar chart: each top feature's index against the average (100).

    Each bar is labelled with the values in the column's units (``"54 vs 39"``, ``"62% vs 16%"``)
    beside the bar, and the dashed average line runs behind the bars and their labels.
    """
    features = [f for f in card.features if np.isfinite(f.index)]
    colour = segment_colour(card.segment - 1)
    shown = [min(f.index, CARD_INDEX_MAX) for f in features]
    fig = go.Figure(
        go.Bar(
            x=shown,
            y=[plain(short(f.feature.replace(" (days before latest)", " (days ago)"), 26)) for f in features],
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

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

from .base import PLOT_ROWS, SEGMENT_COLOURS, plain, segment_label
from .choosing import criteria_caption, criteria_figure, elbow_figure, sankey_figure, stability_figure
from .profiles import CARD_INDEX_MAX, COLUMN_VALUES, card_figure, column_figure
from .segments import (
    INDEX_COLOUR_MAX,
    INDEX_COLUMNS,
    axis_choices,
    component_titles,
    index_figure,
    plot_sample,
    scatter_3d,
    sizes_figure,
)

__all__ = [
    "CARD_INDEX_MAX",
    "COLUMN_VALUES",
    "INDEX_COLOUR_MAX",
    "INDEX_COLUMNS",
    "PLOT_ROWS",
    "SEGMENT_COLOURS",
    "axis_choices",
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

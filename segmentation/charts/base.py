"""What every chart shares: one colour per segment number, segment labels, and names shown as text."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.express as px
from plotly.colors import hex_to_rgb, unlabel_rgb

#: Above this many customers the 3D scatter draws a sample (browsers slow down beyond it).
PLOT_ROWS = 10_000


#: One colour per segment number (1 first), readable on white, distinguishable in print.
SEGMENT_COLOURS = px.colors.qualitative.Bold + px.colors.qualitative.Vivid + px.colors.qualitative.Safe


ACCENT = "#D1495B"


LINE = "#2E6F95"


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


def short(label: str, limit: int = 30) -> str:
    """A label cut to ``limit`` characters with an ellipsis (the legend and the tables have it in full)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def segment_colour(position: int) -> str:
    """Colour of the segment at ``position`` (0 = segment 1)."""
    return SEGMENT_COLOURS[position % len(SEGMENT_COLOURS)]


def with_alpha(colour: str, alpha: float) -> str:
    red, green, blue = hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)
    return f"rgba({red:.0f}, {green:.0f}, {blue:.0f}, {alpha})"


def numbers_of(prepared, column: str) -> np.ndarray:
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

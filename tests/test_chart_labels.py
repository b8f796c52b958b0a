"""The Plotly figures show every name as typed: Plotly reads a subset of HTML in labels, titles,
axis titles, hover text and annotations, so markup in a column or segment name must not become a
link or bold text (issue 17)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segmentation as sg
from segmentation import charts

LINK = '<a href="https://example.com/">Click me</a>'
BOLD = "<b>Bold</b> & %{x}"
#: The names' markup as Plotly would read it: a link, bold text, a hover template's field.
LIVE = ("<a href", "<b>Bold", "<b>North", "& %{x}")


@pytest.fixture(scope="module")
def hostile():
    """Customers whose columns, categories and segment names hold markup."""
    rng = np.random.default_rng(0)
    n = 300
    group = rng.integers(0, 3, n)
    frame = pd.DataFrame(
        {
            LINK: group * 10 + rng.normal(0, 1, n),
            BOLD: group * 5 + rng.normal(0, 1, n),
            "Spend <i>k$</i>": rng.normal(50, 10, n),
            "Store": np.where(group == 0, LINK, np.where(group == 1, "<b>North</b>", "South")),
        }
    )
    segmentation = sg.fit(sg.prepare(sg.load_table(frame.to_csv(index=False).encode(), name="x.csv")), 3)
    names = (LINK, BOLD, "Plain")
    return segmentation, sg.describe(segmentation).with_names(names), names


def strings(value) -> list[str]:
    """Every string in a figure's JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in strings(item)]
    return []


def assert_shown_as_text(figure) -> None:
    texts = strings(figure.to_plotly_json())
    for text in texts:
        for live in LIVE:
            assert live not in text, text
    assert any("&lt;" in text for text in texts)  # and some name is there, escaped


def test_plain_escapes_markup_and_template_fields():
    assert charts.plain(LINK) == '&lt;a href="https://example.com/"&gt;Click me&lt;/a&gt;'
    assert charts.plain(BOLD) == "&lt;b&gt;Bold&lt;/b&gt; &amp; %\u2060{x}"
    assert charts.plain("Annual Income (k$)") == "Annual Income (k$)"


def test_every_figure_shows_names_as_text(hostile):
    segmentation, profile, names = hostile
    figures = [
        charts.scatter_3d(segmentation, names=names, axes=(LINK, BOLD, "Spend <i>k$</i>"))[0],
        charts.scatter_3d(segmentation, names=names, components=True)[0],
        charts.index_figure(profile),
        charts.sizes_figure(profile),
        *(charts.card_figure(card) for card in sg.segment_cards(profile)),
    ]
    other = sg.fit(segmentation.prepared, 2)
    moves = sg.compare_segmentations(segmentation, other, names_from=names, names_to=(LINK, "Other"))
    figures.append(charts.sankey_figure(moves))
    for figure in figures:
        assert_shown_as_text(figure)


def test_the_3d_scatter_keeps_its_axes_and_legend_in_order(hostile):
    segmentation, _, names = hostile
    figure, drawn = charts.scatter_3d(segmentation, names=names, axes=(LINK, BOLD, "Spend <i>k$</i>"))
    assert drawn == 300
    assert figure.layout.scene.xaxis.title.text == charts.plain(LINK)
    assert [trace.name for trace in figure.data] == [charts.plain(f"{i} · {n}") for i, n in enumerate(names, 1)]

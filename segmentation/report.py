"""The segmentation as one HTML file to forward and print: what was segmented, how K was chosen, each
segment in the file's units, the unusual customers and the settings to do it again.

:func:`report_html` returns a single self-contained page: the charts are Plotly figures with
plotly.js inlined once, so it opens offline and from an e-mail attachment (no CDN, no font, image or
link to fetch). A print stylesheet gives each segment its own page when printed to PDF from a
browser. Every text in it comes from the user's file or typing and is escaped (the figures' data
travel as JSON in which Plotly escapes ``<``); the page runs no script of its own but Plotly's and a
one-line resize before printing.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .cards import Card, segment_cards
from .describe import Profile, describe, profile_table
from .fit import Segmentation
from .units import amount, percent
from .unusual import unusual_customers, worst_fits
from .wording import free_name

if TYPE_CHECKING:
    from .stability import Stability
    from .sweep import Sweep

__all__ = ["reproduce_command", "report_html"]

#: Columns shown with a chart of their own in the overview (those that set the segments apart most).
REPORT_COLUMNS = 6
#: Customers listed in the section on unusual customers.
REPORT_UNUSUAL = 20


def report_html(
    segmentation: Segmentation,
    *,
    profile: Profile | None = None,
    names: Sequence[str] | None = None,
    sweep: Sweep | None = None,
    stability: Sequence[Stability] = (),
    title: str | None = None,
    command: str | None = None,
) -> str:
    """The segmentation as one self-contained HTML report, ready to forward or print to PDF.

    Parameters
    ----------
    segmentation : Segmentation
        Output of :func:`segmentation.fit`.
    profile : Profile, optional
        Its profile (:func:`segmentation.describe`), when already computed.
    names : sequence of str, optional
        Segment names (e.g. typed by the user), segment 1 first; default the profile's.
    sweep : Sweep, optional
        The criteria for a range of K, for the section on how K was chosen.
    stability : sequence of Stability, optional
        Stability checks of one or more K (the chosen K's is quoted).
    title : str, optional
        The report's heading; default ``"K customer segments: FILE"``.
    command : str, optional
        The command line that gives the same segments; default :func:`reproduce_command`.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> from segmentation import fit, load_table, prepare
    >>> table = load_table(b"Income,Spending\\n15,80\\n16,82\\n17,79\\n90,10\\n95,12\\n99,15\\n", name="<q3>.csv")
    >>> page = report_html(fit(prepare(table), 2), names=["Savers", "<b>Spenders</b>"])
    >>> page.startswith("<!DOCTYPE html>"), "&lt;b&gt;Spenders&lt;/b&gt;" in page, "<b>Spenders" in page
    (True, True, False)
    >>> "Average Income 95 (all customers 55)" in page, 'src="http' in page
    (True, False)
    """
    from plotly.offline import get_plotlyjs

    prepared = segmentation.prepared
    profile = profile if profile is not None else describe(segmentation)
    if names is not None:
        profile = profile.with_names(list(names))
    table = prepared.table
    k = segmentation.k
    title = title or f"{k} customer segments: {table.name}"
    charts = _Charts()
    cards = segment_cards(profile)
    stable = next((s for s in stability if s.k == k), None)

    sections = [
        _summary(segmentation, profile, stable),
        _file_section(prepared),
        _choice_section(segmentation, sweep, stability, stable, charts),
        _overview_section(segmentation, profile, charts),
        *(_segment_section(segmentation, profile, card, charts) for card in cards),
        _unusual_section(segmentation, profile),
        _settings_section(segmentation, command or reproduce_command(segmentation)),
    ]
    contents = "".join(
        f'<li><a href="#{anchor}">{html.escape(text)}</a></li>'
        for anchor, text in [
            ("file", "The file"),
            ("k", "How the number of segments was chosen"),
            ("overview", "The segments side by side"),
            *((f"segment-{c.segment}", f"Segment {c.segment}: {c.name}") for c in cards),
            ("unusual", "Unusual customers"),
            ("settings", "Settings to reproduce"),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style>"
        # plotly.js once, for every chart below; nothing is fetched from the network.
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
        f"<script>{_RESIZE_FOR_PRINT}</script></head>"
        f"<body><header><h1>{html.escape(title)}</h1></header>"
        f"<nav><h2>Contents</h2><ol>{contents}</ol></nav><main>{''.join(sections)}</main>"
        "<footer>Made with the segmentation tool (python -m segmentation). Index: a segment's value against "
        "the average of all customers, 100 = average.</footer></body></html>\n"
    )


def reproduce_command(segmentation: Segmentation, *, file: str | None = None) -> str:
    """The ``python -m segmentation segment`` command that gives these segments again.

    Examples
    --------
    >>> from segmentation import fit, load_table, prepare
    >>> table = load_table(b"ID,Age,Churn\\n1,20,yes\\n2,30,no\\n3,60,no\\n4,65,yes\\n", name="my file.csv")
    >>> reproduce_command(fit(prepare(table), 2))
    "python -m segmentation segment 'my file.csv' --k 2 --seed 0 --features Age --describe Churn --scaler standard --outliers keep --weighting balanced --transform auto"
    """
    prepared = segmentation.prepared
    parts = ["python", "-m", "segmentation", "segment", file or prepared.table.name]
    parts += ["--k", str(segmentation.k), "--seed", str(segmentation.random_state)]
    parts += ["--features", *prepared.columns]
    if prepared.described:
        parts += ["--describe", *prepared.described]
    categorical = [r.column for r in prepared.reports if r.kind == "category" and r.from_numbers and r.role != "ignore"]
    if categorical:
        parts += ["--categorical", *categorical]
    parts += ["--scaler", prepared.scaler, "--outliers", prepared.outliers]
    parts += ["--weighting", prepared.weighting, "--transform", prepared.transform]
    return shlex.join(parts)


# --------------------------------------------------------------------------------------------------
# Sections


def _summary(segmentation: Segmentation, profile: Profile, stable: Stability | None) -> str:
    prepared = segmentation.prepared
    segmented = int(segmentation.segmented.sum())
    facts = [
        f"{prepared.n_rows:,} customers in the file, {segmented:,} in {segmentation.k} segments",
        f"segmented on {len(prepared.columns)} of its {len(prepared.table.columns)} columns",
    ]
    if segmentation.silhouette is not None:
        facts.append(f"silhouette {segmentation.silhouette:.2f}")
    if stable is not None:
        facts.append(f"stability {stable.ari_mean:.2f} (1 = the same segments every time)")
    rows = "".join(
        f"<tr><td>{_segment_badge(s)}</td><td>{html.escape(name)}</td><td class=num>{size:,}</td>"
        f"<td class=num>{percent(share)}</td></tr>"
        for s, (name, size, share) in enumerate(
            zip(profile.names, segmentation.sizes, segmentation.shares, strict=True), start=1
        )
    )
    return (
        '<section id="summary"><p class="lead">'
        + html.escape("; ".join(facts))
        + ".</p>"
        + "<table><thead><tr><th>Segment</th><th>Name</th><th class=num>Customers</th>"
        + f"<th class=num>Share</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _file_section(prepared) -> str:
    table = prepared.table
    audit = prepared.audit()
    columns = audit[["Column", "Kind", "Role", "Scale", "Different values", "Missing", "Details"]]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in (*prepared.notes, *prepared.warnings()))
    return (
        '<section id="file"><h2>The file</h2>'
        f"<p><b>{html.escape(table.name)}</b>: {table.n_rows:,} rows, {len(table.columns)} columns "
        f"({html.escape(table.describe_format())}); SHA-256 {html.escape(table.file_hash[:16])}…</p>"
        "<p>Each column's kind decides how it is compared; its role whether it forms the segments "
        "(segment), is only shown per segment (describe: outcomes such as churn) or is left out (ignore).</p>"
        + _html_table(columns, numbers={"Different values", "Missing"}, wide="Details")
        + (f"<ul class=notes>{notes}</ul>" if notes else "")
        + "</section>"
    )


def _choice_section(
    segmentation: Segmentation, sweep: Sweep | None, stability: Sequence[Stability], stable, charts
) -> str:
    from .charts import criteria_caption, criteria_figure, elbow_figure, stability_figure

    k = segmentation.k
    parts = ['<section id="k"><h2>How the number of segments was chosen</h2>']
    if sweep is None:
        parts.append(f"<p>K = {k} was given; no range of K was tried for this report.</p>")
    else:
        chosen = (
            f"K = {k} was chosen, as suggested."
            if k == sweep.suggested_k
            else f"K = {k} was chosen; the criteria suggested K = {sweep.suggested_k}."
        )
        parts.append(f"<p>K from {sweep.k[0]} to {sweep.k[-1]} was tried. {html.escape(sweep.advice())}</p>")
        parts.append(f"<p><b>{html.escape(chosen)}</b></p>")
        parts.append(charts.add(elbow_figure(sweep, selected_k=k)))
        parts.append(charts.add(criteria_figure(sweep, selected_k=k)))
        parts.append(f'<p class="caption">{html.escape(criteria_caption(sweep))}</p>')
        criteria = sweep.frame()
        decimals = {"SSE (inertia)": 1, "Silhouette": 3, "Calinski-Harabasz": 0, "Davies-Bouldin": 2}
        parts.append(_html_table(criteria, numbers=set(criteria.columns), decimals=decimals))
    if stability:
        if len(stability) > 1:
            parts.append(charts.add(stability_figure(list(stability), selected_k=k)))
        if stable is not None:
            parts.append(f"<p>{html.escape(stable.summary())}</p>")
    else:
        parts.append("<p>The stability of the segments was not checked for this report.</p>")
    parts.append("</section>")
    return "".join(parts)


def _overview_section(segmentation: Segmentation, profile: Profile, charts) -> str:
    from .charts import column_figure, index_figure, sizes_figure

    columns = list(dict.fromkeys(profile.key_columns(REPORT_COLUMNS) + profile.described))
    figures = "".join(charts.add(column_figure(profile, c, segmentation=segmentation)) for c in columns)
    return (
        '<section id="overview" class="page"><h2>The segments side by side</h2>'
        + charts.add(sizes_figure(profile))
        + "<h3>Index against the average customer (100 = average)</h3>"
        + charts.add(index_figure(profile))
        + "<h3>What sets the segments apart, column by column</h3>"
        + '<p class="caption">Numbers: each box holds the middle half of a segment\'s customers, the line '
        "inside is the median, the dashed line the average, the whiskers run from the 5th to the 95th "
        "percentile; the dotted line is the average of all customers.</p>"
        + figures
        + "<h3>Averages and shares</h3>"
        + _averages_table(profile)
        + "</section>"
    )


def _averages_table(profile: Profile) -> str:
    # The percent signs say which rows are shares: no Measure column, so the table fits a printed page.
    averages = profile_table(profile).drop(columns="Measure")
    return _html_table(averages, numbers=set(averages.columns), index="Column", many=True)


def _segment_section(segmentation: Segmentation, profile: Profile, card: Card, charts) -> str:
    from .charts import SEGMENT_COLOURS, card_figure

    colour = SEGMENT_COLOURS[(card.segment - 1) % len(SEGMENT_COLOURS)]
    segment = card.segment
    quotes = "".join(f"<li>{html.escape(q)}</li>" for q in card.quotes())
    numbers = profile.numbers
    averages = pd.DataFrame(
        {
            "Column": numbers,
            "This segment": [amount(profile.summary.loc[segment, c]) for c in numbers],
            "All customers": [amount(profile.overall[c]) for c in numbers],
            "Median of the segment": [amount(profile.medians.loc[segment, c]) for c in numbers],
        }
    )
    apart = profile.top_differences(segment, n=len(profile.overall))
    # A column once, by its most telling value (the two values of a yes/no column say the same thing).
    apart = apart[~apart["Feature"].map(profile.source).duplicated()].head(8)
    apart = pd.DataFrame(
        {
            "What sets them apart": apart["Feature"],
            "This segment": [_value(profile, f, v) for f, v in zip(apart["Feature"], apart["Segment"], strict=True)],
            "All customers": [
                _value(profile, f, v) for f, v in zip(apart["Feature"], apart["All customers"], strict=True)
            ],
            "Index": ["–" if not np.isfinite(i) else f"{i:,.0f}" for i in apart["Index"]],
        }
    )
    return (
        f'<section id="segment-{segment}" class="segment page" style="border-top-color:{html.escape(colour)}">'
        f"<h2>{_segment_badge(segment)}Segment {segment}: {html.escape(card.name)}</h2>"
        f'<p class="lead">{card.customers:,} customers, {percent(card.share)} of those segmented. '
        f"{html.escape(card.description.split('. ', 1)[-1])}</p>"
        f"<ul class=quotes>{quotes}</ul>"
        + charts.add(card_figure(card))
        + "<h3>What sets them apart</h3>"
        + _html_table(apart, numbers={"This segment", "All customers", "Index"})
        + ("<h3>Averages in the file's units</h3>" + _html_table(averages, numbers=set(averages.columns[1:])))
        * bool(numbers)
        + "</section>"
    )


def _unusual_section(segmentation: Segmentation, profile: Profile) -> str:
    from .unusual import customer_id_column

    flags = unusual_customers(segmentation)
    aside = int(segmentation.set_aside.sum())
    worst = worst_fits(segmentation, n=REPORT_UNUSUAL, names=profile.names)
    # worst_fits' own columns come first (renamed if the file has columns of the same name).
    row, segment, name, fit, distance, _, why = worst.columns[:7]
    id_column = customer_id_column(segmentation.prepared)
    files = [c for c in segmentation.prepared.columns if c != id_column][:3]
    table = pd.DataFrame({id_column or "Row": worst[id_column] if id_column else worst[row]})
    table["Segment"] = [f"{s} · {n}" for s, n in zip(worst[segment], worst[name], strict=True)]
    table["Fit score"] = worst[fit].map(lambda v: f"{v:.2f}")
    table["Distance to centre"] = worst[distance].map(lambda v: f"{v:.2f}")
    table["Why"] = worst[why]
    for column in files:
        table[free_name(column, table.columns)] = worst.iloc[:, 7:][column].to_numpy()  # as written in the file
    text = (
        f"{int(flags.sum()):,} customer(s) fit their segment worst: they sit between two segments (fit "
        "score below 0) or far from their segment's centre. They may be data errors or a small group of "
        "their own; look at them before a campaign."
    )
    if aside:
        text += (
            f" {aside:,} of them had an impossible or extreme value and were set aside: they did not place "
            "the segments and carry their nearest segment."
        )
    return (
        '<section id="unusual" class="page"><h2>Unusual customers</h2>'
        f"<p>{html.escape(text)}</p><p>The {len(table)} that fit worst, unusual ones first (with a reason):</p>"
        + _html_table(table, numbers={"Row", "Fit score", "Distance to centre"}, wide="Why", many=True)
        + "</section>"
    )


def _settings_section(segmentation: Segmentation, command: str) -> str:
    from . import __version__

    prepared = segmentation.prepared
    settings = pd.DataFrame(
        {
            "Setting": [
                "File",
                "Number of segments (K)",
                "Seed",
                "Columns segmented on",
                "Columns described",
                "Scaling",
                "Extreme values",
                "Weighting",
                "Skewed amounts",
                "Tool",
            ],
            "Value": [
                f"{prepared.table.name} (SHA-256 {prepared.table.file_hash})",
                str(segmentation.k),
                str(segmentation.random_state),
                ", ".join(prepared.columns),
                ", ".join(prepared.described) or "none",
                prepared.scaler,
                prepared.outliers,
                prepared.weighting,
                prepared.transform,
                f"segmentation {__version__}",
            ],
        }
    )
    return (
        '<section id="settings"><h2>Settings to reproduce</h2>'
        + _html_table(settings, wide="Value")
        + "<p>The same file and these settings give the same segments, on any machine:</p>"
        f"<pre>{html.escape(command)}</pre>"
        "<p>The run file (JSON) saved with the segments holds the fitted preparation and centres, to put new "
        "customers into these segments.</p></section>"
    )


# --------------------------------------------------------------------------------------------------
# HTML pieces


class _Charts:
    """Figures as ``<div>`` elements with fixed ids (the same run gives the same bytes)."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, figure) -> str:
        import plotly.io as pio

        self.count += 1
        div = pio.to_html(
            figure,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"chart-{self.count}",
            config={"displayModeBar": False, "responsive": True},
        )
        return f'<div class="chart">{div}</div>'


def _segment_badge(segment: int) -> str:
    from .charts import SEGMENT_COLOURS

    colour = SEGMENT_COLOURS[(segment - 1) % len(SEGMENT_COLOURS)]
    return f'<span class="badge" style="background:{html.escape(colour)}">{segment}</span>'


def _value(profile: Profile, feature: str, value: float) -> str:
    return amount(value) if feature in profile.numbers else percent(value)


def _html_table(
    frame: pd.DataFrame,
    *,
    numbers: set[str] = frozenset(),
    decimals: dict[str, int] | None = None,
    wide: str | None = None,
    index: str | None = None,
    many: bool = False,
) -> str:
    """A DataFrame as an escaped HTML table; numbers right-aligned (and formatted when not text yet)."""
    decimals = decimals or {}
    frame = frame.reset_index() if index else frame
    head = "".join(
        f'<th class="{"num" if c in numbers else ("wide" if c == wide else "")}">{html.escape(str(c))}</th>'
        for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            css = "num" if column in numbers else ("wide" if column == wide else "")
            cells.append(f'<td class="{css}">{html.escape(_cell(value, decimals.get(column)))}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    css = ' class="many"' if many else ""
    return f"<table{css}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cell(value, decimals: int | None) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else ""
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "–"
        return (
            f"{value:,.{decimals}f}" if decimals is not None else f"{value:,.4g}" if abs(value) < 10 else amount(value)
        )
    return "" if value is None else str(value)


_RESIZE_FOR_PRINT = (
    # Charts take the printed page's width, and the screen's again afterwards.
    "['beforeprint','afterprint'].forEach(e=>window.addEventListener(e,()=>"
    "document.querySelectorAll('.js-plotly-plot').forEach(p=>Plotly.Plots.resize(p))));"
)

_CSS = (
    "@page{size:A4;margin:12mm}"
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1F2A37;"
    "margin:0 auto;max-width:1040px;padding:24px;line-height:1.4;background:#fff}"
    "h1{font-size:26px;margin:0 0 8px}h2{font-size:20px;margin:28px 0 8px}h3{font-size:16px;margin:18px 0 6px}"
    ".lead{font-size:15px}.caption{color:#555;font-size:13px}nav ol{columns:2;font-size:14px}"
    "table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}"
    "th{text-align:left;color:#555;font-weight:600;border-bottom:1px solid #ccc;padding:3px 6px;overflow-wrap:break-word}"
    "td{padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:break-word}"
    # Tables of many columns (the unusual customers) may break long names anywhere to fit the page.
    "table.many th,table.many td{overflow-wrap:anywhere}"
    "table.many td:first-child{min-width:7em}"
    ".num{text-align:right;font-variant-numeric:tabular-nums}td.num{white-space:nowrap}.wide{min-width:12em}"
    "pre{white-space:pre-wrap;word-break:break-all;background:#F3F6F8;padding:8px;font-size:12px}"
    ".badge{display:inline-block;color:#fff;border-radius:50%;min-width:22px;height:22px;line-height:22px;"
    "text-align:center;font-size:13px;margin-right:8px;-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    ".segment{border-top:6px solid #888;padding-top:4px}.quotes li{margin:2px 0}"
    ".chart{break-inside:avoid;page-break-inside:avoid;margin:8px 0}"
    "footer{margin-top:24px;color:#666;font-size:12px}"
    "@media print{body{max-width:none;padding:0}nav{display:none}"
    ".page{break-before:page;page-break-before:always}"
    "table,tr,.quotes{break-inside:avoid;page-break-inside:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}"
)

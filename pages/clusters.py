"""Segments page: what each segment is (in your units), how stable, names to edit, the 3D view, the downloads."""

import pandas as pd
import streamlit as st

import app_results
import app_show
import app_state
import app_transactions
import segmentation as sg
from segmentation import charts
from segmentation.describe import profile_table
from segmentation.export import download_stem
from segmentation.sweep import K_LIMIT
from segmentation.unusual import customer_id_column

app_state.page_setup("pages/clusters.py")
current, prepared = app_state.require_data()
k = app_results.current_k()

result = app_state.or_explain(app_state.segmentation, k)
automatic = app_state.profile(result)
names = app_state.segment_names(k, automatic.names)
stable = app_results.stability_at(k)

st.title("Your segments" if k == 1 else f"Your {k} segments")
st.caption(f"K = {k}, set on the *Number of segments* page, where you can change it.")
customers, silhouette, agreement, skipped = st.columns(4)
customers.metric("Customers segmented", f"{int(result.segmented.sum()):,}")
silhouette.metric(
    "Silhouette",
    "–" if result.silhouette is None else f"{result.silhouette:.2f}",
    help="From -1 to 1: how clearly customers sit in their own segment. Above 0.25 is usual for customer data, above 0.5 is strong.",
)
agreement.metric(
    "Overall stability",
    "–" if stable is None else f"{stable.ari_mean:.2f}",
    help="Agreement (adjusted Rand index) with the segments found on ten random 80% samples: 1 = identical every time.",
)
skipped.metric(
    "Not segmented",
    f"{len(prepared.skipped):,}",
    help="Rows with no value in any chosen column. They stay in the download.",
)
if stable is not None and stable.unstable_segments:
    st.warning(app_show.literal(stable.summary()), icon=":material/warning:")
for warning in result.warnings():
    st.warning(app_show.literal(warning), icon=":material/warning:")
if len(prepared.aside):
    st.info(
        f"{len(prepared.aside):,} customer(s) with an impossible or extreme value were set aside as unusual: they did "
        "not place the segments, and the download gives each its nearest segment with Unusual = yes.",
        icon=":material/info:",
    )

st.subheader("Name your segments")
st.caption(
    "The names come from what sets each segment apart; type better ones. They appear in every chart, table and download."
)
table = pd.DataFrame(
    {
        "Segment": range(1, k + 1),
        "Name": list(names),
        "Customers": list(result.sizes),
        "Share": [s * 100 for s in result.shares],
    }
)
if stable is not None:
    table["Stability"] = [
        f"{verdict} ({jaccard:.2f})" for verdict, jaccard in zip(stable.verdicts(), stable.segment_jaccard, strict=True)
    ]
edited = st.data_editor(
    table,
    key=f"names_{abs(hash(app_state.run_key(k)))}",  # fixed rows: edits survive value changes
    hide_index=True,
    width="stretch",
    disabled=[c for c in table.columns if c != "Name"],
    column_config={
        "Name": st.column_config.TextColumn("Name", max_chars=80, required=True, width="large"),
        "Customers": st.column_config.NumberColumn("Customers", format="localized"),
        "Share": st.column_config.ProgressColumn("Share of customers", format="%.1f%%", min_value=0, max_value=100),
        "Stability": st.column_config.TextColumn(
            "Stability (Jaccard)", help="Below 0.6: unstable; 0.6-0.75: a pattern; above 0.75: stable."
        ),
    },
)
typed = [
    str(n).strip() if isinstance(n, str) and n.strip() else auto
    for n, auto in zip(edited["Name"], automatic.names, strict=True)
]
if tuple(typed) != names:
    app_state.set_segment_names(k, typed)
    names = tuple(typed)
profile = automatic.with_names(names)
unusual = sg.unusual_customers(result)

# Tabs that remember the open one (a rerun, e.g. choosing a K to compare, stays on it) and run only
# what the open tab shows.
view_tab, cards_tab, profiles_tab, tables_tab, compare_tab, fits_tab = st.tabs(
    app_state.SEGMENT_TABS, key=app_state.SEGMENTS_TAB, on_change="rerun"
)

if view_tab.open:
    with view_tab:
        choices = charts.axis_choices(profile)
        modes = (["Columns"] if len(choices) >= 3 else []) + (
            ["Principal components"] if len(prepared.feature_names) > 3 else []
        )
        if not modes:
            st.info("A 3D view needs at least three number columns; the tables describe the segments.")
        else:
            left, right = st.columns([2, 1])
            mode = left.radio(
                "Axes",
                modes,
                horizontal=True,
                help="Principal components: the three directions along which your customers differ most, each named "
                "by the columns it weighs most (+: more of it along the axis, −: less).",
            )
            highlight = right.toggle("Show the customers who fit worst", help="Drawn as black diamonds.")
            axes = None
            if mode == "Columns":
                x_col, y_col, z_col = st.columns(3)
                axes = (
                    x_col.selectbox("X axis", choices, index=0),
                    y_col.selectbox("Y axis", choices, index=1),
                    z_col.selectbox("Z axis", choices, index=2),
                )
            figure, drawn = charts.scatter_3d(
                result, names=names, axes=axes, components=mode != "Columns", highlight=unusual if highlight else None
            )
            st.plotly_chart(figure, key="scatter_3d", width="stretch")
            if drawn < int(result.segmented.sum()):
                st.caption(
                    f"Showing {drawn:,} of {int(result.segmented.sum()):,} customers, sampled in proportion to each "
                    "segment so the chart stays fast. The tables and downloads use every customer."
                )
            else:
                st.caption("Drag to rotate, scroll to zoom, click a segment in the legend to hide it.")

if cards_tab.open:
    with cards_tab:
        cards = sg.segment_cards(profile)
        for row in range(0, len(cards), 2):
            for column, card in zip(st.columns(2), cards[row : row + 2], strict=False):
                with column.container(border=True):
                    st.markdown(f"**{app_show.literal(charts.segment_label(card.segment, card.name))}**")
                    st.caption(f"{card.customers:,} customers · {card.share:.0%} of those segmented")
                    st.markdown("\n".join(f"- {app_show.literal(line)}" for line in card.quotes()))
                    st.plotly_chart(charts.card_figure(card), key=f"card_{card.segment}", width="stretch")

if profiles_tab.open:
    with profiles_tab:
        shown = list(dict.fromkeys(profile.key_columns(8, min_strength=0.1) + profile.described))
        st.caption(
            "The columns that set the segments apart most, and the outcomes they were not formed on, in your units. "
            "Numbers: each box holds the middle half of a segment's customers (the median inside, the dashed line "
            "the average, whiskers from the 5th to the 95th percentile); the dotted line is all customers' average. "
            "The *Tables* tab has every column."
        )
        for row in range(0, len(shown), 2):
            for column, name in zip(st.columns(2), shown[row : row + 2], strict=False):
                column.plotly_chart(
                    charts.column_figure(profile, name, segmentation=result), key=f"profile_{name}", width="stretch"
                )

if tables_tab.open:
    with tables_tab:
        st.plotly_chart(charts.sizes_figure(profile), key="sizes_chart", width="stretch")
        st.markdown("**Index vs the average customer** (100 = average; 150 = 1.5 times the average)")
        if len(profile.index.columns) > charts.INDEX_COLUMNS:
            st.caption(f"The {charts.INDEX_COLUMNS} values that tell the segments apart best; the table below has all.")
        st.plotly_chart(charts.index_figure(profile), key="index_chart", width="stretch")
        st.markdown("**Averages and shares**, in your units, the columns that set the segments apart most first")
        averages, medians = profile_table(profile), profile_table(profile, statistic="median")
        # Narrow columns, the segment's full name on hover: the table fits the page at any K.
        right = {
            c: st.column_config.TextColumn(c, alignment="right", width="small", help=c) for c in averages.columns[1:]
        }
        st.dataframe(averages, width="stretch", column_config=right)
        st.markdown("**Medians**")
        st.dataframe(medians, width="stretch", column_config=right)
        st.markdown("**What separates the segments**")
        st.dataframe(
            profile.importance.drop(columns=["Statistic", "p-value"]),
            width="stretch",
            hide_index=True,
            column_config={
                "Strength": st.column_config.ProgressColumn("Strength", min_value=0, max_value=1, format="%.2f")
            },
        )
        st.caption(
            "Strength: 0 = the segments do not differ on this column, 1 = it tells them apart completely (the correlation ratio for numbers, Cramér's V for categories; for a yes/no column the two are equal)."
        )

if compare_tab.open:
    with compare_tab:
        top_k = min(K_LIMIT, app_state.distinct_customers(limit=K_LIMIT))
        others = [c for c in range(2, top_k + 1) if c != k]
        other_k = st.selectbox(
            "Compare with K =",
            others,
            index=None,
            placeholder=f"Choose another K, e.g. {k + 1}",
            help="Segments the customers again at that K and shows where each segment's customers go.",
            key="compare_k",
        )
        if other_k is None:
            st.caption(f"Which segment splits if you choose {k + 1} instead of {k}? Which merge at {k - 1}?")
        else:
            try:
                other = app_state.segmentation_at(other_k)
            except sg.DataError as error:
                # Only this tab: the segments above and the downloads below stay usable.
                st.error(app_show.literal(str(error)), icon=":material/error:")
            else:
                other_names = app_state.segment_names(other_k, app_state.profile(other).names)
                moves = sg.compare_segmentations(result, other, names_from=names, names_to=other_names)
                st.info(app_show.literal(moves.summary), icon=":material/call_split:")
                st.plotly_chart(charts.sankey_figure(moves), key="sankey", width="stretch")
                st.caption(
                    f"A segment at K={other_k} has the colour of the segment at K={k} it mostly comes from, or a new one."
                )
                st.markdown(f"**Customers by segment at K={k} (rows) and K={other_k} (columns)**")
                st.dataframe(moves.crosstab.style.format("{:,}"), width="stretch")

if fits_tab.open:
    with fits_tab:
        st.write(
            "Customers who sit between segments (negative fit score) or far from their segment's centre. "
            "Worth a look before a campaign: they may be data errors, or a small group of their own."
        )
        st.caption(f"{int(unusual.sum()):,} customers are unusual; the table lists the 50 who fit worst.")
        worst = sg.worst_fits(result, names=names)
        id_column = customer_id_column(prepared)
        first = [id_column] if id_column else ["Row"]
        st.dataframe(
            worst,
            width="stretch",
            hide_index=True,
            column_order=first + [c for c in worst.columns if c not in first and c != "Row"],
            column_config={
                "Fit score": st.column_config.NumberColumn("Fit score", format="%.2f"),
                "Distance to centre": st.column_config.NumberColumn("Distance to centre", format="%.2f"),
                "Why": st.column_config.TextColumn("Why", width="large"),
            },
        )

if app_state.rollup() is not None:
    st.subheader("Classic RFM cells beside your segments")
    st.caption(
        "Customers by RFM cell (rows) and segment (columns): read down a column to see which classic cells a "
        "segment's customers fall in. R, F and M score recency, orders and spend from 1 to 5 (fifths of your "
        "customers, 5 = most recent, most orders, most spend); the cells are Putler's 11 RFM segments."
    )
    share = st.toggle("Show each segment's customers as percentages", key="rfm_share")
    st.table(app_show.literal_table(app_transactions.rfm_table(result, names, share=share)))

st.subheader("Download")
flag = st.checkbox("Add each customer's fit score and an 'Unusual' flag to the customer file")
stem = download_stem(current.name)
n_customers = len(result.labels)
labelled, report, summary = st.columns(3)
cards_html, run, _ = st.columns(3)
labelled.download_button(
    "Customers with their segment (CSV)",
    data=app_show.download_data(
        app_transactions.labelled_download(result, names=names, unusual=flag), rows=n_customers
    ),
    file_name=f"{stem}_segments_K{k}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    type="primary",
    help=app_transactions.labelled_help(),
)
report.download_button(
    "Report (HTML)",
    data=app_show.download_data(lambda: app_results.report_html(result, names, stable), rows=n_customers),
    file_name=f"{stem}_segments_K{k}_report.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/description:",
    type="primary",
    help="One file to forward or print to PDF: your columns, how K was chosen, each segment in your units with "
    "charts, the unusual customers and the settings. Opens offline.",
)
summary.download_button(
    "Segment summary (CSV)",
    data=app_show.download_data(lambda: sg.summary_csv(profile), rows=n_customers),
    file_name=f"{stem}_segment_summary_K{k}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/table:",
)
cards_html.download_button(
    "Segment cards (HTML)",
    data=app_show.download_data(
        lambda: sg.cards_html(sg.segment_cards(profile), title=f"{k} customer segments · {current.name}"),
        rows=n_customers,
    ),
    file_name=f"{stem}_segment_cards_K{k}.html",
    mime="text/html",
    on_click="ignore",
    icon=":material/dashboard:",
    help="A one-page summary to print or put in a slide deck.",
)
run.download_button(
    "Run file (JSON)",
    data=app_show.download_data(
        lambda: sg.run_config_json(result, names=names, rollup=app_state.rollup()), rows=n_customers
    ),
    file_name=f"{stem}_run_K{k}.json",
    mime="application/json",
    on_click="ignore",
    icon=":material/settings:",
    help="Options, seed, fitted preparation and centres: reproduces this run and scores new customers (page 4).",
)
if app_state.rollup() is not None:
    st.download_button(
        "Every order line with its customer's segment (CSV)",
        data=app_show.download_data(
            app_transactions.order_lines_download(result, names=names), rows=app_state.rollup().n_log_rows
        ),
        file_name=f"{stem}_order_lines_K{k}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/receipt_long:",
        help="Every row of your file, unchanged, plus its customer's Segment, Segment name and RFM cell, and a "
        "Status: rolled up, or why the row was left out.",
    )

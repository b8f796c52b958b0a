"""Clusters page: the segments in 3D, what each one is, names to edit, and the downloads."""

from pathlib import Path

import pandas as pd
import streamlit as st

import app_state
import segmentation as sg
from segmentation import charts

app_state.page_setup("pages/clusters.py")
current, prepared = app_state.require_data()
if app_state.CHOSEN_K in st.session_state:
    k = app_state.chosen_k(default=2)
else:
    with st.spinner("Finding a good number of segments…"):
        k = app_state.or_explain(app_state.sweep, prepared, *app_state.k_range()).suggested_k
    app_state.set_chosen_k(k)

result = app_state.or_explain(app_state.segmentation, prepared, k)
automatic = app_state.profile(result)
names = app_state.segment_names(k, automatic.names)

st.title(f"Your {k} segments")
st.caption(f"K = {k}, chosen on the *Number of segments* page, where you can change it.")
customers, silhouette, spread, skipped = st.columns(4)
customers.metric("Customers segmented", f"{int(result.segmented.sum()):,}")
silhouette.metric(
    "Silhouette",
    "–" if result.silhouette is None else f"{result.silhouette:.2f}",
    help="From -1 to 1: how clearly customers sit in their own segment. Above 0.25 is usual for customer data, above 0.5 is strong.",
)
spread.metric("Largest / smallest segment", f"{max(result.sizes):,} / {min(result.sizes):,}")
skipped.metric(
    "Not segmented",
    f"{len(prepared.skipped):,}",
    help="Rows with no value in any chosen column. They stay in the download.",
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
edited = st.data_editor(
    table,
    key=f"names_{abs(hash(app_state.run_key(k)))}",  # fixed rows: edits survive value changes
    hide_index=True,
    width="stretch",
    disabled=["Segment", "Customers", "Share"],
    column_config={
        "Name": st.column_config.TextColumn("Name", max_chars=80, required=True, width="large"),
        "Share": st.column_config.ProgressColumn("Share of customers", format="%.1f%%", min_value=0, max_value=100),
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

st.subheader("The segments in 3D")
choices = charts.axis_choices(profile)
many_features = len(prepared.feature_names) > 3
modes = (["Columns"] if len(choices) >= 3 else []) + (["Principal components"] if many_features else [])
if not modes:
    st.info("A 3D view needs at least three number columns; the tables below describe the segments.")
else:
    mode = (
        st.radio(
            "Axes",
            modes,
            horizontal=True,
            help="Principal components: the three directions along which your customers differ most, across all features.",
        )
        if len(modes) > 1
        else modes[0]
    )
    axes = None
    if mode == "Columns":
        x_col, y_col, z_col = st.columns(3)
        axes = (
            x_col.selectbox("X axis", choices, index=0),
            y_col.selectbox("Y axis", choices, index=1),
            z_col.selectbox("Z axis", choices, index=2),
        )
    figure, drawn = charts.scatter_3d(result, names=names, axes=axes, components=mode != "Columns")
    st.plotly_chart(figure, key="scatter_3d", width="stretch")
    if drawn < int(result.segmented.sum()):
        st.caption(
            f"Showing {drawn:,} of {int(result.segmented.sum()):,} customers, sampled in proportion to each "
            "segment so the chart stays fast. The tables and downloads use every customer."
        )
    else:
        st.caption("Drag to rotate, scroll to zoom, click a segment in the legend to hide it.")

st.subheader("What each segment looks like")
sizes_tab, means_tab, index_tab, medians_tab, drivers_tab = st.tabs(
    ["Sizes", "Averages", "Index vs average", "Medians", "What separates them"]
)
sizes_tab.plotly_chart(charts.sizes_figure(profile), key="sizes_chart", width="stretch")
means = profile.summary.copy()
means["Share of customers"] = means["Share of customers"] * 100
means_tab.dataframe(
    means,
    width="stretch",
    column_config={"Share of customers": st.column_config.NumberColumn(format="%.1f%%")},
)
means_tab.caption("Means in your file's units; for categories, the share of customers with each value.")
index_tab.plotly_chart(charts.index_figure(profile), key="index_chart", width="stretch")
index_tab.caption("100 = the average customer. 150 means 1.5 times the average; 50 means half of it.")
medians_tab.dataframe(
    profile.medians.set_index(
        pd.Index(
            [charts.segment_label(s, n) for s, n in zip(profile.medians.index, names, strict=True)], name="Segment"
        )
    ),
    width="stretch",
)
drivers_tab.dataframe(
    profile.importance,
    width="stretch",
    hide_index=True,
    column_config={"Strength": st.column_config.ProgressColumn("Strength", min_value=0, max_value=1, format="%.2f")},
)
drivers_tab.caption(
    "Strength: 0 = the segments do not differ on this column, 1 = it tells them apart completely (eta² for numbers, Cramér's V for categories)."
)

st.subheader("Download")
stem = Path(current.name).stem
labelled, summary, run = st.columns(3)
labelled.download_button(
    "Customers with their segment (CSV)",
    data=lambda: sg.labelled_csv(result, names=names),
    file_name=f"{stem}_segments_K{k}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    type="primary",
    help="Every row of your file, unchanged, plus Segment and Segment name.",
)
summary.download_button(
    "Segment summary (CSV)",
    data=lambda: sg.summary_csv(profile),
    file_name=f"{stem}_segment_summary_K{k}.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/table:",
)
run.download_button(
    "Run file (JSON)",
    data=lambda: sg.run_config_json(result, names=names),
    file_name=f"{stem}_run_K{k}.json",
    mime="application/json",
    on_click="ignore",
    icon=":material/settings:",
    help="Options, seed, fitted preparation and centres: reproduces this run and scores new customers.",
)

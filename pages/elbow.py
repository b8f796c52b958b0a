"""Elbow page: how many segments? The criteria for a range of K, and the user's choice."""

import streamlit as st

import app_state
from segmentation import charts
from segmentation.stability import stability_by_default, stability_ks

app_state.page_setup("pages/elbow.py")
st.title("How many segments?")
st.write(
    "Each K below was tried on your data. The **SSE** falls as K grows; where it stops falling fast "
    "(the *elbow*) more segments add little. The **silhouette** says how clearly customers sit in their "
    "own segment rather than a neighbouring one."
)
current, prepared = app_state.require_data()

low, high = app_state.k_range()
k_min, k_max = st.slider(
    "Range of K to try",
    min_value=1,
    max_value=30,
    value=(low, high),
    help="From 1 to 30. Each K is computed once and remembered, so widening the range is quick.",
)
if (k_min, k_max) != (low, high):
    app_state.set_k_range((k_min, k_max))
if k_max - k_min < 2:
    st.warning("Choose a range of at least three K values to find an elbow.")

progress = st.progress(0.0, text="Trying each K…")
result = app_state.or_explain(
    app_state.sweep,
    prepared,
    k_min,
    k_max,
    on_progress=lambda done, total: progress.progress(done / total, text=f"Tried {done} of {total} values of K…"),
)
progress.empty()
for note in result.notes:
    st.info(app_state.literal(note))

k = (
    st.slider(
        "Number of segments (K)",
        min_value=result.k[0],
        max_value=result.k[-1],
        value=min(max(app_state.chosen_k(result.suggested_k), result.k[0]), result.k[-1]),
        key="k_slider",
    )
    if len(result.k) > 1
    else result.k[0]
)
app_state.set_chosen_k(k)

if result.criteria_agree:
    st.success(result.advice(), icon=":material/check_circle:")
else:
    st.info(result.advice(), icon=":material/balance:")

st.plotly_chart(charts.elbow_figure(result, selected_k=k), key="elbow_chart", width="stretch")
st.plotly_chart(charts.criteria_figure(result, selected_k=k), key="criteria_chart", width="stretch")

st.subheader("Are the segments real?")
st.write(
    "Each K is tried again on ten random 80% samples of your customers. If the segments are real, "
    "the same customers end up together every time (agreement near 1); segments that are an "
    "accident of the random start fall apart."
)
if st.toggle("Check the stability of each K", value=stability_by_default(prepared.n_segmented), key="stability_toggle"):
    checking = st.progress(0.0, text="Checking stability…")
    stable = app_state.or_explain(
        app_state.stability,
        prepared,
        stability_ks(result.k),
        on_progress=lambda done, total: checking.progress(done / total, text=f"Checking stability ({done}/{total})…"),
    )
    checking.empty()
    st.plotly_chart(charts.stability_figure(stable, selected_k=k), key="stability_chart", width="stretch")
    chosen = next((r for r in stable if r.k == k), None)
    if chosen is not None and chosen.unstable_segments:
        st.warning(app_state.literal(chosen.summary()), icon=":material/warning:")
    elif chosen is not None:
        st.success(chosen.summary(), icon=":material/check_circle:")

with st.expander("The numbers"):
    st.dataframe(result.frame().set_index("K"), width="stretch")
    sample = (
        "every customer"
        if result.silhouette_rows == result.n_rows
        else f"a fixed sample of {result.silhouette_rows:,} customers"
    )
    st.caption(f"SSE on all {result.n_rows:,} customers; silhouette on {sample}.")

st.page_link(app_state.CLUSTERS_PAGE, label=f"Next: see the {k} segments", icon=":material/arrow_forward:")

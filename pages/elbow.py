"""Elbow page: how many segments? The criteria for a range of K, and the user's choice."""

import streamlit as st

import app_show
import app_state
from segmentation import charts
from segmentation.stability import stability_ks
from segmentation.sweep import K_LIMIT

app_state.page_setup("pages/elbow.py")
st.title("How many segments?")
st.write(
    "Each K below was tried on your data. The **SSE** falls as K grows; where it stops falling fast "
    "(the *elbow*) more segments add little. The **silhouette** says how clearly customers sit in their "
    "own segment rather than a neighbouring one."
)
app_state.require_data()

app_state.set_widget(app_state.K_RANGE_SLIDER, app_state.k_range())
k_min, k_max = st.slider(
    "Range of K to try",
    min_value=1,
    max_value=K_LIMIT,
    key=app_state.K_RANGE_SLIDER,
    on_change=app_state.k_range_picked,
    help=f"From 1 to {K_LIMIT}. Each K is computed once and remembered, so widening the range is quick.",
)
if k_max - k_min < 2:
    st.warning("Choose a range of at least three K values to find an elbow.")

progress = st.progress(0.0, text="Trying each K…")
result = app_state.or_explain(
    app_state.sweep,
    k_min,
    k_max,
    on_progress=lambda done, total: progress.progress(done / total, text=f"Tried {done} of {total} values of K…"),
)
progress.empty()
for note in result.notes:
    st.info(app_show.literal(note))

k = app_state.k_for(result)
if len(result.k) > 1:
    app_state.set_widget(app_state.K_SLIDER, k)
    k = st.slider(
        "Number of segments (K)",
        min_value=result.k[0],
        max_value=result.k[-1],
        key=app_state.K_SLIDER,
        on_change=app_state.k_picked,
    )
app_state.set_chosen_k(k)

advice = st.success if result.criteria_agree else st.info
advice(result.advice(), icon=":material/check_circle:" if result.criteria_agree else ":material/balance:")
if k != result.suggested_k:
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.markdown(f"You chose **K = {k}**: every chart below and the *Segments* page show K = {k}.")
    right.button(
        f"Use the suggested K = {result.suggested_k}",
        on_click=app_state.use_suggested_k,
        args=(result.suggested_k,),
        key="use_suggested_k",
    )

st.plotly_chart(charts.elbow_figure(result, selected_k=k), key="elbow_chart", width="stretch")
st.plotly_chart(charts.criteria_figure(result, selected_k=k), key="criteria_chart", width="stretch")
st.caption(charts.criteria_caption(result))
with st.expander("The numbers"):
    formats = {
        "SSE (inertia)": "{:,.1f}",
        "Silhouette": "{:.3f}",
        "Calinski-Harabasz": "{:,.0f}",
        "Davies-Bouldin": "{:.2f}",
    }
    st.dataframe(result.frame().set_index("K").style.format(formats, na_rep="–"), width="stretch")
    sample = (
        "every customer"
        if result.silhouette_rows == result.n_rows
        else f"a fixed sample of {result.silhouette_rows:,} customers"
    )
    st.caption(f"SSE on all {result.n_rows:,} customers; silhouette on {sample}.")

st.page_link(app_state.CLUSTERS_PAGE, label=f"Next: see the {k} segments", icon=":material/arrow_forward:")

# Last on the page, and only when asked: the resamples take seconds per K, and a script run cannot
# be stopped inside one, so a check running by default would hold up every move of the sliders above.
st.subheader("Are the segments real?")
st.write(
    "Each K below can be tried again on ten random 80% samples of your customers. If the segments are real, "
    "the same customers end up together every time (agreement near 1); segments that are an "
    "accident of the random start fall apart."
)
app_state.set_widget(app_state.STABILITY_TOGGLE, app_state.stability_wanted())
if st.toggle(
    "Check the stability of each K",
    key=app_state.STABILITY_TOGGLE,
    on_change=app_state.stability_toggled,
    help="Takes a few seconds per K; each K is checked once and remembered.",
):
    checking = st.progress(0.0, text="Checking stability…")
    stable = app_state.or_explain(
        app_state.stability,
        stability_ks(result.k),
        on_progress=lambda done, total: checking.progress(done / total, text=f"Checking stability ({done}/{total})…"),
    )
    checking.empty()
    st.plotly_chart(charts.stability_figure(stable, selected_k=k), key="stability_chart", width="stretch")
    chosen = next((r for r in stable if r.k == k), None)
    if chosen is not None and chosen.unstable_segments:
        st.warning(app_show.literal(chosen.summary()), icon=":material/warning:")
    elif chosen is not None:
        st.success(chosen.summary(), icon=":material/check_circle:")

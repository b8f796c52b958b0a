"""Score page: put new customers into the segments of an earlier run (its run file is the model)."""

import pandas as pd
import streamlit as st

import app_state
import segmentation as sg
from segmentation import charts
from segmentation.export import download_stem

app_state.page_setup("pages/score.py")
st.title("Score new customers")
st.write(
    "Next month's customers: which segment is each in? Upload the **run file** (JSON) downloaded from the "
    "*Segments* page and a file of new customers with the same columns. Each customer goes to the nearest "
    "segment, prepared exactly as the original data was."
)

model_col, data_col = st.columns(2)
model_file = model_col.file_uploader("Run file (JSON)", type=["json"], key="score_model")
data_file = data_col.file_uploader("New customers (CSV or Excel)", type=["csv", "tsv", "txt", "xlsx"], key="score_data")
if model_file is None or data_file is None:
    st.info(
        "Upload both files to score. The segments you have now can be saved as a run file on the *Segments* page.",
        icon=":material/info:",
    )
    st.stop()

try:
    model = sg.read_run_file(model_file.getvalue())
    table = sg.load_table(data_file.getvalue(), name=data_file.name, min_rows=1)
    scored = sg.score(table, model)
except sg.DataError as error:
    # Messages quote the user's column names and values, which must show as typed.
    st.error(app_state.literal(str(error)), icon=":material/error:")
    st.stop()

source = f"'{app_state.literal(model.file_name)}'" if model.file_name else "an earlier file"
segmented = sum(scored.sizes)
st.success(
    f"{segmented:,} of {table.n_rows:,} customers put into the {model.k} segments made from {source}."
    if segmented < table.n_rows
    else f"{table.n_rows:,} customers put into the {model.k} segments made from {source}.",
    icon=":material/check_circle:",
)
for note in scored.notes:
    st.warning(app_state.literal(note), icon=":material/info:")
counts = pd.DataFrame(
    {
        "Segment": [charts.segment_label(s, n) for s, n in enumerate(model.names, start=1)],
        "Customers": list(scored.sizes),
        "Share": [100 * c / max(1, sum(scored.sizes)) for c in scored.sizes],
    }
)
st.dataframe(
    counts,
    hide_index=True,
    width="stretch",
    column_config={
        "Share": st.column_config.ProgressColumn("Share of customers", format="%.1f%%", min_value=0, max_value=100)
    },
)
st.download_button(
    "New customers with their segment (CSV)",
    data=app_state.download_data(lambda: sg.scored_csv(scored), rows=table.n_rows),
    file_name=f"{download_stem(data_file.name)}_segments.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    type="primary",
)

"""Score page: put new customers into segments: those on screen, or those of an earlier run (its run file)."""

import pandas as pd
import streamlit as st

import app_results
import app_show
import app_state
import app_transactions
import segmentation as sg
from segmentation import charts
from segmentation.export import download_stem

ON_SCREEN, RUN_FILE = "The segments on screen", "Segments saved in a run file (JSON)"

app_state.page_setup("pages/score.py")
st.title("Score new customers")
st.write(
    "Next month's customers: which segment is each in? Choose the segments, then upload a file of new customers "
    "with the same columns. Each customer goes to the nearest segment, prepared exactly as the original data was."
)

source = st.radio(
    "Segments to put them into",
    [ON_SCREEN, RUN_FILE],
    key="score_source",
    horizontal=True,
    help="The segments on screen are those of the Segments page, with the names you typed. A run file is "
    "downloaded from that page and keeps segments for later months.",
)
model_col, data_col = st.columns(2)
if source == ON_SCREEN:
    current, prepared = app_state.require_data()
    model, k = app_results.screen_model()
    model_col.markdown(f"**The {k} segments of {app_show.literal(current.label)}**")
    model_col.caption(
        " · ".join(app_show.literal(charts.segment_label(s, n)) for s, n in enumerate(model.names, start=1))
    )
else:
    model = None
    model_file = model_col.file_uploader("Run file (JSON)", type=["json"], key="score_model")
    if model_file is not None:
        try:
            model = sg.read_run_file(model_file.getvalue())
        except sg.DataError as error:
            st.error(app_show.literal(str(error)), icon=":material/error:")
            st.stop()
from_log = model is not None and model.transactions is not None
data_file = data_col.file_uploader(
    "New transaction log (CSV or Excel)" if from_log else "New customers (CSV or Excel)",
    type=["csv", "tsv", "txt", "xlsx"],
    key="score_data",
)
if from_log and data_file is None:
    data_col.markdown(app_transactions.new_log_wanted(model.transactions))
if data_file is None or model is None:
    st.info(
        ("Upload the new log to score." if from_log else "Upload the new customers to score.")
        if model is not None
        else "Upload both files to score. The segments you have now can be saved as a run file on the *Segments* page.",
        icon=":material/info:",
    )
    st.stop()

try:
    as_of = None
    if model.transactions is not None:
        as_of = data_col.date_input(
            "Count days to (as-of date)",
            value=None,
            key="score_as_of",
            help="The segments were made from a log: the new file is a log too, rolled up the same way. Its days "
            "are counted to this date (later purchases left out); empty: the new log's last date.",
        )
    table = sg.load_table(data_file.getvalue(), name=data_file.name, min_rows=1)
    scored = sg.score(table, model, as_of=as_of)
except sg.DataError as error:
    # Messages quote the user's column names and values, which must show as typed.
    st.error(app_show.literal(str(error)), icon=":material/error:")
    st.stop()

origin = f"'{app_show.literal(model.file_name)}'" if model.file_name else "an earlier file"
segmented, customers = sum(scored.sizes), scored.table.n_rows
st.success(
    f"{segmented:,} of {customers:,} customers put into the {model.k} segments made from {origin}."
    if segmented < customers
    else f"{customers:,} customers put into the {model.k} segments made from {origin}.",
    icon=":material/check_circle:",
)
notes = scored.notes
if scored.rollup is not None:
    st.markdown(app_transactions.scored_summary(scored.rollup))
    st.info(app_show.literal(notes[1]), icon=":material/event:")  # the as-of date used
    notes = notes[2:]
for note in notes:
    st.warning(app_show.literal(note), icon=":material/info:")
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
        "Customers": st.column_config.NumberColumn("Customers", format="localized"),
        "Share": st.column_config.ProgressColumn("Share of customers", format="%.1f%%", min_value=0, max_value=100),
    },
)
st.download_button(
    "New customers with their segment (CSV)",
    data=app_show.download_data(lambda: sg.scored_csv(scored), rows=customers),
    file_name=f"{download_stem(data_file.name)}_segments.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    type="primary",
    help=None if scored.rollup is None else app_transactions.SCORED_CUSTOMERS_HELP,
)
if scored.rollup is not None:
    st.download_button(
        "Every order line with its customer's segment (CSV)",
        data=app_show.download_data(lambda: sg.scored_order_lines_csv(scored), rows=scored.rollup.n_log_rows),
        file_name=f"{download_stem(data_file.name)}_order_lines.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        help=app_transactions.SCORED_LINES_HELP,
    )

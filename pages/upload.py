"""Upload page: choose the customer file, see how it was read and prepared, adjust the options."""

import streamlit as st

import app_state
import segmentation as sg

app_state.page_setup("pages/upload.py")
st.title("Your customer data")
st.write(
    "Upload a customer table (CSV or Excel), one customer per row. Separators, encodings and decimal "
    "commas are detected, and every decision about your columns is listed below."
)

upload_col, sample_col = st.columns([3, 1], vertical_alignment="center")
uploaded = upload_col.file_uploader("Customer file", type=["csv", "tsv", "txt", "xlsx"], key=app_state.uploader_key())
error = app_state.handle_upload(uploaded)
if error:
    st.error(
        f"{app_state.literal(str(error))}\n\nYou are still working on **{app_state.literal(app_state.dataset().label)}**.",
        icon=":material/error:",
    )
if not app_state.dataset().is_sample and sample_col.button("Use the sample data", icon=":material/dataset:"):
    app_state.use_sample()
    st.rerun()

current, prepared = app_state.require_data()
table = prepared.table

st.subheader(app_state.literal(current.label))
size, rows, columns, used = st.columns(4)
size.metric(
    "File size",
    f"{table.n_bytes / 1_000_000:,.1f} MB" if table.n_bytes >= 100_000 else f"{table.n_bytes / 1_000:,.1f} KB",
)
rows.metric("Customers (rows)", f"{table.n_rows:,}")
columns.metric("Columns", len(table.columns))
used.metric("Used to segment", len(prepared.columns))
st.caption(f"Read as {table.describe_format()}. Row numbers count customers from 1 (the header is not a row).")
if current.is_sample:
    st.info(
        "This is the built-in sample: 3,000 fictional customers with planted segments, so you can try "
        "every page now. Upload your own file above to replace it.",
        icon=":material/lightbulb:",
    )

preview = table.raw.head(20)
preview.index = preview.index + 1
st.dataframe(preview, width="stretch", height=300)

for note in prepared.notes:
    st.warning(app_state.literal(note), icon=":material/info:")

st.subheader("How your columns are used")
opts = app_state.options()
defaults = app_state.default_features(table)
with st.form("options", border=True):
    features = st.multiselect(
        "Columns to segment on",
        options=defaults,
        default=list(prepared.columns),
        help="By default every usable column: identifiers, constant columns and free text are left out.",
    )
    scaler_col, outliers_col = st.columns(2)
    scaler = scaler_col.radio(
        "Scaling",
        options=list(sg.SCALERS),
        index=list(sg.SCALERS).index(opts.scaler),
        format_func=sg.SCALER_NAMES.get,
        captions=list(sg.SCALERS.values()),
    )
    outliers = outliers_col.radio(
        "Extreme values",
        options=["keep", "clip"],
        index=["keep", "clip"].index(opts.outliers),
        format_func={"keep": "Keep them", "clip": "Clip them"}.get,
        captions=[
            "Use every value as it is.",
            "Move values beyond the 1st/99th percentile of their column to that percentile.",
        ],
    )
    if st.form_submit_button("Apply", type="primary"):
        chosen = None if set(features) == set(defaults) else tuple(c for c in table.columns if c in features)
        try:
            app_state.set_options(app_state.PrepOptions(features=chosen, scaler=scaler, outliers=outliers))
            st.rerun()
        except sg.DataError as problem:
            st.error(f"{app_state.literal(problem)} The previous choice is kept.", icon=":material/error:")

audit = prepared.audit().rename(columns={"Details": "What was done and why"}).set_index("Column")
used = audit[audit["Used"]].drop(columns="Used")
left_out = audit[~audit["Used"]].drop(columns=["Used", "Filled with"])
st.markdown(f"**Used to segment ({len(used)})**")
st.table(app_state.literal_table(used))
if len(left_out):
    st.markdown(f"**Left out ({len(left_out)})**")
    st.table(app_state.literal_table(left_out))
st.page_link(app_state.ELBOW_PAGE, label="Next: choose the number of segments", icon=":material/arrow_forward:")

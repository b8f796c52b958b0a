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

st.subheader("What each column is, and what it is for")
st.caption(
    "**Segment**: the column forms the segments. **Describe**: shown per segment, not used to form them "
    "(outcomes such as churn go here, so the segments explain them instead of splitting on them). "
    "**Ignore**: left out. Change a kind, role or scale in the table, then apply."
)
for warning in prepared.warnings():
    st.warning(app_state.literal(warning), icon=":material/warning:")
opts = app_state.options()
with st.form("options", border=True):
    edited = st.data_editor(
        app_state.column_table(prepared),
        key="column_table",
        hide_index=True,
        height=min(38 + 35 * len(prepared.reports), 740),  # every column in view, up to 20 of them
        width="stretch",
        disabled=["Column", "Compared", "Values", "Missing"],
        column_config=app_state.COLUMN_TABLE_CONFIG,
    )
    weighting_col, scaler_col, outliers_col = st.columns(3)
    weighting = weighting_col.radio(
        "How much each column counts",
        options=list(sg.WEIGHTINGS),
        index=list(sg.WEIGHTINGS).index(opts.weighting),
        format_func={"balanced": "Balanced", "equal": "Equal (the tutorial's)"}.get,
        captions=list(sg.WEIGHTINGS.values()),
    )
    scaler = scaler_col.radio(
        "Scaling",
        options=list(sg.SCALERS),
        index=list(sg.SCALERS).index(opts.scaler),
        format_func=sg.SCALER_NAMES.get,
        captions=list(sg.SCALERS.values()),
    )
    outliers = outliers_col.radio(
        "Extreme values",
        options=list(sg.OUTLIERS),
        index=list(sg.OUTLIERS).index(opts.outliers),
        format_func={"keep": "Keep them", "clip": "Clip them", "set-aside": "Set them aside as unusual"}.get,
        captions=list(sg.OUTLIERS.values()),
    )
    if st.form_submit_button("Apply", type="primary"):
        try:
            choices = app_state.choices_from_table(edited)
            app_state.set_options(
                app_state.PrepOptions.from_choices(choices, scaler=scaler, outliers=outliers, weighting=weighting)
            )
            st.rerun()
        except sg.DataError as problem:
            st.error(f"{app_state.literal(problem)} The previous choice is kept.", icon=":material/error:")

st.markdown("**What was done with each column, and why**")
st.table(app_state.literal_table(app_state.column_notes(prepared)))
st.page_link(app_state.ELBOW_PAGE, label="Next: choose the number of segments", icon=":material/arrow_forward:")

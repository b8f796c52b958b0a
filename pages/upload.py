"""Upload page: choose the customer file, see how it was read and prepared, adjust the options."""

from datetime import date

import streamlit as st

import app_columns
import app_show
import app_state
import app_transactions
import segmentation as sg

app_state.page_setup("pages/upload.py")
st.title("Your customer data")
st.write(
    "Upload a customer table (CSV or Excel), one customer per row, or a log of purchases (one row per order "
    "or order line), which is rolled up to one row per customer. Separators, encodings and decimal commas are "
    "detected, and every decision about your columns is listed below."
)

upload_col, sample_col = st.columns([3, 1], vertical_alignment="center")
uploaded = upload_col.file_uploader("Customer file", type=["csv", "tsv", "txt", "xlsx"], key=app_state.uploader_key())
error = app_state.handle_upload(uploaded)
if error:
    st.error(
        f"{app_show.literal(str(error))}\n\nYou are still working on **{app_show.literal(app_state.dataset().label)}**.",
        icon=":material/error:",
    )
if not app_state.dataset().is_sample and sample_col.button("Use the sample data", icon=":material/dataset:"):
    app_state.use_sample()
    st.rerun()

current, prepared = app_state.require_data()
table = prepared.table
rollup = app_state.rollup()

st.subheader(app_show.literal(current.label))
size, rows, columns, used = st.columns(4)
size.metric(
    "File size",
    f"{table.n_bytes / 1_000_000:,.1f} MB" if table.n_bytes >= 100_000 else f"{table.n_bytes / 1_000:,.1f} KB",
)
if rollup is None:
    rows.metric("Customers (rows)", f"{table.n_rows:,}")
else:
    rows.metric("Customers", f"{rollup.n_customers:,}", help=f"Rolled up from {rollup.n_log_rows:,} rows of your file.")
columns.metric("Columns", len(table.columns))
used.metric("Used to segment", len(prepared.columns))
if rollup is None:
    st.caption(f"Read as {table.describe_format()}. Row numbers count customers from 1 (the header is not a row).")
else:
    st.caption(
        f"Read as {table.describe_format()}. Row numbers count from 1 (the header is not a row): rows of your file "
        "in the roll-up's notes, customers of the rolled-up table everywhere else (as in the customer download)."
    )
if current.is_sample:
    st.info(
        "This is the built-in sample: 3,000 fictional customers with planted segments, so you can try "
        "every page now. Upload your own file above to replace it.",
        icon=":material/lightbulb:",
    )

if rollup is not None:
    notes = "".join(f"\n- {note}" for note in app_transactions.roll_up_notes(rollup))
    st.info(app_transactions.summary(rollup) + notes, icon=":material/receipt_long:")
form = app_transactions.form_choices()
with st.expander(
    "Change how the log is rolled up"
    if rollup is not None
    else "A log of purchases? Roll it up to one row per customer",
    icon=":material/tune:",
):
    with st.form(f"log_{current.digest[:16]}", border=False):
        reading = st.radio(
            "This file is",
            [app_transactions.A_LOG, app_transactions.CUSTOMER_TABLE],
            index=0 if form.is_log else 1,
            horizontal=True,
        )
        pick = st.columns(5)
        names, optional = list(form.columns), [app_transactions.NO_COLUMN, *form.columns]
        customer = pick[0].selectbox(
            "Customer ID", names, index=names.index(form.customer) if form.customer else None, placeholder="Choose"
        )
        date_column = pick[1].selectbox(
            "Purchase date", names, index=names.index(form.date) if form.date else None, placeholder="Choose"
        )
        amount = pick[2].selectbox("Amount (money)", optional, index=optional.index(form.amount))
        order = pick[3].selectbox("Order ID", optional, index=optional.index(form.order))
        as_of = pick[4].date_input(
            "Count days up to",
            value=form.as_of,
            min_value=date(1900, 1, 1),
            max_value=date(2100, 12, 31),
            format="YYYY-MM-DD",
            help="The as-of date: days since the last purchase are counted to it, and later rows are left out. "
            "By default the log's last date.",
        )
        st.caption(
            "Without an order ID, a customer's purchases on one day count as one order. Without an amount, the "
            "roll-up counts orders and days only."
        )
        if st.form_submit_button("Read the file this way", type="primary"):
            try:
                app_state.set_log_options(
                    app_transactions.options_from_form(
                        reading, customer=customer, date_column=date_column, amount=amount, order=order, as_of=as_of
                    )
                )
                st.rerun()
            except sg.DataError as problem:
                st.error(f"{app_show.literal(problem)} The previous choice is kept.", icon=":material/error:")

if rollup is None:
    preview = table.raw.head(20)
    preview.index = preview.index + 1
    st.dataframe(preview, width="stretch", height=300)
else:
    customers_tab, file_tab = st.tabs(["Customers (rolled up)", "Your file"])
    for tab, rows_shown in ((customers_tab, table.raw), (file_tab, app_state.customers().file.raw)):
        preview = rows_shown.head(20)
        preview.index = preview.index + 1
        tab.dataframe(preview, width="stretch", height=300)

for note in app_transactions.other_notes(prepared):
    st.warning(app_show.literal(note), icon=":material/info:")

st.subheader("What each column is, and what it is for")
st.caption(
    "**Segment**: the column forms the segments. **Describe**: shown per segment, not used to form them "
    "(outcomes such as churn go here, so the segments explain them instead of splitting on them). "
    "**Ignore**: left out. Change a kind, role or scale in the table, then apply."
)
for warning in prepared.warnings():
    st.warning(app_show.literal(warning), icon=":material/warning:")
opts = app_state.options()
with st.form("options", border=True):
    edited = st.data_editor(
        app_columns.column_table(prepared),
        key="column_table",
        hide_index=True,
        height=min(38 + 35 * len(prepared.reports), 740),  # every column in view, up to 20 of them
        width="stretch",
        disabled=["Column", "Compared", "Values", "Missing"],
        column_config=app_columns.COLUMN_TABLE_CONFIG,
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
            choices = app_columns.choices_from_table(edited)
            app_state.set_options(
                app_state.PrepOptions.from_choices(
                    choices, scaler=scaler, outliers=outliers, weighting=weighting, log=opts.log
                )
            )
            st.rerun()
        except sg.DataError as problem:
            st.error(f"{app_show.literal(problem)} The previous choice is kept.", icon=":material/error:")

st.markdown("**What was done with each column, and why**")
st.table(app_show.literal_table(app_columns.column_notes(prepared)))
st.page_link(app_state.ELBOW_PAGE, label="Next: choose the number of segments", icon=":material/arrow_forward:")

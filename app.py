"""Customer segments: upload a customer file, choose K, get segments you can act on.

The router: page config, the explicit list of pages, and the sidebar every page shares.
Run with ``streamlit run app.py``.
"""

import streamlit as st

import app_state
import app_warmup

st.set_page_config(page_title="Customer segments", layout="wide")
app_state.init_session()
app_state.router_ran()

pages = st.navigation(
    [
        # No page icons: Streamlit would fetch them from the internet as favicons.
        st.Page(app_state.UPLOAD_PAGE, title="1 · Your data", default=True),
        st.Page(app_state.ELBOW_PAGE, title="2 · Number of segments"),
        st.Page(app_state.CLUSTERS_PAGE, title="3 · Segments"),
        st.Page(app_state.SCORE_PAGE, title="4 · Score new customers"),
    ]
)
app_state.start_router_page()
app_state.sidebar()
pages.run()
app_warmup.warm_up_charts()
# Only after a page ran to its end: drawing it comes first.
app_state.measure_ahead()

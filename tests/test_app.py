"""The Streamlit app, driven with AppTest: every page, the sample, uploads, bad files, K, names, downloads."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from helpers import ROOT, SHARED_DATA, plain, plain_table
from streamlit.testing.v1 import AppTest

import segmentation

APP = str(ROOT / "app.py")
PAGES = ("pages/upload.py", "pages/elbow.py", "pages/clusters.py", "pages/score.py")
# Tests over about three seconds are marked slow: most of them open the elbow page, which tries every K
# on the 3,000-customer sample (and checks their stability when asked); the quick run keeps the rest.


@pytest.fixture(autouse=True)
def fresh_caches():
    import app_state

    app_state.clear_caches()
    yield
    app_state.clear_caches()


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sidebar_text(at: AppTest) -> str:
    return plain(" ".join(m.value for m in at.sidebar.markdown) + " " + " ".join(c.value for c in at.sidebar.caption))


def current_data(at: AppTest) -> str:
    """The name of the data the session works on, as the sidebar says it."""
    import app_state

    label = at.session_state[app_state.DATASET].label
    assert label in sidebar_text(at)
    return label


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open a tab of the Segments page, as a click does (only the open tab runs)."""
    import app_state

    at.session_state[app_state.SEGMENTS_TAB] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def points(values) -> int:
    """Number of values in a Plotly JSON array (plain list, or Plotly 7's typed-array encoding)."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        import numpy as np

        return len(np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])))
    return len(values)


def mall_like_csv() -> bytes:
    """The Mall file when it is on this machine, else a file with its layout."""
    path = SHARED_DATA / "Mall_Customers.csv"
    if path.exists():
        return path.read_bytes()
    frame = segmentation.make_customers(200, random_state=3)[
        ["Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)"]
    ]
    frame = frame.fillna(40).astype({"Age": int, "Annual Income (k$)": int})
    frame.insert(0, "CustomerID", range(1, 201))
    return frame.to_csv(index=False).encode()


@pytest.mark.slow
def test_every_page_renders_on_the_sample():
    at = app()
    assert "sample_customers.csv (built-in sample)" in sidebar_text(at)
    assert "3,000 rows" in sidebar_text(at)
    for page in PAGES:
        visit(at, page)
        assert not at.error and not at.warning
        assert "sample_customers.csv (built-in sample)" in sidebar_text(at)


@pytest.mark.slow
def test_a_first_visit_straight_to_a_page_goes_through_the_router():
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/clusters.py").run()
    assert not at.exception
    assert at.title[0].value.startswith("Your ") and at.title[0].value.endswith(" segments")
    assert "sample_customers.csv (built-in sample)" in sidebar_text(at)


def test_upload_replaces_the_data_and_the_audit_explains_the_columns():
    at = app()
    data = mall_like_csv()
    at.file_uploader[0].set_value(("Mall_Customers.csv", data, "text/csv")).run()
    assert not at.exception and not at.error
    assert current_data(at) == "Mall_Customers.csv"
    assert plain(at.subheader[0].value) == "Mall_Customers.csv"
    assert at.metric[1].value == "200"
    columns = at.dataframe[1].value.set_index("Column")
    assert columns.loc["Gender", ["Kind", "Role"]].tolist() == ["flag", "segment"]
    assert columns.loc["CustomerID", ["Kind", "Role"]].tolist() == ["id", "ignore"]
    assert columns.loc["Age", ["Kind", "Role", "Scale"]].tolist() == ["number", "segment", "auto"]
    notes = plain_table(at.table[0].value)
    assert list(notes.index) == ["Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)", "CustomerID"]
    assert "1 for 'Male'" in notes.loc["Gender", "What was done and why"]
    assert notes.loc["CustomerID", "Role"] == "ignore"
    preview = at.dataframe[0].value
    assert len(preview) == 20 and list(preview.columns)[:2] == ["CustomerID", "Gender"]


def test_sessions_on_one_file_share_its_prepared_data_and_cannot_change_it():
    import app_state

    data = mall_like_csv()
    first, second = app(), app()
    for at in (first, second):
        at.file_uploader[0].set_value(("Mall_Customers.csv", data, "text/csv")).run()
        assert not at.exception and not at.error
    prepared = first.session_state[app_state.PREPARED][1][1]
    # One object for both sessions: not a copy unpickled for each of them.
    assert second.session_state[app_state.PREPARED][1][1] is prepared
    with pytest.raises(ValueError, match="read-only"):
        prepared.matrix[0, 0] = 99.0


def test_the_shared_prepared_files_stay_within_their_budget(monkeypatch):
    import app_prepared
    import app_state

    monkeypatch.setattr(app_prepared, "PREPARED_BUDGET", 1)  # every file is over it: only the newest is kept
    data, options = mall_like_csv(), app_state.PrepOptions()
    digest = app_state.file_hash(data)

    def prepared(name: str):
        return app_prepared.prepared_for(data, digest, name, options)[1]

    kept = prepared("a.csv")
    assert prepared("a.csv") is kept  # the newest stays, whatever its size
    prepared("b.csv")
    assert app_prepared.kept() == [(digest, "b.csv", options)]
    assert prepared("a.csv") is not kept  # dropped, so read and prepared again


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG image"),
        ("conflict.csv", b"<<<<<<< HEAD\nA,B\n1,2\n=======\nA,B\n1,3\n>>>>>>> x\n", "merge-conflict"),
    ],
)
def test_a_bad_upload_shows_the_error_and_keeps_the_previous_data(name, content, message):
    at = app()
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    assert not at.exception
    assert any(message in plain(e.value) for e in at.error)
    assert any("still working on" in plain(e.value) and "sample_customers.csv" in plain(e.value) for e in at.error)
    assert current_data(at) == "sample_customers.csv (built-in sample)"
    for page in PAGES[1:]:
        visit(at, page)
        assert not at.error


def test_a_file_over_the_upload_limit_is_refused(monkeypatch):
    import app_state

    monkeypatch.setattr(app_state, "_max_upload_bytes", lambda: 1_000)
    at = app()
    at.file_uploader[0].set_value(("big.csv", mall_like_csv(), "text/csv")).run()
    assert any("limit" in plain(e.value) for e in at.error)
    assert current_data(at) == "sample_customers.csv (built-in sample)"


def test_back_to_the_sample():
    at = app()
    at.file_uploader[0].set_value(("Mall_Customers.csv", mall_like_csv(), "text/csv")).run()
    button = next(b for b in at.button if b.label == "Use the sample data")
    button.click().run()
    assert current_data(at) == "sample_customers.csv (built-in sample)"
    assert at.file_uploader[0].value is None


def test_options_change_the_preparation():
    at = app()
    next(r for r in at.radio if r.label == "Scaling").set_value("robust")
    next(r for r in at.radio if r.label == "How much each column counts").set_value("equal")
    next(r for r in at.radio if r.label == "Extreme values").set_value("set-aside")
    next(b for b in at.button if b.label == "Apply").click().run()
    assert not at.exception
    import app_state

    options = at.session_state[app_state.OPTIONS]
    assert (options.scaler, options.weighting, options.outliers) == ("robust", "equal", "set-aside")
    assert options.features is None  # the column table was not changed


@pytest.mark.slow
def test_the_k_slider_does_not_recompute_the_sweep(monkeypatch):
    calls = []
    original = segmentation.sweep

    def counting(*args, **kwargs):
        calls.extend(range(kwargs["k_min"], kwargs["k_max"] + 1))
        return original(*args, **kwargs)

    monkeypatch.setattr(segmentation, "sweep", counting)
    at = visit(app(), "pages/elbow.py")
    assert sorted(calls) == list(range(2, 11))  # each K once
    slider = at.slider(key="k_slider")
    assert slider.value == 5  # the elbow of the sample
    slider.set_value(7).run()
    assert not at.exception
    assert len(calls) == 9  # no new sweep
    import app_state

    assert at.session_state[app_state.CHOSEN_K] == 7
    elbow = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(trace.get("name") == "your K" and trace["x"] == [7] for trace in elbow["data"])
    visit(at, "pages/clusters.py")
    assert at.title[0].value == "Your 7 segments"
    assert len(calls) == 9


@pytest.mark.slow
def test_widening_the_k_range_only_computes_the_new_k(monkeypatch):
    calls = []
    original = segmentation.sweep
    monkeypatch.setattr(
        segmentation, "sweep", lambda *a, **k: calls.append((k["k_min"], k["k_max"])) or original(*a, **k)
    )
    at = visit(app(), "pages/elbow.py")
    at.slider[0].set_value((2, 12)).run()
    assert not at.exception
    assert calls == [(2, 10), (11, 12)]  # the first range in one call, then only the new K
    at.slider[0].set_value((4, 8)).run()
    assert calls == [(2, 10), (11, 12)]  # a narrower range is all known


def test_clusters_page_draws_a_3d_scatter_tables_and_downloads(downloads):
    at = visit(app(), "pages/clusters.py")
    import app_state

    k = at.session_state[app_state.CHOSEN_K]
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    scatter = next(s for s in specs if s["data"] and s["data"][0]["type"] == "scatter3d")
    assert len([t for t in scatter["data"] if t["type"] == "scatter3d"]) == k
    assert sum(points(t["x"]) for t in scatter["data"]) == 3000
    assert scatter["layout"]["scene"]["xaxis"]["title"]["text"] in {
        "Age",
        "Annual Income (k$)",
        "Spending Score (1-100)",
        "Visits per Month",
    }
    editor = at.data_editor[0].value
    assert len(editor) == k and editor["Customers"].sum() == 3000
    # The averages read in units: one row per column or value, all customers then each segment.
    open_tab(at, "Tables")
    averages = next(d.value for d in at.dataframe if "Measure" in d.value.columns)
    assert list(averages.columns[:2]) == ["Measure", "All customers"] and len(averages.columns) == k + 2
    profile = segmentation.describe(segmentation.fit(at.session_state[app_state.PREPARED][1][1], k))
    assert averages.loc["Age", "All customers"] == f"{profile.overall['Age']:,.0f}"
    assert averages.loc["Gender = Female", "All customers"] == f"{profile.overall['Gender = Female']:.0%}"
    labels = [b.label for b in at.download_button]
    assert labels == [
        "Customers with their segment (CSV)",
        "Report (HTML)",
        "Segment summary (CSV)",
        "Segment cards (HTML)",
        "Run file (JSON)",
    ]
    labelled = pd.read_csv(
        io.BytesIO(downloads[f"sample_customers_segments_K{k}.csv"]()), dtype=str, encoding="utf-8-sig"
    )
    assert len(labelled) == 3000 and sorted(labelled["Segment"].unique()) == [str(i) for i in range(1, k + 1)]
    run = json.loads(downloads[f"sample_customers_run_K{k}.json"]())
    assert run["options"]["k"] == k


@pytest.mark.slow
def test_renaming_a_segment_changes_every_download(downloads):
    at = visit(app(), "pages/clusters.py")
    import app_state

    k = at.session_state[app_state.CHOSEN_K]
    editor_key = at.data_editor[0].key
    at.session_state[editor_key] = {"edited_rows": {0: {"Name": "Loyal core"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    labelled = pd.read_csv(
        io.BytesIO(downloads[f"sample_customers_segments_K{k}.csv"]()), dtype=str, encoding="utf-8-sig"
    )
    assert set(labelled.loc[labelled["Segment"] == "1", "Segment name"]) == {"Loyal core"}
    summary = pd.read_csv(
        io.BytesIO(downloads[f"sample_customers_segment_summary_K{k}.csv"]()), dtype=str, encoding="utf-8-sig"
    )
    assert summary.loc[0, "Name"] == "Loyal core"
    assert json.loads(downloads[f"sample_customers_run_K{k}.json"]())["segment_names"][0] == "Loyal core"
    scatter = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "scatter3d" in c.proto.spec)
    assert scatter["data"][0]["name"] == "1 · Loyal core"
    # The name survives a trip to another page and back.
    visit(at, "pages/elbow.py")
    visit(at, "pages/clusters.py")
    assert at.data_editor[0].value.loc[0, "Name"] == "Loyal core"


@pytest.mark.slow
def test_a_typed_formula_name_is_neutralised_in_the_download(downloads):
    at = visit(app(), "pages/clusters.py")
    import app_state

    k = at.session_state[app_state.CHOSEN_K]
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {1: {"Name": "=HYPERLINK(1)"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    labelled = pd.read_csv(
        io.BytesIO(downloads[f"sample_customers_segments_K{k}.csv"]()), dtype=str, encoding="utf-8-sig"
    )
    assert set(labelled.loc[labelled["Segment"] == "2", "Segment name"]) == {"'=HYPERLINK(1)"}


def test_pages_without_data_show_a_guide_not_an_error():
    at = AppTest.from_file(APP, default_timeout=60)
    import app_state

    at.session_state[app_state.DATASET] = None
    at.run()
    for page in ("pages/elbow.py", "pages/clusters.py"):
        visit(at, page)
        assert not at.error
        assert any("No customer data is loaded yet" in i.value for i in at.info)


@pytest.mark.slow
def test_clusters_page_answers_the_next_questions(downloads):
    at = visit(app(), "pages/clusters.py")
    import app_state

    k = at.session_state[app_state.CHOSEN_K]
    assert [t.label for t in at.tabs] == list(app_state.SEGMENT_TABS)
    types = [t["type"] for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    assert "sankey" not in types  # computed only when asked for
    assert "box" not in types  # only the open tab runs: the profiles are not drawn yet
    open_tab(at, "Compare with another K")
    at.selectbox(key="compare_k").set_value(k + 1).run()
    assert at.session_state[app_state.SEGMENTS_TAB] == "Compare with another K"  # the tab stays open
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    sankey = next(s for s in specs if s["data"] and s["data"][0]["type"] == "sankey")
    assert len(sankey["data"][0]["node"]["label"]) == k + (k + 1)
    crosstab = next(d.value for d in at.dataframe if d.value.shape == (k, k + 1))
    assert crosstab.to_numpy().sum() == 3000
    open_tab(at, "Segment cards")
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    cards = [s for s in specs if s["data"] and s["data"][0]["type"] == "bar" and s["data"][0].get("orientation") == "h"]
    assert len(cards) == k  # one small chart per segment
    quotes = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(quotes) == k and all("all customers" in q for q in quotes)
    open_tab(at, "Profiles")
    types = [json.loads(c.proto.spec)["data"][0]["type"] for c in at.get("plotly_chart")]
    assert "box" in types  # the number columns, by segment
    html = downloads[f"sample_customers_segment_cards_K{k}.html"]()
    text = html.decode() if isinstance(html, bytes) else html
    assert "<script" not in text and "http" not in text.lower().replace("http-equiv", "")
    # The 'Unusual' flag joins the download when asked for.
    next(c for c in at.checkbox if "Unusual" in c.label).check().run()
    labelled = pd.read_csv(
        io.BytesIO(downloads[f"sample_customers_segments_K{k}.csv"]()),
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    assert {"Fit score", "Unusual"} <= set(labelled.columns)
    assert 0 < (labelled["Unusual"] == "yes").sum() < 300


def test_compare_offers_only_the_k_the_customers_allow():
    # Five different customers (each several times): no K above 5 can be compared.
    rows = [f"{age},{income}" for age, income in [(20, 15), (35, 60), (50, 90), (65, 30), (28, 75)]] * 6
    at = app()
    at.file_uploader[0].set_value(("five.csv", ("Age,Income\n" + "\n".join(rows) + "\n").encode(), "text/csv")).run()
    at = visit(at, "pages/clusters.py")
    import app_state

    k = at.session_state[app_state.CHOSEN_K]
    open_tab(at, "Compare with another K")
    options = [int(o) for o in at.selectbox(key="compare_k").options]
    assert options == [c for c in range(2, 6) if c != k]
    assert not at.error


@pytest.mark.slow
def test_downloads_are_the_same_made_with_the_page_or_at_the_click(monkeypatch, downloads):
    from streamlit.runtime.media_file_manager import MediaFileManager

    import app_show
    import app_state

    at = visit(app(), "pages/clusters.py")
    k = at.session_state[app_state.CHOSEN_K]
    name = f"sample_customers_segments_K{k}.csv"
    eager = downloads.pop(name)()
    # Above the limit the file is made only when the button is clicked.
    monkeypatch.setattr(app_show, "EAGER_DOWNLOAD_ROWS", 0)
    clicked = []
    original = MediaFileManager.add_deferred
    monkeypatch.setattr(
        MediaFileManager,
        "add_deferred",
        lambda self, make, *a, file_name=None, **o: (
            clicked.append(file_name) or original(self, make, *a, file_name=file_name, **o)
        ),
    )
    at.run()
    assert name in clicked
    assert downloads[name]() == eager and len(pd.read_csv(io.BytesIO(eager))) == 3000


@pytest.mark.slow
def test_a_second_session_reuses_the_first_ones_sweep_without_errors(monkeypatch):
    # The sweep moves the page's progress bar; a shared result must not try to replay that bar in
    # another session (st.cache_data would, and fail).
    calls = []
    original = segmentation.sweep
    monkeypatch.setattr(segmentation, "sweep", lambda *a, **k: calls.append(k["k_min"]) or original(*a, **k))
    first = visit(app(), "pages/elbow.py")
    second = visit(app(), "pages/elbow.py")
    assert calls == [2]
    assert not second.exception and not second.error
    spec = json.loads(second.get("plotly_chart")[0].proto.spec)
    assert spec == json.loads(first.get("plotly_chart")[0].proto.spec)


# --------------------------------------------------------------------------------------------------
# Names shown as typed, download names kept whole (issue 17)


def test_web_addresses_in_names_do_not_become_links():
    import app_show

    shown = app_show.literal("See https://example.com/a, www.example.org and ana@example.net")
    # GitHub's autolinks are found after the escapes are read: a word joiner keeps each one text.
    assert "https\\:\\/\\/\u2060example" in shown and "www\u2060\\." in shown and "\\@\u2060example" in shown
    assert plain(shown) == "See https://example.com/a, www.example.org and ana@example.net"


def test_slashes_in_an_uploaded_name_do_not_cut_the_download_names(downloads):
    at = app()
    data = segmentation.demo_csv(400)
    at.file_uploader[0].set_value(("Q3/Q4 https://example.com report.csv", data, "text/csv")).run()
    assert not at.exception and not at.error
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "https\\:\\/\\/\u2060example" in sidebar  # a name, not a link
    visit(at, "pages/clusters.py")
    import app_state

    k = at.session_state[app_state.CHOSEN_K]
    assert f"Q3_Q4 https___example.com report_segments_K{k}.csv" in downloads
    assert f"Q3_Q4 https___example.com report_run_K{k}.json" in downloads


def test_running_out_of_memory_on_an_upload_is_said_as_such(monkeypatch):
    import app_state

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    at = app()
    monkeypatch.setattr(app_state.app_prepared, "prepared_for", out_of_memory)
    at.file_uploader[0].set_value(("big.csv", b"Age,Spend\n1,2\n3,4\n", "text/csv")).run()
    assert not at.exception
    assert any("ran out of memory reading this file" in plain(e.value) for e in at.error)
    assert current_data(at) == "sample_customers.csv (built-in sample)"


def elbow_specs(at: AppTest) -> dict:
    """The elbow page's charts by key."""
    return {c.proto.id.split("-")[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def your_k(at: AppTest) -> int:
    elbow = json.loads(at.get("plotly_chart")[0].proto.spec)
    (marked,) = [trace["x"] for trace in elbow["data"] if trace.get("name") == "your K"]
    return marked[0]


@pytest.mark.slow
def test_two_moves_of_the_range_in_a_row_both_take_effect():
    import app_state

    at = visit(app(), "pages/elbow.py")
    at.slider(key=app_state.K_RANGE_SLIDER).set_value((2, 12)).run()
    at.slider(key=app_state.K_RANGE_SLIDER).set_value((3, 14)).run()
    assert not at.exception
    assert at.session_state[app_state.K_RANGE] == (3, 14)
    assert at.slider(key=app_state.K_RANGE_SLIDER).value == (3, 14)
    elbow = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert points(elbow["data"][0]["x"]) == 12  # K = 3..14
    # The range is kept when the user leaves the page and comes back.
    visit(at, "pages/upload.py")
    visit(at, "pages/elbow.py")
    assert at.slider(key=app_state.K_RANGE_SLIDER).value == (3, 14)


@pytest.mark.slow
def test_after_a_k_move_the_sidebar_the_advice_and_the_charts_show_the_new_k():
    import app_state

    at = visit(app(), "pages/elbow.py")
    assert your_k(at) == 5 and "K = 5" in sidebar_text(at)
    at.toggle(key=app_state.STABILITY_TOGGLE).set_value(True).run()
    at.slider(key=app_state.K_SLIDER).set_value(7).run()
    assert "K = 7" in sidebar_text(at) and "K = 5" not in sidebar_text(at)
    assert your_k(at) == 7
    criteria = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert [shape["x0"] for shape in criteria["layout"]["shapes"]] == [7, 7, 7]
    assert any("You chose **K = 7**" in m.value for m in at.markdown)
    stability = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Stability" in c.proto.spec)
    assert [shape["x0"] for shape in stability["layout"]["shapes"] if shape.get("x0") is not None][-1] == 7
    assert any("At K=7," in m.value for m in [*at.success, *at.warning])
    # One click back to the suggestion.
    at.button(key="use_suggested_k").click().run()
    assert at.slider(key=app_state.K_SLIDER).value == 5 and your_k(at) == 5 and "K = 5" in sidebar_text(at)
    assert not any("You chose" in m.value for m in at.markdown)


@pytest.mark.slow
def test_k_follows_the_suggestion_until_the_user_picks_one():
    import app_state

    at = visit(app(), "pages/elbow.py")
    at.slider(key=app_state.K_RANGE_SLIDER).set_value((6, 12)).run()
    suggested = segmentation.sweep(at.session_state[app_state.PREPARED][1][1], k_min=6, k_max=12).suggested_k
    assert at.session_state[app_state.CHOSEN_K] == suggested == at.slider(key=app_state.K_SLIDER).value
    assert your_k(at) == suggested and f"K = {suggested}" in sidebar_text(at)
    assert f"K={suggested}" in (at.success or at.info)[0].value
    # Once picked, K stays while it is in the range.
    picked = 7 if suggested != 7 else 10
    at.slider(key=app_state.K_SLIDER).set_value(picked).run()
    at.slider(key=app_state.K_RANGE_SLIDER).set_value((6, 14)).run()
    assert at.session_state[app_state.CHOSEN_K] == picked == your_k(at)
    visit(at, "pages/clusters.py")
    assert at.title[0].value == f"Your {picked} segments" and f"K = {picked}" in sidebar_text(at)


@pytest.mark.slow
def test_the_report_download_carries_the_typed_names(downloads):
    import app_state

    at = visit(app(), "pages/clusters.py")
    k = at.session_state[app_state.CHOSEN_K]
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {0: {"Name": "Loyal <core>"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    report = downloads[f"sample_customers_segments_K{k}_report.html"]()
    report = report.decode() if isinstance(report, bytes) else report
    assert "<h2>" in report and "Segment 1: Loyal &lt;core&gt;</h2>" in report
    assert "Loyal <core>" not in report.split("<script", 1)[0]
    assert "K from 2 to 10 was tried." in report  # the elbow page's range
    assert "agree with yours at" in report  # the stability checked on the page

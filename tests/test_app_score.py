"""The score page, driven with AppTest: bad run files get a message, notes reach the screen, and every
name from a file (the file itself, columns, values) shows as typed, never as Markdown."""

from __future__ import annotations

import copy
import io
import json

import pandas as pd
import pytest
from helpers import ROOT, plain
from streamlit.testing.v1 import AppTest
from test_app import app, visit

import segmentation as sg

APP = str(ROOT / "app.py")
RUN_FILE = "Segments saved in a run file (JSON)"
#: A file name full of what Markdown and Streamlit would otherwise format: italics, a link, red
#: text, an icon, an emoji, LaTeX, an arrow.
TRICKY_NAME = "*Q3* [draft](http://x.example) :red[big] :material/home: :smile: $x$ a -> b.csv"
#: Characters the page must escape with a backslash, so CommonMark shows them as they are.
SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:&=^/@")


@pytest.fixture(autouse=True)
def fresh_caches():
    import app_state

    app_state.clear_caches()
    yield
    app_state.clear_caches()


def score_page(run_file: bytes, data: bytes, *, data_name: str = "next_month.csv") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("pages/score.py").run()
    at.radio(key="score_source").set_value(RUN_FILE).run()
    at.file_uploader(key="score_model").set_value(("run.json", run_file, "application/json"))
    at.file_uploader(key="score_data").set_value((data_name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def unescaped(markdown: str) -> list[str]:
    """Markdown characters in ``markdown`` that are not escaped (and would format the text)."""
    found, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown) and markdown[i + 1] in SPECIAL:
            i += 2
            continue
        if markdown[i] in SPECIAL:
            found.append(markdown[i])
        i += 1
    return found


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(sg.demo_csv(400)), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def run_file(customers) -> bytes:
    table = sg.load_table(customers.to_csv(index=False).encode(), name=TRICKY_NAME)
    segmentation = sg.fit(sg.prepare(table), 3)
    return sg.run_config_json(segmentation, names=["*VIP*", "[Savers](http://x)", ":red[Risk]"]).encode()


def test_names_from_the_files_show_as_typed(run_file, customers):
    new = customers.iloc[:60].copy()
    new.loc[0, "Region"] = "_Mars_"
    at = score_page(run_file, new.to_csv(index=False).encode())
    (success,) = at.success
    assert plain(success.value) == f"60 customers put into the 3 segments made from '{TRICKY_NAME}'."
    name = success.value[success.value.index("'") + 1 : success.value.rindex("'")]
    assert unescaped(name) == []
    # Word joiners keep what Streamlit replaces after parsing (arrows, its logo) as typed.
    assert "\\-\u2060\\>" in name
    (note,) = [w.value for w in at.warning if "Region" in w.value]
    assert "'_Mars_' (1 row)" in plain(note) and unescaped(note) == []
    # The table is not Markdown: segment names stay exactly as typed there.
    assert list(at.dataframe[0].value["Segment"]) == ["1 · *VIP*", "2 · [Savers](http://x)", "3 · :red[Risk]"]


def test_notes_about_unseen_values_and_units_are_plain(run_file, customers):
    new = customers.iloc[:60].copy()
    new.loc[:2, "Gender"] = "unknown"
    income = pd.to_numeric(new["Annual Income (k$)"], errors="coerce") * 1000
    new["Annual Income (k$)"] = income.astype("Int64").astype(str).replace("<NA>", "")
    at = score_page(run_file, new.to_csv(index=False).encode())
    notes = [plain(w.value) for w in at.warning]
    assert any("Column 'Gender' has 3 cell(s) with values not seen" in n and "count as missing" in n for n in notes)
    assert any("Column 'Annual Income (k$)' has a median of" in n and "same unit" in n for n in notes)
    assert at.dataframe[0].value["Customers"].sum() == 60


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda m: m.update(file="customers.csv"), "'file'"),
        (lambda m: m["file"].update(name={"first": "customers"}), "'file.name'"),
        (lambda m: m["preparation"]["columns"][1].update(kind=["number"]), "kind"),
        (lambda m: m["preparation"]["columns"][6].update(latest="2024-06-30T00:00:00+02:00"), "latest"),
        (lambda m: m["preparation"]["scaler"].update(kind={"standard": 1}), "'preparation.scaler.kind'"),
        # issue 17: a number that overflows every float, text no screen can show
        (lambda m: m["preparation"]["columns"][1].update(fill=10**400), "fill"),
        (lambda m: m.update(segment_names=["\ud800"] + m["segment_names"][1:]), "segment_names"),
    ],
)
def test_a_hand_edited_run_file_gets_a_message(run_file, customers, change, field):
    broken = json.loads(run_file)
    change(broken)
    at = score_page(json.dumps(broken).encode(), customers.iloc[:20].to_csv(index=False).encode())
    (error,) = at.error
    assert "This run file is not valid" in plain(error.value) and field in plain(error.value)
    assert not at.success and not at.dataframe


def test_error_messages_show_column_names_as_typed(customers):
    frame = customers.rename(columns={"Annual Income (k$)": "Income_2024_*net*"})
    model = sg.run_config_json(sg.fit(sg.prepare(sg.load_table(frame.to_csv(index=False).encode())), 3))
    new = copy.deepcopy(customers.iloc[:20])  # still the old column name
    at = score_page(model.encode(), new.to_csv(index=False).encode())
    (error,) = at.error
    assert "no column 'Income_2024_*net*'" in plain(error.value)
    assert "Income\\_2024\\_\\*net\\*" in error.value


@pytest.mark.slow
def test_score_page_scores_new_customers_with_a_run_file(downloads):
    at = visit(app(), "pages/clusters.py")
    import app_state

    k = at.session_state[app_state.CHOSEN_K]
    run_file = downloads[f"sample_customers_run_K{k}.json"]()
    visit(at, "pages/score.py")
    at.radio(key="score_source").set_value("Segments saved in a run file (JSON)").run()
    new_customers = sg.demo_csv(500, random_state=42)
    at.file_uploader(key="score_model").set_value(
        ("run.json", run_file.encode() if isinstance(run_file, str) else run_file, "application/json")
    )
    at.file_uploader(key="score_data").set_value(("next_month.csv", new_customers, "text/csv")).run()
    assert not at.exception and not at.error
    assert "500 customers put into the" in at.success[0].value
    counts = at.dataframe[0].value
    assert len(counts) == k and counts["Customers"].sum() == 500
    scored = pd.read_csv(
        io.BytesIO(downloads["next_month_segments.csv"]()), dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    assert len(scored) == 500 and set(scored["Segment"]) <= {str(s) for s in range(1, k + 1)}


def test_score_page_explains_a_bad_run_file():
    at = visit(app(), "pages/score.py")
    at.radio(key="score_source").set_value("Segments saved in a run file (JSON)").run()
    at.file_uploader(key="score_model").set_value(("run.json", b'{"format": "something else"}', "application/json"))
    at.file_uploader(key="score_data").set_value(("next.csv", sg.demo_csv(50), "text/csv")).run()
    assert not at.exception
    assert "not a run file" in plain(at.error[0].value)


@pytest.mark.slow
def test_score_page_offers_the_segments_on_screen(downloads):
    import app_state

    at = visit(app(), "pages/clusters.py")
    k = at.session_state[app_state.CHOSEN_K]
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {0: {"Name": "Loyal core"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    run_file = downloads[f"sample_customers_run_K{k}.json"]()
    visit(at, "pages/score.py")
    assert at.radio(key="score_source").value == "The segments on screen"
    new_customers = sg.demo_csv(300, random_state=5)
    at.file_uploader(key="score_data").set_value(("next.csv", new_customers, "text/csv")).run()
    assert not at.exception and not at.error
    assert f"300 customers put into the {k} segments made from 'sample" in plain(at.success[0].value)
    counts = at.dataframe[0].value
    assert counts["Segment"].iloc[0] == "1 · Loyal core" and counts["Customers"].sum() == 300
    # The same segments as the run file of the page.
    model = sg.read_run_file(run_file.encode() if isinstance(run_file, str) else run_file)
    expected = sg.score(sg.load_table(new_customers), model).sizes
    assert counts["Customers"].tolist() == list(expected)

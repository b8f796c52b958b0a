"""The score page with a log's run file, driven with AppTest: the new log rolled up, the as-of date shown and
changed, one row per customer and every order line in the downloads."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import plain
from log_data import csv_table, generated_log
from test_app_score import score_page

import segmentation as sg


@pytest.fixture(autouse=True)
def fresh_caches():
    import app_state

    app_state.clear_caches()
    yield
    app_state.clear_caches()


@pytest.fixture(scope="module")
def made() -> tuple[bytes, sg.Customers, sg.Segmentation]:
    customers = sg.Customers.of(csv_table(generated_log(0)))
    segmentation = sg.fit(customers.prepare(), 3)
    return sg.run_config_json(segmentation, rollup=customers.rollup).encode(), customers, segmentation


def test_a_new_log_is_rolled_up_and_its_as_of_date_shown(made):
    run_file, _, _ = made
    frame = generated_log(seed=1, customers=80)
    at = score_page(run_file, frame.to_csv(index=False).encode(), data_name="new_orders.csv")
    (success,) = at.success
    assert plain(success.value) == "80 customers put into the 3 segments made from 'orders.csv'."
    summary = [plain(m.value) for m in at.markdown if "transaction log" in m.value]
    assert summary and f"{len(frame):,} order lines in" in summary[0]
    (as_of,) = [plain(i.value) for i in at.info]
    assert as_of.startswith(f"Days are counted to {max(frame['Order Date'])}, the new log's last date")
    assert at.dataframe[0].value["Customers"].sum() == 80
    assert [b.label for b in at.download_button] == [
        "New customers with their segment (CSV)",
        "Every order line with its customer's segment (CSV)",
    ]


def test_changing_the_as_of_date_rolls_the_log_up_to_it(made):
    run_file, _, _ = made
    frame = generated_log(seed=2, customers=80)
    at = score_page(run_file, frame.to_csv(index=False).encode())
    at.date_input(key="score_as_of").set_value(date(2023, 12, 31)).run()
    assert not at.exception, [e.value for e in at.exception]
    kept = frame[frame["Order Date"] <= "2023-12-31"]
    expected = sg.score(csv_table(frame), sg.read_run_file(run_file), as_of="2023-12-31")
    assert at.dataframe[0].value["Customers"].tolist() == list(expected.sizes)
    assert sum(expected.sizes) == kept["Customer ID"].nunique()
    (as_of,) = [plain(i.value) for i in at.info]
    assert as_of.startswith("Days are counted to 2023-12-31, the as-of date given")
    assert any("dated after the as-of date 2023-12-31" in plain(w.value) for w in at.warning)


def test_a_customer_table_with_a_logs_run_file_gets_a_message(made):
    run_file, customers, segmentation = made
    at = score_page(run_file, sg.customers_csv(segmentation, customers.rollup))
    (error,) = at.error
    assert "looks like one row per customer already" in plain(error.value)
    assert not at.success and not at.download_button


def test_a_logs_run_file_asks_for_a_new_log_with_its_columns(made):
    from streamlit.testing.v1 import AppTest
    from test_app_score import APP, RUN_FILE

    run_file, customers, _ = made
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("pages/score.py").run()
    at.radio(key="score_source").set_value(RUN_FILE).run()
    at.file_uploader(key="score_model").set_value(("run.json", run_file, "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.file_uploader(key="score_data").label == "New transaction log (CSV or Excel)"
    (asked,) = [plain(m.value) for m in at.markdown if "transaction log" in m.value]
    columns = customers.rollup.definitions()
    for column in (columns["customer"], columns["date"]):
        assert f"'{column}'" in asked
    assert [plain(i.value) for i in at.info] == ["Upload the new log to score."]

"""Scoring new customers: the preparation spec reproduces the scikit-learn pipeline exactly, the
training file gets its own labels back, and values the segments were not made with are reported."""

from __future__ import annotations

import copy
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, shared_file
from scoring_data import mixed_customers, run_file

from segmentation import DataError, fit, load_table, prepare, run_config, score, scored_csv
from segmentation.runfile import preparation_spec
from segmentation.scoring import apply_spec


@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax", "none"])
@pytest.mark.parametrize("outliers", ["keep", "clip"])
def test_spec_reproduces_the_matrix(sample_bytes, scaler, outliers):
    prepared = prepare(load_table(sample_bytes), scaler=scaler, outliers=outliers)
    spec = json.loads(json.dumps(preparation_spec(prepared)))  # through JSON, as in a run file
    again = apply_spec(prepared.values.iloc[prepared.rows], spec)
    np.testing.assert_allclose(again, prepared.matrix, rtol=1e-12, atol=1e-12)


def test_unseen_categories_encode_as_zeros(sample_prepared):
    spec = preparation_spec(sample_prepared)
    values = sample_prepared.values.iloc[:3].copy()
    values["Region"] = ["Mars", "North", None]
    out = apply_spec(values, spec)
    region = [sample_prepared.feature_names.index(f"Region: {r}") for r in ("East", "North", "South", "West")]
    scale, center = (np.asarray(spec["scaler"][key])[region] for key in ("scale", "center"))
    encoded = out[:, region] * scale + center  # undo the scaling to see the 0/1 encoding
    np.testing.assert_allclose(encoded[0], [0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(encoded[1], [0, 1, 0, 0], atol=1e-12)
    fill = spec["columns"][[e["column"] for e in spec["columns"]].index("Region")]["fill"]
    np.testing.assert_allclose(encoded[2], [float(fill == r) for r in ("East", "North", "South", "West")], atol=1e-12)


@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax", "none"])
@pytest.mark.parametrize("outliers", ["keep", "clip"])
def test_scoring_the_training_file_reproduces_its_labels(sample_bytes, scaler, outliers):
    prepared = prepare(load_table(sample_bytes), scaler=scaler, outliers=outliers)
    segmentation = fit(prepared, 4)
    model = json.loads(json.dumps(run_config(segmentation)))
    scored = score(sample_bytes, model)
    np.testing.assert_array_equal(scored.labels, segmentation.labels)
    assert scored.sizes == segmentation.sizes


def test_scoring_mall_reproduces_labels():
    path = shared_file("Mall_Customers.csv")
    segmentation = fit(prepare(load_table(path)), 6)
    scored = score(path, run_config(segmentation))
    np.testing.assert_array_equal(scored.labels, segmentation.labels)


def test_scoring_new_customers_with_other_column_order_and_extra_columns(sample_model, sample_prepared):
    segmentation, model = sample_model
    frame = sample_prepared.table.raw.iloc[:50]
    shuffled = frame[list(reversed(frame.columns))].assign(Extra="x")
    scored = score(shuffled.to_csv(index=False).encode(), model)
    np.testing.assert_array_equal(scored.labels, segmentation.labels[:50])


def test_missing_column_is_named(sample_model, sample_prepared):
    _, model = sample_model
    data = sample_prepared.table.raw.drop(columns=["Age"]).to_csv(index=False).encode()
    with pytest.raises(DataError, match="no column 'Age'"):
        score(data, model)


def test_unseen_categories_are_reported(sample_model, sample_prepared):
    _, model = sample_model
    frame = sample_prepared.table.raw.iloc[:20].copy()
    frame.loc[:2, "Region"] = "Atlantis"
    scored = score(frame.to_csv(index=False).encode(), model)
    assert any("'Atlantis' (3 rows)" in note for note in scored.notes)
    assert (scored.labels > 0).all()


def test_number_column_that_became_text(sample_model, sample_prepared):
    _, model = sample_model
    frame = sample_prepared.table.raw.iloc[:20].copy()
    frame["Age"] = "unknown"
    with pytest.raises(DataError, match="Column 'Age' held numbers"):
        score(frame.to_csv(index=False).encode(), model)


def test_scored_csv_keeps_every_row(sample_model, sample_prepared):
    _, model = sample_model
    raw = sample_prepared.table.raw.iloc[:30]
    scored = score(raw.to_csv(index=False).encode(), model)
    out = pd.read_csv(io.BytesIO(scored_csv(scored)), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(out) == 30
    assert out["CustomerID"].tolist() == raw["CustomerID"].tolist()
    assert set(out["Segment name"]) <= set(model["segment_names"])


def test_cli_score_reproduces_segment(tmp_path, sample_bytes):
    from segmentation.cli import main

    data = tmp_path / "customers.csv"
    data.write_bytes(sample_bytes)
    run_file, first, second = tmp_path / "run.json", tmp_path / "a.csv", tmp_path / "b.csv"
    out = io.StringIO()
    assert main(["segment", str(data), "--k", "4", "--config", str(run_file), "--out", str(first)], stdout=out) == 0
    out = io.StringIO()
    assert main(["score", str(data), "--model", str(run_file), "--out", str(second), "--json"], stdout=out) == 0
    payload = json.loads(out.getvalue())
    assert payload["rows"] == 3000 and payload["k"] == 4 and sum(payload["sizes"]) == 3000
    a = pd.read_csv(first, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    b = pd.read_csv(second, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert a["Segment"].tolist() == b["Segment"].tolist()
    err = io.StringIO()
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["score", str(data), "--model", str(bad)], stdout=io.StringIO(), stderr=err) == 2
    assert err.getvalue().startswith("error: This is not a run file")


# ---------------------------------------------------------------------------------------------
# Values the segments were not made with


@pytest.fixture(scope="module")
def mostly_male(sample_prepared):
    """A run file whose yes/no column's most common value is its second one ('Male')."""
    raw = sample_prepared.table.raw.copy()
    raw["Gender"] = np.where(np.arange(len(raw)) % 10 < 7, "Male", "Female")
    raw.loc[::50, "Gender"] = ""
    model = run_config(fit(prepare(load_table(raw.to_csv(index=False).encode())), 4))
    gender = next(e for e in model["preparation"]["columns"] if e["column"] == "Gender")
    assert gender["fill"] == "Male" and gender["categories"] == ["Female", "Male"]  # 0 would mean 'Female'
    return raw, model


def test_unseen_yes_no_values_count_as_missing(mostly_male):
    raw, model = mostly_male
    new = raw.iloc[:40].copy()
    new.loc[:4, "Gender"] = "unknown"
    new.loc[5:6, "Gender"] = "M"
    missing = new.assign(Gender=new["Gender"].where(~new["Gender"].isin(["unknown", "M"]), ""))
    scored, expected = (
        score(new.to_csv(index=False).encode(), model),
        score(missing.to_csv(index=False).encode(), model),
    )
    # The same segment and the same distance as with an empty cell, i.e. filled with 'Male'.
    np.testing.assert_array_equal(scored.labels, expected.labels)
    np.testing.assert_allclose(scored.distance, expected.distance, rtol=1e-12)
    (note,) = [n for n in scored.notes if "'Gender'" in n]
    assert "7 cell(s)" in note and "'unknown' (5 rows), 'M' (2 rows)" in note
    assert "count as missing and are filled with 'Male'" in note


def test_a_row_with_only_an_unseen_yes_no_value_is_not_segmented(mostly_male):
    raw, model = mostly_male
    new = raw.iloc[:2].copy()
    new.loc[0, [c for c in new.columns if c != "CustomerID"]] = ""
    new.loc[0, "Gender"] = "unknown"
    scored = score(new.to_csv(index=False).encode(), model)
    assert scored.labels[0] == 0 and scored.labels[1] > 0
    assert any("no value in any of the model's columns" in n for n in scored.notes)


def test_unseen_category_note_says_what_happens(sample_model, sample_prepared):
    _, model = sample_model
    frame = sample_prepared.table.raw.iloc[:20].copy()
    frame.loc[:2, "Region"] = "Atlantis"
    frame.loc[3, "Region"] = "*Mars*"
    scored = score(frame.to_csv(index=False).encode(), model)
    (note,) = [n for n in scored.notes if "'Region'" in n]
    assert "4 cell(s)" in note and "'Atlantis' (3 rows), '*Mars*' (1 row)" in note
    # As OneHotEncoder(handle_unknown="ignore"): a 0 for every known value, not the most common one.
    assert "none of the known values ('East', 'North', 'South', 'West')" in note
    assert (scored.labels > 0).all()


def test_many_unseen_values_are_summarised(sample_model, sample_prepared):
    _, model = sample_model
    frame = sample_prepared.table.raw.iloc[:20].copy()
    frame.loc[:9, "Region"] = [f"Planet {i}" for i in range(10)]
    (note,) = [n for n in score(frame.to_csv(index=False).encode(), model).notes if "'Region'" in n]
    assert "10 cell(s)" in note and "and 6 other value(s)" in note


def _income_notes(scored):
    return [n for n in scored.notes if "'Annual Income (k$)'" in n]


def test_numbers_in_another_unit_are_flagged(sample_model, sample_prepared):
    _, model = sample_model
    frame = sample_prepared.table.raw.iloc[:200].copy()
    assert not _income_notes(score(frame.to_csv(index=False).encode(), model))
    income = pd.to_numeric(frame["Annual Income (k$)"], errors="coerce")
    dollars = frame.assign(**{"Annual Income (k$)": (income * 1000).astype("Int64").astype(str).replace("<NA>", "")})
    scored = score(dollars.to_csv(index=False).encode(), model)
    (note,) = _income_notes(scored)
    entry = next(e for e in model["preparation"]["columns"] if e["column"] == "Annual Income (k$)")
    low, high = entry["range"]
    assert f"median of {income.median() * 1000:,.0f} in this file" in note
    assert f"(median {entry['fill']:,.0f}, from {low:,.0f} to {high:,.0f})" in note
    assert "same unit" in note
    assert (scored.labels > 0).all()  # a warning, not an error: every customer still gets a segment


def test_numbers_outside_the_range_are_flagged_and_old_run_files_use_the_median(sample_model, sample_prepared):
    _, model = sample_model
    frame = sample_prepared.table.raw.iloc[:50].copy()
    # Ages far beyond the oldest customer (by more than the range's width), yet within 10x the median.
    ancient = frame.assign(Age="300")
    assert any(
        "'Age' has a median of 300 in this file" in n for n in score(ancient.to_csv(index=False).encode(), model).notes
    )
    # Just beyond the range is no sign of another unit.
    older_than_any = frame.assign(Age="95")
    assert not any("'Age' has a median" in n for n in score(older_than_any.to_csv(index=False).encode(), model).notes)
    # A run file written before "range" existed still catches 10x the median.
    old = copy.deepcopy(model)
    for entry in old["preparation"]["columns"]:
        entry.pop("range", None)
    assert not any("'Age' has a median" in n for n in score(ancient.to_csv(index=False).encode(), old).notes)
    older = frame.assign(Age="4100")
    assert any("'Age' has a median of 4,100" in n for n in score(older.to_csv(index=False).encode(), old).notes)


def test_cli_score_prints_the_notes(tmp_path, sample_model, sample_prepared):
    from segmentation.cli import main

    _, model = sample_model
    run_file, data = tmp_path / "run.json", tmp_path / "new.csv"
    run_file.write_text(json.dumps(model))
    frame = sample_prepared.table.raw.iloc[:30].copy()
    frame.loc[:1, "Gender"] = "unknown"
    frame["Age"] = "300"
    frame.to_csv(data, index=False)
    out = io.StringIO()
    assert main(["score", str(data), "--model", str(run_file)], stdout=out) == 0
    text = out.getvalue()
    assert "Note: Column 'Gender' has 2 cell(s) with values not seen" in text
    assert "Note: Column 'Age' has a median of 300 in this file" in text
    out = io.StringIO()
    assert main(["score", str(data), "--model", str(run_file), "--json"], stdout=out) == 0
    notes = json.loads(out.getvalue())["notes"]
    assert any("filled with 'Female'" in n for n in notes) and any("same unit" in n for n in notes)


def test_a_single_new_customer_can_be_scored(sample_model, sample_prepared, tmp_path):
    from segmentation.cli import main

    _, model = sample_model
    one = sample_prepared.table.raw.iloc[[7]].to_csv(index=False).encode()
    scored = score(one, model)
    everyone = score(sample_prepared.table.raw.iloc[:20].to_csv(index=False).encode(), model)
    assert scored.labels.tolist() == [everyone.labels[7]]
    path = tmp_path / "one.csv"
    path.write_bytes(one)
    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps(model))
    out = io.StringIO()
    assert main(["score", str(path), "--model", str(run_file), "--json"], stdout=out) == 0
    assert json.loads(out.getvalue())["rows"] == 1
    # Segmenting still needs two customers.
    with pytest.raises(DataError, match="only 1 customer row"):
        load_table(one)


# ---------------------------------------------------------------------------------------------
# Codes, log scales, codes stored as numbers, flags by meaning, and run files of version 1


@pytest.fixture(scope="module")
def mixed() -> bytes:
    return mixed_customers(800)


@pytest.mark.parametrize("weighting", ["balanced", "equal"])
@pytest.mark.parametrize(("scaler", "outliers"), [("standard", "keep"), ("robust", "clip"), ("minmax", "clip")])
def test_spec_reproduces_codes_log_scales_and_number_codes(mixed, weighting, scaler, outliers):
    prepared = prepare(load_table(mixed), weighting=weighting, scaler=scaler, outliers=outliers)
    spec = json.loads(json.dumps(preparation_spec(prepared)))
    entries = {e["column"]: e for e in spec["columns"]}
    assert entries["Days since contact"]["codes"] == [-1.0] and entries["Balance"]["log_unit"] > 0
    assert entries["Region"]["numbers"] and entries["Senior"]["numbers"]
    again = apply_spec(prepared.values.iloc[prepared.rows], spec)
    np.testing.assert_allclose(again, prepared.matrix, rtol=1e-12, atol=1e-12)
    segmentation = fit(prepared, 4)
    np.testing.assert_array_equal(
        score(mixed, json.loads(json.dumps(run_config(segmentation)))).labels, segmentation.labels
    )


def test_flags_match_new_values_by_meaning(mixed):
    model = run_file(mixed, k=5)
    expected = score(mixed, model).labels
    frame = pd.read_csv(io.BytesIO(mixed), dtype=str, keep_default_na=False)
    spellings = [
        ({"0": "false", "1": "true"}, {"No": "FALSE", "Yes": "TRUE"}),
        ({"0": "No", "1": "Yes"}, {"No": "0", "Yes": "1"}),
        ({"0": "0.0", "1": "1.00"}, {"No": "0.00", "Yes": "1.0"}),
        ({"0": "n", "1": "y"}, {"No": "f", "Yes": "t"}),
    ]
    for senior, newsletter in spellings:
        respelled = frame.assign(
            Senior=frame["Senior"].replace(senior), Newsletter=frame["Newsletter"].replace(newsletter)
        )
        scored = score(respelled.to_csv(index=False).encode(), model)
        np.testing.assert_array_equal(scored.labels, expected, err_msg=f"{senior} {newsletter}")
        assert not [n for n in scored.notes if "not seen" in n]


def test_codes_and_log_scales_do_not_look_like_another_unit(mixed):
    model = run_file(mixed, k=3)
    # Half the customers were never contacted (-1): the median of the rest is what compares.
    assert score(mixed, model).notes == ()
    frame = pd.read_csv(io.BytesIO(mixed), dtype=str, keep_default_na=False)
    balance = pd.to_numeric(frame["Balance"], errors="coerce")
    cents = frame.assign(Balance=(balance * 100).round().astype("Int64").astype(str).replace("<NA>", ""))
    (note,) = [n for n in score(cents.to_csv(index=False).encode(), model).notes if "'Balance'" in n]
    # The median fitted on the log scale, told in the column's own units (not as 2.2).
    typical = re.search(r"\(median ([\d,.]+), from", note).group(1)
    assert float(typical.replace(",", "")) == pytest.approx(balance.median(), rel=0.01)


def test_a_version_1_run_file_still_scores_to_its_segments():
    old = json.loads((ROOT / "tests" / "data" / "run_v1_sample.json").read_text(encoding="utf-8"))
    from segmentation import demo_csv

    scored = score(demo_csv(600, random_state=0), copy.deepcopy(old["run_file"]))
    assert scored.labels.tolist() == old["labels"]

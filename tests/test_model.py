"""The preparation spec (JSON) reproduces the scikit-learn pipeline exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from segmentation import load_table, prepare
from segmentation.runfile import preparation_spec
from segmentation.scoring import apply_spec


@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax", "none"])
@pytest.mark.parametrize("outliers", ["keep", "clip"])
def test_spec_reproduces_the_matrix(sample_bytes, scaler, outliers):
    prepared = prepare(load_table(sample_bytes), scaler=scaler, outliers=outliers)
    spec = json.loads(json.dumps(preparation_spec(prepared)))  # through JSON, as in a run file
    again = apply_spec(prepared.values.iloc[prepared.rows], spec)
    np.testing.assert_allclose(again, prepared.matrix, rtol=1e-12, atol=1e-12)


def test_spec_describes_each_column(sample_prepared):
    spec = preparation_spec(sample_prepared)
    by_column = {entry["column"]: entry for entry in spec["columns"]}
    assert by_column["Gender"]["kind"] == "yes/no"
    assert by_column["Gender"]["encoded"] == ["Male"]
    assert by_column["Region"]["encoded"] == ["East", "North", "South", "West"]
    assert by_column["Age"]["fill"] == float(sample_prepared.values["Age"].median())
    assert pd.Timestamp(by_column["Member Since"]["latest"]) == sample_prepared.values["Member Since"].max()


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


# ---------------------------------------------------------------------------------------------
# Run files as models


import copy  # noqa: E402
import io  # noqa: E402

from helpers import shared_file  # noqa: E402

from segmentation import (  # noqa: E402
    SAMPLE_NAME,
    DataError,
    describe,
    fit,
    read_run_file,
    run_config,
    score,
    scored_csv,
)


@pytest.fixture(scope="module")
def sample_model(sample_prepared):
    segmentation = fit(sample_prepared, 5)
    return segmentation, run_config(segmentation, profile=describe(segmentation))


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


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda m: m.update(format="something-else"), "not a run file"),
        (lambda m: m.update(version=7), "'version'"),
        (lambda m: m["options"].update(k=0), "'options.k'"),
        (lambda m: m["options"].update(k="5"), "'options.k'"),
        (lambda m: m.update(centers=m["centers"][:-1]), "'centers'"),
        (lambda m: m["centers"][0].append(1.0), "'centers'"),
        (lambda m: m["preparation"]["columns"][0].update(kind="python"), "kind"),
        (lambda m: m["preparation"]["columns"][1].update(fill="__import__('os')"), "fill"),
        (lambda m: m["preparation"]["scaler"].update(scale=[0.0] * len(m["preparation"]["scaler"]["scale"])), "scale"),
        (lambda m: m.update(segment_names=["x"]), "'segment_names'"),
        (lambda m: m["preparation"]["columns"][0].update(encoded=["Martian"]), "encoded"),
    ],
)
def test_run_files_are_validated_field_by_field(sample_model, change, field):
    _, model = sample_model
    broken = copy.deepcopy(model)
    change(broken)
    with pytest.raises(DataError, match=field):
        read_run_file(json.dumps(broken).encode())


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"\x80\x04\x95pickle", b'{"format": "customer-segmentation-run", "version": NaN}', b"[1, 2]"],
)
def test_not_a_run_file(content):
    with pytest.raises(DataError):
        read_run_file(content)


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
# Every field a reader uses is checked: a hand-edited run file fails with its field's name.
# Columns of the sample's run file: 0 Gender (yes/no), 1 Age, 2 Income, 3 Spending, 4 Region
# (category), 5 Visits, 6 Member Since (date).


def _column(index: int, **changes):
    return lambda m: m["preparation"]["columns"][index].update(**changes)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # what the score page shows and the CLI prints
        (lambda m: m.update(file="sample.csv"), "'file'"),
        (lambda m: m.update(file=["sample.csv"]), "'file'"),
        (lambda m: m["file"].update(name=12), "'file.name'"),
        (lambda m: m["file"].update(name={"first": "a"}), "'file.name'"),
        (lambda m: m["file"].update(rows="3000"), "'file.rows'"),
        (lambda m: m["file"].update(sha256=["x"]), "'file.sha256'"),
        (lambda m: m.update(segment_names=[1, 2, 3, 4, 5]), "'segment_names'"),
        (lambda m: m.update(segment_names="Segment 1"), "'segment_names'"),
        (lambda m: m.update(created_with=["x"]), "'created_with'"),
        # the header and the options
        (lambda m: m.update(version=True), "'version'"),
        (lambda m: m.update(version="1"), "'version'"),
        (lambda m: m.update(options=[5]), "'options'"),
        (lambda m: m["options"].update(k=5.0), "'options.k'"),
        (lambda m: m["options"].update(features="Age"), "'options.features'"),
        (lambda m: m["options"].update(features=["Age"]), "'options.features'"),
        (lambda m: m["options"].update(scaler=["standard"]), "'options.scaler'"),
        (lambda m: m["options"].update(outliers="trim"), "'options.outliers'"),
        (lambda m: m["options"].update(seed="0"), "'options.seed'"),
        # the preparation, column by column
        (lambda m: m.update(preparation=[1]), "'preparation'"),
        (lambda m: m["preparation"].update(columns={}), "'preparation.columns'"),
        (lambda m: m["preparation"]["columns"].append("Age"), r"'preparation.columns\[7\]'"),
        (_column(1, column=["Age"]), r"columns\[1\].column"),
        (_column(1, kind=["number"]), r"columns\[1\].kind"),
        (_column(1, fill=True), r"columns\[1\].fill"),
        (_column(1, clip=[70, 18]), r"columns\[1\].clip"),
        (_column(1, clip="18..70"), r"columns\[1\].clip"),
        (_column(1, range=[1, "x"]), r"columns\[1\].range"),
        (_column(1, features="Age"), r"columns\[1\].features"),
        (_column(1, features=["Age", "Age again"]), r"columns\[1\].features"),
        (_column(6, latest=None), r"columns\[6\].latest"),
        (_column(6, latest="NaT"), r"columns\[6\].latest"),
        (_column(6, latest=20240630), r"columns\[6\].latest"),
        (_column(6, latest="2024-06-30T00:00:00+02:00"), r"columns\[6\].latest"),
        (_column(6, date_format="%Q"), r"columns\[6\].date_format"),
        (_column(6, date_format=["%Y-%m-%d"]), r"columns\[6\].date_format"),
        (_column(0, categories="Female,Male"), r"columns\[0\].categories"),
        (_column(0, categories=["Female", "Male", "Other"], encoded=["Male", "Other"]), r"columns\[0\].categories"),
        (_column(0, categories=["Male", "Male"], encoded=["Male"]), r"columns\[0\].categories"),
        (_column(0, encoded="Male"), r"columns\[0\].encoded"),
        (_column(0, encoded=["Female"]), r"columns\[0\].encoded"),
        (_column(0, fill=None), r"columns\[0\].fill"),
        (_column(0, fill="Other"), r"columns\[0\].fill"),
        (_column(4, encoded=["East", "North", "South"]), r"columns\[4\].encoded"),
        (_column(4, categories=[1, 2, 3, 4]), r"columns\[4\].categories"),
        # the scaler and the segments
        (lambda m: m["preparation"].update(scaler=None), "'preparation.scaler'"),
        (lambda m: m["preparation"]["scaler"].update(kind=["standard"]), "'preparation.scaler.kind'"),
        (lambda m: m["preparation"]["scaler"].update(center=m["preparation"]["scaler"]["center"][:-1]), "center"),
        (lambda m: m["preparation"]["scaler"]["scale"].__setitem__(0, -1.0), "'preparation.scaler.scale'"),
        (lambda m: m["centers"][0].__setitem__(0, "1.5"), "'centers'"),
        (lambda m: m.update(feature_names=m["feature_names"][:-1]), "'feature_names'"),
        (lambda m: m.update(sizes=[1, 2]), "'sizes'"),
        (lambda m: m.update(sizes=[-1, 2, 3, 4, 5]), "'sizes'"),
        (lambda m: m.update(inertia="low"), "'inertia'"),
        (lambda m: m.update(silhouette=[0.5]), "'silhouette'"),
    ],
)
def test_malformed_run_files_name_the_field(sample_model, change, field):
    _, model = sample_model
    broken = copy.deepcopy(model)
    change(broken)
    with pytest.raises(DataError, match=field) as error:
        read_run_file(json.dumps(broken).encode())
    assert "This run file is not valid" in str(error.value)


def test_optional_fields_may_be_absent_and_the_file_name_is_read(sample_model, sample_prepared):
    _, model = sample_model
    assert read_run_file(model).file_name == model["file"]["name"] == SAMPLE_NAME
    trimmed = copy.deepcopy(model)
    for key in ("file", "created_with", "sizes", "inertia", "silhouette", "feature_names"):
        trimmed.pop(key)
    for entry in trimmed["preparation"]["columns"]:
        entry.pop("features")
        entry.pop("range", None)
    for key in ("features", "scaler", "outliers", "seed"):
        trimmed["options"].pop(key)
    again = read_run_file(trimmed)
    assert again.file_name == "" and again.k == 5
    new = sample_prepared.table.raw.iloc[:40].to_csv(index=False).encode()
    np.testing.assert_array_equal(score(new, again).labels, score(new, model).labels)


@pytest.mark.parametrize("content", [b"[" * 100_000 + b"]" * 100_000, "run\x00.json", "{" + "[" * 100_000])
def test_pathological_run_files_are_refused_with_a_message(content):
    with pytest.raises(DataError):
        read_run_file(content)


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


def test_spec_keeps_the_range_of_each_number(sample_prepared):
    spec = preparation_spec(sample_prepared)
    age = next(e for e in spec["columns"] if e["column"] == "Age")
    values = sample_prepared.values["Age"]
    assert age["range"] == [float(values.min()), float(values.max())]
    assert all("range" not in e for e in spec["columns"] if e["kind"] != "number")


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

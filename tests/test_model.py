"""The preparation spec (JSON) reproduces the scikit-learn pipeline exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from segmentation import load_table, prepare
from segmentation.model import apply_spec, preparation_spec


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

from segmentation import DataError, describe, fit, read_run_file, run_config, score, scored_csv  # noqa: E402


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

"""Run files: written complete and deterministic, read back field by field, nothing in them executed."""

from __future__ import annotations

import copy
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT
from scoring_data import mixed_customers, run_file

import segmentation as sg
from segmentation import DEMO_NAME, DataError, describe, fit, read_run_file, run_config, score
from segmentation.runfile import preparation_spec, run_config_json


def test_spec_describes_each_column(sample_prepared):
    spec = preparation_spec(sample_prepared)
    by_column = {entry["column"]: entry for entry in spec["columns"]}
    assert by_column["Gender"]["kind"] == "flag"
    assert by_column["Gender"]["encoded"] == ["Male"]
    assert by_column["Region"]["encoded"] == ["East", "North", "South", "West"]
    assert by_column["Age"]["fill"] == float(sample_prepared.values["Age"].median())
    assert pd.Timestamp(by_column["Member Since"]["latest"]) == sample_prepared.values["Member Since"].max()


def test_spec_keeps_the_range_of_each_number(sample_prepared):
    spec = preparation_spec(sample_prepared)
    age = next(e for e in spec["columns"] if e["column"] == "Age")
    values = sample_prepared.values["Age"]
    assert age["range"] == [float(values.min()), float(values.max())]
    assert all("range" not in e for e in spec["columns"] if e["kind"] != "number")


def test_run_config_is_complete_and_deterministic(sample_prepared, sample_bytes):
    segmentation = fit(sample_prepared, 4)
    config = run_config(segmentation, profile=describe(segmentation))
    assert config["format"] == "customer-segmentation-run"
    assert config["file"]["sha256"] == sample_prepared.table.file_hash
    assert config["file"]["rows"] == 3000
    assert config["options"] == {
        "features": list(sample_prepared.columns),
        "scaler": "standard",
        "outliers": "keep",
        "weighting": "balanced",
        "transform": "auto",
        "seed": 0,
        "k": 4,
    }
    assert [c["name"] for c in config["columns"]] == sample_prepared.table.columns
    assert {c["name"]: (c["kind"], c["role"]) for c in config["columns"]}["CustomerID"] == ("id", "ignore")
    assert config["version"] == 2
    assert np.allclose(config["centers"], segmentation.centers)
    assert config["sizes"] == list(segmentation.sizes)
    assert len(config["preparation"]["scaler"]["center"]) == len(sample_prepared.feature_names)
    text = run_config_json(segmentation, profile=describe(segmentation))
    assert json.loads(text) == config
    assert text == run_config_json(fit(sample_prepared, 4), profile=describe(fit(sample_prepared, 4)))


# ---------------------------------------------------------------------------------------------
# Reading: a file that is not a run file, or a malformed one, is refused with a message


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
    assert read_run_file(model).file_name == model["file"]["name"] == DEMO_NAME
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
# Version 2: codes, log scales, codes stored as numbers; version 1 still read


@pytest.fixture(scope="module")
def mixed_model() -> dict:
    return run_file(mixed_customers(800), k=4)


def test_spec_carries_codes_log_units_and_numbers(mixed_model):
    entries = {e["column"]: e for e in mixed_model["preparation"]["columns"]}
    assert entries["Days since contact"]["codes"] == [-1.0]
    assert entries["Days since contact"]["features"] == ["Days since contact", "Days since contact: -1"]
    assert entries["Balance"]["log_unit"] > 0 and "log_unit" not in entries["Age"]
    assert entries["Region"]["numbers"] is True and entries["Region"]["kind"] == "category"
    assert entries["Senior"] == {**entries["Senior"], "kind": "flag", "numbers": True, "categories": ["0", "1"]}
    roles = {c["name"]: c["role"] for c in mixed_model["columns"]}
    assert roles["Churn"] == "describe" and "Churn" not in entries
    assert {c["name"]: c["transform"] for c in mixed_model["columns"]}["Balance"] == "log"


def _entry(name: str, **changes):
    return lambda m: next(e for e in m["preparation"]["columns"] if e["column"] == name).update(**changes)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_entry("Days since contact", codes=["-1"]), "codes"),
        (_entry("Days since contact", codes=[-1.0, -1.0]), "codes"),
        (_entry("Balance", log_unit=0.0), "log_unit"),
        (_entry("Balance", log_unit="9"), "log_unit"),
        (_entry("Region", numbers="yes"), "numbers"),
        (_entry("Senior", kind="yes/no", categories=["0", "1", "2"], encoded=["1", "2"]), "categories"),
    ],
)
def test_new_fields_are_validated(mixed_model, change, field):
    broken = copy.deepcopy(mixed_model)
    change(broken)
    with pytest.raises(DataError, match=field):
        read_run_file(json.dumps(broken).encode())


def test_version_1_run_files_are_read_with_their_yes_no_columns_as_flags():
    old = json.loads((ROOT / "tests" / "data" / "run_v1_sample.json").read_text(encoding="utf-8"))["run_file"]
    model = read_run_file(json.dumps(old).encode())
    assert model.source["version"] == 1 and model.k == 4
    kinds = [e["kind"] for e in model.spec["columns"]]
    assert kinds[0] == "flag" and "yes/no" not in kinds


# ---------------------------------------------------------------------------------------------
# Issue 17: run files bounded like the ones the app writes


def _sample_config(sample_model) -> dict:
    return json.loads(json.dumps(sample_model[1]))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda m: m["preparation"]["columns"][1].update(fill=10**400), "'preparation.columns[1].fill'"),
        (lambda m: m["preparation"]["scaler"]["center"].__setitem__(0, 1e300), "'preparation.scaler.center'"),
        (lambda m: m["centers"][0].__setitem__(0, 1e300), "'centers'"),
        (lambda m: m["centers"][0].__setitem__(0, 2e6), "'centers'"),
        (lambda m: m["preparation"]["columns"][6].update(latest="now"), "latest"),
        (lambda m: m["preparation"]["columns"][6].update(latest="today"), "latest"),
        (lambda m: m.update(segment_names=["\ud800"] + m["segment_names"][1:]), "'segment_names[0]'"),
        (lambda m: m["preparation"]["columns"][4].update(fill="North\udcff"), "'preparation.columns[4].fill'"),
    ],
)
def test_numbers_dates_and_text_a_model_cannot_hold_are_refused(sample_model, change, field):
    broken = _sample_config(sample_model)
    change(broken)
    with pytest.raises(DataError, match="not valid") as error:
        read_run_file(json.dumps(broken))
    assert field in str(error.value)


def test_a_category_of_80000_values_is_refused_before_any_work(sample_model):
    broken = _sample_config(sample_model)
    region = broken["preparation"]["columns"][4]
    values = [f"v{i}" for i in range(80_000)]
    region.update(categories=values, encoded=values, fill=values[0], features=[f"Region: {v}" for v in values])
    with pytest.raises(DataError, match="at most 50 values"):
        read_run_file(json.dumps(broken).encode())


def test_a_device_or_a_folder_is_no_run_file(tmp_path):
    with pytest.raises(DataError, match="is a device, not a file"):
        read_run_file("/dev/zero")
    with pytest.raises(DataError, match="There is no run file"):
        read_run_file(tmp_path)


def test_a_forged_run_file_is_one_error_line_on_the_command_line(sample_model, tmp_path, sample_bytes):
    from segmentation.cli import main

    broken = _sample_config(sample_model)
    broken["segment_names"][0] = "\ud800"
    model = tmp_path / "run.json"
    model.write_text(json.dumps(broken), encoding="utf-8")
    data = tmp_path / "new.csv"
    data.write_bytes(sample_bytes)
    out, err = io.StringIO(), io.StringIO()
    assert main(["score", str(data), "--model", str(model)], stdout=out, stderr=err) == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: This run file is not valid")


def test_a_run_file_from_a_log_carries_how_it_was_rolled_up():
    from log_data import csv_table, generated_log

    rollup = sg.roll_up_if_log(csv_table(generated_log(customers=60)))
    result = sg.fit(sg.prepare_customers(rollup), 3)
    config = sg.run_config(result, rollup=rollup)
    block = config["transactions"]
    assert block == {**rollup.columns.options(), "rows": rollup.n_log_rows, "customers": 60, "as_of": block["as_of"]}
    assert block["as_of"] == rollup.as_of.strftime("%Y-%m-%d")
    assert sg.read_run_file(json.loads(json.dumps(config))).transactions == block
    assert sg.read_run_file(sg.run_config(result)).transactions is None  # a customer file's run file


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"as_of": "now"}, "transactions.as_of"),
        ({"as_of": "1998-06-30T12:00"}, "transactions.as_of"),
        ({"customer": ""}, "transactions.customer"),
        ({"date": None}, "transactions.date"),
        ({"amount": 3}, "transactions.amount"),
        ({"order": "Customer"}, "transactions"),
        ({"rows": -1}, "transactions.rows"),
    ],
)
def test_a_broken_transactions_block_is_named(change, field):
    from log_data import csv_table, generated_log

    rollup = sg.roll_up_if_log(csv_table(generated_log(customers=60)))
    config = sg.run_config(sg.fit(sg.prepare_customers(rollup), 3), rollup=rollup)
    config["transactions"] = {**config["transactions"], "customer": "Customer", **change}
    with pytest.raises(sg.DataError, match=re.escape(f"'{field}'")):
        sg.read_run_file(config)


def test_a_transactions_block_on_segments_of_other_columns_is_refused():
    config = sg.run_config(sg.fit(sg.prepare(sg.load_table(b"Spend,Visits\n1,2\n2,1\n50,40\n52,41\n")), 2))
    config["transactions"] = {"customer": "ID", "date": "Day", "amount": None, "order": None, "as_of": "2024-01-31"}
    with pytest.raises(sg.DataError, match="'Spend', 'Visits'|'Spend' and 'Visits'"):
        sg.read_run_file(config)

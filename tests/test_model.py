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

"""The default segments of real exports follow customers, not codes, flags and outcomes.

Asserted against the files' own columns with crosstabs: no outcome in the distance, no code read as
an amount, and no segment that is just the holders of one yes/no value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import shared_file

import segmentation as sg

pytestmark = pytest.mark.slow


def default_segments(name: str):
    table = sg.load_table(shared_file(name)) if name != "sample" else sg.load_table(sg.demo_csv(), name=sg.DEMO_NAME)
    prepared = sg.prepare(table)
    k = sg.sweep(prepared).suggested_k
    return prepared, sg.fit(prepared, k)


@pytest.fixture(
    scope="module", params=["telco_churn.csv", "online_shoppers_intention.csv", "sample", "Mall_Customers.csv"]
)
def segmented(request):
    return request.param, *default_segments(request.param)


def flag_columns(prepared: sg.Prepared) -> list[str]:
    return [r.column for r in prepared.reports if r.used and r.kind == "flag"]


def test_no_segment_is_the_holders_of_one_yes_no_value(segmented):
    name, prepared, segmentation = segmented
    members = segmentation.segmented
    labels = segmentation.labels[members]
    for column in flag_columns(prepared):
        values = prepared.values[column][members].to_numpy()
        crosstab = pd.crosstab(labels, values)
        for value in crosstab.columns:
            holders = crosstab[value].sum()
            for segment, row in crosstab.iterrows():
                # A segment of only this value's holders that holds (nearly) all of them is a flag, not a segment.
                only_them = row[value] == row.sum()
                all_of_them = row[value] >= 0.9 * holders
                assert not (only_them and all_of_them), (name, column, value, segment, row.to_dict())


def test_no_outcome_is_segmented_on(segmented):
    name, prepared, _ = segmented
    outcomes = {"telco_churn.csv": ["Churn"], "online_shoppers_intention.csv": ["Revenue"]}.get(name, [])
    for column in outcomes:
        assert prepared.report(column).role == "describe"
        assert column not in prepared.columns
        assert not any(f.startswith(f"{column}:") for f in prepared.feature_names)


def test_codes_are_not_read_as_amounts():
    prepared, segmentation = default_segments("online_shoppers_intention.csv")
    for column in ("OperatingSystems", "Browser", "Region", "TrafficType"):
        assert prepared.report(column).kind == "category", column
        assert column not in prepared.feature_names  # only its 0/1 features "Browser: 2", ...
    telco, _ = default_segments("telco_churn.csv")
    assert telco.report("SeniorCitizen").kind == "flag"
    # No segment name reads a code as an amount ("high operatingsystems") or says a bare "Mostly No".
    profile = sg.describe(segmentation)
    for segment_name in profile.names:
        assert not any(
            f"{w} {c}".lower() in segment_name.lower() for w in ("high", "low") for c in ("Browser", "Region")
        )
        assert "mostly no" not in segment_name.lower()


def test_the_tutorials_segments_are_one_option_away():
    # Mall in the tutorial's space: K=1 SSE is 4 columns x 200 customers, and the elbow at K=6.
    tutorial = sg.prepare(sg.load_table(shared_file("Mall_Customers.csv")), weighting="equal")
    result = sg.sweep(tutorial, k_min=1, k_max=19)
    assert result.inertia[0] == pytest.approx(800.0)
    assert result.suggested_k == 6
    assert np.isclose(tutorial.matrix.std(axis=0), 1.0).all()

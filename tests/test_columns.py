"""Column kinds and roles: flags, codes stored as numbers, outcomes, and the user's overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation import DataError, load_table, prepare
from segmentation.columns import KINDS, ROLES, default_role, truth


def table_of(frame: pd.DataFrame, **options):
    return prepare(load_table(frame.to_csv(index=False).encode()), **options)


@pytest.fixture(scope="module")
def shop() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 600
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1, n + 1),
            "Region": rng.integers(1, 10, n),  # codes 1..9, named like codes
            "Browser": rng.integers(1, 14, n),
            "Kidhome": rng.choice([0, 1, 2], n),  # a count, whatever its few values
            "Segment code": rng.choice([1, 2, 3, 4], n),  # consecutive codes, no amount in the name
            "SeniorCitizen": rng.choice([0, 1], n, p=[0.84, 0.16]),
            "Weekend": rng.choice(["TRUE", "FALSE"], n),
            "Churn": rng.choice(["Yes", "No"], n),
            "Revenue": rng.choice(["TRUE", "FALSE"], n),
            "Spend": rng.gamma(2.0, 40.0, n).round(2),
            "Visits": rng.poisson(5, n),
        }
    )


def test_every_kind_and_role_is_one_of_the_contract_words(shop):
    prepared = table_of(shop)
    assert {r.kind for r in prepared.reports} <= set(KINDS)
    assert {r.role for r in prepared.reports} <= set(ROLES)


def test_numbers_that_are_codes_are_categories_with_the_reason(shop):
    prepared = table_of(shop)
    for column in ("Region", "Browser", "Segment code"):
        report = prepared.report(column)
        assert (report.kind, report.role) == ("category", "segment"), column
        assert "Codes" in report.reason
    assert prepared.report("Region").features[0] == "Region: 1"
    assert prepared.report("Kidhome").kind == "number"  # a count of children is an amount
    assert prepared.report("Visits").kind == "number"


def test_any_two_valued_column_is_a_flag(shop):
    prepared = table_of(shop)
    assert prepared.report("SeniorCitizen").kind == "flag"
    assert prepared.report("Weekend").kind == "flag"
    assert prepared.report("SeniorCitizen").features == ("SeniorCitizen: 1",)


def test_outcomes_are_described_not_segmented_on(shop):
    prepared = table_of(shop)
    for column in ("Churn", "Revenue"):
        report = prepared.report(column)
        assert report.role == "describe", column
        assert "outcome" in report.reason
    assert "Churn" not in prepared.columns and "Churn" in prepared.described
    assert not any(name.startswith(("Churn", "Revenue")) for name in prepared.feature_names)
    # Revenue as an amount is a number to segment on, not an outcome.
    assert default_role("Revenue", "number") == ("segment", "")


def test_the_user_overrides_kinds_and_roles(shop):
    prepared = table_of(
        shop,
        numeric=["Region"],
        categorical=["Kidhome"],
        describe=["Visits"],
        ignore=["Weekend"],
        features=None,
    )
    assert prepared.report("Region").kind == "number"
    assert prepared.report("Kidhome").kind == "category"
    assert prepared.report("Visits").role == "describe"
    assert prepared.report("Weekend").role == "ignore"
    chosen = table_of(shop, features=["Spend", "Churn"])
    assert chosen.columns == ("Churn", "Spend")
    assert chosen.report("Churn").role == "segment"
    assert chosen.report("Visits").role == "describe"  # not chosen: still profiled per segment


def test_contradictory_or_unknown_choices_are_clear_errors(shop):
    with pytest.raises(DataError, match="both categorical and numeric"):
        table_of(shop, categorical=["Spend"], numeric=["Spend"])
    with pytest.raises(DataError, match="no column 'Nope'"):
        table_of(shop, describe=["Nope"])
    with pytest.raises(DataError, match="cannot be described"):
        table_of(shop, describe=["CustomerID"])


def test_truth_reads_yes_and_no_in_their_usual_spellings():
    assert [truth(v) for v in ["Yes", "TRUE", "1", "y", "no", "False", "0", "0.0", "Male"]] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        None,
    ]


def test_a_rare_flag_cannot_pull_its_holders_far_away():
    # 1% of customers complained: standardised, they would sit ten standard deviations out.
    rng = np.random.default_rng(1)
    n = 2_000
    complain = np.zeros(n, dtype=int)
    complain[rng.choice(n, 20, replace=False)] = 1
    frame = pd.DataFrame({"Complain": complain, "Spend": rng.normal(50, 10, n), "Visits": rng.normal(8, 2, n)})
    balanced = table_of(frame)
    flag = balanced.matrix[:, balanced.feature_names.index("Complain: 1")]
    assert np.ptp(flag) == pytest.approx(np.sqrt(2))
    equal = table_of(frame, weighting="equal")
    flag = equal.matrix[:, equal.feature_names.index("Complain: 1")]
    assert flag.max() > 9.9  # the tutorial's space: the rare holders ten standard deviations out


def test_a_numeric_flag_and_a_text_flag_weigh_the_same():
    rng = np.random.default_rng(2)
    n = 500
    member = rng.choice([0, 1], n, p=[0.7, 0.3])
    frame = pd.DataFrame(
        {"Member01": member, "Member": np.where(member == 1, "Yes", "No"), "Spend": rng.normal(50, 10, n)}
    )
    prepared = table_of(frame)
    a = prepared.matrix[:, prepared.feature_names.index("Member01: 1")]
    b = prepared.matrix[:, prepared.feature_names.index("Member: Yes")]
    np.testing.assert_allclose(a, b)

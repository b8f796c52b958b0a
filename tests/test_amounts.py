"""Codes, skew and extreme values in number columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation import load_table, prepare
from segmentation.amounts import find_codes, find_extremes, is_skewed, words


def days_since_contact(n: int = 1_000, *, never: float = -1.0, share: float = 0.8, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    days = rng.integers(1, 400, n).astype(float)
    days[rng.random(n) < share] = never
    return pd.Series(days)


def test_words_split_camel_snake_and_spaces():
    assert words("TrafficType") == ["traffic", "type"]
    assert words("Annual Income (k$)") == ["annual", "income", "k"]
    assert words("Year_Birth") == ["year", "birth"]
    assert words("AcceptedCmp3") == ["accepted", "cmp", "3"]


@pytest.mark.parametrize("share", [0.8, 0.3, 0.02])
def test_a_lone_negative_code_is_found_whatever_its_share(share):
    assert find_codes(days_since_contact(share=share)) == (-1.0,)


def test_nines_above_every_other_value_are_a_code():
    days = days_since_contact(never=999.0)
    assert find_codes(days) == (999.0,)


def test_ordinary_values_are_not_codes():
    rng = np.random.default_rng(1)
    balance = pd.Series(rng.normal(100, 300, 1_000).round())  # many negative values
    assert find_codes(balance) == ()
    ages = pd.Series(np.r_[rng.integers(18, 95, 998), [99, 99]].astype(float))  # 99 is an age here
    assert find_codes(ages) == ()
    once = pd.Series(np.r_[rng.integers(0, 50, 999), [-1]].astype(float))  # a single -1 is a typo, not a code
    assert find_codes(once) == ()


def test_skew_is_judged_without_a_few_extremes():
    rng = np.random.default_rng(2)
    spend = pd.Series(rng.lognormal(4, 1.3, 2_000))
    assert is_skewed(spend)
    incomes = pd.Series(np.r_[rng.normal(52_000, 20_000, 2_239).clip(2_000), [666_666.0]])
    assert incomes.skew() > 5  # one typo makes the moments scream ...
    assert not is_skewed(incomes)  # ... but the column is not skewed
    kids = pd.Series(rng.choice([0.0, 1.0, 2.0], 2_000, p=[0.6, 0.3, 0.1]))
    assert not is_skewed(kids)  # too few different values to be an amount worth a log scale
    assert not is_skewed(pd.Series(rng.normal(0, 1, 2_000) ** 3))  # negative values


def test_impossible_ages_and_birth_years_are_named_with_their_rows():
    ages = pd.Series([34.0, -23, 41, 29, 52, 38, -43, 33, 61, 27] * 3)
    found = find_extremes("Age", ages)
    assert found.count == 6
    assert found.reason.startswith("6 impossible values (below 0 or above 120 for an age): -23 in row 2, -43 in row 7")
    years = pd.Series(np.r_[np.arange(1940, 2000), [1893.0, 1899.0]])
    found = find_extremes("Year_Birth", years)
    assert found.mask.tolist()[-2:] == [True, True] and found.count == 2
    assert "1,893 in row 61" in found.reason and "before 1900" in found.reason


def test_a_value_far_beyond_the_rest_is_extreme_but_a_long_tail_is_not():
    rng = np.random.default_rng(4)
    income = pd.Series(np.r_[rng.normal(52_000, 20_000, 500).clip(2_000), [666_666.0]])
    found = find_extremes("Income", income)
    assert found.count == 1 and "666,666 in row 501" in found.reason
    tail = pd.Series(rng.lognormal(3, 1.5, 500))
    assert find_extremes("Spend", tail, log=True).count == 0


def test_prepare_turns_a_code_into_missing_plus_a_yes_no_feature():
    days = days_since_contact(share=0.8)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"pdays": days, "age": rng.integers(18, 90, len(days))})
    prepared = prepare(load_table(frame.to_csv(index=False).encode()))
    report = prepared.report("pdays")
    assert report.codes == (-1.0,) and report.code_rows == int((days == -1).sum())
    assert report.features == ("pdays", "pdays: -1")
    assert "-1 in" in report.summary() and "code" in report.summary()
    flag = prepared.matrix[:, prepared.feature_names.index("pdays: -1")]
    # The code's holders and the others are sqrt(2) apart, like any yes/no feature.
    assert np.ptp(flag) == pytest.approx(np.sqrt(2))
    number = prepared.matrix[:, 0]
    # The code is missing in the number: filled with the median of the real day counts.
    assert np.unique(number[(days == -1).to_numpy()]).size == 1


def test_skewed_amounts_are_compared_on_a_log_scale_unless_told_otherwise():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"Spend": rng.lognormal(4, 1.3, 600).round(2), "Age": rng.integers(18, 90, 600)})
    data = frame.to_csv(index=False).encode()
    auto = prepare(load_table(data))
    assert auto.report("Spend").transform == "log" and auto.report("Age").transform == "none"
    assert "log scale" in auto.report("Spend").summary()
    spend = auto.matrix[:, 0]
    assert abs(pd.Series(spend).skew()) < 1  # the log scale evens the column out
    assert prepare(load_table(data), transform="none").report("Spend").transform == "none"
    assert prepare(load_table(data), transform="log").report("Age").transform == "log"
    assert prepare(load_table(data), transforms={"Spend": "none"}).report("Spend").transform == "none"


def test_extremes_are_warned_and_can_be_set_aside():
    rng = np.random.default_rng(7)
    income = np.r_[rng.normal(52_000, 15_000, 299).round(), [666_666.0]]
    frame = pd.DataFrame({"Income": income, "Recency": rng.integers(0, 100, 300)})
    data = frame.to_csv(index=False).encode()
    kept = prepare(load_table(data))
    assert kept.report("Income").extremes == 1
    assert any("666,666 in row 300" in w for w in kept.warnings())
    aside = prepare(load_table(data), outliers="set-aside")
    assert aside.aside.tolist() == [299] and aside.n_segmented == 299
    assert aside.aside_matrix.shape == (1, aside.matrix.shape[1])
    assert any("set aside" in w for w in aside.warnings())


def test_a_column_known_only_for_customers_set_aside_is_shown_not_segmented_on():
    # Its blanks have nothing left to be filled from: scikit-learn's imputer dropped the column and
    # the weights no longer matched (a crash), and the category's fill read "most frequent value 'nan'".
    rng = np.random.default_rng(9)
    frame = pd.DataFrame({"Age": rng.normal(40, 5, 400).round(), "Spend": rng.normal(100, 10, 400).round(1)})
    frame.loc[:2, ["Age", "Spend"]] = [[300, 100_000], [320, 120_000], [310, 150_000]]
    frame["Visits"], frame["Tier"] = np.nan, None
    frame.loc[:2, "Visits"], frame.loc[:2, "Tier"] = [3, 4, 5], ["Gold", "Gold", "Silver"]
    data = frame.to_csv(index=False).encode()
    chosen = ["Age", "Spend", "Visits", "Tier"]  # mostly blank: used only when chosen
    assert prepare(load_table(data), features=chosen).columns == tuple(chosen)
    aside = prepare(load_table(data), outliers="set-aside", features=chosen)
    assert aside.aside.tolist() == [0, 1, 2] and aside.columns == ("Age", "Spend")
    assert aside.matrix.shape == (397, 2) and np.isfinite(aside.matrix).all()
    for column in ("Visits", "Tier"):
        report = aside.report(column)
        assert report.role == "describe" and "set aside as unusual" in report.reason
    assert set(aside.described) == {"Visits", "Tier"}


def test_every_code_of_a_column_is_profiled():
    rng = np.random.default_rng(8)
    days = rng.integers(1, 400, 1_000).astype(float)
    days[:300] = -1.0
    days[300:400] = 999.0
    frame = pd.DataFrame({"pdays": days, "age": rng.integers(18, 90, 1_000)})
    prepared = prepare(load_table(frame.to_csv(index=False).encode()))
    assert prepared.report("pdays").codes == (-1.0, 999.0)
    from segmentation import describe, fit

    profile = describe(fit(prepared, 2))
    assert profile.overall["pdays (code) = -1"] == pytest.approx(0.3)
    assert profile.overall["pdays (code) = 999"] == pytest.approx(0.1)


def test_reading_a_run_file_leaves_the_callers_dict_alone(sample_prepared):
    from segmentation import fit, read_run_file, run_config

    config = run_config(fit(sample_prepared, 3))
    config["preparation"]["columns"][0]["kind"] = "yes/no"  # as version 1 wrote a flag
    read_run_file(config)
    assert config["preparation"]["columns"][0]["kind"] == "yes/no"

"""Describing segments: numbers in original units, indexes, importance, names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation import describe, fit, load_table, prepare


@pytest.fixture(scope="module")
def sample_fit(sample_prepared):
    return fit(sample_prepared, 5)


def test_means_and_medians_in_original_units(sample_fit, sample_prepared):
    profile = describe(sample_fit)
    frame = sample_prepared.table.frame
    for segment in range(1, 6):
        rows = sample_fit.labels == segment
        assert profile.summary.loc[segment, "Age"] == pytest.approx(frame.loc[rows, "Age"].mean())
        assert profile.medians.loc[segment, "Annual Income (k$)"] == pytest.approx(
            frame.loc[rows, "Annual Income (k$)"].median()
        )
        assert profile.summary.loc[segment, "Customers"] == rows.sum()


def test_category_shares_and_index(sample_fit, sample_prepared):
    profile = describe(sample_fit)
    gender = sample_prepared.table.frame["Gender"]
    for segment in (1, 3):
        rows = sample_fit.labels == segment
        assert profile.summary.loc[segment, "Gender = Female"] == pytest.approx((gender[rows] == "Female").mean())
    overall_age = sample_prepared.table.frame["Age"].mean()
    assert profile.overall["Age"] == pytest.approx(overall_age)
    assert profile.index.loc[2, "Age"] == pytest.approx(100 * profile.summary.loc[2, "Age"] / overall_age)
    weighted = (profile.summary["Share of customers"] * profile.summary["Gender = Female"]).sum()
    assert weighted == pytest.approx(profile.overall["Gender = Female"], abs=0.01)


def test_importance_ranks_separating_columns_first():
    rng = np.random.default_rng(0)
    n = 400
    group = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "Spend": np.where(group == 1, 100, 10) + rng.normal(0, 3, n),
            "Noise": rng.normal(0, 1, n),
            "Channel": np.where(group == 1, "Online", "Store"),
        }
    )
    prepared = prepare(frame, features=["Spend", "Noise"])
    profile = describe(fit(prepared, 2))
    # Channel is exactly the segment (V = 1); Spend almost (eta about 0.998).
    assert profile.importance["Column"].tolist()[:2] == ["Channel", "Spend"]
    assert profile.importance.loc[1, "Test"] == "ANOVA F" and profile.importance.loc[1, "Strength"] > 0.99
    channel = profile.importance.set_index("Column").loc["Channel"]
    assert channel["Test"] == "chi-squared" and not channel["Used to segment"] and channel["Strength"] > 0.9
    assert profile.importance.set_index("Column").loc["Noise", "Strength"] < 0.15


@pytest.mark.parametrize("seed", range(4))
def test_importance_tests_agree_with_scikit_learn_and_pandas(seed):
    from scipy.stats import f_oneway
    from sklearn.feature_selection import f_classif

    from segmentation.describe import _counts_by_segment, one_way_anova

    rng = np.random.default_rng(seed)
    n, k = rng.integers(20, 3_000), rng.integers(2, 9)
    labels = rng.integers(0, k, n)
    values = rng.normal(size=n) + rng.normal(size=k)[labels]
    f_stat, p_value = f_classif(values.reshape(-1, 1), labels)
    grand = values.mean()
    between = sum(((values[labels == s].mean() - grand) ** 2) * (labels == s).sum() for s in np.unique(labels))
    eta = np.sqrt(between / ((values - grand) ** 2).sum())
    assert one_way_anova(values, labels) == pytest.approx((f_stat[0], p_value[0], eta), rel=1e-9, abs=1e-300)

    far = values + 1e9  # f_classif cancels this to F = 0; scipy's f_oneway does not
    expected_far = f_oneway(*(far[labels == s] for s in np.unique(labels)))
    assert one_way_anova(far, labels)[:2] == pytest.approx(tuple(expected_far), rel=1e-3, abs=1e-300)

    category = pd.Series(rng.choice(["b", "a", "c", None], n), dtype="str")
    counts = _counts_by_segment(labels, category)
    expected = pd.crosstab(labels, category)
    assert counts.to_numpy().tolist() == expected.to_numpy().tolist()
    assert list(counts.columns) == list(expected.columns)


def test_names_come_from_the_strongest_differences():
    table = load_table(b"Income,Spending\n15,80\n16,82\n17,79\n90,10\n95,12\n99,15\n")
    profile = describe(fit(prepare(table), 2))
    assert profile.names == ("Low Income, high Spending", "High Income, low Spending")
    assert profile.summary["Name"].tolist() == list(profile.names)


def test_names_are_unique(sample_fit):
    names = describe(sample_fit).names
    assert len(set(names)) == len(names)


def test_user_names_replace_automatic_ones(sample_fit):
    profile = describe(sample_fit, names=["A", "B", "C", "D", "E"])
    assert profile.summary["Name"].tolist() == ["A", "B", "C", "D", "E"]
    renamed = describe(sample_fit).with_names(["V", "W", "X", "Y", "Z"])
    assert renamed.names == ("V", "W", "X", "Y", "Z")


def test_index_is_blank_for_signed_columns():
    frame = pd.DataFrame({"Balance": [-50.0, -40, -45, 100, 110, 120], "Visits": [1.0, 2, 1, 9, 8, 9]})
    profile = describe(fit(prepare(frame), 2))
    assert profile.index["Balance"].isna().all()
    assert profile.index["Visits"].notna().all()


def test_top_differences(sample_fit):
    profile = describe(sample_fit)
    top = profile.top_differences(2, n=3)
    assert len(top) == 3
    assert top["Difference (SD)"].abs().is_monotonic_decreasing


def test_strength_is_on_one_scale_for_numbers_and_categories():
    # The same yes/no information as a 0/1 number and as a category must be equally strong.
    rng = np.random.default_rng(3)
    group = np.repeat([0, 1], 100)
    member = np.where(rng.random(200) < np.where(group == 1, 0.8, 0.3), 1, 0)
    frame = pd.DataFrame(
        {
            "Spend": np.where(group == 1, 80.0, 20.0) + rng.normal(0, 3, 200),
            "Member (0/1)": member.astype(float),
            "Member": np.where(member == 1, "yes", "no"),
        }
    )
    profile = describe(fit(prepare(frame, features=["Spend"]), 2))
    strength = profile.importance.set_index("Column")["Strength"]
    assert strength["Member (0/1)"] == pytest.approx(strength["Member"], rel=1e-9)
    assert 0.3 < strength["Member"] < 0.7


def test_the_profile_on_its_side_reads_in_units(sample_fit):
    from segmentation.describe import profile_table

    profile = describe(sample_fit)
    wide = profile.by_column()
    assert list(wide.columns) == ["Measure", "All customers", 1, 2, 3, 4, 5]
    assert set(wide.index) == set(profile.overall.index)
    # The column that sets the segments apart most comes first.
    first = profile.importance["Column"].iloc[0]
    assert profile.source(wide.index[0]) == first
    assert wide.loc["Age", 3] == pytest.approx(profile.summary.loc[3, "Age"])
    assert wide.loc["Gender = Female", "Measure"] == "share"
    text = profile_table(profile)
    assert list(text.columns[:2]) == ["Measure", "All customers"]
    assert text.columns[2] == f"1 · {profile.names[0]}"
    assert text.loc["Age", "All customers"] == f"{profile.overall['Age']:,.0f}"
    assert text.loc["Gender = Female", text.columns[3]] == f"{profile.summary.loc[2, 'Gender = Female']:.0%}"
    income = text.loc["Annual Income (k$)", "All customers"]
    assert income == f"{profile.overall['Annual Income (k$)']:,.0f}"
    medians = profile_table(profile, statistic="median")
    assert list(medians.index) == profile.numbers
    assert medians.iloc[0, 0] == f"{profile.medians.iloc[0, 0]:,.0f}"


def test_profile_sources_and_yes_values():
    rows = pd.DataFrame(
        {
            "Spend": [1, 2, 3, 50, 52, 51],
            "Churn": ["Yes", "No", "Yes", "No", "No", "No"],
            "Joined": ["2024-01-01", "2024-02-01", "2024-03-01", "2023-01-01", "2023-02-01", "2023-03-01"],
        }
    )
    profile = describe(fit(prepare(rows, describe=["Churn"]), 2))
    assert profile.source("Churn = Yes") == "Churn"
    assert profile.source("Joined (days before latest)") == "Joined"
    assert profile.yes_share("Churn") == "Churn = Yes"
    assert profile.described == ["Churn"]
    assert profile.values_of("Churn") == ["Churn = No", "Churn = Yes"]


def test_a_name_does_not_repeat_a_value_held_by_the_same_customers():
    """A follow-on value ("Security: No service" for exactly the customers with "Service: No") adds nothing."""
    rng = np.random.default_rng(1)
    n = 600
    service = rng.choice(["Fiber", "DSL", "No"], n, p=[0.45, 0.35, 0.2])
    security = np.where(service == "No", "No service", rng.choice(["Yes", "No"], n))
    charges = np.where(service == "No", 20, np.where(service == "Fiber", 90, 60)) + rng.normal(0, 5, n)
    frame = pd.DataFrame({"Service": service, "Security": security, "Charges": charges.round(2)})
    profile = describe(fit(prepare(frame), 3))
    (no_service,) = [name for name in profile.names if "Service: No" in name]
    assert "No service" not in no_service
    assert no_service.startswith("Service: No, ")
